"""HTTP routes for assignments: trainers give them, clients list and start them."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import client_info, current_user, require_auth
from fithub.core.coaching import assignments
from fithub.core.coaching.access import require_trainer
from fithub.core.coaching.schemas import (
    AssignmentCreate,
    AssignmentOut,
    AssignmentPage,
    AssignmentQuery,
    AssignmentStart,
    GivenAssignmentQuery,
)
from fithub.core.responses import validate_response
from fithub.core.workouts.schemas import WorkoutOut
from fithub.core.workouts.services import workout_view

bp = Blueprint("assignments", __name__)


@bp.post("/coaching/assignments")
@tag(["assignments"])
@require_trainer()
@validate_request(AssignmentCreate)
@validate_response(AssignmentOut, 201)
async def create_assignment(data: AssignmentCreate) -> tuple[AssignmentOut, int]:
    """Assign a template or one exercise to an active client, due on a date in their calendar.

    422 for someone who is not your active client, a template or exercise the client cannot use
    (a private template: share it with `visibility=clients` first), or a due date in the past.
    """
    trainer = current_user()
    assignment = await assignments.create_assignment(trainer, client_info(), data)
    return await assignments.given_assignment(trainer, assignment.id), 201


@bp.get("/coaching/assignments")
@tag(["assignments"])
@require_trainer()
@validate_querystring(GivenAssignmentQuery)
@validate_response(AssignmentPage)
async def list_given(query_args: GivenAssignmentQuery) -> AssignmentPage:
    """Assignments you gave, newest first; filter by `client_id` and `status`."""
    return AssignmentPage(**await assignments.given_assignments(current_user(), query_args))


@bp.get("/coaching/assignments/<int:assignment_id>")
@tag(["assignments"])
@require_trainer()
@validate_response(AssignmentOut)
async def get_given(assignment_id: int) -> AssignmentOut:
    """One assignment you gave."""
    return await assignments.given_assignment(current_user(), assignment_id)


@bp.get("/assignments")
@tag(["assignments"])
@require_auth()
@validate_querystring(AssignmentQuery)
@validate_response(AssignmentPage)
async def list_mine(query_args: AssignmentQuery) -> AssignmentPage:
    """Your assignments from your trainers, newest first; filter by `status`.

    An assignment is missed once its due date has passed in your time zone.
    """
    return AssignmentPage(**await assignments.my_assignments(current_user(), query_args))


@bp.get("/assignments/<int:assignment_id>")
@tag(["assignments"])
@require_auth()
@validate_response(AssignmentOut)
async def get_mine(assignment_id: int) -> AssignmentOut:
    """One of your assignments."""
    return await assignments.my_assignment(current_user(), assignment_id)


@bp.post("/assignments/<int:assignment_id>/start")
@tag(["assignments"])
@require_auth()
@validate_request(AssignmentStart)
@validate_response(WorkoutOut, 201)
async def start(assignment_id: int, data: AssignmentStart) -> tuple[WorkoutOut, int]:
    """Start (or plan) the workout of a pending template assignment.

    Completing that workout completes the assignment. 409 for an exercise assignment (log the
    exercise in any workout instead) or one that is no longer pending.
    """
    user = current_user()
    workout_id = await assignments.start_assignment(user, client_info(), assignment_id, data)
    return await workout_view(user, workout_id), 201
