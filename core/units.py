"""Unit conversion: quantities are stored metric and shown in each user's preferred system."""

from __future__ import annotations

from typing import Literal

from fithub.core.accounts.models import UnitSystem

KG_PER_LB = 0.45359237
M_PER_MILE = 1609.344
M_PER_KM = 1000.0

WeightUnit = Literal["kg", "lb"]
DistanceUnit = Literal["km", "mi"]


def weight_unit(system: UnitSystem) -> WeightUnit:
    return "lb" if system == UnitSystem.IMPERIAL else "kg"


def distance_unit(system: UnitSystem) -> DistanceUnit:
    return "mi" if system == UnitSystem.IMPERIAL else "km"


def to_kg(value: float, unit: WeightUnit) -> float:
    return value * KG_PER_LB if unit == "lb" else value


def from_kg(kg: float | None, unit: WeightUnit) -> float | None:
    if kg is None:
        return None
    return round(kg / KG_PER_LB if unit == "lb" else kg, 2)


def to_m(value: float, unit: DistanceUnit) -> float:
    return value * (M_PER_MILE if unit == "mi" else M_PER_KM)


def from_m(metres: float | None, unit: DistanceUnit) -> float | None:
    if metres is None:
        return None
    return round(metres / (M_PER_MILE if unit == "mi" else M_PER_KM), 3)
