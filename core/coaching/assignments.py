"""Assignments: work a trainer gives an active client (a template or one exercise) by a due date.

A template must be usable by the client as well as by the trainer: public, or the trainer's own
shared with clients (visibility ``clients``). A private template is refused (422
``template_not_shared``) rather than shared through the back door of an assignment.
"""

from __future__ import annotations

from typing import Any, cast

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.accounts.relations import active_relation
from fithub.core.audit import services as audit
from fithub.core.coaching import deadlines
from fithub.core.coaching.models import Assignment, AssignmentStatus
from fithub.core.coaching.schemas import (
    AssignmentCreate,
    AssignmentOut,
    AssignmentQuery,
    AssignmentStart,
    GivenAssignmentQuery,
)
from fithub.core.context import ClientInfo
from fithub.core.errors import Conflict, NotFound, ValidationFailed
from fithub.core.events.services import emit
from fithub.core.exercises.services import visible_exercises
from fithub.core.pagination import paginate
from fithub.core.workouts.schemas import StartFromTemplate
from fithub.core.workouts.templates import start_from_template, visible_template


def _invalid(field: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed(
        message, code=code, errors=[{"field": field, "message": message, "type": code}]
    )


async def _check_template(trainer_id: int, client_id: int, template_id: int) -> None:
    try:
        await visible_template(trainer_id, template_id)
    except NotFound as exc:
        raise _invalid("template_id", f"No template {template_id}.", "unknown_template") from exc
    try:
        await visible_template(client_id, template_id)
    except NotFound as exc:
        raise _invalid(
            "template_id",
            "The client cannot see this template: set its visibility to 'clients' or 'public'.",
            "template_not_shared",
        ) from exc


async def _check_exercise(trainer_id: int, client_id: int, exercise_id: int) -> None:
    await visible_exercises(trainer_id, {exercise_id})
    try:
        await visible_exercises(client_id, {exercise_id})
    except ValidationFailed as exc:
        raise _invalid(
            "exercise_id",
            "The client cannot see this exercise: share it with your clients first.",
            "exercise_not_shared",
        ) from exc


async def create_assignment(
    trainer: User, client: ClientInfo, data: AssignmentCreate
) -> Assignment:
    """Assign work to an active client; 422 for anyone else, an unusable item or a past due date."""
    relation = await active_relation(trainer.id, data.client_id)
    if relation is None:
        raise _invalid(
            "client_id", f"{data.client_id} is not an active client of yours.", "unknown_client"
        )
    today = (await deadlines.todays([data.client_id]))[data.client_id]
    first, last = deadlines.due_window(today)
    if not first <= data.due_on <= last:
        raise _invalid(
            "due_on", f"Must be from {first} (the client's today) to {last}.", "due_on_out_of_range"
        )
    if data.template_id is not None:
        await _check_template(trainer.id, data.client_id, data.template_id)
    if data.exercise_id is not None:
        await _check_exercise(trainer.id, data.client_id, data.exercise_id)
    async with in_transaction() as conn:
        assignment = await Assignment.create(
            relation_id=relation.id,
            trainer_id=trainer.id,
            client_id=data.client_id,
            template_id=data.template_id,
            exercise_id=data.exercise_id,
            title=data.title,
            notes=data.notes,
            due_on=data.due_on,
            using_db=conn,
        )
        await audit.record(
            "assignment.created",
            client,
            subject_id=trainer.id,
            target_type="assignment",
            target_id=assignment.id,
            details={"client_id": data.client_id},
        )
        payload = {
            "assignment_id": assignment.id,
            "trainer_id": trainer.id,
            "client_id": data.client_id,
        }
        await emit("assignment.created", trainer.id, payload, using_db=conn)
    return assignment


def assignment_out(assignment: Assignment, days: dict[int, Any]) -> AssignmentOut:
    return AssignmentOut(
        id=assignment.id,
        relation_id=assignment.relation_id,
        trainer_id=assignment.trainer_id,
        client_id=assignment.client_id,
        template_id=assignment.template_id,
        exercise_id=assignment.exercise_id,
        title=assignment.title,
        notes=assignment.notes,
        due_on=assignment.due_on,
        status=deadlines.effective_status(assignment, days.get(assignment.client_id)),
        completed_workout_id=assignment.completed_workout_id,
        completed_at=assignment.completed_at,
        created_at=assignment.created_at,
    )


async def _page(query: QuerySet[Assignment], page: AssignmentQuery) -> dict[str, Any]:
    """One page in the effective status (pending rows past due read as missed)."""
    pending = query.filter(status=AssignmentStatus.PENDING)
    client_ids = cast("list[int]", await pending.distinct().values_list("client_id", flat=True))
    days = await deadlines.todays(client_ids)
    if page.status is not None:
        query = query.filter(deadlines.status_filter(page.status, days))
    result = await paginate(query, page, lambda row: row)
    result["items"] = [assignment_out(row, days) for row in result["items"]]
    return result


async def given_assignments(trainer: User, page: GivenAssignmentQuery) -> dict[str, Any]:
    """Assignments the trainer gave, newest first, optionally for one client."""
    query = Assignment.filter(trainer_id=trainer.id)
    if page.client_id is not None:
        query = query.filter(client_id=page.client_id)
    return await _page(query, page)


async def my_assignments(user: User, page: AssignmentQuery) -> dict[str, Any]:
    """The user's own assignments, newest first."""
    return await _page(Assignment.filter(client_id=user.id), page)


async def my_assignment(user: User, assignment_id: int) -> AssignmentOut:
    assignment = await Assignment.get_or_none(id=assignment_id, client_id=user.id)
    if assignment is None:
        raise NotFound(f"No assignment {assignment_id}.")
    return assignment_out(assignment, await deadlines.todays([user.id]))


async def given_assignment(trainer: User, assignment_id: int) -> AssignmentOut:
    assignment = await Assignment.get_or_none(id=assignment_id, trainer_id=trainer.id)
    if assignment is None:
        raise NotFound(f"No assignment {assignment_id}.")
    return assignment_out(assignment, await deadlines.todays([assignment.client_id]))


async def start_assignment(
    user: User, client: ClientInfo, assignment_id: int, data: AssignmentStart
) -> int:
    """Start (or plan) the workout of a pending template assignment; return the workout id.

    Completing that workout completes the assignment (see :func:`deadlines.fulfil`).
    """
    view = await my_assignment(user, assignment_id)
    if view.status != AssignmentStatus.PENDING:
        raise Conflict(f"This assignment is {view.status.value}.", code="invalid_transition")
    if view.template_id is None:
        raise Conflict(
            "An exercise assignment is done by logging the exercise in any workout.",
            code="not_a_template_assignment",
        )
    request = StartFromTemplate(status=data.status, scheduled_at=data.scheduled_at, name=view.title)
    return await start_from_template(user, client, view.template_id, request, assignment_id=view.id)
