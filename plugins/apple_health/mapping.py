"""Apple Health items -> fithub records: pure functions over attribute dicts, no I/O.

Export items arrive as the attributes of ``export.xml`` elements (all text); pushed items as the
JSON objects of the phone app's batch. Anything that cannot be mapped raises :class:`Skip` with a
short reason (counted by the caller), or :class:`BadField` naming the field (a pushed item).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from fithub.plugins.apple_health import const
from fithub.plugins.records import Activity, BodyMeasurement, Record, Sample, Source


class Skip(Exception):
    """This item is not stored; ``reason`` says why (a short phrase, counted per reason)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadField(ValueError):
    """A pushed item's ``field`` is missing or unreadable."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


# -- dates ----------------------------------------------------------------------------------------

_ZONES: dict[str, timezone] = {}
_APPLE_DATE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}$")


def _zone(offset: str) -> timezone:
    zone = _ZONES.get(offset)
    if zone is None:
        sign = -1 if offset[0] == "-" else 1
        minutes = int(offset[1:3]) * 60 + int(offset[3:5])
        if minutes >= 24 * 60:
            raise ValueError(f"offset {offset} is out of range")
        zone = UTC if minutes == 0 else timezone(sign * timedelta(minutes=minutes))
        _ZONES[offset] = zone
    return zone


def apple_date(text: str) -> datetime:
    """``2024-01-15 08:30:00 -0500`` (export.xml's form) as an aware datetime in that offset."""
    if len(text) != 25 or not _APPLE_DATE.match(text):
        raise ValueError(f"{text[:40]!r} is not a date like 2024-01-15 08:30:00 -0500")
    return datetime(int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]),
                    int(text[14:16]), int(text[17:19]), tzinfo=_zone(text[20:]))  # fmt: skip


def any_date(value: Any, field: str) -> datetime:
    """A pushed time: ISO 8601 with an offset (or export.xml's form); naive times are refused."""
    if not isinstance(value, str) or not value:
        raise BadField(field, "must be an ISO 8601 date-time with an offset")
    try:
        moment = apple_date(value) if len(value) == 25 and value[10] == " " else (
            datetime.fromisoformat(value.replace("Z", "+00:00")))  # fmt: skip
    except ValueError as exc:
        raise BadField(field, "must be an ISO 8601 date-time with an offset") from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BadField(field, "needs a UTC offset (e.g. 2024-01-15T08:30:00-05:00)")
    return moment


# -- numbers and units ----------------------------------------------------------------------------


def number(text: Any) -> float:
    """A finite number from export text or JSON; ValueError otherwise."""
    if isinstance(text, bool):
        raise ValueError("not a number")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def convert(value: float, unit: str | None, units: const.Units, what: str) -> float:
    """``value`` in ``unit`` -> fithub's unit for ``what``; Skip for a unit fithub cannot read."""
    factor = units.get(unit or "")
    if factor is None:
        raise Skip(f"unsupported unit {unit!r} for {short_type(what)}")
    if units is const.PERCENT and value > 1.0:
        return value  # already a percentage (HealthKit writes fractions: 0.97 is 97 %)
    return value * factor[0] + factor[1]


def short_type(type_name: str) -> str:
    for prefix in (const.HK, "HKCategoryTypeIdentifier", "HKCorrelationTypeIdentifier",
                   "HKDataType"):  # fmt: skip
        if type_name.startswith(prefix):
            return type_name[len(prefix) :]
    return type_name[:80]


# -- identities -----------------------------------------------------------------------------------


