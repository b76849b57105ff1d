"""Workout rules: create, read, change, clone and complete workouts and their exercise entries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.audit import services as audit
from fithub.core.context import ClientInfo
from fithub.core.errors import Conflict, NotFound
from fithub.core.events.services import emit
from fithub.core.exercises.services import visible_exercises
from fithub.core.pagination import columns_of, paginate_rows
from fithub.core.workouts import presenters
from fithub.core.workouts.completion import fulfil_assignments
from fithub.core.workouts.inputs import set_columns
from fithub.core.workouts.models import (
    PersonalRecord,
    RecordKind,
    Workout,
    WorkoutExercise,
    WorkoutSet,
    WorkoutStatus,
)
from fithub.core.workouts.records import records_for_row, refresh_session_volume
from fithub.core.workouts.schemas import (
    CloneRequest,
    EntryCreate,
    EntryUpdate,
    WorkoutCreate,
    WorkoutOut,
    WorkoutQuery,
    WorkoutSummary,
    WorkoutUpdate,
)

SUMMARY_COLUMNS = columns_of(WorkoutSummary)

# Status changes a workout may make; anything else is a 409.
TRANSITIONS: dict[WorkoutStatus, set[WorkoutStatus]] = {
    WorkoutStatus.PLANNED: {
        WorkoutStatus.IN_PROGRESS,
        WorkoutStatus.COMPLETED,
        WorkoutStatus.SKIPPED,
    },
    WorkoutStatus.IN_PROGRESS: {
        WorkoutStatus.COMPLETED,
        WorkoutStatus.SKIPPED,
        WorkoutStatus.PLANNED,
    },
    WorkoutStatus.COMPLETED: {WorkoutStatus.IN_PROGRESS},
    WorkoutStatus.SKIPPED: {WorkoutStatus.PLANNED},
}


def now() -> datetime:
    return datetime.now(UTC)


async def owned_workout(
    user_id: int, workout_id: int, conn: BaseDBAsyncClient | None = None
) -> Workout:
    """The user's workout, or NotFound (also for other users' workouts: ids are not revealed)."""
    query = Workout.filter(id=workout_id, user_id=user_id)
    workout = await (query.using_db(conn) if conn else query).first()
    if workout is None:
        raise NotFound(f"No workout {workout_id}.")
    return workout


async def workout_view(user: User, workout_id: int, *, owner_id: int | None = None) -> WorkoutOut:
    """The full workout with entries and sets, in ``user``'s units (``owner_id``: whose workout)."""
    workout = await owned_workout(owner_id or user.id, workout_id)
    entries = await WorkoutExercise.filter(workout_id=workout.id).select_related("exercise")
    sets = await WorkoutSet.filter(workout_id=workout.id)
    return presenters.workout_out(workout, list(entries), list(sets), user.unit_system)


async def list_workouts(user_id: int, query: WorkoutQuery) -> dict[str, Any]:
    rows = Workout.filter(user_id=user_id)
    if query.status:
        rows = rows.filter(status=query.status)
    if query.started_from:
        rows = rows.filter(started_at__gte=query.started_from)
    if query.started_to:
        rows = rows.filter(started_at__lt=query.started_to)
    page = await paginate_rows(rows, query, SUMMARY_COLUMNS)
    if query.tag:  # tags are a short JSON list: filter the page (documented as best effort)
        page["items"] = [w for w in page["items"] if query.tag in w["tags"]]
    return page


def _timestamps_for(
    status: WorkoutStatus, fields: dict[str, Any], current: Workout | None = None
) -> None:
    """Fill started/completed times and duration that a status implies, unless given."""
    started = fields.get("started_at", current.started_at if current else None)
    if status in (WorkoutStatus.IN_PROGRESS, WorkoutStatus.COMPLETED) and started is None:
        fields["started_at"] = started = now()
    if status == WorkoutStatus.COMPLETED:
        completed = (
            fields.get("completed_at") or (current.completed_at if current else None) or now()
        )
        fields["completed_at"] = completed
        if started is not None and completed < started:
            from fithub.core.errors import ValidationFailed

            raise ValidationFailed(
                "completed_at must not be before started_at",
                errors=[{"field": "completed_at", "message": "before started_at", "type": "order"}],
            )
        has_duration = fields.get("duration_s") or (current.duration_s if current else None)
        if not has_duration and started is not None:
            fields["duration_s"] = int((completed - started).total_seconds())


async def create_workout(
    user: User,
    client: ClientInfo,
    data: WorkoutCreate,
    *,
    source: str = "manual",
    client_ref: str | None = None,
) -> int:
    """Create a workout with its exercises and sets in one transaction; return its id.

    ``client_ref`` is an idempotency key (e.g. a live session id): unique per user.
    """
    exercises = await visible_exercises(user.id, {e.exercise_id for e in data.exercises})
    fields = data.model_dump(exclude={"exercises"})
    _timestamps_for(data.status, fields)
    async with in_transaction() as conn:
        workout = await Workout.create(
            user_id=user.id, source=source, client_ref=client_ref, using_db=conn, **fields
        )
        await _add_entries(conn, user, workout, data.exercises, exercises)
        await audit.record(
            "workout.created",
            client,
            subject_id=user.id,
            target_type="workout",
            target_id=workout.id,
        )
        if workout.status == WorkoutStatus.COMPLETED:
            await _completed(conn, workout)
    return int(workout.id)


