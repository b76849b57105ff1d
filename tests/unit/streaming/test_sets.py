"""A live session's reps split into sets at each rest, and each set's heart rate (streaming/sets.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fithub.streaming.persist import set_parts
from fithub.streaming.sets import (
    REST_GAP_S,
    HeartStats,
    heart_stats,
    nearest_bpm,
    split_sets,
    wall_time,
)

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def rep(start_s: float, end_s: float, score: float | None = 0.9) -> dict[str, object]:
    return {"type": "rep", "start_ms": start_s * 1000, "end_ms": end_s * 1000, "form_score": score}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_gap_of_the_rest_threshold_or_more_starts_a_new_set() -> None:
    reps = [
        rep(1.0, 3.0, 0.8), rep(3.5, 5.5, 1.0), rep(6.0, 8.0, 0.9),  # set 1
        rep(8.0 + REST_GAP_S, 30.0, 0.5), rep(30.5, 32.5, None),     # set 2: gap of exactly 20 s
        rep(32.5 + REST_GAP_S - 0.1, 54.9, 0.7),                      # 19.9 s: still set 2
    ]  # fmt: skip
    first, second = split_sets(reps)
    # set 1: 3 reps, 1.0 .. 8.0 s = 7 s; TUT 2 + 2 + 2 = 6 s; form (0.8 + 1.0 + 0.9) / 3 = 0.9;
    # rest from 8.0 s to the next rep's start at 28.0 s = 20 s.
    assert (first.reps, first.duration_s, first.time_under_tension_s) == (3, 7, 6.0)
    assert first.form_score == pytest.approx(0.9)
    assert first.rest_s == 20
    # set 2: 28.0 .. 54.9 s = 26.9 s -> 27; TUT 2 + 2 + 2.5 = 6.5 s; form (0.5 + 0.7) / 2 = 0.6
    # (a rep without a score does not count); no rest after the last set.
    assert (second.reps, second.duration_s, second.time_under_tension_s) == (3, 27, 6.5)
    assert second.form_score == pytest.approx(0.6)
    assert second.rest_s is None


def test_no_reps_no_sets_and_one_burst_is_one_set() -> None:
    assert split_sets([]) == []
    (only,) = split_sets([rep(0.0, 1.5), rep(2.0, 3.0)])
    assert (only.reps, only.rest_ms, only.time_under_tension_s) == (2, None, 2.5)


def test_session_time_maps_to_wall_time_through_the_anchor_in_force() -> None:
    epoch0 = T0.timestamp() * 1000
    # a first socket anchored at t=0 (session ms 0 = T0); after a resume at session ms 60 000
    # the second socket's anchor says session ms 0 would have been T0 + 300 s.
    anchors = [[0.0, epoch0], [60_000.0, epoch0 + 300_000]]
    assert wall_time(30_000, anchors, T0 - timedelta(hours=1)) == at(30)
    assert wall_time(61_000, anchors, T0) == at(361)
    # without an anchor the session clock starts at started_at
    assert wall_time(2_500, [], T0) == at(2.5)


def test_average_peak_and_recovery_over_the_rest() -> None:
    series = [(at(s), bpm) for s, bpm in
              [(-1, 90), (0, 100), (5, 120), (10, 140), (12, 150), (20, 130), (40, 110), (70, 95)]]  # fmt: skip
    # set 0..12 s: samples 100, 120, 140, 150 -> mean 127.5 -> 128, peak 150.
    # rest ends at 40 s: HR at the set's end (12 s) is 150, at 40 s it is 110: recovery 40.
    assert heart_stats(series, at(0), at(12), at(40)) == HeartStats(128, 150, 40)
    # a rest of 100 s: recovery is measured 60 s after the set's end (72 s -> sample at 70 s: 95),
    # 150 - 95 = 55.
    assert heart_stats(series, at(0), at(12), at(112)).recovery == 55
    # the session ended 5 s after the set: too short to measure recovery.
    assert heart_stats(series, at(0), at(12), at(17)).recovery is None
    assert heart_stats(series, at(0), at(12), None).recovery is None


def test_no_samples_in_a_set_or_none_near_its_end_leave_the_numbers_out() -> None:
    series = [(at(0), 100.0), (at(60), 90.0)]
    # nothing between 10 and 20 s; the nearest samples to 20 s and 50 s are 20 and 10 s away.
    assert heart_stats(series, at(10), at(20), at(50)) == HeartStats(None, None, None)
    assert nearest_bpm(series, at(4)) == 100.0  # 4 s away: near enough
    assert nearest_bpm(series, at(30)) is None
    # a tie goes to the earlier sample
    assert nearest_bpm([(at(0), 100.0), (at(4), 110.0)], at(2)) == 100.0


def test_impossible_rates_are_left_out_not_stored() -> None:
    assert heart_stats([(at(1), 260.0)], at(0), at(2), None) == HeartStats(None, None, None)


async def test_a_session_state_becomes_sets_with_their_heart_rate() -> None:
    """Two bursts of reps 30 s apart; samples every 5 s from the given series (no database)."""
    epoch0 = T0.timestamp() * 1000
    state = {
        "user_id": 1,
        "started_at": (T0 - timedelta(seconds=2)).isoformat(),
        "anchors": [[500.0, epoch0]],  # session ms 0 = T0
        "t_ms": 80_000.0,  # the last frame: 80 s
        "reps": [rep(1, 3), rep(3, 5), rep(5, 7), rep(37, 39), rep(39, 41)],
    }
    series = [(at(s), float(bpm)) for s, bpm in
              [(0, 100), (5, 130), (10, 120), (35, 100), (40, 140), (45, 130), (60, 120),
               (75, 100), (80, 100)]]  # fmt: skip
    first, second = await set_parts(state, series)
    # set 1: 1..7 s holds the 5 s sample only: 130/130; rest 7 -> 37 s = 30 s; recovery: HR at
    # 7 s (nearest: 5 s, 130) minus HR at 37 s (nearest: 35 s, 100) = 30; TUT 3 x 2 s = 6 s.
    assert (first.reps, first.rest_s, first.time_under_tension_s) == (3, 30, 6.0)
    assert (first.heart_rate, first.heart_rate_peak, first.heart_rate_recovery_bpm) == (
        130,
        130,
        30,
    )
    assert first.ended_at == at(7)
    # set 2: 37..41 s holds 140 (40 s): avg = peak = 140; the rest runs to the last frame at
    # 80 s, capped at 41 + 60 = 101 s -> 80 s: HR at 41 s (nearest 40 s: 140) - HR at 80 s (100).
    assert (second.reps, second.rest_s, second.duration_s) == (2, None, 4)
    assert (second.heart_rate, second.heart_rate_peak, second.heart_rate_recovery_bpm) == (
        140,
        140,
        40,
    )
