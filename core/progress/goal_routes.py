"""HTTP routes for goals: thin wrappers over the goals service; progress is computed on read."""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import client_info, current_user, require_auth
from fithub.core.errors import ValidationFailed
from fithub.core.progress import goals
from fithub.core.progress.goal_schemas import GoalIn, GoalOut, GoalPage, GoalQuery, GoalUpdate
from fithub.core.responses import validate_response

bp = Blueprint("goals", __name__, url_prefix="/api/v1")


@bp.post("/goals")
@tag(["goals"])
@require_auth()
@validate_request(GoalIn)
@validate_response(GoalOut, 201)
async def create_goal(data: GoalIn) -> tuple[GoalOut, int]:
    """Set a goal. Lift goals name an exercise you can see; body_metric goals name a metric."""
    user = current_user()
    view = await goals.create_goal(user, client_info(), data)
    return goals.goal_out(view, user), 201


@bp.get("/goals")
@tag(["goals"])
@require_auth()
@validate_querystring(GoalQuery)
@validate_response(GoalPage)
async def list_goals(query_args: GoalQuery) -> GoalPage:
    """Your goals with their progress, newest first; filter by status or kind."""
    user = current_user()
    views, next_cursor = await goals.list_goals(
        user, query_args, status=query_args.status, kind=query_args.kind
    )
    return GoalPage(items=[goals.goal_out(v, user) for v in views], next_cursor=next_cursor)


@bp.get("/goals/<int:goal_id>")
@tag(["goals"])
@require_auth()
@validate_response(GoalOut)
async def get_goal(goal_id: int) -> GoalOut:
    """One goal with its current value and progress, computed from what you have logged."""
    user = current_user()
    return goals.goal_out(await goals.get_goal(user, goal_id), user)


@bp.patch("/goals/<int:goal_id>")
@tag(["goals"])
@require_auth()
@validate_request(GoalUpdate)
@validate_response(GoalOut)
async def update_goal(goal_id: int, data: GoalUpdate) -> GoalOut:
    """Change a goal; a new target, start or dates means it is judged again from the data."""
    try:
        changes = data.changes()
    except ValueError as exc:
        field = str(exc).split()[0]
        raise ValidationFailed(
            str(exc), errors=[{"field": field, "message": "cannot be null", "type": "null"}]
        ) from exc
    user = current_user()
    view = await goals.update_goal(user, client_info(), goal_id, changes)
    return goals.goal_out(view, user)


@bp.delete("/goals/<int:goal_id>")
@tag(["goals"])
@require_auth()
async def delete_goal(goal_id: int) -> Response:
    """Delete one of your goals (404 if it is not yours)."""
    await goals.delete_goal(current_user(), client_info(), goal_id)
    return Response(status=204)
