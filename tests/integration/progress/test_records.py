"""Personal records: detected when a set is logged, listed, withdrawn with their sets, per user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import sign_up
from tests.integration.helpers import assert_problem
from tests.integration.training import (
    by_kind,
    create_workout,
    current_records,
    epley,
    iso,
    log_set,
    record_history,
)


async def test_strength_records_with_known_numbers(api, user, catalog):
    squat = catalog.id("Squat")
    workout = (await create_workout(api, user, status="in_progress"))["id"]

    first = await log_set(api, user, workout, exercise_id=squat, reps=5, weight=100)
    found = by_kind(first["records"])
    assert set(found) == {"max_weight", "max_reps_at_weight@100", "best_e1rm", "max_session_volume"}
    assert (found["max_weight"]["value"], found["max_weight"]["unit"]) == (100.0, "kg")
    assert found["max_weight"]["previous_value"] is None
    assert (found["max_reps_at_weight@100"]["value"], found["max_reps_at_weight@100"]["unit"]) == (5, "reps")
    assert found["best_e1rm"]["value"] == pytest.approx(epley(100, 5), abs=0.005)  # 116.667
    assert found["max_session_volume"]["value"] == 500.0
    assert all(r["set_id"] == first["set"]["id"] and r["workout_id"] == workout for r in first["records"])
    assert all(r["exercise_id"] == squat for r in first["records"])

    second = await log_set(api, user, workout, exercise_id=squat, reps=6, weight=100)
    found = by_kind(second["records"])
    assert set(found) == {"max_reps_at_weight@100", "best_e1rm"}  # same weight: no max_weight
    assert (found["max_reps_at_weight@100"]["value"], found["max_reps_at_weight@100"]["previous_value"]) == (6, 5)
    assert found["best_e1rm"]["value"] == pytest.approx(120.0)
    assert found["best_e1rm"]["previous_value"] == pytest.approx(epley(100, 5), abs=0.005)

    third = await log_set(api, user, workout, exercise_id=squat, reps=2, weight=110)
    found = by_kind(third["records"])
    # e1RM 110 x 2 = 117.3 does not beat 120; a first set at 110 is a reps-at-weight record.
    assert set(found) == {"max_weight", "max_reps_at_weight@110"}
    assert (found["max_weight"]["value"], found["max_weight"]["previous_value"]) == (110.0, 100.0)
    assert found["max_reps_at_weight@110"]["previous_value"] is None

    lighter = await log_set(api, user, workout, exercise_id=squat, reps=3, weight=100)
    assert lighter["records"] == []

    standing = by_kind(await current_records(api, user, exercise_id=squat))
    assert set(standing) == {"max_weight", "max_reps_at_weight@100", "max_reps_at_weight@110",
                             "best_e1rm", "max_session_volume"}
    assert standing["max_weight"]["value"] == 110.0
    assert standing["max_reps_at_weight@100"]["value"] == 6
    assert standing["best_e1rm"]["value"] == pytest.approx(120.0)
    # Session volume grew in place with every working set: 500 + 600 + 220 + 300.
    assert standing["max_session_volume"]["value"] == 1620.0
    assert standing["max_session_volume"]["set_id"] == lighter["set"]["id"]

    history = await record_history(api, user, exercise_id=squat)
    assert len(history) == 8
    assert [r["kind"] for r in history].count("max_session_volume") == 1  # one per workout
    assert [r["id"] for r in history] == sorted((r["id"] for r in history), reverse=True)
    only_weight = await record_history(api, user, exercise_id=squat, kind="max_weight")
    assert [r["value"] for r in only_weight] == [110.0, 100.0]


async def test_session_volume_is_one_record_per_workout(api, user, catalog):
    deadlift = catalog.id("Deadlift")
    first = (await create_workout(api, user, status="in_progress"))["id"]
    await log_set(api, user, first, exercise_id=deadlift, reps=5, weight=100)
    await log_set(api, user, first, exercise_id=deadlift, reps=5, weight=100)  # session 1000

    second = (await create_workout(api, user, status="in_progress"))["id"]
    below = await log_set(api, user, second, exercise_id=deadlift, reps=5, weight=100)  # 500
    assert "max_session_volume" not in by_kind(below["records"])
    at = await log_set(api, user, second, exercise_id=deadlift, reps=5, weight=100)  # 1000: a tie
    assert "max_session_volume" not in by_kind(at["records"])
    beyond = await log_set(api, user, second, exercise_id=deadlift, reps=1, weight=100)  # 1100
    record = by_kind(beyond["records"])["max_session_volume"]
    assert (record["value"], record["previous_value"], record["workout_id"]) == (1100.0, 1000.0, second)
    more = await log_set(api, user, second, exercise_id=deadlift, reps=1, weight=100)  # 1200
    assert "max_session_volume" not in by_kind(more["records"])  # grows in place, announced once

    sessions = await record_history(api, user, exercise_id=deadlift, kind="max_session_volume")
    assert sorted((r["workout_id"], r["value"]) for r in sessions) == [(first, 1000.0), (second, 1200.0)]
    standing = by_kind(await current_records(api, user, exercise_id=deadlift))
    assert (standing["max_session_volume"]["workout_id"], standing["max_session_volume"]["value"]) == (
        second, 1200.0)


async def test_cardio_records_distance_duration_and_pace(api, user, catalog):
    running = catalog.id("Running")
    workout = (await create_workout(api, user, status="in_progress"))["id"]

    five_k = await log_set(api, user, workout, exercise_id=running, distance=5, duration_s=1500)
    found = by_kind(five_k["records"])
    assert set(found) == {"longest_distance", "longest_duration", "fastest_pace"}
    assert (found["longest_distance"]["value"], found["longest_distance"]["unit"]) == (5.0, "km")
    assert (found["longest_duration"]["value"], found["longest_duration"]["unit"]) == (1500, "s")
    assert (found["fastest_pace"]["value"], found["fastest_pace"]["unit"]) == (300.0, "s/km")

    ten_k = await log_set(api, user, workout, exercise_id=running, distance=10, duration_s=3300)
    found = by_kind(ten_k["records"])
    assert set(found) == {"longest_distance", "longest_duration"}  # 330 s/km is slower
    assert (found["longest_distance"]["value"], found["longest_distance"]["previous_value"]) == (10.0, 5.0)
    assert (found["longest_duration"]["value"], found["longest_duration"]["previous_value"]) == (3300, 1500)

    fast = await log_set(api, user, workout, exercise_id=running, distance=3, duration_s=840)
    found = by_kind(fast["records"])
    assert set(found) == {"fastest_pace"}
    assert (found["fastest_pace"]["value"], found["fastest_pace"]["previous_value"]) == (280.0, 300.0)

    # Under 400 m a pace means nothing: 200 s/km here is not a record.
    sprint = await log_set(api, user, workout, exercise_id=running, distance=300, distance_unit="m",
                           duration_s=60)
    assert sprint["records"] == []

    standing = by_kind(await current_records(api, user, exercise_id=running))
    assert (standing["longest_distance"]["value"], standing["longest_duration"]["value"],
            standing["fastest_pace"]["value"]) == (10.0, 3300, 280.0)


async def test_records_are_shown_in_the_users_units(api, catalog):
    imperial = await sign_up(api, unit_system="imperial")
    workout = (await create_workout(api, imperial, status="in_progress"))["id"]
    await log_set(api, imperial, workout, exercise_id=catalog.id("Bench Press"), reps=1, weight=225)
    heavier = await log_set(api, imperial, workout, exercise_id=catalog.id("Bench Press"), reps=1, weight=235)
    record = by_kind(heavier["records"])["max_weight"]
    assert (record["value"], record["previous_value"], record["unit"]) == (235.0, 225.0, "lb")

    await log_set(api, imperial, workout, exercise_id=catalog.id("Running"), distance=3, duration_s=1500)
    longer = await log_set(api, imperial, workout, exercise_id=catalog.id("Running"), distance=6.2,
                           duration_s=2976)
    found = by_kind(longer["records"])
    assert (found["longest_distance"]["value"], found["longest_distance"]["unit"]) == (6.2, "mi")
    assert found["longest_distance"]["previous_value"] == pytest.approx(3.0)
    assert (found["fastest_pace"]["value"], found["fastest_pace"]["unit"]) == (480.0, "s/mi")
    assert found["fastest_pace"]["previous_value"] == pytest.approx(500.0)


async def test_warmups_and_incomplete_sets_never_make_records(api, user, catalog):
    squat = catalog.id("Squat")
    workout = (await create_workout(api, user, status="in_progress"))["id"]
    warmup = await log_set(api, user, workout, exercise_id=squat, reps=5, weight=200, is_warmup=True)
    missed = await log_set(api, user, workout, exercise_id=squat, reps=1, weight=250, completed=False)
    assert warmup["records"] == [] and missed["records"] == []
    assert await current_records(api, user) == []

    working = await log_set(api, user, workout, exercise_id=squat, reps=5, weight=60)
    found = by_kind(working["records"])
    # The heavier warm-up and missed set are not the bar to beat.
    assert found["max_weight"]["value"] == 60.0 and found["max_weight"]["previous_value"] is None
    assert found["max_session_volume"]["value"] == 300.0  # warm-up volume is not counted


async def test_deleting_a_set_or_workout_withdraws_its_records(api, user, catalog):
    squat = catalog.id("Squat")
    workout = (await create_workout(api, user, status="in_progress"))["id"]
    light = await log_set(api, user, workout, exercise_id=squat, reps=5, weight=100)
    heavy = await log_set(api, user, workout, exercise_id=squat, reps=3, weight=120)
    assert by_kind(await current_records(api, user))["max_weight"]["value"] == 120.0

    response = await api.delete(f"/api/v1/workouts/{workout}/sets/{heavy['set']['id']}", headers=user.auth)
    assert response.status_code == 204
    standing = by_kind(await current_records(api, user))
    assert standing["max_weight"]["value"] == 100.0
    assert standing["best_e1rm"]["value"] == pytest.approx(epley(100, 5), abs=0.005)
    assert "max_reps_at_weight@120" not in standing
    assert heavy["set"]["id"] not in {r["set_id"] for r in await record_history(api, user)}
    # The session's volume is what remains: the light set alone.
    assert standing["max_session_volume"]["value"] == 500.0

    other = (await create_workout(api, user, status="in_progress"))["id"]
    await log_set(api, user, other, exercise_id=squat, reps=1, weight=130)
    assert by_kind(await current_records(api, user))["max_weight"]["value"] == 130.0
    assert (await api.delete(f"/api/v1/workouts/{other}", headers=user.auth)).status_code == 204
    after = await record_history(api, user)
    assert {r["workout_id"] for r in after} == {workout}
    assert by_kind(await current_records(api, user))["max_weight"]["set_id"] == light["set"]["id"]

    assert (await api.delete(f"/api/v1/workouts/{workout}", headers=user.auth)).status_code == 204
    assert await current_records(api, user) == []
    assert await record_history(api, user) == []


async def test_deleting_a_set_that_did_not_grow_the_session_last_shrinks_it(api, user, catalog):
    squat = catalog.id("Squat")
    workout = (await create_workout(api, user, status="in_progress"))["id"]
    first = await log_set(api, user, workout, exercise_id=squat, reps=5, weight=100)
    await log_set(api, user, workout, exercise_id=squat, reps=5, weight=80)
    assert by_kind(await current_records(api, user))["max_session_volume"]["value"] == 900.0
    response = await api.delete(f"/api/v1/workouts/{workout}/sets/{first['set']['id']}", headers=user.auth)
    assert response.status_code == 204
    assert by_kind(await current_records(api, user))["max_session_volume"]["value"] == 400.0


async def test_removing_an_exercise_entry_withdraws_its_records(api, user, catalog):
    workout = (await create_workout(api, user, status="in_progress"))["id"]
    logged = await log_set(api, user, workout, exercise_id=catalog.id("Deadlift"), reps=3, weight=150)
    assert logged["records"]
    entry = logged["set"]["entry_id"]
    response = await api.delete(f"/api/v1/workouts/{workout}/exercises/{entry}", headers=user.auth)
    assert response.status_code == 204
    assert await current_records(api, user) == []


async def test_a_backdated_best_is_the_standing_record(api, user, catalog):
    bench = catalog.id("Bench Press")
    workout = (await create_workout(api, user, status="in_progress"))["id"]
    await log_set(api, user, workout, exercise_id=bench, reps=1, weight=100)
    earlier = iso(datetime.now(UTC) - timedelta(days=30))
    old = (await create_workout(api, user, status="in_progress", started_at=earlier))["id"]
    logged = await log_set(api, user, old, exercise_id=bench, reps=1, weight=120, performed_at=earlier)
    assert by_kind(logged["records"])["max_weight"]["previous_value"] == 100.0
    standing = by_kind(await current_records(api, user, exercise_id=bench))
    assert standing["max_weight"]["value"] == 120.0
    assert standing["best_e1rm"]["value"] == 120.0


async def test_records_are_per_user(api, user, other_user, catalog):
    squat = catalog.id("Squat")
    mine = (await create_workout(api, user, status="in_progress"))["id"]
    await log_set(api, user, mine, exercise_id=squat, reps=1, weight=200)

    theirs = (await create_workout(api, other_user, status="in_progress"))["id"]
    logged = await log_set(api, other_user, theirs, exercise_id=squat, reps=1, weight=100)
    record = by_kind(logged["records"])["max_weight"]
    assert (record["value"], record["previous_value"]) == (100.0, None)  # my 200 does not count

    assert {r["value"] for r in await current_records(api, other_user, kind="max_weight")} == {100.0}
    assert {r["value"] for r in await current_records(api, user, kind="max_weight")} == {200.0}
    assert {r["workout_id"] for r in await record_history(api, other_user)} == {theirs}

    # Another user's set cannot be deleted (or its records withdrawn) through my workout ids.
    response = await api.delete(f"/api/v1/workouts/{mine}/sets/{logged['set']['id']}", headers=user.auth)
    assert_problem(response, 404, "not_found")
    assert {r["value"] for r in await current_records(api, other_user, kind="max_weight")} == {100.0}


async def test_record_filters_and_history_pages(api, user, catalog):
    workout = (await create_workout(api, user, status="in_progress"))["id"]
    for weight in (60, 70, 80):
        await log_set(api, user, workout, exercise_id=catalog.id("Squat"), reps=1, weight=weight)
    page = await api.get("/api/v1/records/history", headers=user.auth,
                         params={"kind": "max_weight", "limit": 2})
    assert page.status_code == 200, page.text
    first = page.json()
    assert [r["value"] for r in first["items"]] == [80.0, 70.0] and first["next_cursor"]
    rest = await api.get("/api/v1/records/history", headers=user.auth,
                         params={"kind": "max_weight", "limit": 2, "cursor": first["next_cursor"]})
    assert [r["value"] for r in rest.json()["items"]] == [60.0] and rest.json()["next_cursor"] is None

    bad = await api.get("/api/v1/records", headers=user.auth, params={"kind": "heaviest"})
    assert_problem(bad, 422, "validation_failed")
