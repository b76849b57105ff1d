"""Garmin summaries -> fithub records. Pure functions: a dict in, records out, ValueError if unreadable.

Garmin gives instants as UTC epoch seconds plus the wearer's offset at the time
(``startTimeOffsetInSeconds``); records keep that offset, so local times stay local.
External ids: the local ``calendarDate`` for one-per-day summaries (dailies, sleeps), the
``summaryId`` for activities and body compositions, and the UTC instant for samples.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from fithub.plugins.garmin.const import NAME, SLEEP_LEVELS
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
MAX_OFFSET_S = 18 * 3600  # UTC offsets stay within +-18 h


def _number(item: Item, key: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} is not a number")
    return float(value)


def _required(item: Item, key: str) -> float:
    value = _number(item, key)
    if value is None:
        raise ValueError(f"{key} is missing")
    return value


def _int(item: Item, key: str) -> int | None:
    value = _number(item, key)
    return None if value is None else int(value)


def _text(item: Item, key: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        raise ValueError(f"{key} is not text")
    return str(value)


def _zone(item: Item, key: str) -> timezone:
    offset = _number(item, key)
    if offset is None or abs(offset) > MAX_OFFSET_S:
        return UTC
    return timezone(timedelta(seconds=int(offset)))


def _instant(item: Item, key: str, offset_key: str) -> datetime:
    """``key`` (UTC epoch seconds) as a datetime in the wearer's offset ``offset_key``."""
    return datetime.fromtimestamp(_required(item, key), _zone(item, offset_key))


def _day(item: Item) -> date:
    text = _text(item, "calendarDate")
    if text is None:
        raise ValueError("calendarDate is missing")
    return date.fromisoformat(text)


def _grams_to_kg(item: Item, key: str) -> float | None:
    grams = _number(item, key)
    return None if grams is None else grams / 1000


def _source(external_id: str, device: str | None = None) -> Source:
    return Source(provider=NAME, external_id=external_id, device=device)


def _offset_series(item: Item, key: str) -> list[tuple[datetime, float]]:
    """A ``{"<seconds from startTimeInSeconds>": value}`` map as (UTC instant, value), in order."""
    series = item.get(key)
    if series is None:
        return []
    if not isinstance(series, Mapping):
        raise ValueError(f"{key} is not an object")
    begin = _required(item, "startTimeInSeconds")
    points: list[tuple[datetime, float]] = []
    for offset, value in series.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key}[{offset}] is not a number")
        moment = datetime.fromtimestamp(begin + int(offset), UTC)
        points.append((moment, float(value)))
    points.sort(key=lambda point: point[0])
    return points


def _samples(item: Item, key: str, kind: SampleKind, context: str | None) -> list[Record]:
    summary = _text(item, "summaryId")
    return [
        Sample(
            source=_source(moment.isoformat()),
            kind=kind,
            time=moment,
            value=value,
            context=context,
            raw={"summaryId": summary, "time": int(moment.timestamp()), "value": value},
        )
        for moment, value in _offset_series(item, key)
    ]


def daily(item: Item) -> list[Record]:
    """``dailies`` -> one DailySummary for the wearer's calendar day (its external id)."""
    day = _day(item)
    active = _number(item, "activeKilocalories")
    bmr = _number(item, "bmrKilocalories")
    active_s = _number(item, "activeTimeInSeconds")
    if active_s is None:
        parts = [_number(item, k) for k in ("moderateIntensityDurationInSeconds",
                                           "vigorousIntensityDurationInSeconds")]  # fmt: skip
        known = [p for p in parts if p is not None]
        active_s = sum(known) if known else None
    return [
        DailySummary(
            source=_source(day.isoformat()),
            day=day,
            steps=_int(item, "steps"),
            active_calories_kcal=active,
            total_calories_kcal=active + bmr if active is not None and bmr is not None else None,
            distance_m=_number(item, "distanceInMeters"),
            active_minutes=active_s / 60 if active_s is not None else None,
            resting_heart_rate_bpm=_number(item, "restingHeartRateInBeatsPerMinute"),
            raw=dict(item),
        )
    ]


def heart_rate(item: Item) -> list[Record]:
    """``dailies`` -> the heart-rate Samples of ``timeOffsetHeartRateSamples`` (none: no samples)."""
    _day(item)  # a daily without its day is not one
    return _samples(item, "timeOffsetHeartRateSamples", SampleKind.HEART_RATE, None)


