"""Fitbit items -> fithub records. Pure functions: a dict in, records out, ValueError when unreadable.

Fitbit gives most times in the person's local time without an offset (sleep, weight logs), so the
provider's ``fetch_page`` adds the person's zone to those items (``fithub_timezone``, or
``fithub_utc_offset_ms`` when only the profile's offset is known); daily summaries and heart-rate
dataset entries get the day they belong to (``fithub_date``). Heart rate is asked for in UTC.
Units are metric: fithub sends no ``Accept-Language``, which Fitbit answers in metric units.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fithub.plugins import records
from fithub.plugins.coerce import (
    Item,
    date_field,
    datetime_field,
    id_field,
    int_field,
    number_field,
    scaled_field,
    text_field,
)
from fithub.plugins.fitbit.const import (
    DATE_KEY,
    DISTANCE_UNITS_M,
    NAME,
    OFFSET_KEY,
    SLEEP_LEVELS,
    TZ_KEY,
)
from fithub.plugins.provider import normalises
from fithub.plugins.records import Record
from fithub.plugins.types import DataType


def zone(name: str | None, offset_ms: str | int | None = None) -> tzinfo:
    """The person's zone: the IANA name when this system knows it, else the fixed offset, else UTC."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    if offset_ms not in (None, ""):
        try:
            return timezone(timedelta(milliseconds=int(str(offset_ms))))
        except ValueError:
            pass
    return UTC


def _zone_of(item: Item) -> tzinfo:
    offset = item.get(OFFSET_KEY)
    return zone(item.get(TZ_KEY) if isinstance(item.get(TZ_KEY), str) else None,
                offset if isinstance(offset, str | int) else None)  # fmt: skip


def _source(external_id: str) -> records.Source:
    return records.Source(provider=NAME, external_id=external_id)


@normalises(DataType.ACTIVITIES)
def activity(item: Item) -> list[Record]:
    """An entry of ``/1/user/-/activities/list.json`` -> one Activity."""
    start = datetime_field(item, "startTime", _zone_of(item))
    duration_ms = number_field(item, "duration")
    if duration_ms is None:
        duration_ms = number_field(item, "activeDuration")
    if duration_ms is None or duration_ms < 0:
        raise ValueError("duration is missing")
    name = text_field(item, "activityName").strip()
    distance = number_field(item, "distance")
    if distance is not None:
        unit = str(item.get("distanceUnit") or "kilometer").strip().lower()
        if unit not in DISTANCE_UNITS_M:
            raise ValueError(f"distanceUnit {unit!r} is not known")
        distance *= DISTANCE_UNITS_M[unit]
    return [
        records.Activity(
            source=_source(id_field(item, "logId")),
            start=start,
            end=start + timedelta(milliseconds=duration_ms),
            sport=name.lower().replace(" ", "_"),
            name=name,
            detected=item.get("logType") == "auto_detected",
            calories_kcal=number_field(item, "calories"),
            distance_m=distance,
            steps=int_field(item, "steps"),
            avg_heart_rate_bpm=number_field(item, "averageHeartRate"),
            raw=dict(item),
        )
    ]


@normalises(DataType.DAILY)
def daily(item: Item) -> list[Record]:
    """``/1/user/-/activities/date/{day}.json`` (plus ``fithub_date``) -> one DailySummary.

    Active minutes are Fitbit's: fairly plus very active minutes. Distances are in kilometres.
    """
    summary = item.get("summary")
    if not isinstance(summary, Mapping):
        raise ValueError("summary is missing")
    distance = None
    distances = summary.get("distances")
    if isinstance(distances, list):
        for entry in distances:
            if isinstance(entry, Mapping) and entry.get("activity") == "total":
                km = number_field(entry, "distance")
                distance = None if km is None else km * 1000
    fairly, very = (
        number_field(summary, "fairlyActiveMinutes"),
        number_field(summary, "veryActiveMinutes"),
    )
    active = None if fairly is None and very is None else (fairly or 0) + (very or 0)
    day = date_field(item, DATE_KEY)
    return [
        records.DailySummary(
            source=_source(day.isoformat()),
            day=day,
            steps=int_field(summary, "steps"),
            active_calories_kcal=number_field(summary, "activityCalories"),
            total_calories_kcal=number_field(summary, "caloriesOut"),
            distance_m=distance,
            active_minutes=active,
            resting_heart_rate_bpm=number_field(summary, "restingHeartRate"),
            raw=dict(item),
        )
    ]


