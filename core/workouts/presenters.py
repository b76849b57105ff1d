"""Turning stored rows (metric) into response bodies in the user's units."""

from __future__ import annotations

from collections.abc import Iterable

from fithub.core.accounts.models import UnitSystem
from fithub.core.units import distance_unit, from_kg, from_m, weight_unit
from fithub.core.workouts.models import (
    PersonalRecord,
    RecordKind,
    Workout,
    WorkoutExercise,
    WorkoutSet,
)
from fithub.core.workouts.schemas import (
    EntryOut,
    RecordOut,
    SetOut,
    WorkoutOut,
    WorkoutSummary,
)

_WEIGHT_KINDS = {RecordKind.MAX_WEIGHT, RecordKind.BEST_E1RM, RecordKind.MAX_SESSION_VOLUME}


def set_out(row: WorkoutSet, units: UnitSystem) -> SetOut:
    w_unit, d_unit = weight_unit(units), distance_unit(units)
    return SetOut(
        id=row.id,
        entry_id=row.entry_id,
        exercise_id=row.exercise_id,
        set_number=row.set_number,
        reps=row.reps,
        weight=from_kg(row.weight_kg, w_unit),
        weight_unit=w_unit,
        duration_s=row.duration_s,
        distance=from_m(row.distance_m, d_unit),
        distance_unit=d_unit,
        rpe=row.rpe,
        heart_rate=row.heart_rate,
        heart_rate_peak=row.heart_rate_peak,
        heart_rate_recovery_bpm=row.heart_rate_recovery_bpm,
        time_under_tension_s=row.time_under_tension_s,
        rest_s=row.rest_s,
        is_warmup=row.is_warmup,
        is_failure=row.is_failure,
        completed=row.completed,
        form_score=row.form_score,
        custom=row.custom,
        e1rm=from_kg(row.e1rm_kg, w_unit),
        performed_at=row.performed_at,
    )


def record_out(row: PersonalRecord, units: UnitSystem) -> RecordOut:
    w_unit, d_unit = weight_unit(units), distance_unit(units)
    kind = RecordKind(row.kind)
    unit = "reps"

    def shown(stored: float | None) -> float | None:  # value and previous_value alike
        if stored is None:
            return None
        if kind in _WEIGHT_KINDS:
            return from_kg(stored, w_unit)
        if kind == RecordKind.LONGEST_DISTANCE:
            return from_m(stored, d_unit)
        if kind == RecordKind.FASTEST_PACE:  # stored as s/km
            return round(stored * (1.609344 if d_unit == "mi" else 1.0), 3)
        return stored

    if kind in _WEIGHT_KINDS:
        unit = w_unit
    elif kind == RecordKind.LONGEST_DISTANCE:
        unit = d_unit
    elif kind == RecordKind.LONGEST_DURATION:
        unit = "s"
    elif kind == RecordKind.FASTEST_PACE:
        unit = f"s/{d_unit}"
    return RecordOut(
        id=row.id,
        exercise_id=row.exercise_id,
        kind=kind.value,
        value=round(shown(row.value) or 0.0, 3),
        unit=unit,
        weight=from_kg(row.weight_kg, w_unit),
        previous_value=shown(row.previous_value),
        workout_id=row.workout_id,
        set_id=row.set_id,
        achieved_at=row.achieved_at,
    )


def entry_out(entry: WorkoutExercise, sets: Iterable[WorkoutSet], units: UnitSystem) -> EntryOut:
    return EntryOut(
        id=entry.id,
        exercise_id=entry.exercise_id,
        exercise_name=entry.exercise.name,
        position=entry.position,
        superset=entry.superset,
        notes=entry.notes,
        sets=[set_out(s, units) for s in sets],
    )


def workout_out(
    workout: Workout,
    entries: list[WorkoutExercise],
    sets: list[WorkoutSet],
    units: UnitSystem,
) -> WorkoutOut:
    by_entry: dict[int, list[WorkoutSet]] = {}
    for row in sorted(sets, key=lambda s: (s.set_number, s.id)):
        by_entry.setdefault(row.entry_id, []).append(row)
    return WorkoutOut(
        id=workout.id,
        name=workout.name,
        notes=workout.notes,
        tags=workout.tags,
        status=workout.status,
        scheduled_at=workout.scheduled_at,
        started_at=workout.started_at,
        completed_at=workout.completed_at,
        duration_s=workout.duration_s,
        perceived_exertion=workout.perceived_exertion,
        location=workout.location,
        calories=workout.calories,
        source=workout.source,
        template_version_id=workout.template_version_id,
        assignment_id=workout.assignment_id,
        created_at=workout.created_at,
        updated_at=workout.updated_at,
        exercises=[
            entry_out(e, by_entry.get(e.id, []), units)
            for e in sorted(entries, key=lambda e: (e.position, e.id))
        ],
    )


def workout_summary(workout: Workout) -> WorkoutSummary:
    return WorkoutSummary.model_validate(workout, from_attributes=True)
