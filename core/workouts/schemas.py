"""Request and response bodies of the workouts API. Quantities go in and out in the user's units."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from fithub.core.exercises.models import Visibility
from fithub.core.pagination import PageQuery
from fithub.core.workouts.models import WorkoutStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Notes = Annotated[str, StringConstraints(max_length=5000)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Superset = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
WeightUnitIn = Literal["kg", "lb"]
DistanceUnitIn = Literal["km", "mi", "m"]


MAX_INT = 2**31 - 1  # exercise ids are 32-bit columns
MAX_BIGINT = 2**63 - 1  # workout, entry, set and template ids are 64-bit


def _utc(value: datetime) -> datetime:
    """A time without a UTC offset is taken as UTC (so it compares with stored, aware times)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _ordered(*pairs: tuple[str, datetime | None, str, datetime | None]) -> None:
    for first_name, first, second_name, second in pairs:
        if first is not None and second is not None and second < first:
            raise ValueError(f"{second_name} must not be before {first_name}")


def _peak_check(average: int | None, peak: int | None) -> None:
    if average is not None and peak is not None and peak < average:
        raise ValueError("heart_rate_peak must not be below heart_rate (the average)")


class SetFields(Strict):
    """The measurable parts of a set. Weight and distance are in the user's units unless named."""

    reps: int | None = Field(None, ge=0, le=1000)
    weight: float | None = Field(None, ge=0, le=1500)
    weight_unit: WeightUnitIn | None = None
    duration_s: int | None = Field(None, ge=0, le=86_400)
    distance: float | None = Field(None, ge=0, le=1_000_000)
    distance_unit: DistanceUnitIn | None = None
    rpe: float | None = Field(None, ge=1, le=10)
    heart_rate: int | None = Field(None, ge=20, le=250, description="average bpm during the set")
    heart_rate_peak: int | None = Field(None, ge=20, le=250, description="highest bpm in the set")
    heart_rate_recovery_bpm: int | None = Field(
        None, ge=-230, le=230, description="bpm drop from the set's end to the end of its rest"
    )
    time_under_tension_s: float | None = Field(
        None, ge=0, le=86_400, description="seconds the reps themselves took"
    )
    rest_s: int | None = Field(None, ge=0, le=3600)
    is_warmup: bool = False
    is_failure: bool = False
    completed: bool = True
    form_score: float | None = Field(None, ge=0, le=1)
    custom: dict[str, str | int | float | bool | None] = Field(default_factory=dict, max_length=20)

    @model_validator(mode="after")
    def _peak_not_below_average(self) -> SetFields:
        _peak_check(self.heart_rate, self.heart_rate_peak)
        return self