@normalises(DataType.HEART_RATE)
def heart_rate(item: Item) -> list[Record]:
    """An ``activities-heart-intraday`` dataset entry (plus ``fithub_date``, in UTC) -> a Sample."""
    day = date_field(item, DATE_KEY)
    moment = datetime.combine(day, time.fromisoformat(text_field(item, "time")), _zone_of(item))
    moment = moment.astimezone(UTC)
    bpm = number_field(item, "value")
    if bpm is None:
        raise ValueError("value is missing")
    return [
        records.Sample(
            source=_source(moment.isoformat()),
            kind=records.SampleKind.HEART_RATE,
            time=moment,
            value=bpm,
            raw=dict(item),
        )
    ]


def _stages(levels: Any, tz: tzinfo) -> tuple[records.SleepStage, ...]:
    """``levels.data``: one stage per entry (levels Fitbit may add later are skipped)."""
    if not isinstance(levels, Mapping) or not isinstance(levels.get("data"), list):
        return ()
    stages: list[records.SleepStage] = []
    for entry in levels["data"]:
        if not isinstance(entry, Mapping):
            raise ValueError("a levels.data entry is not an object")
        kind = SLEEP_LEVELS.get(str(entry.get("level")))
        seconds = number_field(entry, "seconds")
        if kind is None or seconds is None:
            continue
        begin = datetime_field(entry, "dateTime", tz)
        stages.append(
            records.SleepStage(
                records.SleepStageKind(kind), begin, begin + timedelta(seconds=seconds)
            )
        )
    return tuple(stages)


def _level_seconds(levels: Any, *names: str) -> float | None:
    summary = levels.get("summary") if isinstance(levels, Mapping) else None
    if not isinstance(summary, Mapping):
        return None
    found = [summary[n] for n in names if isinstance(summary.get(n), Mapping)]
    if not found:
        return None
    return sum((number_field(level, "minutes") or 0.0) * 60 for level in found)


@normalises(DataType.SLEEP)
def sleep(item: Item) -> list[Record]:
    """An entry of ``/1.2/user/-/sleep/list.json`` -> one SleepSession ("stages" or "classic")."""
    tz = _zone_of(item)
    start = datetime_field(item, "startTime", tz)
    if item.get("endTime"):
        end = datetime_field(item, "endTime", tz)
    else:
        duration_ms = number_field(item, "duration")
        if duration_ms is None:
            raise ValueError("endTime and duration are missing")
        end = start + timedelta(milliseconds=duration_ms)
    levels = item.get("levels")
    staged = item.get("type") == "stages"
    awake = scaled_field(item, "minutesAwake", times=60)
    if awake is None:
        awake = _level_seconds(levels, "wake") if staged else _level_seconds(levels, "awake",
                                                                             "restless")  # fmt: skip
    return [
        records.SleepSession(
            source=_source(id_field(item, "logId")),
            start=start,
            end=end,
            day=date_field(item, "dateOfSleep") if item.get("dateOfSleep") else None,
            is_nap=item.get("isMainSleep") is False,
            stages=_stages(levels, tz),
            asleep_s=scaled_field(item, "minutesAsleep", times=60),
            deep_s=_level_seconds(levels, "deep") if staged else None,
            light_s=_level_seconds(levels, "light") if staged else None,
            rem_s=_level_seconds(levels, "rem") if staged else None,
            awake_s=awake,
            latency_s=scaled_field(item, "minutesToFallAsleep", times=60),
            efficiency=number_field(item, "efficiency"),
            raw=dict(item),
        )
    ]


@normalises(DataType.BODY)
def body(item: Item) -> list[Record]:
    """An entry of ``/1/user/-/body/log/weight/date/...`` -> weight, BMI and body fat (if measured).

    The three share the log's id (fithub keys body measurements on id and kind). A log without a
    time is filed by Fitbit at the day's last second.
    """
    day = date_field(item, "date")
    clock = (
        time.fromisoformat(item["time"]) if isinstance(item.get("time"), str) else time(23, 59, 59)
    )
    moment = datetime.combine(day, clock, _zone_of(item))
    log_id = id_field(item, "logId")
    weight = number_field(item, "weight")
    if weight is None:
        raise ValueError("weight is missing")
    out: list[Record] = []
    for kind, value in ((records.BodyKind.WEIGHT, weight), (records.BodyKind.BMI, number_field(item, "bmi")),
                        (records.BodyKind.BODY_FAT, number_field(item, "fat"))):  # fmt: skip
        if value is not None:
            out.append(records.BodyMeasurement(source=_source(log_id), kind=kind, time=moment,
                                           value=value, raw=dict(item)))  # fmt: skip
    return out
