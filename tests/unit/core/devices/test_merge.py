"""The overlap-merge rule of ADR 0005 on plain rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fithub.core.devices import merge

T0 = datetime(2024, 5, 1, 7, 0, tzinfo=UTC)


def activity(row_id: int, provider: str, start_min: int, minutes: int, sport: str = "running",
             detected: bool = False, **values: float) -> dict:  # fmt: skip
    start = T0 + timedelta(minutes=start_min)
    return {"id": row_id, "provider": provider, "start_time": start, "sport": sport,
            "end_time": start + timedelta(minutes=minutes), "detected": detected,
            "calories_kcal": None, "distance_m": None, "steps": None,
            "avg_heart_rate_bpm": None, "max_heart_rate_bpm": None, **values}  # fmt: skip


def test_overlap_share_is_measured_against_the_shorter_span() -> None:
    a = (T0, T0 + timedelta(minutes=60))
    b = (T0 + timedelta(minutes=40), T0 + timedelta(minutes=80))
    assert merge.overlap_share(*a, *b) == 0.5
    assert merge.overlap_share(T0, T0, T0, T0 + timedelta(minutes=5)) == 0.0


def test_the_same_run_from_two_providers_counts_once_keeping_the_richer_record() -> None:
    watch = activity(1, "garmin", 0, 45, distance_m=8000.0, avg_heart_rate_bpm=150.0)
    ring = activity(2, "oura", 2, 40, detected=True, calories_kcal=400.0)
    links = merge.duplicate_links([watch, ring], merge.same_activity, merge.activity_rank)
    assert links == {1: None, 2: 1}


def test_records_do_not_merge_within_a_provider_across_sports_or_with_little_overlap() -> None:
    rows = [
        activity(1, "oura", 0, 30),
        activity(2, "oura", 5, 30),  # same provider: its own ids tell them apart
        activity(3, "strava", 0, 30, sport="cycling"),  # another sport
        activity(4, "garmin", 25, 60),  # overlaps oura's 1 by 5 of 30 minutes
    ]
    assert set(merge.duplicate_links(rows, merge.same_activity, merge.activity_rank).values()) == {
        None}  # fmt: skip


def test_a_generic_sport_matches_any_sport_and_ties_go_to_the_provider_name() -> None:
    a = activity(5, "polar", 0, 30, sport="other")
    b = activity(3, "fitbit", 0, 30, sport="running")
    assert merge.duplicate_links([a, b], merge.same_activity, merge.activity_rank) == {
        3: None, 5: 3}  # fmt: skip


def test_sleep_with_stages_wins_and_days_merge_by_date() -> None:
    night = {"provider": "oura", "start_time": T0, "end_time": T0 + timedelta(hours=8),
             "stages": [{"stage": "deep"}]}  # fmt: skip
    other = {"provider": "withings", "start_time": T0 + timedelta(minutes=20),
             "end_time": T0 + timedelta(hours=8), "stages": []}  # fmt: skip
    links = merge.duplicate_links([{**other, "id": 1}, {**night, "id": 2}], merge.same_sleep,
                                  merge.sleep_rank)  # fmt: skip
    assert links == {1: 2, 2: None}
    day = date(2024, 5, 1)
    days = [{"id": 1, "provider": "oura", "day": day, "steps": 9000},
            {"id": 2, "provider": "fitbit", "day": day, "steps": 9500, "distance_m": 7000.0},
            {"id": 3, "provider": "fitbit", "day": day + timedelta(days=1), "steps": 1}]  # fmt: skip
    assert merge.duplicate_links(days, merge.same_day, merge.daily_rank) == {
        1: 2, 2: None, 3: None}  # fmt: skip
