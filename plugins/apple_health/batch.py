"""HealthKit samples a phone app pushes (``POST /api/v1/devices/apple_health/batch``) -> records.

One item is one HealthKit object, identified by its HealthKit UUID (external id ``hk:<uuid>``, so
pushing it again updates instead of duplicating)::

    {"uuid": "...", "type": "HKQuantityTypeIdentifierHeartRate", "start": "2024-01-15T08:30:00-05:00",
     "end": "...", "value": 72, "unit": "count/min", "source": "Apple Watch", "device": "...",
     "metadata": {...}}

Workouts use ``"type": "HKWorkoutTypeIdentifier"`` with ``activity_type``, ``total_energy_kcal``,
``total_distance_m``, ``avg_heart_rate_bpm`` and ``max_heart_rate_bpm``. Sleep-analysis samples
of one request are grouped into sessions like an export's (push a whole night at once).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fithub.plugins.apple_health import const, mapping
from fithub.plugins.apple_health.aggregate import SleepSamples
from fithub.plugins.apple_health.mapping import BadField, Skip
from fithub.plugins.records import Activity, Record, record_problems
from fithub.plugins.types import BatchOutcome

__all__ = ["BatchOutcome", "SleepPiece", "item_records", "normalise_batch"]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _text(item: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    value = item.get(key)
    if value is None or value == "":
        if required:
            raise BadField(key, "is required")
        return None
    if not isinstance(value, str):
        raise BadField(key, "must be a string")
    return value


def _number(item: Mapping[str, Any], key: str, *, required: bool = False) -> float | None:
    value = item.get(key)
    if value is None:
        if required:
            raise BadField(key, "is required")
        return None
    try:
        number = mapping.number(value)
    except (TypeError, ValueError) as exc:
        raise BadField(key, "must be a number") from exc
    if key != "value" and number < 0:
        raise BadField(key, "must not be negative")
    return number


@dataclass(frozen=True)
class SleepPiece:
    """A sleep-analysis sample, to be grouped with the others of its request."""

    source: str
    start: Any
    end: Any
    stage: str
    uuid: str


def item_records(item: Mapping[str, Any]) -> list[Record] | SleepPiece:
    """One pushed item -> its records (or a sleep piece); BadField or Skip when it cannot be."""
    uuid = _text(item, "uuid") or ""
    if not _UUID.match(uuid):
        raise BadField("uuid", "must be a HealthKit UUID (8-4-4-4-12 hexadecimal digits)")
    type_name = _text(item, "type") or ""
    start = mapping.any_date(item.get("start"), "start")
    end = mapping.any_date(item["end"], "end") if item.get("end") is not None else start
    if end < start:
        raise BadField("end", "is before start")
    source_name = _text(item, "source", required=False) or "unknown"
    device = _text(item, "device", required=False)
    ident = mapping.source(const.HK_ID_PREFIX + uuid.lower(), device)
    raw = dict(item)
    if type_name == const.SLEEP_TYPE:
        if item.get("value") is None:
            raise BadField("value", "is required (a HKCategoryValueSleepAnalysis name or number)")
        try:
            stage = mapping.sleep_stage(item["value"])
        except Skip as exc:
            raise BadField("value", exc.reason) from exc
        return SleepPiece(source_name, start, end, stage, uuid.lower())
    if type_name == const.WORKOUT_TYPE:
        kind = _text(item, "activity_type") or ""
        try:
            sport = mapping.sport(kind)
        except ValueError as exc:
            raise BadField("activity_type", str(exc)) from exc
        steps = _number(item, "steps")
        return [Activity(
            source=ident, start=start, end=end, sport=sport,
            calories_kcal=_number(item, "total_energy_kcal"),
            distance_m=_number(item, "total_distance_m"),
            steps=round(steps) if steps is not None else None,
            avg_heart_rate_bpm=_number(item, "avg_heart_rate_bpm"),
            max_heart_rate_bpm=_number(item, "max_heart_rate_bpm"), raw=raw,
        )]  # fmt: skip
    quantity = const.QUANTITIES.get(type_name)
    if quantity is None:
        raise Skip(f"unsupported type {mapping.short_type(type_name)}")
    value = _number(item, "value", required=True)
    assert value is not None
    unit = _text(item, "unit", required=False)
    if unit is not None and unit not in quantity.units:
        raise BadField("unit", f"must be one of {', '.join(quantity.units)} for {type_name}")
    if quantity.target == "daily" and quantity.sample is None:
        raise Skip(f"{mapping.short_type(type_name)} is only summed per day from exports")
    unit = unit or next(iter(quantity.units))
    metadata = item.get("metadata")
    motion = metadata.get(const.MOTION_CONTEXT_KEY) if isinstance(metadata, Mapping) else None
    if isinstance(motion, float) and motion.is_integer():
        motion = int(motion)
    context = const.MOTION_CONTEXTS.get(str(motion)) if motion is not None else None
    return [mapping.quantity_record(type_name, quantity, value, unit, start, ident, raw, context)]


def normalise_batch(items: Sequence[Mapping[str, Any]]) -> BatchOutcome:
    """Every item of a batch; a bad item is an error (index, field, message), not a record."""
    outcome = BatchOutcome()
    sleep = SleepSamples()
    for index, item in enumerate(items):
        try:
            made = item_records(item)
        except BadField as exc:
            outcome.errors.append((index, exc.field, exc.message))
            continue
        except Skip as skip:
            outcome.skipped[skip.reason] = outcome.skipped.get(skip.reason, 0) + 1
            continue
        if isinstance(made, SleepPiece):
            sleep.add(made.source, made.start, made.end, made.stage, made.uuid)
            continue
        for record in made:
            problems = record_problems(record, const.NAME)
            if problems:
                outcome.errors.append((index, "record", "; ".join(problems)))
            else:
                outcome.records.append(record)
    if len(sleep):
        outcome.records.extend(sleep.sessions())
        if sleep.dropped:
            reason = "sleep of another source overlapping a more detailed one"
            outcome.skipped[reason] = sleep.dropped
    return outcome
