"""Logging sets: the hot path of a gym app. One request, one transaction, records detected inline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.audit import services as audit
from fithub.core.context import ClientInfo
from fithub.core.errors import Conflict, NotFound, ValidationFailed
from fithub.core.exercises.services import visible_exercises
from fithub.core.sql import Params, dialect
from fithub.core.workouts.inputs import (
    OPTIONAL_COLUMNS,
    derived,
    distance_m,
    set_columns,
    weight_kg,
)
from fithub.core.workouts.models import (
    PersonalRecord,
    RecordKind,
    Workout,
    WorkoutExercise,
    WorkoutSet,
    WorkoutStatus,
)
from fithub.core.workouts.records import records_for_row, refresh_session_volume
from fithub.core.workouts.schemas import SetCreate, SetUpdate
from fithub.core.workouts.services import now


@dataclass
class SetLogged:
    row: WorkoutSet
    records: list[PersonalRecord]


@dataclass
class _Target:
    """What logging a set needs to know, fetched in one query."""

    status: WorkoutStatus
    started_at: Any
    entry_id: int | None
    exercise_id: int | None
    top_set: int


async def _target(conn: BaseDBAsyncClient, user: User, workout_id: int, data: SetCreate) -> _Target:
    """The workout (404 unless the user's), the entry to log into and its highest set number."""
    p = Params(conn)
    if data.entry_id is not None:
        match = f"e.id = {p(data.entry_id)}"
    else:
        match = f"e.exercise_id = {p(data.exercise_id)}"
    sql = f"""
        SELECT w.status AS status, w.started_at AS started_at, e.id AS entry_id,
               e.exercise_id AS exercise_id,
               (SELECT MAX(s.set_number) FROM workout_sets s WHERE s.entry_id = e.id) AS top_set
          FROM workouts w
          LEFT JOIN workout_exercises e ON e.workout_id = w.id AND {match}
         WHERE w.id = {p(workout_id)} AND w.user_id = {p(user.id)}
         ORDER BY e.position DESC
         LIMIT 1
    """
    rows = await conn.execute_query_dict(sql, p.values)
    if not rows:
        raise NotFound(f"No workout {workout_id}.")
    row = rows[0]
    return _Target(
        status=WorkoutStatus(row["status"]),
        started_at=row["started_at"],
        entry_id=row["entry_id"],
        exercise_id=row["exercise_id"],
        top_set=int(row["top_set"] or 0),
    )


async def _append_entry(
    conn: BaseDBAsyncClient, user: User, workout_id: int, data: SetCreate
) -> WorkoutExercise:
    """Add the set's exercise to the workout (after checking the user may use it)."""
    if data.entry_id is not None:
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
    assert data.exercise_id is not None
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


_SET_COLUMNS = (
    "entry_id",
    "user_id",
    "workout_id",
    "exercise_id",
    "set_number",
    "performed_at",
    "reps",
    "weight_kg",
    "duration_s",
    "distance_m",
    "rest_s",
    "e1rm_kg",
    "volume_kg",
    *OPTIONAL_COLUMNS,
    "completed",
    "created_at",
)


async def _insert_set(
    conn: BaseDBAsyncClient, values: dict[str, Any], audit_row: dict[str, Any]
) -> WorkoutSet:
    """Insert the set and its audit row. In SQL: the ORM's query building costs more than the
    inserts, and on PostgreSQL both go in one statement (one round trip instead of two)."""
    p = Params(conn)
    stored = {**values, "custom": json.dumps(values["custom"], separators=(",", ":"))}
    set_values = ", ".join(p(stored[c]) for c in _SET_COLUMNS)
    insert_set = (
        f"INSERT INTO workout_sets ({', '.join(_SET_COLUMNS)}) VALUES ({set_values}) RETURNING id"
    )
    if dialect(conn) == "postgres":
        audit_cols = [c for c in audit.COLUMNS if c != "target_id"]
        rows = await conn.execute_query_dict(
            f"WITH s AS ({insert_set}) INSERT INTO audit_events ({', '.join(audit_cols)}, target_id)"
            f" SELECT {', '.join(p(audit_row[c]) for c in audit_cols)}, CAST(s.id AS VARCHAR) FROM s"
            " RETURNING target_id AS id",
            p.values,
        )
    else:
        rows = await conn.execute_query_dict(insert_set, p.values)
        await audit.record(
            audit_row["action"],
            ClientInfo(audit_row["ip_address"], audit_row["user_agent"], audit_row["request_id"]),
            subject_id=audit_row["subject_id"],
            target_type="set",
            target_id=rows[0]["id"],
            details=json.loads(audit_row["details"]),
        )
    row = WorkoutSet(**values)
    row.id = int(rows[0]["id"])
    row._saved_in_db = True
    return row


async def log_set(user: User, client: ClientInfo, workout_id: int, data: SetCreate) -> SetLogged:
    """Store one set and the personal records it breaks, atomically.

    Logging into a planned workout starts it. Warm-ups and incomplete sets never make records.
    Typically six round trips: the lookup, the insert, the records query, the session-volume
    update, the audit row, and the commit.
    """
    async with in_transaction() as conn:
        target = await _target(conn, user, workout_id, data)
        if target.status == WorkoutStatus.SKIPPED:
            raise Conflict(
                "This workout was skipped; reopen it before logging sets.", code="workout_skipped"
            )
        if target.entry_id is None:
            entry = await _append_entry(conn, user, workout_id, data)
            target.entry_id, target.exercise_id = entry.id, entry.exercise_id
        performed_at = data.performed_at or now()
        row = await _insert_set(
            conn,
            {
                "entry_id": target.entry_id,
                "user_id": user.id,
                "workout_id": workout_id,
                "exercise_id": target.exercise_id,
                "set_number": target.top_set + 1,
                "performed_at": performed_at,
                "created_at": now(),
                **set_columns(data, user.unit_system),
            },
            audit.audit_values(
                "set.logged",
                client,
                subject_id=user.id,
                target_type="set",
                details={"workout_id": workout_id},
            ),
        )
        if target.status == WorkoutStatus.PLANNED:
            await (
                Workout.filter(id=workout_id)
                .using_db(conn)
                .update(
                    status=WorkoutStatus.IN_PROGRESS,
                    started_at=target.started_at or performed_at,
                    updated_at=now(),
                )
            )
        records = await records_for_row(conn, row)
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