async def _add_entries(
    conn: BaseDBAsyncClient,
    user: User,
    workout: Workout,
    items: list[EntryCreate],
    exercises: dict[int, Any],
    start_position: int = 1,
) -> None:
    when = workout.completed_at or workout.started_at or workout.scheduled_at or now()
    done = workout.status == WorkoutStatus.COMPLETED
    for position, item in enumerate(items, start=start_position):
        entry = await WorkoutExercise.create(
            workout_id=workout.id,
            exercise_id=item.exercise_id,
            position=position,
            superset=item.superset,
            notes=item.notes,
            using_db=conn,
        )
        rows = [
            WorkoutSet(
                entry_id=entry.id,
                user_id=user.id,
                workout_id=workout.id,
                exercise_id=item.exercise_id,
                set_number=number,
                performed_at=when,
                **set_columns(s, user.unit_system, completed_default=done),
            )
            for number, s in enumerate(item.sets, start=1)
        ]
        if any(row.completed and not row.is_warmup for row in rows):
            for row in rows:  # one by one, as if logged, so records are detected in order
                await row.save(using_db=conn)
                await records_for_row(conn, row)
        elif rows:
            await WorkoutSet.bulk_create(rows, using_db=conn)


async def update_workout(
    user: User, client: ClientInfo, workout_id: int, data: WorkoutUpdate
) -> None:
    """Change fields; a status change must be allowed and fills the times it implies."""
    changes = data.model_dump(exclude_unset=True)
    for field in ("name", "notes", "tags", "status"):  # not nullable: null means "leave as is"
        if field in changes and changes[field] is None:
            changes.pop(field)
    async with in_transaction() as conn:
        workout = await owned_workout(user.id, workout_id, conn)
        old_status = workout.status
        new_status = changes.get("status") or old_status
        if new_status != old_status and new_status not in TRANSITIONS[old_status]:
            raise Conflict(
                f"A {old_status.value} workout cannot become {new_status.value}.",
                code="invalid_transition",
            )
        if new_status != old_status:
            _timestamps_for(new_status, changes, workout)
        started = changes.get("started_at", workout.started_at)
        completed = changes.get("completed_at", workout.completed_at)
        if started and completed and completed < started:
            from fithub.core.errors import ValidationFailed

            raise ValidationFailed(
                "completed_at must not be before started_at",
                errors=[{"field": "completed_at", "message": "before started_at", "type": "order"}],
            )
        for field, value in changes.items():
            setattr(workout, field, value)
        if changes:
            await workout.save(using_db=conn, update_fields=[*changes, "updated_at"])
            await audit.record(
                "workout.updated",
                client,
                subject_id=user.id,
                target_type="workout",
                target_id=workout.id,
                details={"fields": sorted(changes)},
            )
        if new_status == WorkoutStatus.COMPLETED and old_status != WorkoutStatus.COMPLETED:
            # Done sets timed outside the workout (targets ticked off) take its completion time;
            # sets logged while it ran keep theirs.
            await (
                WorkoutSet.filter(workout_id=workout.id, completed=True)
                .filter(
                    Q(performed_at__lt=workout.started_at)
                    | Q(performed_at__gt=workout.completed_at)
                )
                .using_db(conn)
                .update(performed_at=workout.completed_at)
            )
            await _completed(conn, workout)


async def _completed(conn: BaseDBAsyncClient, workout: Workout) -> None:
    """Announce a completed workout; registered fulfillers mark its assignments (.completion)."""
    exercise_ids = set(
        await WorkoutExercise.filter(workout_id=workout.id)
        .using_db(conn)
        .values_list("exercise_id", flat=True)
    )
    assert workout.completed_at is not None
    fulfilled = await fulfil_assignments(
        conn,
        user_id=workout.user_id,
        workout_id=workout.id,
        exercise_ids={int(i) for i in exercise_ids},  # type: ignore[call-overload]
        assignment_id=workout.assignment_id,
        completed_at=workout.completed_at,
    )
    await emit(
        "workout.completed",
        workout.user_id,
        {"workout_id": workout.id, "assignments": fulfilled},
        using_db=conn,
    )


async def delete_workout(user: User, client: ClientInfo, workout_id: int) -> None:
    async with in_transaction() as conn:
        workout = await owned_workout(user.id, workout_id, conn)
        await PersonalRecord.filter(user_id=user.id, workout_id=workout.id).using_db(conn).delete()
        await workout.delete(using_db=conn)
        await audit.record(
            "workout.deleted",
            client,
            subject_id=user.id,
            target_type="workout",
            target_id=workout_id,
        )


