"""HTTP routes for workout reminders: thin wrappers over :mod:`fithub.core.notifications.reminders`."""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import current_user, require_auth
from fithub.core.notifications import reminders
from fithub.core.notifications.reminder_schemas import (
    ReminderIn,
    ReminderOut,
    ReminderPage,
    ReminderQuery,
    ReminderUpdate,
)
from fithub.core.responses import validate_response

bp = Blueprint("reminders", __name__, url_prefix="/api/v1")


@bp.post("/reminders")
@tag(["notifications"])
@require_auth()
@validate_request(ReminderIn)
@validate_response(ReminderOut, 201)
async def create_reminder(data: ReminderIn) -> tuple[ReminderOut, int]:
    """Set a weekly workout reminder (422: no weekday, or a plan that is not yours)."""
    out = await reminders.create_reminder(current_user(), data.model_dump())
    return ReminderOut(**out), 201


@bp.get("/reminders")
@tag(["notifications"])
@require_auth()
@validate_querystring(ReminderQuery)
@validate_response(ReminderPage)
async def list_reminders(query_args: ReminderQuery) -> ReminderPage:
    """Your reminders, newest first, with when each is next due."""
    items, next_cursor = await reminders.list_reminders(current_user(), query_args)
    return ReminderPage(items=[ReminderOut(**i) for i in items], next_cursor=next_cursor)


@bp.get("/reminders/<int:reminder_id>")
@tag(["notifications"])
@require_auth()
@validate_response(ReminderOut)
async def get_reminder(reminder_id: int) -> ReminderOut:
    """One of your reminders (404 if it is not yours)."""
    return ReminderOut(**await reminders.get_reminder(current_user(), reminder_id))


@bp.patch("/reminders/<int:reminder_id>")
@tag(["notifications"])
@require_auth()
@validate_request(ReminderUpdate)
@validate_response(ReminderOut)
async def update_reminder(reminder_id: int, data: ReminderUpdate) -> ReminderOut:
    """Change a reminder; a new time, weekdays or state reschedules it from now."""
    out = await reminders.update_reminder(current_user(), reminder_id, data.changes())
    return ReminderOut(**out)


@bp.delete("/reminders/<int:reminder_id>")
@tag(["notifications"])
@require_auth()
async def delete_reminder(reminder_id: int) -> Response:
    """Delete one of your reminders (404 if it is not yours)."""
    await reminders.delete_reminder(current_user(), reminder_id)
    return Response(status=204)
