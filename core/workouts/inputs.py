"""Turning set fields given in a user's units into stored (metric) column values."""

from __future__ import annotations

from typing import Any

from fithub.core.accounts.models import UnitSystem
from fithub.core.units import distance_unit, to_kg, to_m, weight_unit
from fithub.core.workouts.formulas import epley


def weight_kg(value: float | None, unit: str | None, units: UnitSystem) -> float | None:
    if value is None:
        return None
    return round(to_kg(value, unit or weight_unit(units)), 4)  # type: ignore[arg-type]


def distance_m(value: float | None, unit: str | None, units: UnitSystem) -> float | None:
    if value is None:
        return None
    if unit == "m":
        return value
    return round(to_m(value, unit or distance_unit(units)), 3)  # type: ignore[arg-type]


def derived(reps: int | None, kg: float | None) -> dict[str, float | None]:
    """Columns computed from reps and weight: the Epley estimate and the volume."""
    return {
        "e1rm_kg": epley(kg, reps),
        "volume_kg": (kg * reps) if kg is not None and reps else None,
    }


#: Set columns taken as they are sent, when the input has them.
OPTIONAL_COLUMNS = (
    "rpe",
    "heart_rate",
    "heart_rate_peak",
    "heart_rate_recovery_bpm",
    "time_under_tension_s",
    "is_warmup",
    "is_failure",
    "form_score",
    "custom",
)


def set_columns(data: Any, units: UnitSystem, *, completed_default: bool = True) -> dict[str, Any]:
    """Stored columns for a set given as SetFields/TemplateSet (weight/distance in user units)."""
    kg = weight_kg(data.weight, data.weight_unit, units)
    reps = data.reps
    columns: dict[str, Any] = {
        "reps": reps,
        "weight_kg": kg,
        "duration_s": data.duration_s,
        "distance_m": distance_m(data.distance, data.distance_unit, units),
        "rest_s": getattr(data, "rest_s", None),
        **derived(reps, kg),
    }
    for name in OPTIONAL_COLUMNS:
        if hasattr(data, name):
            columns[name] = getattr(data, name)
    explicit = "completed" in getattr(data, "model_fields_set", set())
    columns["completed"] = data.completed if explicit else completed_default
    return columns
