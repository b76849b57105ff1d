"""Oura v2 items -> fithub records. Pure functions: a dict in, records out, ValueError when unreadable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fithub.plugins import records
from fithub.plugins.coerce import (
    Item,
    date_field,
    datetime_field,
    int_field,
    number_field,
    text_field,
)
from fithub.plugins.oura.const import (
    MAIN_SLEEP_TYPES,
    NAME,
    SKIPPED_SLEEP_TYPES,
    SLEEP_PHASE_SECONDS,
    SLEEP_PHASES,
)
from fithub.plugins.provider import normalises, normalises_pages
from fithub.plugins.records import Record
from fithub.plugins.types import DataType, NormalisedPage


def _source(external_id: str) -> records.Source:
    return records.Source(provider=NAME, external_id=external_id)


@normalises(DataType.ACTIVITIES)
def workout(item: Item) -> list[Record]:
    """``/v2/usercollection/workout`` -> one Activity."""
    activity = text_field(item, "activity").strip().lower().replace(" ", "_")
    return [
        records.Activity(
            source=_source(text_field(item, "id")),
            start=datetime_field(item, "start_datetime"),
            end=datetime_field(item, "end_datetime"),
            sport=activity,
            name=item.get("label") if isinstance(item.get("label"), str) else None,
            detected=item.get("source") == "autodetected",
            calories_kcal=number_field(item, "calories"),
            distance_m=number_field(item, "distance"),
            intensity=item.get("intensity") if isinstance(item.get("intensity"), str) else None,
            raw=dict(item),
        )
    ]


@normalises(DataType.DAILY)
def daily_activity(item: Item) -> list[Record]:
    """``/v2/usercollection/daily_activity`` -> one DailySummary (times in Oura are seconds)."""
    active_s = [number_field(item, k) for k in ("high_activity_time", "medium_activity_time")]
    active_s.append(number_field(item, "low_activity_time"))
    known = [s for s in active_s if s is not None]
    return [
        records.DailySummary(
            source=_source(text_field(item, "id")),
            day=date_field(item, "day"),
            steps=int_field(item, "steps"),
            active_calories_kcal=number_field(item, "active_calories"),
            total_calories_kcal=number_field(item, "total_calories"),
            distance_m=number_field(item, "equivalent_walking_distance"),
            active_minutes=sum(known) / 60 if known else None,
            score=number_field(item, "score"),
            raw=dict(item),
        )
    ]


def _heart_rate(item: Item) -> tuple[datetime, float, str | None]:
    """One heart-rate item's instant (UTC), beats per minute and context."""
    moment = datetime_field(item, "timestamp").astimezone(UTC)
    bpm = number_field(item, "bpm")
    if bpm is None:
        raise ValueError("bpm is missing")
    context = item.get("source") if isinstance(item.get("source"), str) else None
    return moment, bpm, context


@normalises(DataType.HEART_RATE)
def heartrate(item: Item) -> list[Record]:
    """``/v2/usercollection/heartrate`` -> one heart-rate Sample, identified by its instant."""
    moment, bpm, context = _heart_rate(item)
    return [
        records.Sample(
            source=_source(moment.isoformat()),
            kind=records.SampleKind.HEART_RATE,
            time=moment,
            value=bpm,
            context=context,
            raw=dict(item),
        )
    ]


def _utc_text(text: Any) -> datetime | None:
    """``text`` read as an ISO 8601 time if it is one in UTC ("+00:00"), else None."""
    if type(text) is not str or text[-6:] != "+00:00":
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is UTC else None


