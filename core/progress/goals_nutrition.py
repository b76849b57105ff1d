"""Nutrition goals: a daily average of one nutrient over ``window_days`` days, at least or at most.

The window runs from ``starts_on`` for ``window_days`` local days (``due_on`` is its last day).
The current value is the average per day over the window's days so far, today included; a day
with no diary entries counts as 0. The goal is achieved once the whole window is over and its
average meets the target; an ``at_most`` goal also needs an entry on every day of the window (an
empty diary would otherwise meet any ceiling). Achieved at the end of the window's last day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any, Literal

from fithub.core.body.models import MetricKind
from fithub.core.body.quantities import Scale, fixed
from fithub.core.errors import ValidationFailed
from fithub.core.nutrition.totals import daily_sums
from fithub.core.progress.models import Goal, GoalKind

EPSILON = 1e-6
LATEST_DUE = date(9998, 12, 31)  # the day after must exist (9999-12-31 is Python's last date)
Comparison = Literal["at_least", "at_most"]
MIN_WINDOW_DAYS, MAX_WINDOW_DAYS = 7, 365


class NutrientMetric(StrEnum):
    ENERGY_KCAL = "energy_kcal"
    PROTEIN_G = "protein_g"
    CARBOHYDRATE_G = "carbohydrate_g"
    FAT_G = "fat_g"
    FIBRE_G = "fibre_g"
    SUGARS_G = "sugars_g"
    SATURATED_FAT_G = "saturated_fat_g"
    SODIUM_MG = "sodium_mg"


# Plausible daily averages (inclusive), in the nutrient's own unit.
RANGES = {"kcal": (100.0, 10_000.0), "g": (0.1, 1_000.0), "mg": (1.0, 50_000.0)}


def goal_metric(goal: Goal) -> MetricKind | NutrientMetric | None:
    """The goal's metric: a nutrient for nutrition goals, a body metric for body_metric goals."""
    if not goal.metric:
        return None
    if goal.kind == GoalKind.NUTRITION:
        return NutrientMetric(goal.metric)
    return MetricKind(goal.metric)


def nutrient_unit(metric: str | None) -> str:
    """kcal, g or mg: the suffix of the nutrient's name."""
    return (metric or "_g").rsplit("_", 1)[-1]


def nutrient_scale(metric: str | None) -> Scale:
    return fixed(nutrient_unit(metric))


def target_range(metric: str | None) -> tuple[float, float]:
    return RANGES[nutrient_unit(metric)]


def shape_errors(data: Any) -> list[dict[str, str]]:
    """What a goal body gets wrong about metric, comparison, window_days and due_on."""
    errors = []
    nutrition = data.kind == GoalKind.NUTRITION
    if nutrition:
        if data.metric is not None and not isinstance(data.metric, NutrientMetric):
            names = ", ".join(m.value for m in NutrientMetric)
            errors.append(_error("metric", f"must be a nutrient: {names}", "enum"))
        for field in ("comparison", "window_days"):
            if getattr(data, field) is None:
                errors.append(_error(field, "is required for nutrition goals", "missing"))
        if data.due_on is not None:
            errors.append(_error("due_on", "is starts_on + window_days - 1 for nutrition", "extra"))
    else:
        if isinstance(data.metric, NutrientMetric):
            errors.append(_error("metric", "a nutrient is only for nutrition goals", "enum"))
        for field in ("comparison", "window_days"):
            if getattr(data, field) is not None:
                errors.append(_error(field, "is only for nutrition goals", "extra"))
    return errors


def _error(field: str, message: str, kind: str) -> dict[str, str]:
    return {"field": field, "message": message, "type": kind}


def last_day(starts_on: date, window_days: int) -> date:
    """The window's last day (the goal's ``due_on``); 422 when it would pass ``LATEST_DUE``."""
    if starts_on > LATEST_DUE - timedelta(days=window_days - 1):
        raise ValidationFailed(
            "The goal's window would end after the last day fithub can count.",
            errors=[_error("starts_on", f"the window must end by {LATEST_DUE}", "range")],
        )
    return starts_on + timedelta(days=window_days - 1)


def met(goal: Goal, average: float) -> bool:
    if goal.comparison == "at_most":
        return average <= goal.target_value + EPSILON
    return average >= goal.target_value - EPSILON


def ratio(goal: Goal, current: float) -> float:
    """0..1: the average as a share of an at_least target; 1 while an at_most one is kept."""
    if goal.comparison == "at_most":
        return 1.0 if met(goal, current) else goal.target_value / current
    return current / goal.target_value


async def measure_nutrition(
    goal: Goal, today: date, zone: tzinfo
) -> tuple[float | None, datetime | None]:
    """The average per day so far (None before the window opens) and, when the finished window
    met the target, the moment it ended (UTC)."""
    end = last_day(goal.starts_on, goal.window_days or MIN_WINDOW_DAYS)
    through = min(today, end)
    if through < goal.starts_on:
        return None, None
    sums = await daily_sums(goal.user_id, goal.starts_on, through)
    days = (through - goal.starts_on).days + 1
    metric = goal.metric or NutrientMetric.PROTEIN_G.value
    average = sum(day.nutrients[metric] for day in sums.values()) / days
    reached = None
    finished = today > end
    every_day = len(sums) == days
    if finished and met(goal, average) and (goal.comparison != "at_most" or every_day):
        reached = datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC)
    return average, reached
