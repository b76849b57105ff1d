"""Garmin summaries -> fithub records. Pure functions: a dict in, records out, ValueError if unreadable.

Garmin gives instants as UTC epoch seconds plus the wearer's offset at the time
(``startTimeOffsetInSeconds``); records keep that offset, so local times stay local.
External ids: the local ``calendarDate`` for one-per-day summaries (dailies, sleeps), the
``summaryId`` for activities and body compositions, and the UTC instant for samples.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone

from fithub.plugins import records
from fithub.plugins.coerce import (
    Item,
    epoch_field,
    int_field,
    number_field,
    object_field,
    required_number,
)
from fithub.plugins.garmin.const import NAME, SLEEP_LEVELS
from fithub.plugins.provider import normalises
from fithub.plugins.records import Record
from fithub.plugins.types import DataType

MAX_OFFSET_S = 18 * 3600  # UTC offsets stay within +-18 h


def _text(item: Item, key: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        raise ValueError(f"{key} is not text")
    return str(value)


def _zone(item: Item, key: str) -> timezone:
    offset = number_field(item, key)
    if offset is None or abs(offset) > MAX_OFFSET_S:
        return UTC
    return timezone(timedelta(seconds=int(offset)))


def _instant(item: Item, key: str, offset_key: str) -> datetime:
    """``key`` (UTC epoch seconds) as a datetime in the wearer's offset ``offset_key``."""
    return epoch_field(item, key, _zone(item, offset_key))


def _day(item: Item) -> date:
    text = _text(item, "calendarDate")
    if text is None:
        raise ValueError("calendarDate is missing")
    return date.fromisoformat(text)


def _source(external_id: str, device: str | None = None) -> records.Source:
    return records.Source(provider=NAME, external_id=external_id, device=device)


def _offset_series(item: Item, key: str) -> list[tuple[datetime, float]]:
    """A ``{"<seconds from startTimeInSeconds>": value}`` map as (UTC instant, value), in order."""
    series = object_field(item, key)
    if series is None:
        return []
    begin = required_number(item, "startTimeInSeconds")
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


def _samples(item: Item, key: str, kind: records.SampleKind, context: str | None) -> list[Record]:
    summary = _text(item, "summaryId")
    return [
        records.Sample(
            source=_source(moment.isoformat()),
            kind=kind,
            time=moment,
            value=value,
            context=context,
            raw={"summaryId": summary, "time": int(moment.timestamp()), "value": value},
        )
        for moment, value in _offset_series(item, key)
    ]


@normalises(DataType.DAILY)
def daily(item: Item) -> list[Record]:
    """``dailies`` -> one DailySummary for the wearer's calendar day (its external id)."""
    day = _day(item)
    active = number_field(item, "activeKilocalories")
    bmr = number_field(item, "bmrKilocalories")
    active_s = number_field(item, "activeTimeInSeconds")
    if active_s is None:
        parts = [number_field(item, k) for k in ("moderateIntensityDurationInSeconds",
                                           "vigorousIntensityDurationInSeconds")]  # fmt: skip
        known = [p for p in parts if p is not None]
        active_s = sum(known) if known else None
    return [
        records.DailySummary(
            source=_source(day.isoformat()),
            day=day,
            steps=int_field(item, "steps"),
            active_calories_kcal=active,
            total_calories_kcal=active + bmr if active is not None and bmr is not None else None,
            distance_m=number_field(item, "distanceInMeters"),
            active_minutes=active_s / 60 if active_s is not None else None,
            resting_heart_rate_bpm=number_field(item, "restingHeartRateInBeatsPerMinute"),
            raw=dict(item),
        )
    ]


@normalises(DataType.HEART_RATE)
def heart_rate(item: Item) -> list[Record]:
    """``dailies`` -> the heart-rate Samples of ``timeOffsetHeartRateSamples`` (none: no samples)."""
    _day(item)  # a daily without its day is not one
    return _samples(item, "timeOffsetHeartRateSamples", records.SampleKind.HEART_RATE, None)


