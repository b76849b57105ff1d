"""Assignment deadlines: due dates in the client's calendar, fulfilment and missed assignments.

An assignment is due on a date in the client's own time zone. It is *missed* once that date has
passed there: that is computed on every read, and persisted by the job
``coaching.mark_missed_assignments``. :func:`fulfil` is registered with the interface the workouts
layer declares (core/workouts/completion.py), which calls it inside the transaction that completes
a workout.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from fithub.core.accounts.models import RelationStatus, User
from fithub.core.audit import services as audit
from fithub.core.coaching.models import Assignment, AssignmentStatus
from fithub.core.context import ClientInfo
from fithub.core.events.services import emit


def now() -> datetime:
    return datetime.now(UTC)


def local_date(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


async def todays(
    client_ids: Iterable[int], conn: BaseDBAsyncClient | None = None
) -> dict[int, date]:
    """Today's date in each client's time zone."""
    ids = set(client_ids)
    if not ids:
        return {}
    query = User.filter(id__in=ids)
    rows = await (query.using_db(conn) if conn else query).values_list("id", "timezone")
    moment = now()
    return {int(user_id): local_date(moment, str(zone)) for user_id, zone in rows}


def _by_day(days: dict[int, date]) -> dict[date, list[int]]:
    """Clients grouped by their local date: at most three groups, whatever the number of clients."""
    groups: dict[date, list[int]] = defaultdict(list)
    for client_id, day in days.items():
        groups[day].append(client_id)
    return groups


def past_due(days: dict[int, date]) -> Q | None:
    """Rows whose due date has passed for their client (None: no such client)."""
    parts = [Q(client_id__in=ids, due_on__lt=day) for day, ids in _by_day(days).items()]
    return Q(*parts, join_type=Q.OR) if parts else None


def not_yet_due(days: dict[int, date]) -> Q | None:
    parts = [Q(client_id__in=ids, due_on__gte=day) for day, ids in _by_day(days).items()]
    return Q(*parts, join_type=Q.OR) if parts else None


def status_filter(status: AssignmentStatus, days: dict[int, date]) -> Q:
    """Rows whose *effective* status is ``status``; ``days`` covers every client with pending rows."""
    pending = Q(status=AssignmentStatus.PENDING)
    if status == AssignmentStatus.COMPLETED:
        return Q(status=AssignmentStatus.COMPLETED)
    if status == AssignmentStatus.PENDING:
        fresh = not_yet_due(days)
        return pending & fresh if fresh is not None else pending
    overdue = past_due(days)
    missed = Q(status=AssignmentStatus.MISSED)
    return missed | (pending & overdue) if overdue is not None else missed


def effective_status(assignment: Assignment, today: date | None) -> AssignmentStatus:
    if (
        assignment.status == AssignmentStatus.PENDING
        and today is not None
        and assignment.due_on < today
    ):
        return AssignmentStatus.MISSED
    return assignment.status


async def fulfil(
    conn: BaseDBAsyncClient,
    *,
    user_id: int,
    workout_id: int,
    exercise_ids: set[int],
    assignment_id: int | None,
    completed_at: datetime,
) -> list[int]:
    """Complete the client's pending assignments this workout fulfils, on or before their due date.

    A workout fulfils the assignment it was started from, and every exercise assignment whose
    exercise it contains (if completed on or after the day the assignment was given). Only
    assignments of an active relation count. Emits ``assignment.completed`` for each.
    """
    matches = Q(exercise_id__in=sorted(exercise_ids)) if exercise_ids else None
    if assignment_id is not None:
        linked = Q(id=assignment_id)
        matches = linked if matches is None else matches | linked
    if matches is None:
        return []
    candidates = (
        await Assignment.filter(
            matches,
            client_id=user_id,
            status=AssignmentStatus.PENDING,
            relation__status=RelationStatus.ACTIVE,
        )
        .using_db(conn)
        .order_by("id")
    )
    if not candidates:
        return []
    zone = await User.filter(id=user_id).using_db(conn).values_list("timezone", flat=True)
    timezone = str(zone[0]) if zone else "UTC"
    day = local_date(completed_at, timezone)
    done: list[int] = []
    for assignment in candidates:
        if day > assignment.due_on:
            continue
        if assignment.id != assignment_id and day < local_date(assignment.created_at, timezone):
            continue  # a workout finished before the assignment existed does not fulfil it
        updated = (
            await Assignment.filter(id=assignment.id, status=AssignmentStatus.PENDING)
            .using_db(conn)
            .update(
                status=AssignmentStatus.COMPLETED,
                completed_workout_id=workout_id,
                completed_at=completed_at,
            )
        )
        if not updated:
            continue
        done.append(assignment.id)
        payload = {
            "assignment_id": assignment.id,
            "trainer_id": assignment.trainer_id,
            "client_id": user_id,
            "workout_id": workout_id,
        }
        await emit("assignment.completed", user_id, payload, using_db=conn)
        await audit.record(
            "assignment.completed",
            ClientInfo.system(),
            subject_id=user_id,
            target_type="assignment",
            target_id=assignment.id,
            details={"workout_id": workout_id},
        )
    return done


async def mark_missed(conn: BaseDBAsyncClient, *, relation_id: int | None = None) -> list[int]:
    """Persist ``missed`` on pending assignments whose due date has passed; idempotent.

    Emits ``assignment.missed`` once per assignment (a second run finds nothing left to mark).
    """
    # Nowhere on earth is it later than UTC+14, so no local date is beyond tomorrow in UTC:
    # only rows due up to today (UTC) can be overdue somewhere.
    query = Assignment.filter(status=AssignmentStatus.PENDING, due_on__lte=now().date())
    if relation_id is not None:
        query = query.filter(relation_id=relation_id)
    candidates = await query.using_db(conn).order_by("id")
    days = await todays({a.client_id for a in candidates}, conn)
    marked: list[int] = []
    for assignment in candidates:
        if effective_status(assignment, days.get(assignment.client_id)) != AssignmentStatus.MISSED:
            continue
        updated = (
            await Assignment.filter(id=assignment.id, status=AssignmentStatus.PENDING)
            .using_db(conn)
            .update(status=AssignmentStatus.MISSED)
        )
        if updated:
            marked.append(assignment.id)
            payload = {
                "assignment_id": assignment.id,
                "trainer_id": assignment.trainer_id,
                "client_id": assignment.client_id,
                "due_on": assignment.due_on.isoformat(),
            }
            await emit("assignment.missed", assignment.client_id, payload, using_db=conn)
    return marked


async def drop_pending(conn: BaseDBAsyncClient, relation_id: int) -> int:
    """Remove the still-pending assignments of an ended relation; return how many."""
    removed = (
        await Assignment.filter(relation_id=relation_id, status=AssignmentStatus.PENDING)
        .using_db(conn)
        .delete()
    )
    return int(removed)


def due_window(today: date) -> tuple[date, date]:
    """The due dates a trainer may set: from the client's today to a year ahead."""
    return today, today + timedelta(days=366)
