"""HTTP routes for workouts, their exercises and sets."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import client_info, current_user, require_auth
from fithub.core.responses import validate_response
from fithub.core.workouts import services, sets
from fithub.core.workouts.ids import ids_in_range
from fithub.core.workouts.presenters import record_out, set_out
from fithub.core.workouts.schemas import (
    CloneRequest,
    EntryCreate,
    EntryUpdate,
    LoggedSet,
    SetCreate,
    SetOut,
    SetUpdate,
    WorkoutCreate,
    WorkoutOut,
    WorkoutPage,
    WorkoutQuery,
    WorkoutUpdate,
)

bp = Blueprint("workouts", __name__, url_prefix="/api/v1")
bp.before_request(ids_in_range)


@bp.post("/workouts")
@tag(["workouts"])
@require_auth()
@validate_request(WorkoutCreate)
@validate_response(WorkoutOut, 201)
async def create_workout(data: WorkoutCreate) -> tuple[WorkoutOut, int]:
    """Create a workout, optionally with its exercises and sets, in one request."""
    user = current_user()
    workout_id = await services.create_workout(user, client_info(), data)
    return await services.workout_view(user, workout_id), 201


@bp.get("/workouts")
@tag(["workouts"])
@require_auth()
@validate_querystring(WorkoutQuery)
@validate_response(WorkoutPage)
async def list_workouts(query_args: WorkoutQuery) -> dict[str, Any]:
    """Your workouts, newest first; filter by status, tag and start time (`from`, `to`)."""
    return await services.list_workouts(current_user().id, query_args)


@bp.get("/workouts/<int:workout_id>")
@tag(["workouts"])
@require_auth()
@validate_response(WorkoutOut)
async def get_workout(workout_id: int) -> WorkoutOut:
    """One workout with its exercises in order and their sets, in your units."""
    return await services.workout_view(current_user(), workout_id)


@bp.patch("/workouts/<int:workout_id>")
@tag(["workouts"])
@require_auth()
@validate_request(WorkoutUpdate)
@validate_response(WorkoutOut)
async def update_workout(workout_id: int, data: WorkoutUpdate) -> WorkoutOut:
    """Change a workout. Status moves planned → in_progress → completed (or skipped); 409 otherwise."""
    user = current_user()
    await services.update_workout(user, client_info(), workout_id, data)
    return await services.workout_view(user, workout_id)


@bp.delete("/workouts/<int:workout_id>")
@tag(["workouts"])
@require_auth()
async def delete_workout(workout_id: int) -> Response:
    """Delete a workout, its sets and the records they set."""
    await services.delete_workout(current_user(), client_info(), workout_id)
    return Response(status=204)


@bp.post("/workouts/<int:workout_id>/clone")
@tag(["workouts"])
@require_auth()
@validate_request(CloneRequest)
@validate_response(WorkoutOut, 201)
async def clone_workout(workout_id: int, data: CloneRequest) -> tuple[WorkoutOut, int]:
    """Copy a workout as a new planned one, its sets as targets."""
    user = current_user()
    new_id = await services.clone_workout(user, client_info(), workout_id, data)
    return await services.workout_view(user, new_id), 201


@bp.post("/workouts/<int:workout_id>/exercises")
@tag(["workouts"])
@require_auth()
@validate_request(EntryCreate)
@validate_response(WorkoutOut, 201)
async def add_exercise(workout_id: int, data: EntryCreate) -> tuple[WorkoutOut, int]:
    """Append an exercise (with optional sets) to a workout."""
    user = current_user()
    await services.add_entry(user, client_info(), workout_id, data)
    return await services.workout_view(user, workout_id), 201


@bp.patch("/workouts/<int:workout_id>/exercises/<int:entry_id>")
@tag(["workouts"])
@require_auth()
@validate_request(EntryUpdate)
@validate_response(WorkoutOut)
async def update_exercise(workout_id: int, entry_id: int, data: EntryUpdate) -> WorkoutOut:
    """Change an entry's superset group, notes or position."""
    user = current_user()
    await services.update_entry(user, client_info(), workout_id, entry_id, data)
    return await services.workout_view(user, workout_id)


@bp.delete("/workouts/<int:workout_id>/exercises/<int:entry_id>")
@tag(["workouts"])
@require_auth()
async def remove_exercise(workout_id: int, entry_id: int) -> Response:
    """Remove an exercise and its sets from a workout."""
    await services.delete_entry(current_user(), client_info(), workout_id, entry_id)
    return Response(status=204)


@bp.post("/workouts/<int:workout_id>/sets")
@tag(["workouts"])
@require_auth()
@validate_request(SetCreate)
@validate_response(LoggedSet, 201)
async def log_set(workout_id: int, data: SetCreate) -> tuple[LoggedSet, int]:
    """Log a set (the hot path). Answers with the set and any personal records it broke."""
    user = current_user()
    logged = await sets.log_set(user, client_info(), workout_id, data)
    units = user.unit_system
    return LoggedSet(
        set=set_out(logged.row, units), records=[record_out(r, units) for r in logged.records]
    ), 201


@bp.patch("/workouts/<int:workout_id>/sets/<int:set_id>")
@tag(["workouts"])
@require_auth()
@validate_request(SetUpdate)
@validate_response(SetOut)
async def update_set(workout_id: int, set_id: int, data: SetUpdate) -> SetOut:
    """Correct a logged set."""
    user = current_user()
    row = await sets.update_set(user, client_info(), workout_id, set_id, data)
    return set_out(row, user.unit_system)


@bp.delete("/workouts/<int:workout_id>/sets/<int:set_id>")
@tag(["workouts"])
@require_auth()
async def delete_set(workout_id: int, set_id: int) -> Response:
    """Delete a logged set (and any record it held)."""
    await sets.delete_set(current_user(), client_info(), workout_id, set_id)
    return Response(status=204)
