"""Fitbit items -> fithub records. Pure functions: a dict in, records out, ValueError when unreadable.

Fitbit gives most times in the person's local time without an offset (sleep, weight logs), so the
provider's ``fetch_page`` adds the person's zone to those items (``fithub_timezone``, or
``fithub_utc_offset_ms`` when only the profile's offset is known); daily summaries and heart-rate
dataset entries get the day they belong to (``fithub_date``). Heart rate is asked for in UTC.
Units are metric: fithub sends no ``Accept-Language``, which Fitbit answers in metric units.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fithub.plugins.fitbit.const import (
    DATE_KEY,
    DISTANCE_UNITS_M,
    NAME,
    OFFSET_KEY,
    SLEEP_LEVELS,
    TZ_KEY,
)
from fithub.plugins.records import (
    Activity,
    BodyKind,
    BodyMeasurement,
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


def _text(item: Item, key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} is missing or not text")
    return value


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


def _id(item: Item, key: str = "logId") -> str:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise ValueError(f"{key} is missing")
    return str(value)


def _moment(text: str, tz: tzinfo) -> datetime:
    """A Fitbit time: with its offset when it has one, else local time in ``tz``."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def _minutes(item: Item, key: str) -> float | None:
    value = _number(item, key)
    return None if value is None else value * 60


def _source(external_id: str) -> Source:
    return Source(provider=NAME, external_id=external_id)


def activity(item: Item) -> list[Record]:
    """An entry of ``/1/user/-/activities/list.json`` -> one Activity."""
    start = _moment(_text(item, "startTime"), _zone_of(item))
    duration_ms = _number(item, "duration")
    if duration_ms is None:
        duration_ms = _number(item, "activeDuration")
    if duration_ms is None or duration_ms < 0:
        raise ValueError("duration is missing")
    name = _text(item, "activityName").strip()
    distance = _number(item, "distance")
    if distance is not None:
        unit = str(item.get("distanceUnit") or "kilometer").strip().lower()
        if unit not in DISTANCE_UNITS_M:
            raise ValueError(f"distanceUnit {unit!r} is not known")
        distance *= DISTANCE_UNITS_M[unit]
    return [
        Activity(
            source=_source(_id(item)),
            start=start,
            end=start + timedelta(milliseconds=duration_ms),
            sport=name.lower().replace(" ", "_"),
            name=name,
            detected=item.get("logType") == "auto_detected",
            calories_kcal=_number(item, "calories"),
            distance_m=distance,
            steps=_int(item, "steps"),
            avg_heart_rate_bpm=_number(item, "averageHeartRate"),
            raw=dict(item),
        )
    ]


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
                km = _number(entry, "distance")
                distance = None if km is None else km * 1000
    fairly, very = _number(summary, "fairlyActiveMinutes"), _number(summary, "veryActiveMinutes")
    active = None if fairly is None and very is None else (fairly or 0) + (very or 0)
    day = date.fromisoformat(_text(item, DATE_KEY))
    return [
        DailySummary(
            source=_source(day.isoformat()),
            day=day,
            steps=_int(summary, "steps"),
            active_calories_kcal=_number(summary, "activityCalories"),
            total_calories_kcal=_number(summary, "caloriesOut"),
            distance_m=distance,
            active_minutes=active,
            resting_heart_rate_bpm=_number(summary, "restingHeartRate"),
            raw=dict(item),
        )
    ]


def heart_rate(item: Item) -> list[Record]:
    """An ``activities-heart-intraday`` dataset entry (plus ``fithub_date``, in UTC) -> a Sample."""
    day = date.fromisoformat(_text(item, DATE_KEY))
    moment = datetime.combine(day, time.fromisoformat(_text(item, "time")), _zone_of(item))
    moment = moment.astimezone(UTC)
    bpm = _number(item, "value")
    if bpm is None:
        raise ValueError("value is missing")
    return [
        Sample(
            source=_source(moment.isoformat()),
            kind=SampleKind.HEART_RATE,
            time=moment,
            value=bpm,
            raw=dict(item),
        )
    ]


