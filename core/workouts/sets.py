"""Logging sets: the hot path of a gym app. One request, one transaction, records detected inline."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.audit import services as audit
from fithub.core.context import ClientInfo
from fithub.core.errors import NotFound, ValidationFailed
from fithub.core.exercises.services import visible_exercises
from fithub.core.progress.models import PersonalRecord, RecordKind
from fithub.core.progress.records import records_for_row, refresh_session_volume
from fithub.core.workouts.inputs import derived, distance_m, set_columns, weight_kg
from fithub.core.workouts.models import WorkoutExercise, WorkoutSet, WorkoutStatus
from fithub.core.workouts.schemas import SetCreate, SetUpdate
from fithub.core.workouts.services import now, owned_workout


@dataclass
class SetLogged:
    row: WorkoutSet
    records: list[PersonalRecord]


async def _entry_for(
    conn: BaseDBAsyncClient, user: User, workout_id: int, data: SetCreate
) -> WorkoutExercise:
    """The workout's entry the set belongs to; an exercise not yet in the workout is appended."""
    if data.entry_id is not None:
        entry = (
            await WorkoutExercise.filter(id=data.entry_id, workout_id=workout_id)
            .using_db(conn)
            .first()
        )
        if entry is None:
            raise ValidationFailed(
                f"No exercise entry {data.entry_id} in workout {workout_id}.",
                errors=[
                    {
                        "field": "entry_id",
                        "message": "not an entry of this workout",
                        "type": "unknown_entry",
                    }
                ],
            )
        return entry
    assert data.exercise_id is not None
    entry = (
        await WorkoutExercise.filter(workout_id=workout_id, exercise_id=data.exercise_id)
        .using_db(conn)
        .first()
    )
    if entry is not None:
        return entry
    await visible_exercises(user.id, {data.exercise_id})
    last = (
        await WorkoutExercise.filter(workout_id=workout_id)
        .using_db(conn)
        .annotate(top=Max("position"))
        .first()
        .values("top")
    )
    position = int((last or {}).get("top") or 0) + 1
    return await WorkoutExercise.create(
        workout_id=workout_id, exercise_id=data.exercise_id, position=position, using_db=conn
    )


async def log_set(user: User, client: ClientInfo, workout_id: int, data: SetCreate) -> SetLogged:
    """Store one set and the personal records it breaks, atomically.

    Logging into a planned workout starts it. Warm-ups and incomplete sets never make records.
    """
    async with in_transaction() as conn:
        workout = await owned_workout(user.id, workout_id, conn)
        if workout.status == WorkoutStatus.SKIPPED:
            from fithub.core.errors import Conflict

            raise Conflict(
                "This workout was skipped; reopen it before logging sets.", code="workout_skipped"
            )
        entry = await _entry_for(conn, user, workout.id, data)
        top = (
            await WorkoutSet.filter(entry_id=entry.id)
            .using_db(conn)
            .annotate(top=Max("set_number"))
            .first()
            .values("top")
        )
        performed_at = data.performed_at or now()
        row = await WorkoutSet.create(
            using_db=conn,
            entry_id=entry.id,
            user_id=user.id,
            workout_id=workout.id,
            exercise_id=entry.exercise_id,
            set_number=int((top or {}).get("top") or 0) + 1,
            performed_at=performed_at,
            **set_columns(data, user.unit_system),
        )
        if workout.status == WorkoutStatus.PLANNED:
            workout.status, workout.started_at = (
                WorkoutStatus.IN_PROGRESS,
                workout.started_at or performed_at,
            )
            await workout.save(using_db=conn, update_fields=["status", "started_at", "updated_at"])
        records = await records_for_row(conn, row)
        await audit.record(
            "set.logged",
            client,
            subject_id=user.id,
            target_type="set",
            target_id=row.id,
            details={"workout_id": workout.id},
        )
    return SetLogged(row, records)


async def _owned_set(
    conn: BaseDBAsyncClient, user: User, workout_id: int, set_id: int
) -> WorkoutSet:
    row = (
        await WorkoutSet.filter(id=set_id, workout_id=workout_id, user_id=user.id)
        .using_db(conn)
        .first()
    )
    if row is None:
        raise NotFound(f"No set {set_id} in workout {workout_id}.")
    return row


async def _withdraw_records(conn: BaseDBAsyncClient, row: WorkoutSet) -> None:
    """Drop the records ``row`` set; the session volume it is part of is re-totalled instead."""
    await (
        PersonalRecord.filter(set_id=row.id)
        .exclude(kind=RecordKind.MAX_SESSION_VOLUME)
        .using_db(conn)
        .delete()
    )
    await refresh_session_volume(conn, row.user_id, row.exercise_id, row.workout_id)


async def update_set(
    user: User, client: ClientInfo, workout_id: int, set_id: int, data: SetUpdate
) -> WorkoutSet:
    """Correct a logged set. Records it had set are withdrawn (history stays honest)."""
    changes = data.model_dump(exclude_unset=True)
    async with in_transaction() as conn:
        row = await _owned_set(conn, user, workout_id, set_id)
        if "weight" in changes:
            row.weight_kg = weight_kg(
                changes.pop("weight"), changes.get("weight_unit"), user.unit_system
            )
        if "distance" in changes:
            row.distance_m = distance_m(
                changes.pop("distance"), changes.get("distance_unit"), user.unit_system
            )
        changes.pop("weight_unit", None)
        changes.pop("distance_unit", None)
        for field, value in changes.items():
            if value is None and field in ("is_warmup", "is_failure", "completed"):
                continue
            setattr(row, field, value)
        for field, value in derived(row.reps, row.weight_kg).items():
            setattr(row, field, value)
        await row.save(using_db=conn)
        await _withdraw_records(conn, row)
        await records_for_row(conn, row)  # a corrected (or now completed) set may set records
        await audit.record(
            "set.updated", client, subject_id=user.id, target_type="set", target_id=row.id
        )
    return row


async def delete_set(user: User, client: ClientInfo, workout_id: int, set_id: int) -> None:
    async with in_transaction() as conn:
        row = await _owned_set(conn, user, workout_id, set_id)
        await row.delete(using_db=conn)
        await _withdraw_records(conn, row)
        await audit.record(
            "set.deleted", client, subject_id=user.id, target_type="set", target_id=set_id
        )
