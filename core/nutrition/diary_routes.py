"""HTTP routes of the food diary: log, change, delete, a day by meal, a range, copy."""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import current_user, require_auth
from fithub.core.nutrition import diary
from fithub.core.nutrition.days import parse_day
from fithub.core.nutrition.diary_schemas import (
    DiaryCopyIn,
    DiaryCopyOut,
    DiaryDayOut,
    DiaryEntryIn,
    DiaryEntryOut,
    DiaryEntryPage,
    DiaryEntryPatch,
    DiaryEntryQuery,
)
from fithub.core.responses import validate_response
from fithub.core.runtime import runtime

bp = Blueprint("nutrition_diary", __name__, url_prefix="/api/v1/nutrition/diary")


@bp.post("/entries")
@tag(["nutrition"])
@require_auth()
@validate_request(DiaryEntryIn)
@validate_response(DiaryEntryOut, 201)
async def log_entry(data: DiaryEntryIn) -> tuple[DiaryEntryOut, int]:
    """Log a food, a source's food, a recipe or a quick add; its nutrients are kept as logged."""
    gateway = runtime().nutrition if data.source is not None else None
    entry = await diary.log_entry(current_user(), data, gateway)
    return diary.entry_out(entry), 201


@bp.get("/entries")
@tag(["nutrition"])
@require_auth()
@validate_querystring(DiaryEntryQuery)
@validate_response(DiaryEntryPage)
async def list_entries(query_args: DiaryEntryQuery) -> DiaryEntryPage:
    """Your entries between ``from`` and ``to`` (local days, inclusive), newest first."""
    return DiaryEntryPage(**await diary.list_entries(current_user(), query_args))


@bp.get("/entries/<int:entry_id>")
@tag(["nutrition"])
@require_auth()
@validate_response(DiaryEntryOut)
async def get_entry(entry_id: int) -> DiaryEntryOut:
    """One of your entries."""
    return diary.entry_out(await diary.get_entry(current_user().id, entry_id))


@bp.patch("/entries/<int:entry_id>")
@tag(["nutrition"])
@require_auth()
@validate_request(DiaryEntryPatch)
@validate_response(DiaryEntryOut)
async def update_entry(entry_id: int, data: DiaryEntryPatch) -> DiaryEntryOut:
    """Change an entry; nutrients are recomputed only when the amount or the food changes."""
    return diary.entry_out(await diary.update_entry(current_user(), entry_id, data))


@bp.delete("/entries/<int:entry_id>")
@tag(["nutrition"])
@require_auth()
async def delete_entry(entry_id: int) -> Response:
    """Delete one of your entries."""
    await diary.delete_entry(current_user().id, entry_id)
    return Response(status=204)


@bp.get("/days/<day>")
@tag(["nutrition"])
@require_auth()
@validate_response(DiaryDayOut)
async def get_day(day: str) -> DiaryDayOut:
    """A day (``YYYY-MM-DD``) by meal, with per-meal and day totals."""
    return await diary.day_view(current_user().id, parse_day(day))


@bp.post("/copy")
@tag(["nutrition"])
@require_auth()
@validate_request(DiaryCopyIn)
@validate_response(DiaryCopyOut, 201)
async def copy_entries(data: DiaryCopyIn) -> tuple[DiaryCopyOut, int]:
    """Copy a day or one meal to another day or meal, nutrients as they were, all or nothing."""
    copied = await diary.copy_entries(current_user(), data)
    return DiaryCopyOut(copied=len(copied), entries=[diary.entry_out(e) for e in copied]), 201