@normalises_pages(DataType.HEART_RATE)
def heartrate_page(items: Sequence[Item]) -> NormalisedPage:
    """A page of heart rate (one item a minute or more often) as one series in columns: the same
    samples :func:`heartrate` makes item by item."""
    times: list[datetime] = []
    values: list[float] = []
    contexts: list[str | None] = []
    raws: list[Mapping[str, Any]] = []
    errors: list[str] = []
    for item in items:
        text, bpm, context = item.get("timestamp"), item.get("bpm"), item.get("source")
        # The common item (a UTC time, a number) read inline; anything else as heartrate() reads it.
        moment = _utc_text(text)
        if moment is not None and isinstance(bpm, int | float) and not isinstance(bpm, bool):
            times.append(moment)
            values.append(float(bpm))
            contexts.append(context if type(context) is str else None)
            raws.append(item)
            continue
        try:
            moment, bpm, context = _heart_rate(item)
        except (ValueError, TypeError, KeyError) as exc:
            ident = item.get("timestamp") or "?"
            errors.append(f"ProviderMalformedResponse: Oura heart_rate item {ident}: {exc}")
            continue
        times.append(moment)
        values.append(bpm)
        contexts.append(context)
        raws.append(item)
    series = records.SampleSeries(
        provider=NAME, kind=records.SampleKind.HEART_RATE, times=times, values=values,
        contexts=contexts, raws=raws,
    )  # fmt: skip
    return NormalisedPage(series=[series] if times else [], errors=errors)


def _stages(start: datetime, phases: Any) -> tuple[records.SleepStage, ...]:
    """Runs of equal digits in ``sleep_phase_5_min`` as stages (unknown digits are skipped)."""
    if not isinstance(phases, str):
        return ()
    stages: list[records.SleepStage] = []
    step = timedelta(seconds=SLEEP_PHASE_SECONDS)
    run_start = 0
    for i in range(1, len(phases) + 1):
        if i < len(phases) and phases[i] == phases[run_start]:
            continue
        kind = SLEEP_PHASES.get(phases[run_start])
        if kind is not None:
            stages.append(
                records.SleepStage(
                    records.SleepStageKind(kind), start + run_start * step, start + i * step
                )
            )
        run_start = i
    return tuple(stages)


def _hrv_samples(item: Item, sleep_id: str) -> list[Record]:
    """The 5-minute HRV (RMSSD) series of a sleep, one Sample per non-empty item."""
    series = item.get("hrv")
    if not isinstance(series, Mapping) or not isinstance(series.get("items"), list):
        return []
    begin = datetime_field(series, "timestamp").astimezone(UTC)
    interval = number_field(series, "interval") or float(SLEEP_PHASE_SECONDS)
    samples: list[Record] = []
    for i, value in enumerate(series["items"]):
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        moment = begin + timedelta(seconds=i * interval)
        samples.append(
            records.Sample(
                source=_source(moment.isoformat()),
                kind=records.SampleKind.HRV_RMSSD,
                time=moment,
                value=float(value),
                context="sleep",
                raw={"sleep_id": sleep_id, "index": i, "value": value},
            )
        )
    return samples


@normalises(DataType.SLEEP)
def sleep(item: Item) -> list[Record]:
    """``/v2/usercollection/sleep`` -> a SleepSession plus its HRV samples (deleted ones: none)."""
    kind = item.get("type")
    if kind in SKIPPED_SLEEP_TYPES:
        return []
    sleep_id = text_field(item, "id")
    start = datetime_field(item, "bedtime_start")
    session = records.SleepSession(
        source=_source(sleep_id),
        start=start,
        end=datetime_field(item, "bedtime_end"),
        day=date_field(item, "day") if item.get("day") else None,
        is_nap=kind not in MAIN_SLEEP_TYPES,
        stages=_stages(start, item.get("sleep_phase_5_min")),
        asleep_s=number_field(item, "total_sleep_duration"),
        deep_s=number_field(item, "deep_sleep_duration"),
        light_s=number_field(item, "light_sleep_duration"),
        rem_s=number_field(item, "rem_sleep_duration"),
        awake_s=number_field(item, "awake_time"),
        latency_s=number_field(item, "latency"),
        efficiency=number_field(item, "efficiency"),
        avg_heart_rate_bpm=number_field(item, "average_heart_rate"),
        lowest_heart_rate_bpm=number_field(item, "lowest_heart_rate"),
        avg_hrv_ms=number_field(item, "average_hrv"),
        raw=dict(item),
    )
    return [session, *_hrv_samples(item, sleep_id)]