def activity(item: Item) -> list[Record]:
    """``activities`` -> one Activity, identified by its summaryId (or activityId)."""
    ident = _text(item, "summaryId") or _text(item, "activityId")
    if ident is None:
        raise ValueError("summaryId is missing")
    kind = _text(item, "activityType")
    if kind is None:
        raise ValueError("activityType is missing")
    start = _instant(item, "startTimeInSeconds", "startTimeOffsetInSeconds")
    return [
        Activity(
            source=_source(ident, _text(item, "deviceName")),
            start=start,
            end=start + timedelta(seconds=_required(item, "durationInSeconds")),
            sport=kind.strip().lower().replace(" ", "_"),
            name=_text(item, "activityName"),
            calories_kcal=_number(item, "activeKilocalories"),
            distance_m=_number(item, "distanceInMeters"),
            steps=_int(item, "steps"),
            avg_heart_rate_bpm=_number(item, "averageHeartRateInBeatsPerMinute"),
            max_heart_rate_bpm=_number(item, "maxHeartRateInBeatsPerMinute"),
            raw=dict(item),
        )
    ]


def _stages(item: Item, zone: timezone) -> tuple[SleepStage, ...]:
    levels = item.get("sleepLevelsMap")
    if levels is None:
        return ()
    if not isinstance(levels, Mapping):
        raise ValueError("sleepLevelsMap is not an object")
    stages: list[SleepStage] = []
    for level, spans in levels.items():
        kind = SLEEP_LEVELS.get(level)
        if kind is None or not isinstance(spans, list):
            continue
        for span in spans:
            if not isinstance(span, Mapping):
                raise ValueError(f"sleepLevelsMap.{level} holds a non-object")
            start = datetime.fromtimestamp(_required(span, "startTimeInSeconds"), zone)
            end = datetime.fromtimestamp(_required(span, "endTimeInSeconds"), zone)
            stages.append(SleepStage(SleepStageKind(kind), start, end))
    return tuple(sorted(stages, key=lambda stage: stage.start))


def sleep(item: Item) -> list[Record]:
    """``sleeps`` -> one SleepSession filed under its calendarDate (the wake-up day)."""
    day = _day(item)
    zone = _zone(item, "startTimeOffsetInSeconds")
    start = _instant(item, "startTimeInSeconds", "startTimeOffsetInSeconds")
    end = start + timedelta(seconds=_required(item, "durationInSeconds"))  # awake time included
    deep = _number(item, "deepSleepDurationInSeconds")
    light = _number(item, "lightSleepDurationInSeconds")
    rem = _number(item, "remSleepInSeconds")
    known = [s for s in (deep, light, rem) if s is not None]
    return [
        SleepSession(
            source=_source(day.isoformat()),
            start=start,
            end=end,
            day=day,
            stages=_stages(item, zone),
            asleep_s=sum(known) if known else None,
            deep_s=deep,
            light_s=light,
            rem_s=rem,
            awake_s=_number(item, "awakeDurationInSeconds"),
            avg_heart_rate_bpm=_number(item, "averageHeartRate"),
            lowest_heart_rate_bpm=_number(item, "lowestHeartRate"),
            raw=dict(item),
        )
    ]


BODY_FIELDS: tuple[tuple[str, BodyKind, float], ...] = (
    ("weightInGrams", BodyKind.WEIGHT, 1e-3),
    ("bodyFatInPercent", BodyKind.BODY_FAT, 1.0),
    ("muscleMassInGrams", BodyKind.MUSCLE_MASS, 1e-3),
    ("boneMassInGrams", BodyKind.BONE_MASS, 1e-3),
    ("bodyMassIndex", BodyKind.BMI, 1.0),
)


def body_composition(item: Item) -> list[Record]:
    """``bodyComps`` -> one BodyMeasurement per value given (grams become kilograms)."""
    when = _instant(item, "measurementTimeInSeconds", "measurementTimeOffsetInSeconds")
    ident = _text(item, "summaryId") or str(int(when.timestamp()))
    records: list[Record] = []
    for key, kind, factor in BODY_FIELDS:
        value = _number(item, key)
        if value is not None:
            records.append(BodyMeasurement(source=_source(ident), kind=kind, time=when,
                                           value=value * factor, raw=dict(item)))  # fmt: skip
    return records


def hrv(item: Item) -> list[Record]:
    """``hrv`` -> an RMSSD Sample per ``hrvValues`` entry (5-minute readings during sleep)."""
    _day(item)
    return _samples(item, "hrvValues", SampleKind.HRV_RMSSD, "sleep")


def pulse_ox(item: Item) -> list[Record]:
    """``pulseox`` -> an SpO2 Sample per ``timeOffsetSpo2Values`` entry."""
    on_demand = item.get("onDemand") is True
    return _samples(item, "timeOffsetSpo2Values", SampleKind.SPO2,
                    "on_demand" if on_demand else None)  # fmt: skip
