"""A user's heart rate over a time window, from whichever source measured it best.

Heart-rate samples come from the live telemetry stream (provider ``live``) and from synced or
imported device data. Two sources of the same minutes would double count, so a window's series is
taken from one provider only: ``live`` when it has samples in the window, else the provider with
the most samples there (ties: the first by name). Used by the live camera session (each set's
heart rate) and by ``GET /api/v1/workouts/{id}/heart-rate``.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta

from fithub.core.devices.models import DeviceSample
from fithub.core.workouts.services import owned_workout
from fithub.plugins.records import SampleKind

LIVE_PROVIDER = "live"

HeartSeries = list[tuple[datetime, float]]

#: A workout left open for weeks must not read weeks of samples.
MAX_WORKOUT_SPAN = timedelta(hours=24)


def preferred_provider(counts: Counter[str]) -> str | None:
    """The provider whose samples a window uses: ``live`` if present, else the most samples."""
    if not counts:
        return None
    if counts.get(LIVE_PROVIDER):
        return LIVE_PROVIDER
    return min(counts, key=lambda name: (-counts[name], name))


async def heart_rate_between(user_id: int, start: datetime, end: datetime) -> HeartSeries:
    """The user's heart-rate samples (time, bpm) in [start, end], oldest first, one provider's.

    Empty when there are none (or ``end`` is before ``start``).
    """
    if end < start:
        return []
    rows = (
        await DeviceSample.filter(
            user_id=user_id, kind=SampleKind.HEART_RATE, time__gte=start, time__lte=end
        )
        .order_by("time", "id")
        .values_list("provider", "time", "value")
    )
    provider = preferred_provider(Counter(str(row[0]) for row in rows))
    return [(when, float(value)) for name, when, value in rows if name == provider]


def downsample(
    series: HeartSeries, start: datetime, resolution_s: int, max_points: int
) -> tuple[int, HeartSeries]:
    """Mean bpm per bucket of ``resolution_s`` seconds from ``start``, at most ``max_points`` of them.

    When the window would need more buckets the resolution is widened (to whole seconds) until it
    fits. Returns the resolution used and one point per non-empty bucket, timed at its start.
    """
    if not series:
        return resolution_s, []
    span = (series[-1][0] - start).total_seconds()
    needed = max(resolution_s, math.ceil((span + 1) / max_points))
    buckets: dict[int, list[float]] = {}
    for when, bpm in series:
        index = max(0, int((when - start).total_seconds() // needed))
        buckets.setdefault(index, []).append(bpm)
    points = [
        (start + timedelta(seconds=index * needed), round(sum(values) / len(values), 1))
        for index, values in sorted(buckets.items())
    ]
    return needed, points


async def workout_heart_rate(
    user_id: int, workout_id: int
) -> tuple[datetime | None, datetime | None, HeartSeries]:
    """The heart rate during one of the user's workouts: its start, end and samples in between.

    NotFound for another user's workout or none; no samples while it has no start. A workout not
    completed yet runs until now; no workout's series is read past ``MAX_WORKOUT_SPAN``.
    """
    workout = await owned_workout(user_id, workout_id)
    start = workout.started_at
    if start is None:
        return None, None, []
    end = min(workout.completed_at or datetime.now(UTC), start + MAX_WORKOUT_SPAN)
    return start, end, await heart_rate_between(user_id, start, end)
