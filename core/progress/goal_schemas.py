"""Request and response bodies of the goals API (pydantic v2; they also make the OpenAPI schema)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from fithub.core.body.models import MetricKind
from fithub.core.pagination import PageQuery
from fithub.core.progress.goals_nutrition import (
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    Comparison,
    NutrientMetric,
)
from fithub.core.progress.models import GoalKind

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Target = Annotated[float, Field(gt=0, allow_inf_nan=False)]
GoalStatus = Literal["active", "achieved", "expired"]


def _one_metric(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """One error on ``metric`` (not one per member of the union)."""
    try:
        return handler(value)
    except ValidationError:
        raise ValueError("not a body metric or a nutrient") from None


Metric = Annotated[MetricKind | NutrientMetric, WrapValidator(_one_metric)]
Direction = Literal["losing", "gaining"]

UNIT_HELP = (
    "unit of target_value and start_value; default your unit system's "
    "(kg/lb, km/mi or m, cm/in; reps, kcal, days and the metric's own unit are fixed)"
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1000)


class GoalIn(Strict):
    """A goal. Progress is computed from what you log; it is never entered by hand."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "weight",
                    "title": "Bench 100 kg",
                    "target_value": 100,
                    "unit": "kg",
                    "exercise_id": 17,
                    "due_on": "2026-06-30",
                }
            ]
        }
    )

    kind: GoalKind
    title: Title
    target_value: Target
    unit: str | None = Field(None, max_length=8, description=UNIT_HELP)
    exercise_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="required for weight, reps and one_rm goals"
    )
    metric: Metric | None = Field(
        None,
        description="required for body_metric goals (a metric) and nutrition goals (a nutrient)",
    )
    comparison: Comparison | None = Field(
        None, description="nutrition only: the daily average must be at_least or at_most the target"
    )
    window_days: int | None = Field(
        None,
        ge=MIN_WINDOW_DAYS,
        le=MAX_WINDOW_DAYS,
        description="nutrition only: days from starts_on the average runs over (due_on follows)",
    )
    start_value: float | None = Field(
        None,
        allow_inf_nan=False,
        description="body_metric only; default your latest measurement of that metric",
    )
    starts_on: date | None = Field(None, description="default today (your time zone)")
    due_on: date | None = None


class GoalUpdate(Strict):
    """Only the fields sent change; ``due_on: null`` removes the deadline."""

    title: Title | None = None
    target_value: Target | None = None
    unit: str | None = Field(None, max_length=8, description=UNIT_HELP)
    start_value: float | None = Field(None, allow_inf_nan=False)
    starts_on: date | None = None
    due_on: date | None = None

    def changes(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True)
        for required in ("title", "target_value", "unit", "start_value", "starts_on"):
            if required in data and data[required] is None:
                raise ValueError(f"{required} cannot be null")
        return data


class GoalOut(BaseModel):
    id: int
    kind: GoalKind
    title: str
    exercise_id: int | None
    metric: MetricKind | NutrientMetric | None
    comparison: Comparison | None
    window_days: int | None
    unit: str = Field(description="unit of target_value, start_value and current_value")
    target_value: float
    start_value: float | None
    current_value: float | None = Field(
        description="best lift, total, longest streak, latest measurement, or daily average "
        "(nutrition) in the goal's window"
    )
    progress: float = Field(ge=0, le=1)
    achieved: bool
    achieved_at: datetime | None = Field(description="when the data first reached the target")
    status: GoalStatus
    direction: Direction | None = Field(description="body_metric goals: losing or gaining")
    current_streak: int | None = Field(description="streak goals: the run still going today")
    starts_on: date
    due_on: date | None
    created_at: datetime


class GoalPage(BaseModel):
    items: list[GoalOut]
    next_cursor: str | None = None


class GoalQuery(PageQuery):
    status: GoalStatus | None = Field(
        None, description="active (open, not past due), achieved, or expired (past due)"
    )
    kind: GoalKind | None = None