async def clone_workout(user: User, client: ClientInfo, workout_id: int, data: CloneRequest) -> int:
    """Copy a workout as a new planned one: same exercises, sets copied as targets (not done)."""
    source = await owned_workout(user.id, workout_id)
    entries = await WorkoutExercise.filter(workout_id=source.id).order_by("position", "id")
    sets = await WorkoutSet.filter(workout_id=source.id).order_by("set_number", "id")
    async with in_transaction() as conn:
        copy = await Workout.create(
            user_id=user.id,
            name=data.name or source.name,
            notes=source.notes,
            tags=source.tags,
            status=WorkoutStatus.PLANNED,
            scheduled_at=data.scheduled_at,
            location=source.location,
            source="clone",
            template_version_id=source.template_version_id,
            using_db=conn,
        )
        for entry in entries:
            new_entry = await WorkoutExercise.create(
                workout_id=copy.id,
                exercise_id=entry.exercise_id,
                position=entry.position,
                superset=entry.superset,
                notes=entry.notes,
                using_db=conn,
            )
            rows = [
                WorkoutSet(
                    entry_id=new_entry.id,
                    user_id=user.id,
                    workout_id=copy.id,
                    exercise_id=s.exercise_id,
                    set_number=s.set_number,
                    reps=s.reps,
                    weight_kg=s.weight_kg,
                    duration_s=s.duration_s,
                    distance_m=s.distance_m,
                    rest_s=s.rest_s,
                    is_warmup=s.is_warmup,
                    completed=False,
                    custom=s.custom,
                    performed_at=data.scheduled_at or now(),
                )
                for s in sets
                if s.entry_id == entry.id
            ]
            if rows:
                await WorkoutSet.bulk_create(rows, using_db=conn)
        await audit.record(
            "workout.cloned",
            client,
            subject_id=user.id,
            target_type="workout",
            target_id=copy.id,
            details={"from": workout_id},
        )
    return int(copy.id)


async def add_entry(user: User, client: ClientInfo, workout_id: int, data: EntryCreate) -> None:
    exercises = await visible_exercises(user.id, {data.exercise_id})
    async with in_transaction() as conn:
        workout = await owned_workout(user.id, workout_id, conn)
        last = (
            await WorkoutExercise.filter(workout_id=workout.id)
            .using_db(conn)
            .order_by("-position")
            .first()
        )
        await _add_entries(
            conn, user, workout, [data], exercises, (last.position + 1) if last else 1
        )
        await audit.record(
            "workout.exercise_added",
            client,
            subject_id=user.id,
            target_type="workout",
            target_id=workout.id,
        )


async def update_entry(
    user: User, client: ClientInfo, workout_id: int, entry_id: int, data: EntryUpdate
) -> None:
    changes = data.model_dump(exclude_unset=True)
    async with in_transaction() as conn:
        await owned_workout(user.id, workout_id, conn)
        entry = (
            await WorkoutExercise.filter(id=entry_id, workout_id=workout_id).using_db(conn).first()
        )
        if entry is None:
            raise NotFound(f"No exercise entry {entry_id} in workout {workout_id}.")
        for field in ("notes", "position"):  # not nullable: null means "leave as is"
            if field in changes and changes[field] is None:
                changes.pop(field)
        position = changes.pop("position", None)
        for field, value in changes.items():
            setattr(entry, field, value)
        if changes:
            await entry.save(using_db=conn, update_fields=list(changes))
        if position is not None:
            await _move_entry(conn, entry, position)
        if changes or position is not None:
            await audit.record(
                "workout.exercise_updated",
                client,
                subject_id=user.id,
                target_type="workout",
                target_id=workout_id,
            )


async def _move_entry(conn: BaseDBAsyncClient, entry: WorkoutExercise, position: int) -> None:
    """Put ``entry`` at ``position`` (1-based, clamped) and renumber the workout's entries 1..n."""
    siblings = (
        await WorkoutExercise.filter(workout_id=entry.workout_id)
        .using_db(conn)
        .order_by("position", "id")
    )
    order = [e for e in siblings if e.id != entry.id]
    order.insert(min(position, len(order) + 1) - 1, entry)
    for number, item in enumerate(order, start=1):
        if item.position != number or item.id == entry.id:
            item.position = number
            await item.save(using_db=conn, update_fields=["position"])


async def delete_entry(user: User, client: ClientInfo, workout_id: int, entry_id: int) -> None:
    async with in_transaction() as conn:
        await owned_workout(user.id, workout_id, conn)
        entry = (
            await WorkoutExercise.filter(id=entry_id, workout_id=workout_id).using_db(conn).first()
        )
        if entry is None:
            raise NotFound(f"No exercise entry {entry_id} in workout {workout_id}.")
        set_ids = (
            await WorkoutSet.filter(entry_id=entry.id).using_db(conn).values_list("id", flat=True)
        )
        if set_ids:
            await (
                PersonalRecord.filter(set_id__in=list(set_ids))
                .exclude(kind=RecordKind.MAX_SESSION_VOLUME)
                .using_db(conn)
                .delete()
            )
        await entry.delete(using_db=conn)
        await refresh_session_volume(conn, user.id, entry.exercise_id, workout_id)
        await audit.record(
            "workout.exercise_removed",
            client,
            subject_id=user.id,
            target_type="workout",
            target_id=workout_id,
        )