def _stages(levels: Any, tz: tzinfo) -> tuple[SleepStage, ...]:
    """``levels.data``: one stage per entry (levels Fitbit may add later are skipped)."""
    if not isinstance(levels, Mapping) or not isinstance(levels.get("data"), list):
        return ()
    stages: list[SleepStage] = []
    for entry in levels["data"]:
        if not isinstance(entry, Mapping):
            raise ValueError("a levels.data entry is not an object")
        kind = SLEEP_LEVELS.get(str(entry.get("level")))
        seconds = _number(entry, "seconds")
        if kind is None or seconds is None:
            continue
        begin = _moment(_text(entry, "dateTime"), tz)
        stages.append(SleepStage(SleepStageKind(kind), begin, begin + timedelta(seconds=seconds)))
    return tuple(stages)


def _level_seconds(levels: Any, *names: str) -> float | None:
    summary = levels.get("summary") if isinstance(levels, Mapping) else None
    if not isinstance(summary, Mapping):
        return None
    found = [summary[n] for n in names if isinstance(summary.get(n), Mapping)]
    if not found:
        return None
    return sum((_number(level, "minutes") or 0.0) * 60 for level in found)


def sleep(item: Item) -> list[Record]:
    """An entry of ``/1.2/user/-/sleep/list.json`` -> one SleepSession ("stages" or "classic")."""
    tz = _zone_of(item)
    start = _moment(_text(item, "startTime"), tz)
    if item.get("endTime"):
        end = _moment(_text(item, "endTime"), tz)
    else:
        duration_ms = _number(item, "duration")
        if duration_ms is None:
            raise ValueError("endTime and duration are missing")
        end = start + timedelta(milliseconds=duration_ms)
    levels = item.get("levels")
    staged = item.get("type") == "stages"
    awake = _minutes(item, "minutesAwake")
    if awake is None:
        awake = _level_seconds(levels, "wake") if staged else _level_seconds(levels, "awake",
                                                                             "restless")  # fmt: skip
    return [
        SleepSession(
            source=_source(_id(item)),
            start=start,
            end=end,
            day=date.fromisoformat(_text(item, "dateOfSleep")) if item.get("dateOfSleep") else None,
            is_nap=item.get("isMainSleep") is False,
            stages=_stages(levels, tz),
            asleep_s=_minutes(item, "minutesAsleep"),
            deep_s=_level_seconds(levels, "deep") if staged else None,
            light_s=_level_seconds(levels, "light") if staged else None,
            rem_s=_level_seconds(levels, "rem") if staged else None,
            awake_s=awake,
            latency_s=_minutes(item, "minutesToFallAsleep"),
            efficiency=_number(item, "efficiency"),
            raw=dict(item),
        )
    ]


def body(item: Item) -> list[Record]:
    """An entry of ``/1/user/-/body/log/weight/date/...`` -> weight, BMI and body fat (if measured).

    The three share the log's id (fithub keys body measurements on id and kind). A log without a
    time is filed by Fitbit at the day's last second.
    """
    day = date.fromisoformat(_text(item, "date"))
    clock = (
        time.fromisoformat(item["time"]) if isinstance(item.get("time"), str) else time(23, 59, 59)
    )
    moment = datetime.combine(day, clock, _zone_of(item))
    log_id = _id(item)
    weight = _number(item, "weight")
    if weight is None:
        raise ValueError("weight is missing")
    records: list[Record] = []
    for kind, value in ((BodyKind.WEIGHT, weight), (BodyKind.BMI, _number(item, "bmi")),
                        (BodyKind.BODY_FAT, _number(item, "fat"))):  # fmt: skip
        if value is not None:
            records.append(BodyMeasurement(source=_source(log_id), kind=kind, time=moment,
                                           value=value, raw=dict(item)))  # fmt: skip
    return records