def export_id(*parts: str) -> str:
    """A stable external id for an export item, which has no id of its own: a digest of its
    identifying attributes (type, source, start, end, value), so re-importing inserts nothing."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"x{digest[:40]}"


def source(external_id: str, device: str | None = None) -> Source:
    return Source(provider=const.NAME, external_id=external_id, device=device or None)


# -- records --------------------------------------------------------------------------------------


def quantity_record(
    type_name: str,
    quantity: const.Quantity,
    value: float,
    unit: str | None,
    start: datetime,
    ident: Source,
    raw: Mapping[str, Any],
    context: str | None = None,
) -> Record:
    """A Sample or a BodyMeasurement from one quantity sample (already read from its item)."""
    converted = convert(value, unit, quantity.units, type_name)
    if quantity.body is not None and quantity.target == "body":
        return BodyMeasurement(source=ident, kind=quantity.body, time=start, value=converted,
                               raw=raw)  # fmt: skip
    if quantity.sample is None:
        if quantity.target == "sample":  # a kind this fithub does not have (see const.HRV_SDNN)
            raise Skip(
                const.NO_SDNN_KIND if "SDNN" in type_name else f"no sample kind for {type_name}"
            )
        raise Skip(f"{short_type(type_name)} is only summed per day from exports")
    return Sample(source=ident, kind=quantity.sample, time=start, value=converted,
                  context=context or quantity.context, raw=raw)  # fmt: skip


def sport(activity_type: str) -> str:
    """``HKWorkoutActivityTypeTraditionalStrengthTraining`` -> ``strength_training``."""
    name = activity_type.removeprefix(const.ACTIVITY_PREFIX).strip()
    if not name:
        raise ValueError("workoutActivityType is empty")
    if name in const.SPORT_NAMES:
        return const.SPORT_NAMES[name]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace(" ", "_")


def _optional(attrs: Mapping[str, str], key: str) -> float | None:
    text = attrs.get(key)
    return number(text) if text not in (None, "") else None


def workout(attrs: Mapping[str, str], statistics: Sequence[Mapping[str, str]],
            raw: Mapping[str, Any]) -> Activity:  # fmt: skip
    """``<Workout>`` (with its ``<WorkoutStatistics>`` in newer exports) -> an Activity."""
    start, end = apple_date(attrs.get("startDate", "")), apple_date(attrs.get("endDate", ""))
    kind = attrs.get("workoutActivityType", "")
    calories = distance = avg_hr = max_hr = None
    steps: int | None = None
    energy = _optional(attrs, "totalEnergyBurned")
    if energy is not None:
        calories = convert(
            energy, attrs.get("totalEnergyBurnedUnit", "kcal"), const.ENERGY, "energy"
        )
    length = _optional(attrs, "totalDistance")
    if length is not None:
        distance = convert(length, attrs.get("totalDistanceUnit", "km"), const.LENGTH, "distance")
    for stat in statistics:
        kind_of = stat.get("type", "")
        unit = stat.get("unit")
        if kind_of == const.WORKOUT_ENERGY and calories is None and stat.get("sum"):
            calories = convert(number(stat["sum"]), unit, const.ENERGY, kind_of)
        elif kind_of in const.WORKOUT_DISTANCES and distance is None and stat.get("sum"):
            distance = convert(number(stat["sum"]), unit, const.LENGTH, kind_of)
        elif kind_of == const.WORKOUT_HEART_RATE:
            if stat.get("average"):
                avg_hr = convert(number(stat["average"]), unit, const.BEATS, kind_of)
            if stat.get("maximum"):
                max_hr = convert(number(stat["maximum"]), unit, const.BEATS, kind_of)
        elif kind_of == const.WORKOUT_STEPS and stat.get("sum"):
            steps = round(number(stat["sum"]))
    ident = export_id("Workout", attrs.get("sourceName", ""), attrs.get("startDate", ""),
                      attrs.get("endDate", ""), kind)  # fmt: skip
    return Activity(
        source=source(ident, attrs.get("device")), start=start, end=end, sport=sport(kind),
        calories_kcal=calories, distance_m=distance, steps=steps, avg_heart_rate_bpm=avg_hr,
        max_heart_rate_bpm=max_hr, raw=raw,
    )  # fmt: skip


def workout_seconds(attrs: Mapping[str, str]) -> float | None:
    """The workout's ``duration`` in seconds (``durationUnit`` min in exports, s in old ones)."""
    value = _optional(attrs, "duration")
    if value is None:
        return None
    return convert(value, attrs.get("durationUnit", "min"), const.DURATION_UNITS, "duration")


def summary_day(attrs: Mapping[str, str]) -> date:
    """``<ActivitySummary dateComponents="2024-01-15">``: the day it totals."""
    return date.fromisoformat(attrs.get("dateComponents", ""))


def summary_totals(attrs: Mapping[str, str]) -> dict[str, float | None]:
    """An ActivitySummary's move (kcal), exercise (min) and stand (h) totals."""
    active = _optional(attrs, "activeEnergyBurned")
    if active is not None:
        unit = attrs.get("activeEnergyBurnedUnit", "kcal")
        active = convert(active, unit, const.ENERGY, "activeEnergyBurned")
    return {
        "active_kcal": active,
        "exercise_min": _optional(attrs, "appleExerciseTime"),
        "stand_hours": _optional(attrs, "appleStandHours"),
    }


def sleep_stage(value: Any) -> str:
    """A SleepAnalysis value (name or HealthKit raw value) -> a stage name or ``in_bed``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a raw value read from JSON as 3.0
    stage = const.SLEEP_VALUES.get(str(value))
    if stage is None:
        raise Skip(f"unknown sleep value {str(value)[:60]!r}")
    return stage
