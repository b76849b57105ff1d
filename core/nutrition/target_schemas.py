"""Request and response bodies of nutrition targets, daily and weekly totals (pydantic v2)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_RANGE_DAYS = 366  # totals and exports read at most this many days at once
# Days a range may name: the diary's first day, and a last day that leaves room for the week's
# Sunday and the next midnight in any time zone (9999-12-31 would overflow Python's dates).
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(9998, 12, 31)

Energy = Annotated[float, Field(ge=500, le=10_000, allow_inf_nan=False)]
Grams = Annotated[float, Field(ge=0, le=1_000, allow_inf_nan=False)]


class TargetsIn(BaseModel):
    """Daily targets; a target left out (or null) means none. PUT replaces all five."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"energy_kcal": 2400, "protein_g": 150, "fibre_g": 30}]},
    )

    energy_kcal: Energy | None = Field(None, description="kcal a day, 500 to 10,000")
    protein_g: Grams | None = Field(None, description="grams a day, 0 to 1,000")
    carbohydrate_g: Grams | None = None
    fat_g: Grams | None = None
    fibre_g: Grams | None = None


class TargetsOut(BaseModel):
    energy_kcal: float | None
    protein_g: float | None
    carbohydrate_g: float | None
    fat_g: float | None
    fibre_g: float | None


class RangeQuery(BaseModel):
    """Whole local days, both inclusive, at most 366 of them."""

    start: date = Field(alias="from", description="first day (your time zone)")
    end: date = Field(alias="to", description="last day, inclusive")

    @model_validator(mode="after")
    def _bounded(self) -> RangeQuery:
        if self.end < self.start:
            raise ValueError("'to' must not be before 'from'")
        if self.start < EARLIEST_DAY or self.end > LATEST_DAY:
            raise ValueError(f"days must lie between {EARLIEST_DAY} and {LATEST_DAY}")
        if (self.end - self.start).days + 1 > MAX_RANGE_DAYS:
            raise ValueError(f"at most {MAX_RANGE_DAYS} days at once")
        return self


class Nutrients(BaseModel):
    """Summed nutrients; a nutrient a food does not state counts as 0."""

    energy_kcal: float
    protein_g: float
    carbohydrate_g: float
    sugars_g: float
    fat_g: float
    saturated_fat_g: float
    fibre_g: float
    sodium_mg: float


class AgainstTarget(BaseModel):
    target: float
    remaining: float = Field(description="target minus eaten; negative when over")
    percent: float | None = Field(description="eaten as a percentage of the target")


class EnergyShare(BaseModel):
    """Percent of the macronutrients' energy (4, 4 and 9 kcal per gram); null with none eaten."""

    protein: float | None
    carbohydrate: float | None
    fat: float | None


class PerKg(BaseModel):
    """Grams per kg of body weight (the latest weight measured on or before the day)."""

    weight_kg: float
    protein_g: float
    carbohydrate_g: float
    fat_g: float


class DayTotals(BaseModel):
    day: date
    entries: int
    totals: Nutrients
    targets: dict[str, AgainstTarget] = Field(description="only the nutrients with a target")
    energy_percent: EnergyShare
    per_kg: PerKg | None = Field(description="null without a weight measured by that day")


class DailyTotals(BaseModel):
    first_day: date
    last_day: date
    targets: TargetsOut
    days: list[DayTotals] = Field(description="every day of the range, days with no entries too")


class WeekTotals(BaseModel):
    week: str = Field(description="ISO week, e.g. 2026-W02")
    starts_on: date = Field(description="the Monday")
    ends_on: date = Field(description="the Sunday")
    logged_days: int = Field(description="days with at least one entry")
    totals: Nutrients
    average_per_logged_day: Nutrients | None
    targets: dict[str, AgainstTarget] = Field(description="weekly target = 7 x the daily one")
    energy_percent: EnergyShare


class WeeklyTotals(BaseModel):
    first_day: date = Field(description="Monday of the first week")
    last_day: date = Field(description="Sunday of the last week")
    targets: TargetsOut
    weeks: list[WeekTotals]
