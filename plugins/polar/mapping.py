"""Polar AccessLink items -> fithub records. Pure functions: a dict in, records out, ValueError when unreadable.

Polar writes some times with an offset (sleep start and end), some as local time with the offset
beside them (exercises), and some as a bare clock time of a date with no offset at all (continuous
heart rate, Nightly Recharge samples): those are taken as UTC, which is wrong by the user's offset
from UTC; the vendor gives nothing better.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from fithub.plugins import records
from fithub.plugins.coerce import (
    Item,
    date_field,
    datetime_field,
    int_field,
    iso_datetime,
    number_field,
    object_field,
    text_field,
)
from fithub.plugins.polar.const import HYPNOGRAM, NAME
from fithub.plugins.provider import normalises
from fithub.plugins.records import Record
from fithub.plugins.types import DataType

DAY_S = 86400
_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def _source(external_id: str, device: Any = None) -> records.Source:
    return records.Source(NAME, external_id, device if isinstance(device, str) and device else None)


def duration_s(text: str) -> float:
    """Seconds in an ISO 8601 duration as Polar writes them ("PT2H44M", "PT1H5M30.5S", "P1DT2H")."""
    match = _DURATION.match(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"{text!r} is not an ISO 8601 duration")
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    return (
        parts.get("d", 0.0) * DAY_S
        + parts.get("h", 0.0) * 3600
        + parts.get("m", 0.0) * 60
        + parts.get("s", 0.0)
    )


def clock_s(text: str) -> int:
    """Seconds since midnight of a clock time "HH:MM" or "HH:MM:SS"."""
    parsed = time.fromisoformat(text)
    return parsed.hour * 3600 + parsed.minute * 60 + parsed.second


def _utc_at(day: date, seconds: float) -> datetime:
    return datetime.combine(day, time.min, UTC) + timedelta(seconds=seconds)


# -- exercises -----------------------------------------------------------------------------------


def exercise_start(item: Item) -> datetime:
    """When an exercise began: its local ``start_time`` at ``start_time_utc_offset`` minutes."""
    start = datetime.fromisoformat(text_field(item, "start_time").replace("Z", "+00:00"))
    if start.tzinfo is None:
        offset = number_field(item, "start_time_utc_offset") or 0.0
        start = start.replace(tzinfo=timezone(timedelta(minutes=offset)))
    return start


@normalises(DataType.ACTIVITIES)
def exercise(item: Item) -> list[Record]:
    """``/v3/exercises`` item -> one Activity (duration ISO 8601, calories kcal, distance m)."""
    start = exercise_start(item)
    sport = item.get("detailed_sport_info") or item.get("sport")
    if not isinstance(sport, str) or not sport.strip():
        raise ValueError("sport is missing")
    heart = item.get("heart_rate")
    heart = heart if isinstance(heart, Mapping) else {}
    return [
        records.Activity(
            source=_source(text_field(item, "id"), item.get("device")),
            start=start,
            end=start + timedelta(seconds=duration_s(text_field(item, "duration"))),
            sport=sport.strip().lower().replace(" ", "_"),
            calories_kcal=number_field(item, "calories"),
            distance_m=number_field(item, "distance"),
            avg_heart_rate_bpm=number_field(heart, "average"),
            max_heart_rate_bpm=number_field(heart, "maximum"),
            raw=dict(item),
        )
    ]


def uploaded_at(item: Item) -> datetime:
    """When Polar received an exercise (``upload_time``; its start when that is missing)."""
    upload = item.get("upload_time")
    return iso_datetime(upload) if isinstance(upload, str) and upload else exercise_start(item)


# -- daily activity ------------------------------------------------------------------------------


def activity_day(item: Item) -> date:
    """The day a daily activity summary is filed under (the date of its ``start_time``)."""
    samples = item.get("samples")
    if isinstance(samples, Mapping) and isinstance(samples.get("date"), str):
        return date.fromisoformat(samples["date"])
    return date.fromisoformat(text_field(item, "start_time")[:10])


@normalises(DataType.DAILY)
def daily_activity(item: Item) -> list[Record]:
    """``/v3/users/activities`` item -> one DailySummary, identified by its date."""
    day = activity_day(item)
    active = item.get("active_duration")
    return [
        records.DailySummary(
            source=_source(day.isoformat()),
            day=day,
            steps=int_field(item, "steps"),
            active_calories_kcal=number_field(item, "active_calories"),
            total_calories_kcal=number_field(item, "calories"),
            distance_m=number_field(item, "distance_from_steps"),
            active_minutes=duration_s(active) / 60 if isinstance(active, str) and active else None,
            raw=dict(item),
        )
    ]


# -- sleep ---------------------------------------------------------------------------------------


def _stages(hypnogram: Any, start: datetime, end: datetime) -> tuple[records.SleepStage, ...]:
    """Stages from ``{"HH:MM": code}`` transitions: each code lasts until the next one (or the end).

    Keys are clock times in the sleep's own offset; they are placed after ``start`` (modulo a day,
    so the order of the keys and midnight do not matter). Equal neighbours are merged; code 5
    (unknown) leaves a gap.
    """
    if not isinstance(hypnogram, Mapping) or not hypnogram:
        return ()
    anchor = start.replace(second=0, microsecond=0)
    anchor_s = anchor.hour * 3600 + anchor.minute * 60
    marks: list[tuple[datetime, int]] = []
    for key, code in hypnogram.items():
        if isinstance(code, bool) or not isinstance(code, int):
            raise ValueError(f"hypnogram {key} is not a stage code")
        moment = anchor + timedelta(seconds=(clock_s(str(key)) - anchor_s) % DAY_S)
        marks.append((max(moment, start), code))
    marks.sort(key=lambda mark: mark[0])
    stages: list[records.SleepStage] = []
    for i, (moment, code) in enumerate(marks):
        until = marks[i + 1][0] if i + 1 < len(marks) else end
        kind = HYPNOGRAM.get(code)
        if kind is None or until <= moment or moment >= end:
            continue
        until = min(until, end)
        if stages and stages[-1].stage == kind and stages[-1].end == moment:
            stages[-1] = records.SleepStage(stages[-1].stage, stages[-1].start, until)
        else:
            stages.append(records.SleepStage(records.SleepStageKind(kind), moment, until))
    return tuple(stages)


@normalises(DataType.SLEEP)
def sleep(item: Item) -> list[Record]:
    """``/v3/users/sleep/{date}`` -> one SleepSession (durations in s), identified by its date."""
    day = date_field(item, "date")
    start = datetime_field(item, "sleep_start_time")
    end = datetime_field(item, "sleep_end_time")
    parts = [number_field(item, k) for k in ("light_sleep", "deep_sleep", "rem_sleep")]
    parts.append(number_field(item, "unrecognized_sleep_stage"))
    known = [p for p in parts if p is not None]
    beats = item.get("heart_rate_samples")
    bpm = [float(v) for v in beats.values() if isinstance(v, int | float) and not isinstance(
        v, bool)] if isinstance(beats, Mapping) else []  # fmt: skip
    return [
        records.SleepSession(
            source=_source(day.isoformat(), item.get("device_id")),
            start=start,
            end=end,
            day=day,
            stages=_stages(item.get("hypnogram"), start, end),
            asleep_s=sum(known) if known else None,
            light_s=parts[0],
            deep_s=parts[1],
            rem_s=parts[2],
            awake_s=number_field(item, "total_interruption_duration"),
            avg_heart_rate_bpm=sum(bpm) / len(bpm) if bpm else None,
            lowest_heart_rate_bpm=min(bpm) if bpm else None,
            raw=dict(item),
        )
    ]


# -- nightly recharge and continuous heart rate -------------------------------------------------


def _night_moment(day: date, key: str) -> datetime:
    """A Nightly Recharge sample time: clock times from noon on belong to the evening before."""
    seconds = clock_s(key)
    return _utc_at(day - timedelta(days=1) if seconds >= DAY_S // 2 else day, seconds)


def _series(item: Item, key: str, day: date, kind: records.SampleKind) -> list[Record]:
    series = object_field(item, key)
    if series is None:
        return []
    samples: list[Record] = []
    for clock, value in series.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key} {clock} is not a number")
        moment = _night_moment(day, str(clock))
        samples.append(
            records.Sample(
                source=_source(moment.isoformat()),
                kind=kind,
                time=moment,
                value=float(value),
                context="sleep",
                raw={"date": day.isoformat(), "series": key, "time": clock, "value": value},
            )
        )
    return samples


@normalises(DataType.HRV)
def nightly_recharge(item: Item) -> list[Record]:
    """``/v3/users/nightly-recharge/{date}`` -> HRV (RMSSD, ms) and breathing-rate Samples."""
    day = date_field(item, "date")
    return [
        *_series(item, "hrv_samples", day, records.SampleKind.HRV_RMSSD),
        *_series(item, "breathing_samples", day, records.SampleKind.RESPIRATORY_RATE),
    ]


@normalises(DataType.HEART_RATE)
def continuous_heart_rate(item: Item) -> list[Record]:
    """``/v3/users/continuous-heart-rate/{date}`` -> one heart-rate Sample per 5-minute average."""
    day = date_field(item, "date")
    rows = item.get("heart_rate_samples")
    if not isinstance(rows, list):
        raise ValueError("heart_rate_samples is not a list")
    samples: list[Record] = []
    for row in rows:
        if not isinstance(row, Mapping):
            raise ValueError("a heart rate sample is not an object")
        bpm = number_field(row, "heart_rate")
        if bpm is None:
            continue
        moment = _utc_at(day, clock_s(text_field(row, "sample_time")))
        samples.append(
            records.Sample(
                source=_source(moment.isoformat()),
                kind=records.SampleKind.HEART_RATE,
                time=moment,
                value=bpm,
                raw={"date": day.isoformat(), **row},
            )
        )
    return samples