class SetCreate(SetFields):
    """Log a set: name the exercise (added to the workout if missing) or an existing entry."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"exercise_id": 17, "reps": 8, "weight": 60, "weight_unit": "kg", "rpe": 8}
            ]
        }
    )

    exercise_id: int | None = Field(None, ge=1, le=MAX_INT)
    entry_id: int | None = Field(None, ge=1, le=MAX_BIGINT)
    performed_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _one_target(self) -> SetCreate:
        if (self.exercise_id is None) == (self.entry_id is None):
            raise ValueError("give exactly one of exercise_id or entry_id")
        return self


class SetUpdate(Strict):
    reps: int | None = Field(None, ge=0, le=1000)
    weight: float | None = Field(None, ge=0, le=1500)
    weight_unit: WeightUnitIn | None = None
    duration_s: int | None = Field(None, ge=0, le=86_400)
    distance: float | None = Field(None, ge=0, le=1_000_000)
    distance_unit: DistanceUnitIn | None = None
    rpe: float | None = Field(None, ge=1, le=10)
    heart_rate: int | None = Field(None, ge=20, le=250)
    heart_rate_peak: int | None = Field(None, ge=20, le=250)
    heart_rate_recovery_bpm: int | None = Field(None, ge=-230, le=230)
    time_under_tension_s: float | None = Field(None, ge=0, le=86_400)
    rest_s: int | None = Field(None, ge=0, le=3600)
    is_warmup: bool | None = None
    is_failure: bool | None = None
    completed: bool | None = None

    @model_validator(mode="after")
    def _peak_not_below_average(self) -> SetUpdate:
        _peak_check(self.heart_rate, self.heart_rate_peak)
        return self


class EntryCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "exercise_id": 17,
                    "notes": "pause at the chest",
                    "sets": [{"reps": 5, "weight": 70}],
                }
            ]
        }
    )

    exercise_id: int = Field(ge=1, le=MAX_INT)
    superset: Superset | None = None
    notes: Notes = ""
    sets: list[SetFields] = Field(default_factory=list, max_length=100)


class EntryUpdate(Strict):
    superset: Superset | None = None
    notes: Notes | None = None
    position: int | None = Field(None, ge=1, le=100)


class WorkoutFields(Strict):
    notes: Notes = ""
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    scheduled_at: UtcDatetime | None = None
    started_at: UtcDatetime | None = None
    completed_at: UtcDatetime | None = None
    duration_s: int | None = Field(None, ge=0, le=7 * 86_400)
    perceived_exertion: int | None = Field(None, ge=1, le=10)
    location: Annotated[str, StringConstraints(max_length=120)] | None = None
    calories: float | None = Field(None, ge=0, le=50_000)

    @model_validator(mode="after")
    def _times_in_order(self) -> WorkoutFields:
        _ordered(("started_at", self.started_at, "completed_at", self.completed_at))
        return self


class WorkoutCreate(WorkoutFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Push day",
                    "status": "in_progress",
                    "started_at": "2026-01-05T18:00:00Z",
                    "tags": ["push"],
                    "exercises": [
                        {
                            "exercise_id": 17,
                            "sets": [{"reps": 8, "weight": 60, "weight_unit": "kg"}],
                        }
                    ],
                }
            ]
        }
    )

    name: Name
    status: WorkoutStatus = WorkoutStatus.PLANNED
    exercises: list[EntryCreate] = Field(default_factory=list, max_length=50)


class WorkoutUpdate(Strict):
    name: Name | None = None
    notes: Notes | None = None
    tags: list[Tag] | None = Field(None, max_length=20)
    status: WorkoutStatus | None = None
    scheduled_at: UtcDatetime | None = None
    started_at: UtcDatetime | None = None
    completed_at: UtcDatetime | None = None
    duration_s: int | None = Field(None, ge=0, le=7 * 86_400)
    perceived_exertion: int | None = Field(None, ge=1, le=10)
    location: Annotated[str, StringConstraints(max_length=120)] | None = None
    calories: float | None = Field(None, ge=0, le=50_000)


class CloneRequest(Strict):
    name: Name | None = None
    scheduled_at: UtcDatetime | None = None


class WorkoutQuery(PageQuery):
    status: WorkoutStatus | None = None
    tag: str | None = Field(None, max_length=32)
    started_from: UtcDatetime | None = Field(None, alias="from")
    started_to: UtcDatetime | None = Field(None, alias="to")

    @model_validator(mode="after")
    def _window(self) -> WorkoutQuery:
        _ordered(("from", self.started_from, "to", self.started_to))
        return self


class SetOut(BaseModel):
    id: int
    entry_id: int
    exercise_id: int
    set_number: int
    reps: int | None
    weight: float | None
    weight_unit: str
    duration_s: int | None
    distance: float | None
    distance_unit: str
    rpe: float | None
    heart_rate: int | None = Field(description="average bpm during the set")
    heart_rate_peak: int | None = Field(None, description="highest bpm during the set")
    heart_rate_recovery_bpm: int | None = Field(
        None, description="bpm drop from the set's end to the end of its rest (at most 60 s)"
    )
    time_under_tension_s: float | None = Field(None, description="seconds the reps took")
    rest_s: int | None
    is_warmup: bool
    is_failure: bool
    completed: bool
    form_score: float | None
    custom: dict[str, Any]
    e1rm: float | None = Field(description="estimated one-rep max (Epley), in weight_unit")
    performed_at: datetime


class RecordOut(BaseModel):
    id: int
    exercise_id: int
    kind: str
    value: float
    unit: str
    weight: float | None = None
    previous_value: float | None
    workout_id: int
    set_id: int | None
    achieved_at: datetime


class LoggedSet(BaseModel):
    set: SetOut
    records: list[RecordOut] = Field(description="personal records this set broke")


class EntryOut(BaseModel):
    id: int
    exercise_id: int
    exercise_name: str
    position: int
    superset: str | None
    notes: str
    sets: list[SetOut]


class WorkoutOut(BaseModel):
    id: int
    name: str
    notes: str
    tags: list[str]
    status: WorkoutStatus
    scheduled_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    duration_s: int | None
    perceived_exertion: int | None
    location: str | None
    calories: float | None
    source: str
    template_version_id: int | None
    assignment_id: int | None
    created_at: datetime
    updated_at: datetime
    exercises: list[EntryOut]


class WorkoutSummary(BaseModel):
    id: int
    name: str
    status: WorkoutStatus
    tags: list[str]
    scheduled_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    duration_s: int | None
    calories: float | None
    created_at: datetime


class WorkoutPage(BaseModel):
    items: list[WorkoutSummary]
    next_cursor: str | None = None


# -- templates and plans ----------------------------------------------------------------------


class TemplateSet(Strict):
    reps: int | None = Field(None, ge=0, le=1000)
    weight: float | None = Field(None, ge=0, le=1500)
    weight_unit: WeightUnitIn | None = None
    duration_s: int | None = Field(None, ge=0, le=86_400)
    distance: float | None = Field(None, ge=0, le=1_000_000)
    distance_unit: DistanceUnitIn | None = None
    rest_s: int | None = Field(None, ge=0, le=3600)


class TemplateItem(Strict):
    """Either an exercise with target sets, or another template included as a block."""

    exercise_id: int | None = Field(None, ge=1, le=MAX_INT)
    template_id: int | None = Field(
        None, ge=1, le=MAX_BIGINT, description="include another template's items"
    )
    superset: Superset | None = None
    notes: Notes = ""
    sets: list[TemplateSet] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _one_kind(self) -> TemplateItem:
        if (self.exercise_id is None) == (self.template_id is None):
            raise ValueError("give exactly one of exercise_id or template_id")
        if self.template_id is not None and self.sets:
            raise ValueError("an included template brings its own sets")
        return self


class TemplateCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Upper body A",
                    "items": [
                        {
                            "exercise_id": 17,
                            "sets": [{"reps": 8, "weight": 60}, {"reps": 8, "weight": 60}],
                        }
                    ],
                }
            ]
        }
    )

    name: Name
    description: Notes = ""
    visibility: Visibility = Visibility.PRIVATE
    items: list[TemplateItem] = Field(min_length=1, max_length=50)


class TemplateUpdate(Strict):
    """A new version when ``items`` or ``name`` change; description and visibility change in place."""

    name: Name | None = None
    description: Notes | None = None
    visibility: Visibility | None = None
    items: list[TemplateItem] | None = Field(None, min_length=1, max_length=50)


class TemplateOut(BaseModel):
    id: int
    owner_id: int
    name: str
    description: str
    visibility: Visibility
    version: int
    version_id: int
    items: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class TemplateSummary(BaseModel):
    id: int
    owner_id: int
    name: str
    visibility: Visibility
    version: int
    updated_at: datetime


class TemplatePage(BaseModel):
    items: list[TemplateSummary]
    next_cursor: str | None = None


class TemplateQuery(PageQuery):
    scope: Literal["mine", "shared", "public"] = "mine"


class VersionQuery(BaseModel):
    version: int | None = Field(None, ge=1)


class StartFromTemplate(Strict):
    version: int | None = Field(None, ge=1, description="default: the current version")
    status: Literal["planned", "in_progress"] = "in_progress"
    scheduled_at: UtcDatetime | None = None
    name: Name | None = None


class PlanEntryIn(Strict):
    week: int = Field(1, ge=1, le=52)
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    template_id: int = Field(ge=1, le=MAX_BIGINT)


class PlanCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Three-day split",
                    "weeks": 4,
                    "entries": [
                        {"week": 1, "weekday": 0, "template_id": 1},
                        {"week": 1, "weekday": 2, "template_id": 2},
                    ],
                }
            ]
        }
    )

    name: Name
    description: Notes = ""
    weeks: int = Field(1, ge=1, le=52)
    visibility: Visibility = Visibility.PRIVATE
    entries: list[PlanEntryIn] = Field(min_length=1, max_length=7 * 52)

    @model_validator(mode="after")
    def _weeks_cover_entries(self) -> PlanCreate:
        if any(entry.week > self.weeks for entry in self.entries):
            raise ValueError("an entry's week is beyond the plan's weeks")
        return self


class PlanOut(BaseModel):
    id: int
    owner_id: int
    name: str
    description: str
    weeks: int
    visibility: Visibility
    entries: list[PlanEntryIn]
    created_at: datetime


class PlanPage(BaseModel):
    items: list[PlanOut]
    next_cursor: str | None = None


class ScheduleRequest(Strict):
    start_date: date

    @field_validator("start_date")
    @classmethod
    def _not_ancient(cls, value: date) -> date:
        if value.year < 2000:
            raise ValueError("must be a recent date")
        return value


class ScheduledOut(BaseModel):
    workout_ids: list[int]
