"""HTTP routes for nutrition targets, daily and weekly totals, and the diary as CSV."""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import client_info, current_user, require_auth
from fithub.core.nutrition import targets, totals
from fithub.core.nutrition.export import diary_csv
from fithub.core.nutrition.target_schemas import (
    DailyTotals,
    RangeQuery,
    TargetsIn,
    TargetsOut,
    WeeklyTotals,
)
from fithub.core.openapi import responds
from fithub.core.responses import validate_response

bp = Blueprint("nutrition_targets", __name__, url_prefix="/api/v1/nutrition")


@bp.get("/targets")
@tag(["nutrition"])
@require_auth()
@validate_response(TargetsOut)
async def get_targets() -> TargetsOut:
    """Your daily targets (null: no target)."""
    return await targets.get_targets(current_user().id)


@bp.put("/targets")
@tag(["nutrition"])
@require_auth()
@validate_request(TargetsIn)
@validate_response(TargetsOut)
async def put_targets(data: TargetsIn) -> TargetsOut:
    """Replace your daily targets: energy 500 to 10,000 kcal, grams 0 to 1,000; one left out is removed."""
    return await targets.save_targets(current_user(), client_info(), data)


@bp.get("/totals/daily")
@tag(["nutrition"])
@require_auth()
@validate_querystring(RangeQuery)
@validate_response(DailyTotals)
async def daily_totals(query_args: RangeQuery) -> DailyTotals:
    """Each day from `from` to `to` (at most 366): the 8 nutrients summed, against your targets,
    percent of energy per macronutrient, grams per kg of your latest weight by that day."""
    return await totals.daily_totals(current_user(), query_args.start, query_args.end)


@bp.get("/totals/weekly")
@tag(["nutrition"])
@require_auth()
@validate_querystring(RangeQuery)
@validate_response(WeeklyTotals)
async def weekly_totals(query_args: RangeQuery) -> WeeklyTotals:
    """Each whole ISO week (Monday to Sunday) touching `from`..`to`: totals, the average per
    logged day, and 7 times your daily targets."""
    return await totals.weekly_totals(current_user(), query_args.start, query_args.end)


@bp.get("/diary/export.csv")
@tag(["nutrition"])
@require_auth()
@validate_querystring(RangeQuery)
@responds(200, "Your diary, one row per entry.", "text/csv", {"type": "string"})
async def export_diary(query_args: RangeQuery) -> Response:
    """Your diary from `from` to `to` (at most 366 days) as CSV, one row per entry."""
    body = diary_csv(current_user().id, query_args.start, query_args.end)
    headers = {
        "Content-Disposition": 'attachment; filename="diary.csv"',
        "Cache-Control": "no-store",
    }
    return Response(body, content_type="text/csv; charset=utf-8", headers=headers)
