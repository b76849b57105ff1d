"""Oura v2 items -> fithub records. Pure functions: a dict in, records out, ValueError when unreadable."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fithub.plugins.oura.const import (
    MAIN_SLEEP_TYPES,
    NAME,
    SKIPPED_SLEEP_TYPES,
    SLEEP_PHASE_SECONDS,
    SLEEP_PHASES,
)
from fithub.plugins.records import (
    Activity,
    DailySummary,
    Record,
    Sample,
    SampleKind,
    SleepSession,
    SleepStage,
    SleepStageKind,
    Source,
)

Item = Mapping[str, Any]


def _text(item: Item, key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} is missing or not text")
    return value


def _moment(item: Item, key: str) -> datetime:
    value = datetime.fromisoformat(_text(item, key).replace("Z", "+00:00"))
    if value.tzinfo is None:  # Oura sends offsets; a bare time is taken as UTC
        value = value.replace(tzinfo=UTC)
    return value


def _day(item: Item, key: str = "day") -> date:
    return date.fromisoformat(_text(item, key))


def _number(item: Item, key: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} is not a number")
    return float(value)


def _int(item: Item, key: str) -> int | None:
    value = _number(item, key)
    return None if value is None else int(value)


def _source(external_id: str) -> Source:
    return Source(provider=NAME, external_id=external_id)


def workout(item: Item) -> list[Record]:
    """``/v2/usercollection/workout`` -> one Activity."""
    activity = _text(item, "activity").strip().lower().replace(" ", "_")
    return [
        Activity(
            source=_source(_text(item, "id")),
            start=_moment(item, "start_datetime"),
            end=_moment(item, "end_datetime"),
            sport=activity,
            name=item.get("label") if isinstance(item.get("label"), str) else None,
            detected=item.get("source") == "autodetected",
            calories_kcal=_number(item, "calories"),
            distance_m=_number(item, "distance"),
            intensity=item.get("intensity") if isinstance(item.get("intensity"), str) else None,
            raw=dict(item),
        )
    ]


def daily_activity(item: Item) -> list[Record]:
    """``/v2/usercollection/daily_activity`` -> one DailySummary (times in Oura are seconds)."""
    active_s = [_number(item, k) for k in ("high_activity_time", "medium_activity_time")]
    active_s.append(_number(item, "low_activity_time"))
    known = [s for s in active_s if s is not None]
    return [
        DailySummary(
            source=_source(_text(item, "id")),
            day=_day(item),
            steps=_int(item, "steps"),
            active_calories_kcal=_number(item, "active_calories"),
            total_calories_kcal=_number(item, "total_calories"),
            distance_m=_number(item, "equivalent_walking_distance"),
            active_minutes=sum(known) / 60 if known else None,
            score=_number(item, "score"),
            raw=dict(item),
        )
    ]


def heartrate(item: Item) -> list[Record]:
    """``/v2/usercollection/heartrate`` -> one heart-rate Sample, identified by its instant."""
    moment = _moment(item, "timestamp").astimezone(UTC)
    bpm = _number(item, "bpm")
    if bpm is None:
        raise ValueError("bpm is missing")
    context = item.get("source") if isinstance(item.get("source"), str) else None
    return [
        Sample(
            source=_source(moment.isoformat()),
            kind=SampleKind.HEART_RATE,
            time=moment,
            value=bpm,
            context=context,
            raw=dict(item),
        )
    ]


def _stages(start: datetime, phases: Any) -> tuple[SleepStage, ...]:
    """Runs of equal digits in ``sleep_phase_5_min`` as stages (unknown digits are skipped)."""
    if not isinstance(phases, str):
        return ()
    stages: list[SleepStage] = []
    step = timedelta(seconds=SLEEP_PHASE_SECONDS)
    run_start = 0
    for i in range(1, len(phases) + 1):
        if i < len(phases) and phases[i] == phases[run_start]:
            continue
        kind = SLEEP_PHASES.get(phases[run_start])
        if kind is not None:
            stages.append(
                SleepStage(SleepStageKind(kind), start + run_start * step, start + i * step)
            )
        run_start = i
    return tuple(stages)


def _hrv_samples(item: Item, sleep_id: str) -> list[Record]:
    """The 5-minute HRV (RMSSD) series of a sleep, one Sample per non-empty item."""
    series = item.get("hrv")
    if not isinstance(series, Mapping) or not isinstance(series.get("items"), list):
        return []
    begin = _moment(series, "timestamp").astimezone(UTC)
    interval = _number(series, "interval") or float(SLEEP_PHASE_SECONDS)
    samples: list[Record] = []
    for i, value in enumerate(series["items"]):
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        moment = begin + timedelta(seconds=i * interval)
        samples.append(
            Sample(
                source=_source(moment.isoformat()),
                kind=SampleKind.HRV_RMSSD,
                time=moment,
                value=float(value),
                context="sleep",
                raw={"sleep_id": sleep_id, "index": i, "value": value},
            )
        )
    return samples


def sleep(item: Item) -> list[Record]:
    """``/v2/usercollection/sleep`` -> a SleepSession plus its HRV samples (deleted ones: none)."""
    kind = item.get("type")
    if kind in SKIPPED_SLEEP_TYPES:
        return []
    sleep_id = _text(item, "id")
    start = _moment(item, "bedtime_start")
    session = SleepSession(
        source=_source(sleep_id),
        start=start,
        end=_moment(item, "bedtime_end"),
        day=_day(item) if item.get("day") else None,
        is_nap=kind not in MAIN_SLEEP_TYPES,
        stages=_stages(start, item.get("sleep_phase_5_min")),
        asleep_s=_number(item, "total_sleep_duration"),
        deep_s=_number(item, "deep_sleep_duration"),
        light_s=_number(item, "light_sleep_duration"),
        rem_s=_number(item, "rem_sleep_duration"),
        awake_s=_number(item, "awake_time"),
        latency_s=_number(item, "latency"),
        efficiency=_number(item, "efficiency"),
        avg_heart_rate_bpm=_number(item, "average_heart_rate"),
        lowest_heart_rate_bpm=_number(item, "lowest_heart_rate"),
        avg_hrv_ms=_number(item, "average_hrv"),
        raw=dict(item),
    )
    return [session, *_hrv_samples(item, sleep_id)]