@normalises(DataType.ACTIVITIES)
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
        records.Activity(
            source=_source(ident, _text(item, "deviceName")),
            start=start,
            end=start + timedelta(seconds=required_number(item, "durationInSeconds")),
            sport=kind.strip().lower().replace(" ", "_"),
            name=_text(item, "activityName"),
            calories_kcal=number_field(item, "activeKilocalories"),
            distance_m=number_field(item, "distanceInMeters"),
            steps=int_field(item, "steps"),
            avg_heart_rate_bpm=number_field(item, "averageHeartRateInBeatsPerMinute"),
            max_heart_rate_bpm=number_field(item, "maxHeartRateInBeatsPerMinute"),
            raw=dict(item),
        )
    ]


def _stages(item: Item, zone: timezone) -> tuple[records.SleepStage, ...]:
    levels = object_field(item, "sleepLevelsMap")
    if levels is None:
        return ()
    stages: list[records.SleepStage] = []
    for level, spans in levels.items():
        kind = SLEEP_LEVELS.get(level)
        if kind is None or not isinstance(spans, list):
            continue
        for span in spans:
            if not isinstance(span, Mapping):
                raise ValueError(f"sleepLevelsMap.{level} holds a non-object")
            start = epoch_field(span, "startTimeInSeconds", zone)
            end = epoch_field(span, "endTimeInSeconds", zone)
            stages.append(records.SleepStage(records.SleepStageKind(kind), start, end))
    return tuple(sorted(stages, key=lambda stage: stage.start))


@normalises(DataType.SLEEP)
def sleep(item: Item) -> list[Record]:
    """``sleeps`` -> one SleepSession filed under its calendarDate (the wake-up day)."""
    day = _day(item)
    zone = _zone(item, "startTimeOffsetInSeconds")
    start = _instant(item, "startTimeInSeconds", "startTimeOffsetInSeconds")
    # the duration includes the time awake
    end = start + timedelta(seconds=required_number(item, "durationInSeconds"))
    deep = number_field(item, "deepSleepDurationInSeconds")
    light = number_field(item, "lightSleepDurationInSeconds")
    rem = number_field(item, "remSleepInSeconds")
    known = [s for s in (deep, light, rem) if s is not None]
    return [
        records.SleepSession(
            source=_source(day.isoformat()),
            start=start,
            end=end,
            day=day,
            stages=_stages(item, zone),
            asleep_s=sum(known) if known else None,
            deep_s=deep,
            light_s=light,
            rem_s=rem,
            awake_s=number_field(item, "awakeDurationInSeconds"),
            avg_heart_rate_bpm=number_field(item, "averageHeartRate"),
            lowest_heart_rate_bpm=number_field(item, "lowestHeartRate"),
            raw=dict(item),
        )
    ]


BODY_FIELDS: tuple[tuple[str, records.BodyKind, float], ...] = (
    ("weightInGrams", records.BodyKind.WEIGHT, 1e-3),
    ("bodyFatInPercent", records.BodyKind.BODY_FAT, 1.0),
    ("muscleMassInGrams", records.BodyKind.MUSCLE_MASS, 1e-3),
    ("boneMassInGrams", records.BodyKind.BONE_MASS, 1e-3),
    ("bodyMassIndex", records.BodyKind.BMI, 1.0),
)


@normalises(DataType.BODY)
def body_composition(item: Item) -> list[Record]:
    """``bodyComps`` -> one BodyMeasurement per value given (grams become kilograms)."""
    when = _instant(item, "measurementTimeInSeconds", "measurementTimeOffsetInSeconds")
    ident = _text(item, "summaryId") or str(int(when.timestamp()))
    out: list[Record] = []
    for key, kind, factor in BODY_FIELDS:
        value = number_field(item, key)
        if value is not None:
            out.append(records.BodyMeasurement(source=_source(ident), kind=kind, time=when,
                                           value=value * factor, raw=dict(item)))  # fmt: skip
    return out


@normalises(DataType.HRV)
def hrv(item: Item) -> list[Record]:
    """``hrv`` -> an RMSSD Sample per ``hrvValues`` entry (5-minute readings during sleep)."""
    _day(item)
    return _samples(item, "hrvValues", records.SampleKind.HRV_RMSSD, "sleep")


@normalises(DataType.SPO2)
def pulse_ox(item: Item) -> list[Record]:
    """``pulseox`` -> an SpO2 Sample per ``timeOffsetSpo2Values`` entry."""
    on_demand = item.get("onDemand") is True
    return _samples(item, "timeOffsetSpo2Values", records.SampleKind.SPO2,
                    "on_demand" if on_demand else None)  # fmt: skip
