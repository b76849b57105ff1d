"""Training analytics over a small known history: progress per exercise, volume per muscle group,
workout frequency and streaks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import sign_up
from tests.integration.training import brzycki, create_workout, epley, iso, log_set, patch_workout

MARCH = {"from": "2024-03-01T00:00:00Z", "to": "2024-05-01T00:00:00Z"}


async def session(api, account, start, sets, *, minutes=60, complete=True, **fields):
    """A workout started at ``start`` with ``sets`` ({exercise_id, reps, weight, ...}), then completed."""
    workout = await create_workout(api, account, status="in_progress", started_at=iso(start), **fields)
    for number, body in enumerate(sets):
        await log_set(api, account, workout["id"], performed_at=iso(start + timedelta(minutes=number)), **body)
    if complete:
        await patch_workout(api, account, workout["id"], status="completed",
                            completed_at=iso(start + timedelta(minutes=minutes)))
    return workout["id"]


@pytest.fixture
async def history(api, catalog):
    """A UTC user's March 2024: weeks of 4, 11 and 25 March (none on the 18th) and 1 April."""
    athlete = await sign_up(api)
    squat, bench = catalog.id("Squat"), catalog.id("Bench Press")
    await session(api, athlete, datetime(2024, 3, 5, 10, tzinfo=UTC), [
        {"exercise_id": squat, "reps": 5, "weight": 100},
        {"exercise_id": squat, "reps": 3, "weight": 105},
        {"exercise_id": squat, "reps": 10, "weight": 60, "is_warmup": True},
        {"exercise_id": squat, "reps": 1, "weight": 140, "completed": False},
        {"exercise_id": bench, "reps": 8, "weight": 60},
    ])
    await session(api, athlete, datetime(2024, 3, 13, 18, tzinfo=UTC),
                  [{"exercise_id": squat, "reps": 5, "weight": 110}], minutes=45)
    await session(api, athlete, datetime(2024, 3, 14, 7, tzinfo=UTC),
                  [{"exercise_id": squat, "reps": 10, "weight": 80}], minutes=30, calories=300)
    await session(api, athlete, datetime(2024, 3, 31, 20, tzinfo=UTC),  # a Sunday evening
                  [{"exercise_id": squat, "reps": 1, "weight": 120}], minutes=30)
    await session(api, athlete, datetime(2024, 4, 1, 0, 30, tzinfo=UTC),  # Monday: the next week
                  [{"exercise_id": squat, "reps": 5, "weight": 50}], complete=False)
    return athlete


async def test_exercise_progress_per_week(api, history, catalog):
    response = await api.get(f"/api/v1/analytics/exercises/{catalog.id('Squat')}/progress",
                             params=MARCH, headers=history.auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["exercise_id"], body["bucket"], body["weight_unit"]) == (catalog.id("Squat"), "week", "kg")
    points = {p["period"]: p for p in body["points"]}
    assert list(points) == ["2024-03-04", "2024-03-11", "2024-03-25", "2024-04-01"]

    week = points["2024-03-04"]  # the warm-up and the missed 140 kg do not count
    assert (week["best_weight"], week["volume"], week["sets"], week["reps"]) == (105.0, 815.0, 2, 8)
    assert week["best_e1rm_epley"] == round(epley(100, 5), 2) == 116.67
    assert week["best_e1rm_brzycki"] == round(brzycki(100, 5), 2) == 112.5
    assert (week["best_set_weight"], week["best_set_reps"]) == (100.0, 5)

    week = points["2024-03-11"]  # two workouts in one week
    assert (week["best_weight"], week["volume"], week["sets"], week["reps"]) == (110.0, 1350.0, 2, 15)
    assert week["best_e1rm_epley"] == round(epley(110, 5), 2) == 128.33
    assert week["best_e1rm_brzycki"] == round(brzycki(110, 5), 2) == 123.75
    assert (week["best_set_weight"], week["best_set_reps"]) == (110.0, 5)

    week = points["2024-03-25"]  # one rep: both formulas give the weight
    assert (week["best_weight"], week["best_e1rm_epley"], week["best_e1rm_brzycki"]) == (120.0, 120.0, 120.0)
    assert (week["volume"], week["sets"]) == (120.0, 1)
    assert points["2024-04-01"]["best_e1rm_brzycki"] == 56.25

    monthly = await api.get(f"/api/v1/analytics/exercises/{catalog.id('Squat')}/progress",
                            params={**MARCH, "bucket": "month"}, headers=history.auth)
    months = {p["period"]: (p["volume"], p["sets"]) for p in monthly.json()["points"]}
    assert months == {"2024-03-01": (2285.0, 5), "2024-04-01": (250.0, 1)}

    april = await api.get(f"/api/v1/analytics/exercises/{catalog.id('Squat')}/progress",
                          params={"from": "2024-04-01T00:00:00Z", "to": "2024-04-02T00:00:00Z"},
                          headers=history.auth)
    assert [p["period"] for p in april.json()["points"]] == ["2024-04-01"]


async def test_progress_in_pounds_for_an_imperial_user(api, history, catalog):
    switched = await api.patch("/api/v1/users/me", headers=history.auth, json={"unit_system": "imperial"})
    assert switched.status_code == 200
    response = await api.get(f"/api/v1/analytics/exercises/{catalog.id('Squat')}/progress",
                             params=MARCH, headers=history.auth)
    body = response.json()
    assert body["weight_unit"] == "lb"
    assert body["points"][0]["best_weight"] == round(105 / 0.45359237, 2)


