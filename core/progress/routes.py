"""HTTP routes for personal records and training analytics."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from quart import Blueprint
from quart_schema import tag, validate_querystring

from fithub.core.auth import current_user, require_auth
from fithub.core.exercises.services import visible_exercises
from fithub.core.pagination import PageQuery, paginate
from fithub.core.progress import analytics
from fithub.core.responses import validate_response
from fithub.core.units import from_kg, weight_unit
from fithub.core.workouts.ids import ids_in_range
from fithub.core.workouts.models import PersonalRecord, RecordKind
from fithub.core.workouts.presenters import record_out
from fithub.core.workouts.schemas import MAX_INT, RecordOut, UtcDatetime

bp = Blueprint("progress", __name__, url_prefix="/api/v1")
bp.before_request(ids_in_range)

Bucket = Literal["day", "week", "month"]


class ProgressWindow(BaseModel):
    bucket: Bucket = "week"
    start: UtcDatetime | None = Field(None, alias="from")
    end: UtcDatetime | None = Field(None, alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> ProgressWindow:
        if self.start and self.end and self.end <= self.start:
            raise ValueError("'to' must be after 'from'")
        return self


class RecordQuery(PageQuery):
    exercise_id: int | None = Field(None, ge=1, le=MAX_INT)
    kind: RecordKind | None = None


class RecordPage(BaseModel):
    items: list[RecordOut]
    next_cursor: str | None = None


class CurrentRecords(BaseModel):
    items: list[RecordOut]


class ProgressPoint(BaseModel):
    period: date
    best_weight: float | None
    best_e1rm_epley: float | None
    best_e1rm_brzycki: float | None
    volume: float | None
    sets: int
    reps: int | None
    best_set_weight: float | None
    best_set_reps: int | None


class ExerciseProgress(BaseModel):
    exercise_id: int
    bucket: Bucket
    weight_unit: str
    points: list[ProgressPoint]


class MusclePoint(BaseModel):
    period: date
    muscle: str
    volume: float | None
    sets: int
    reps: int | None


class MuscleVolume(BaseModel):
    bucket: Bucket
    weight_unit: str
    points: list[MusclePoint]


class FrequencyPoint(BaseModel):
    period: date
    workouts: int
    duration_s: int | None
    calories: float | None


class Frequency(BaseModel):
    bucket: Bucket
    points: list[FrequencyPoint]


class Streaks(BaseModel):
    current_days: int
    longest_days: int
    current_weeks: int
    longest_weeks: int
    training_days: int
    last_workout_day: date | None


@bp.get("/records")
@tag(["progress"])
@require_auth()
@validate_querystring(RecordQuery)
@validate_response(CurrentRecords)
async def current_records(query_args: RecordQuery) -> CurrentRecords:
    """Your standing personal records: the best of each kind per exercise (per weight for reps)."""
    user = current_user()
    query = PersonalRecord.filter(user_id=user.id)
    if query_args.exercise_id:
        query = query.filter(exercise_id=query_args.exercise_id)
    if query_args.kind:
        query = query.filter(kind=query_args.kind)
    best: dict[tuple[Any, ...], PersonalRecord] = {}
    for record in await query.order_by("achieved_at", "id"):
        key = (
            record.exercise_id,
            record.kind,
            record.weight_kg if record.kind == RecordKind.MAX_REPS_AT_WEIGHT else None,
        )
        held = best.get(key)
        lower = record.kind == RecordKind.FASTEST_PACE
        # The best value stands (a back-dated set can beat a later one); ties go to the later.
        if held is None or (record.value <= held.value if lower else record.value >= held.value):
            best[key] = record
    return CurrentRecords(items=[record_out(r, user.unit_system) for r in best.values()])


@bp.get("/records/history")
@tag(["progress"])
@require_auth()
@validate_querystring(RecordQuery)
@validate_response(RecordPage)
async def record_history(query_args: RecordQuery) -> RecordPage:
    """Every record you have set, newest first."""
    user = current_user()
    query = PersonalRecord.filter(user_id=user.id)
    if query_args.exercise_id:
        query = query.filter(exercise_id=query_args.exercise_id)
    if query_args.kind:
        query = query.filter(kind=query_args.kind)
    return RecordPage(
        **await paginate(query, query_args, lambda r: record_out(r, user.unit_system))
    )


@bp.get("/analytics/exercises/<int:exercise_id>/progress")
@tag(["progress"])
@require_auth()
@validate_querystring(ProgressWindow)
@validate_response(ExerciseProgress)
async def exercise_progress(exercise_id: int, query_args: ProgressWindow) -> ExerciseProgress:
    """Progress on one exercise per bucket: best set, e1RM (Epley and Brzycki), volume."""
    user = current_user()
    await visible_exercises(user.id, {exercise_id})
    unit = weight_unit(user.unit_system)
    rows = await analytics.exercise_progress(
        user, exercise_id, query_args.bucket, query_args.start, query_args.end
    )
    points = [
        ProgressPoint(
            period=r["period"],
            best_weight=from_kg(r["best_weight_kg"], unit),
            best_e1rm_epley=from_kg(r["best_e1rm_epley_kg"], unit),
            best_e1rm_brzycki=from_kg(r["best_e1rm_brzycki_kg"], unit),
            volume=from_kg(r["volume_kg"], unit),
            sets=int(r["sets"]),
            reps=None if r["reps"] is None else int(r["reps"]),
            best_set_weight=from_kg(r["best_set_weight_kg"], unit),
            best_set_reps=None if r["best_set_reps"] is None else int(r["best_set_reps"]),
        )
        for r in rows
    ]
    return ExerciseProgress(
        exercise_id=exercise_id, bucket=query_args.bucket, weight_unit=unit, points=points
    )


@bp.get("/analytics/volume")
@tag(["progress"])
@require_auth()
@validate_querystring(ProgressWindow)
@validate_response(MuscleVolume)
async def muscle_volume(query_args: ProgressWindow) -> MuscleVolume:
    """Training volume per primary muscle group per week or month."""
    user = current_user()
    unit = weight_unit(user.unit_system)
    rows = await analytics.volume_by_muscle(
        user, query_args.bucket, query_args.start, query_args.end
    )
    return MuscleVolume(
        bucket=query_args.bucket,
        weight_unit=unit,
        points=[
            MusclePoint(
                period=r["period"],
                muscle=r["muscle"],
                volume=from_kg(r["volume_kg"], unit),
                sets=int(r["sets"]),
                reps=None if r["reps"] is None else int(r["reps"]),
            )
            for r in rows
        ],
    )


@bp.get("/analytics/frequency")
@tag(["progress"])
@require_auth()
@validate_querystring(ProgressWindow)
@validate_response(Frequency)
async def workout_frequency(query_args: ProgressWindow) -> Frequency:
    """Completed workouts per day, week or month."""
    rows = await analytics.frequency(
        current_user(), query_args.bucket, query_args.start, query_args.end
    )
    return Frequency(
        bucket=query_args.bucket,
        points=[
            FrequencyPoint(
                period=r["period"],
                workouts=int(r["workouts"]),
                duration_s=None if r["duration_s"] is None else int(r["duration_s"]),
                calories=None if r["calories"] is None else float(r["calories"]),
            )
            for r in rows
        ],
    )


@bp.get("/analytics/streaks")
@tag(["progress"])
@require_auth()
@validate_response(Streaks)
async def training_streaks() -> Streaks:
    """Your current and longest streaks of training days and weeks."""
    return Streaks(**await analytics.streaks(current_user()))
