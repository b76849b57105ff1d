"""Read endpoints of device data: activities, days, samples, sleep and body measurements."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import tag, validate_querystring

from fithub.core.auth import current_user, require_auth
from fithub.core.devices import presenters, services
from fithub.core.devices.schemas import (
    ActivityPage,
    BodyPage,
    BodyQuery,
    DailyPage,
    MergedQuery,
    SamplePage,
    SampleQuery,
    SleepPage,
)
from fithub.core.responses import validate_response

bp = Blueprint("device_data", __name__, url_prefix="/api/v1")


@bp.get("/activity")
@tag(["device data"])
@require_auth()
@validate_querystring(MergedQuery)
@validate_response(ActivityPage)
async def activities(query_args: MergedQuery) -> ActivityPage:
    """Workouts from your devices that started in [from, to]; one per workout across devices."""
    rows, following = await services.activities(current_user(), query_args)
    raw = query_args.include_raw
    return ActivityPage(
        items=[presenters.activity_out(r, raw) for r in rows], next_cursor=following
    )


@bp.get("/daily")
@tag(["device data"])
@require_auth()
@validate_querystring(MergedQuery)
@validate_response(DailyPage)
async def daily(query_args: MergedQuery) -> DailyPage:
    """Day totals from your devices for the days in [from, to]; one per day across devices."""
    rows, following = await services.daily(current_user(), query_args)
    raw = query_args.include_raw
    return DailyPage(items=[presenters.daily_out(r, raw) for r in rows], next_cursor=following)


@bp.get("/samples")
@tag(["device data"])
@require_auth()
@validate_querystring(SampleQuery)
@validate_response(SamplePage)
async def samples(query_args: SampleQuery) -> SamplePage:
    """Measurements of one ``kind`` (default heart_rate) taken in [from, to]."""
    rows, following = await services.samples(current_user(), query_args)
    raw = query_args.include_raw
    return SamplePage(items=[presenters.sample_out(r, raw) for r in rows], next_cursor=following)


@bp.get("/sleep")
@tag(["device data"])
@require_auth()
@validate_querystring(MergedQuery)
@validate_response(SleepPage)
async def sleep(query_args: MergedQuery) -> SleepPage:
    """Sleep sessions that began in [from, to], with their stages; one per night across devices."""
    rows, following = await services.sleep(current_user(), query_args)
    raw = query_args.include_raw
    return SleepPage(items=[presenters.sleep_out(r, raw) for r in rows], next_cursor=following)


@bp.get("/body")
@tag(["device data"])
@require_auth()
@validate_querystring(BodyQuery)
@validate_response(BodyPage)
async def body(query_args: BodyQuery) -> BodyPage:
    """Body measurements from your devices (scales, blood-pressure cuffs) taken in [from, to]."""
    rows, following = await services.body(current_user(), query_args)
    raw = query_args.include_raw
    return BodyPage(items=[presenters.body_out(r, raw) for r in rows], next_cursor=following)