async def test_volume_by_primary_muscle(api, history, catalog):
    squat_muscles = catalog["Squat"]["primary_muscles"]
    bench_muscles = catalog["Bench Press"]["primary_muscles"]
    assert squat_muscles and bench_muscles
    response = await api.get("/api/v1/analytics/volume", params=MARCH, headers=history.auth)
    assert response.status_code == 200, response.text
    points = {(p["period"], p["muscle"]): (p["volume"], p["sets"], p["reps"]) for p in response.json()["points"]}

    expected: dict[tuple[str, str], tuple[float, int, int]] = {}

    def add(period, muscles, volume, sets, reps):
        for muscle in muscles:
            v, s, r = expected.get((period, muscle), (0.0, 0, 0))
            expected[(period, muscle)] = (v + volume, s + sets, r + reps)

    add("2024-03-04", squat_muscles, 815.0, 2, 8)
    add("2024-03-04", bench_muscles, 480.0, 1, 8)
    add("2024-03-11", squat_muscles, 1350.0, 2, 15)
    add("2024-03-25", squat_muscles, 120.0, 1, 1)
    add("2024-04-01", squat_muscles, 250.0, 1, 5)
    assert points == expected


async def test_frequency_counts_completed_workouts_per_week(api, history):
    response = await api.get("/api/v1/analytics/frequency", params=MARCH, headers=history.auth)
    assert response.status_code == 200, response.text
    points = {p["period"]: (p["workouts"], p["duration_s"], p["calories"]) for p in response.json()["points"]}
    # The in-progress Monday workout is not counted.
    assert points == {"2024-03-04": (1, 3600, None), "2024-03-11": (2, 2700 + 1800, 300.0),
                      "2024-03-25": (1, 1800, None)}
    daily = await api.get("/api/v1/analytics/frequency", params={**MARCH, "bucket": "day"}, headers=history.auth)
    assert [p["period"] for p in daily.json()["points"]] == ["2024-03-05", "2024-03-13", "2024-03-14", "2024-03-31"]


async def test_buckets_follow_the_users_time_zone(api, catalog):
    tokyo = await sign_up(api, timezone="Asia/Tokyo")  # UTC+9 all year
    # Sunday 20:00 UTC is Monday 05:00 in Tokyo.
    await session(api, tokyo, datetime(2024, 3, 31, 20, tzinfo=UTC),
                  [{"exercise_id": catalog.id("Squat"), "reps": 5, "weight": 100}], minutes=30)
    progress = await api.get(f"/api/v1/analytics/exercises/{catalog.id('Squat')}/progress",
                             params=MARCH, headers=tokyo.auth)
    assert [p["period"] for p in progress.json()["points"]] == ["2024-04-01"]
    frequency = await api.get("/api/v1/analytics/frequency", params={**MARCH, "bucket": "day"},
                              headers=tokyo.auth)
    assert [p["period"] for p in frequency.json()["points"]] == ["2024-04-01"]


async def test_streaks_of_consecutive_training_days(api):
    athlete = await sign_up(api)
    empty = await api.get("/api/v1/analytics/streaks", headers=athlete.auth)
    assert empty.json() == {"current_days": 0, "longest_days": 0, "current_weeks": 0, "longest_weeks": 0,
                            "training_days": 0, "last_workout_day": None}

    now = datetime.now(UTC)
    days_ago = [0, 1, 2, 7, 8, 9, 10]  # a run of 3 up to today, an older run of 4
    for ago in days_ago:
        done = now - timedelta(days=ago)
        await create_workout(api, athlete, status="completed", started_at=iso(done - timedelta(hours=1)),
                             completed_at=iso(done))
    await create_workout(api, athlete, status="completed", started_at=iso(now - timedelta(days=1, hours=3)),
                         completed_at=iso(now - timedelta(days=1, hours=2)))  # a second one the same day
    await create_workout(api, athlete, status="skipped", scheduled_at=iso(now - timedelta(days=3)))
    await create_workout(api, athlete, status="in_progress", started_at=iso(now - timedelta(days=4)))

    response = await api.get("/api/v1/analytics/streaks", headers=athlete.auth)
    assert response.status_code == 200, response.text
    streaks = response.json()
    dates = {(now - timedelta(days=ago)).date() for ago in days_ago}
    weeks = {d - timedelta(days=d.weekday()) for d in dates}  # 2 or 3 consecutive weeks
    assert (streaks["current_days"], streaks["longest_days"], streaks["training_days"]) == (3, 4, 7)
    assert streaks["last_workout_day"] == now.date().isoformat()
    assert streaks["current_weeks"] == streaks["longest_weeks"] == len(weeks)


async def test_a_streak_ends_after_a_day_without_training(api):
    athlete = await sign_up(api)
    now = datetime.now(UTC)
    for ago in (2, 3):
        await create_workout(api, athlete, status="completed", started_at=iso(now - timedelta(days=ago, hours=1)),
                             completed_at=iso(now - timedelta(days=ago)))
    streaks = (await api.get("/api/v1/analytics/streaks", headers=athlete.auth)).json()
    assert (streaks["current_days"], streaks["longest_days"]) == (0, 2)
    assert streaks["last_workout_day"] == (now - timedelta(days=2)).date().isoformat()
    assert date.fromisoformat(streaks["last_workout_day"]) < now.date()
