"""``GET /api/v1/workouts/{id}/heart-rate``: the heart-rate series a stored workout carries.

Lives with telemetry, not workouts: the training layer does not know device data (the layers of
docs/adr/0010), while telemetry sits above both.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from quart import Blueprint
from quart_schema import tag, validate_querystring

from fithub.core.auth import current_user, require_auth
from fithub.core.responses import validate_response
from fithub.core.telemetry.heart_series import downsample, workout_heart_rate
from fithub.core.workouts.ids import ids_in_range

#: A series never has more points than this (the resolution is widened instead).
MAX_POINTS = 2000

bp = Blueprint("workout_heart_rate", __name__, url_prefix="/api/v1")
bp.before_request(ids_in_range)


class WorkoutHeartRateQuery(BaseModel):
    resolution_s: int = Field(
        5, ge=1, le=300, description="seconds per point: the mean bpm of each such interval"
    )


class WorkoutHeartRatePoint(BaseModel):
    time: datetime = Field(description="start of the interval (UTC)")
    bpm: float = Field(description="mean heart rate over the interval")


class WorkoutHeartRateSeries(BaseModel):
    workout_id: int
    started_at: datetime | None
    completed_at: datetime | None = Field(description="the series' end (now while in progress)")
    resolution_s: int = Field(
        description=f"as asked, or wider so that there are at most {MAX_POINTS} points"
    )
    samples: int = Field(description="heart-rate samples in the workout, before downsampling")
    points: list[WorkoutHeartRatePoint]


@bp.get("/workouts/<int:workout_id>/heart-rate")
@tag(["workouts"])
@require_auth()
@validate_querystring(WorkoutHeartRateQuery)
@validate_response(WorkoutHeartRateSeries)
async def workout_heart_rate_series(
    workout_id: int, query_args: WorkoutHeartRateQuery
) -> WorkoutHeartRateSeries:
    """Your heart rate during one of your workouts (any device, or a live telemetry stream).

    Samples between the workout's start and end, from one source (``live`` first, else the
    device with the most samples), averaged per ``resolution_s`` seconds. 404 for a workout
    that is not yours.
    """
    start, end, series = await workout_heart_rate(current_user().id, workout_id)
    resolution, points = (
        downsample(series, start, query_args.resolution_s, MAX_POINTS)
        if start is not None
        else (query_args.resolution_s, [])
    )
    return WorkoutHeartRateSeries(
        workout_id=workout_id,
        started_at=start,
        completed_at=end,
        resolution_s=resolution,
        samples=len(series),
        points=[WorkoutHeartRatePoint(time=at, bpm=bpm) for at, bpm in points],
    )
