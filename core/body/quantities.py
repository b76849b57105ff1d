"""Quantities of body metrics and goals: stored unit, units a client may use, plausible ranges."""

from __future__ import annotations

from dataclasses import dataclass

from fithub.core.accounts.models import UnitSystem
from fithub.core.body.models import MetricKind
from fithub.core.units import KG_PER_LB, M_PER_KM, M_PER_MILE

CM_PER_IN = 2.54


@dataclass(frozen=True)
class Scale:
    """The units of one dimension: ``factors`` says how many stored units one of each is worth."""

    stored: str
    factors: dict[str, float]
    metric: str
    imperial: str
    decimals: int = 2

    @property
    def units(self) -> list[str]:
        return sorted(self.factors)

    def shown(self, system: UnitSystem) -> str:
        """The unit a user with ``system`` reads."""
        return self.imperial if system == UnitSystem.IMPERIAL else self.metric

    def to_stored(self, value: float, unit: str) -> float:
        return value * self.factors[unit]

    def to_shown(self, value: float, unit: str) -> float:
        return round(value / self.factors[unit], self.decimals)


def fixed(unit: str) -> Scale:
    """A quantity with one unit whatever the unit system (percent, bpm, hours…)."""
    return Scale(unit, {unit: 1.0}, unit, unit)


MASS = Scale("kg", {"kg": 1.0, "lb": KG_PER_LB}, "kg", "lb")
LENGTH = Scale("cm", {"cm": 1.0, "in": CM_PER_IN}, "cm", "in", decimals=1)
DISTANCE = Scale("m", {"m": 1.0, "km": M_PER_KM, "mi": M_PER_MILE}, "km", "mi", decimals=3)


@dataclass(frozen=True)
class MetricSpec:
    """How a metric kind is stored and which stored values are plausible (inclusive)."""

    scale: Scale
    low: float
    high: float
    low2: float | None = None  # the second value (diastolic), blood pressure only
    high2: float | None = None

    @property
    def has_value2(self) -> bool:
        return self.low2 is not None


METRICS: dict[MetricKind, MetricSpec] = {
    MetricKind.WEIGHT: MetricSpec(MASS, 20, 400),
    MetricKind.BODY_FAT: MetricSpec(fixed("%"), 2, 70),
    MetricKind.WAIST: MetricSpec(LENGTH, 40, 250),
    MetricKind.CHEST: MetricSpec(LENGTH, 50, 250),
    MetricKind.HIPS: MetricSpec(LENGTH, 50, 250),
    MetricKind.ARM: MetricSpec(LENGTH, 10, 100),
    MetricKind.THIGH: MetricSpec(LENGTH, 20, 150),
    MetricKind.NECK: MetricSpec(LENGTH, 20, 80),
    MetricKind.RESTING_HR: MetricSpec(fixed("bpm"), 25, 220),
    MetricKind.BLOOD_PRESSURE: MetricSpec(fixed("mmHg"), 50, 260, low2=30, high2=180),
    MetricKind.SLEEP_HOURS: MetricSpec(fixed("h"), 0, 24),
    MetricKind.HYDRATION: MetricSpec(fixed("L"), 0, 20),
}


def range_message(scale: Scale, low: float, high: float, unit: str) -> str:
    """'must be between 44.09 and 881.85 lb': the stored range said in the unit the client used."""
    return (
        f"must be between {scale.to_shown(low, unit):g} and {scale.to_shown(high, unit):g} {unit}"
    )


def unit_error(scale: Scale, unit: str) -> dict[str, str] | None:
    """A per-field error when ``unit`` is not one of the scale's units, else None."""
    if unit in scale.factors:
        return None
    return {
        "field": "unit",
        "message": "must be one of " + ", ".join(scale.units),
        "type": "unknown_unit",
    }
