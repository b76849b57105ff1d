"""Which source a heart-rate window uses, and how a workout's series is downsampled."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from fithub.core.telemetry.heart_series import downsample, preferred_provider

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_live_samples_win_else_the_provider_with_most_samples() -> None:
    assert preferred_provider(Counter({"garmin": 50, "live": 3})) == "live"
    assert preferred_provider(Counter({"garmin": 50, "apple_health": 80})) == "apple_health"
    assert preferred_provider(Counter({"polar": 10, "garmin": 10})) == "garmin"  # tie: by name
    assert preferred_provider(Counter()) is None


def test_points_are_bucket_means_timed_at_the_bucket_start() -> None:
    series = [(at(0), 100.0), (at(4), 110.0), (at(5), 120.0), (at(9.9), 125.0), (at(21), 90.0)]
    resolution, points = downsample(series, T0, 5, 100)
    # buckets of 5 s: [0, 5) -> (100 + 110) / 2 = 105; [5, 10) -> (120 + 125) / 2 = 122.5;
    # [20, 25) -> 90; the empty ones are left out.
    assert resolution == 5
    assert points == [(at(0), 105.0), (at(5), 122.5), (at(20), 90.0)]


def test_a_long_window_widens_the_resolution_to_fit_the_point_limit() -> None:
    series = [(at(s), 100.0 + s % 7) for s in range(0, 3600)]  # one an hour's every second
    resolution, points = downsample(series, T0, 1, 1000)
    # 3,600 one-second buckets are too many for 1,000 points: ceil(3600 / 1000) = 4 s each,
    # so 900 points.
    assert resolution == 4
    assert len(points) == 900
    assert downsample([], T0, 7, 10) == (7, [])
