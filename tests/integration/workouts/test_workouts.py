"""Workouts through the HTTP API: nested create, units, listing, status, clone, entries and sets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import sign_up
from tests.integration.helpers import assert_problem
from tests.integration.training import (
    create_workout,
    get_workout,
    iso,
    list_workouts,
    log_set,
    patch_workout,
    when,
)

KG_PER_LB = 0.45359237


async def test_create_with_exercises_and_sets_then_get(api, shared_user, catalog):
    squat, bench = catalog.id("Squat"), catalog.id("Bench Press")
    made = await create_workout(
        api, shared_user, name="  Push and legs ", notes="felt strong", tags=["gym", "heavy"],
        location="Home gym", perceived_exertion=8,
        exercises=[
            {"exercise_id": squat, "notes": "low bar",
             "sets": [{"reps": 5, "weight": 100}, {"reps": 3, "weight": 110, "rpe": 8.5}]},
            {"exercise_id": bench, "sets": [{"reps": 8, "weight": 60, "completed": True}]},
        ],
    )
    assert made["name"] == "Push and legs"
    assert (made["status"], made["source"], made["tags"]) == ("planned", "manual", ["gym", "heavy"])
    assert made["started_at"] is None and made["completed_at"] is None

    fetched = await get_workout(api, shared_user, made["id"])
    assert fetched == made
    first, second = fetched["exercises"]
    assert (first["exercise_id"], first["position"], first["notes"]) == (squat, 1, "low bar")
    assert first["exercise_name"] == catalog["Squat"]["name"]
    assert (second["exercise_id"], second["position"]) == (bench, 2)
    assert [(s["set_number"], s["reps"], s["weight"], s["weight_unit"]) for s in first["sets"]] == [
        (1, 5, 100.0, "kg"), (2, 3, 110.0, "kg")]
    assert first["sets"][1]["rpe"] == 8.5
    assert first["sets"][0]["e1rm"] == pytest.approx(100 * (1 + 5 / 30), abs=0.01)
    # Sets of a planned workout are targets unless marked done.
    assert [s["completed"] for s in first["sets"]] == [False, False]
    assert second["sets"][0]["completed"] is True
    assert {s["entry_id"] for s in first["sets"]} == {first["id"]}


async def test_a_completed_workout_created_in_one_go_has_done_sets_and_times(api, shared_user, catalog):
    made = await create_workout(
        api, shared_user, status="completed", started_at="2024-02-01T18:00:00Z",
        completed_at="2024-02-01T19:10:00Z",
        exercises=[{"exercise_id": catalog.id("Deadlift"), "sets": [{"reps": 5, "weight": 140}]}],
    )
    assert made["status"] == "completed"
    assert made["duration_s"] == 70 * 60
    assert made["exercises"][0]["sets"][0]["completed"] is True


async def test_each_user_reads_weights_in_their_own_units(api, shared_user, catalog):
    squat, running = catalog.id("Squat"), catalog.id("Running")
    imperial = await sign_up(api, unit_system="imperial")
    made = await create_workout(api, imperial, exercises=[
        {"exercise_id": squat, "sets": [{"reps": 5, "weight": 225},
                                        {"reps": 1, "weight": 100, "weight_unit": "kg"}]},
        {"exercise_id": running, "sets": [{"duration_s": 1800, "distance": 3.1}]},
    ])
    lifts, run = made["exercises"]
    assert [(s["weight"], s["weight_unit"]) for s in lifts["sets"]] == [(225.0, "lb"), (220.46, "lb")]
    assert lifts["sets"][0]["e1rm"] == pytest.approx(225 * (1 + 5 / 30), abs=0.01)
    assert (run["sets"][0]["distance"], run["sets"][0]["distance_unit"]) == (3.1, "mi")

    # The same rows seen in metric: what is stored is kilograms and metres.
    switched = await api.patch("/api/v1/users/me", headers=imperial.auth, json={"unit_system": "metric"})
    assert switched.status_code == 200 and switched.json()["unit_system"] == "metric"
    metric_view = await get_workout(api, imperial, made["id"])
    lifts, run = metric_view["exercises"]
    assert [(s["weight"], s["weight_unit"]) for s in lifts["sets"]] == [
        (round(225 * KG_PER_LB, 2), "kg"), (100.0, "kg")]
    assert (run["sets"][0]["distance"], run["sets"][0]["distance_unit"]) == (round(3.1 * 1.609344, 3), "km")

    metric = shared_user
    mine = await create_workout(api, metric, exercises=[
        {"exercise_id": squat, "sets": [{"reps": 5, "weight": 100}, {"reps": 5, "weight": 225, "weight_unit": "lb"}]},
        {"exercise_id": running, "sets": [{"duration_s": 600, "distance": 1609.344, "distance_unit": "m"}]},
    ])
    lifts, run = mine["exercises"]
    assert [s["weight"] for s in lifts["sets"]] == [100.0, round(225 * KG_PER_LB, 2)]
    assert (run["sets"][0]["distance"], run["sets"][0]["distance_unit"]) == (1.609, "km")

    # A logged set answers in the shared_user's units too.
    back = await api.patch("/api/v1/users/me", headers=imperial.auth, json={"unit_system": "imperial"})
    assert back.status_code == 200
    logged = await log_set(api, imperial, made["id"], exercise_id=squat, reps=3, weight=245)
    assert (logged["set"]["weight"], logged["set"]["weight_unit"]) == (245.0, "lb")


async def test_list_filters_and_cursor_pagination(api, user, shared_user):
    base = datetime(2024, 4, 1, 7, 0, tzinfo=UTC)
    ids = []
    for day, status, tags in [(0, "completed", ["run"]), (1, "completed", ["lift"]),
                              (2, "in_progress", ["lift"]), (3, "planned", []), (4, "skipped", ["run"])]:
        body = {"name": f"day {day}", "status": status, "tags": tags}
        if status in ("completed", "in_progress"):
            body["started_at"] = iso(base + timedelta(days=day))
        ids.append((await create_workout(api, user, **body))["id"])
    await create_workout(api, shared_user, name="not mine", status="completed")

    everything = await list_workouts(api, user)
    assert [w["id"] for w in everything["items"]] == ids[::-1]  # newest first
    assert everything["next_cursor"] is None

    seen, cursor, pages = [], None, 0
    while True:
        page = await list_workouts(api, user, limit=2, **({"cursor": cursor} if cursor else {}))
        pages += 1
        assert len(page["items"]) <= 2
        seen += [w["id"] for w in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == ids[::-1] and len(set(seen)) == 5  # disjoint pages covering everything

    completed = await list_workouts(api, user, status="completed")
    assert [w["id"] for w in completed["items"]] == [ids[1], ids[0]]
    lifting = await list_workouts(api, user, tag="lift")
    assert [w["id"] for w in lifting["items"]] == [ids[2], ids[1]]
    window = await list_workouts(api, user, **{"from": iso(base + timedelta(days=1)),
                                                "to": iso(base + timedelta(days=2))})
    assert [w["id"] for w in window["items"]] == [ids[1]]  # from inclusive, to exclusive

    bad = await api.get("/api/v1/workouts", params={"cursor": "!!not-a-cursor"}, headers=user.auth)
    assert_problem(bad, 422, "validation_failed")


async def test_update_changes_only_the_fields_sent(api, shared_user):
    made = await create_workout(api, shared_user, name="Before", notes="n", tags=["a"], location="Park")
    changed = await patch_workout(api, shared_user, made["id"], name="After", tags=["b", "c"], calories=350)
    assert (changed["name"], changed["tags"], changed["calories"]) == ("After", ["b", "c"], 350.0)
    assert (changed["notes"], changed["location"]) == ("n", "Park")
    assert (await get_workout(api, shared_user, made["id"]))["name"] == "After"


async def test_status_transitions_fill_times_and_refuse_going_back(api, shared_user):
    made = await create_workout(api, shared_user, name="Flow")
    started = await patch_workout(api, shared_user, made["id"], status="in_progress")
    assert started["status"] == "in_progress"
    assert started["started_at"] is not None and started["completed_at"] is None
    assert abs(when(started["started_at"]) - datetime.now(UTC)) < timedelta(minutes=5)

    done = await patch_workout(api, shared_user, made["id"], status="completed")
    assert done["status"] == "completed" and done["started_at"] == started["started_at"]
    assert when(done["completed_at"]) >= when(done["started_at"])
    assert done["duration_s"] == int((when(done["completed_at"]) - when(done["started_at"])).total_seconds())

    back = await api.patch(f"/api/v1/workouts/{made['id']}", json={"status": "planned"}, headers=shared_user.auth)
    assert_problem(back, 409, "invalid_transition")
    assert (await get_workout(api, shared_user, made["id"]))["status"] == "completed"

    explicit = await create_workout(api, shared_user, name="Timed")
    await patch_workout(api, shared_user, explicit["id"], status="in_progress", started_at="2024-05-01T10:00:00Z")
    finished = await patch_workout(api, shared_user, explicit["id"], status="completed",
                                   completed_at="2024-05-01T11:15:00Z")
    assert finished["duration_s"] == 75 * 60

    skipped = await create_workout(api, shared_user, name="Skipped")
    await patch_workout(api, shared_user, skipped["id"], status="skipped")
    refused = await api.patch(f"/api/v1/workouts/{skipped['id']}", json={"status": "completed"},
                              headers=shared_user.auth)
    assert_problem(refused, 409, "invalid_transition")
    reopened = await patch_workout(api, shared_user, skipped["id"], status="planned")
    assert reopened["status"] == "planned"


async def test_clone_makes_a_new_planned_workout_with_target_sets(api, shared_user, catalog):
    squat, bench = catalog.id("Squat"), catalog.id("Bench Press")
    source = await create_workout(
        api, shared_user, name="Monday", status="completed", tags=["strength"], location="Gym",
        started_at="2024-06-03T17:00:00Z", completed_at="2024-06-03T18:00:00Z",
        exercises=[{"exercise_id": squat, "superset": "A", "sets": [{"reps": 5, "weight": 100},
                                                                    {"reps": 5, "weight": 105}]},
                   {"exercise_id": bench, "superset": "A", "sets": [{"reps": 8, "weight": 70}]}],
    )
    response = await api.post(f"/api/v1/workouts/{source['id']}/clone", headers=shared_user.auth,
                              json={"name": "Monday again", "scheduled_at": "2024-06-10T17:00:00Z"})
    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["id"] != source["id"]
    assert (copy["name"], copy["status"], copy["source"]) == ("Monday again", "planned", "clone")
    assert (copy["tags"], copy["location"]) == (["strength"], "Gym")
    assert copy["started_at"] is None and copy["completed_at"] is None and copy["duration_s"] is None
    assert when(copy["scheduled_at"]) == datetime(2024, 6, 10, 17, tzinfo=UTC)
    assert [(e["exercise_id"], e["position"], e["superset"]) for e in copy["exercises"]] == [
        (squat, 1, "A"), (bench, 2, "A")]
    assert [(s["reps"], s["weight"], s["completed"]) for s in copy["exercises"][0]["sets"]] == [
        (5, 100.0, False), (5, 105.0, False)]
    copied_ids = {s["id"] for e in copy["exercises"] for s in e["sets"]}
    source_ids = {s["id"] for e in source["exercises"] for s in e["sets"]}
    assert not copied_ids & source_ids

    # The source is untouched.
    assert await get_workout(api, shared_user, source["id"]) == source


async def test_add_update_and_remove_exercise_entries(api, shared_user, catalog):
    squat, bench, deadlift = catalog.id("Squat"), catalog.id("Bench Press"), catalog.id("Deadlift")
    made = await create_workout(api, shared_user, exercises=[{"exercise_id": squat}])

    added = await api.post(f"/api/v1/workouts/{made['id']}/exercises", headers=shared_user.auth,
                           json={"exercise_id": bench, "sets": [{"reps": 10, "weight": 50}]})
    assert added.status_code == 201, added.text
    entries = added.json()["exercises"]
    assert [(e["exercise_id"], e["position"]) for e in entries] == [(squat, 1), (bench, 2)]
    assert [s["reps"] for s in entries[1]["sets"]] == [10]
    added = await api.post(f"/api/v1/workouts/{made['id']}/exercises", headers=shared_user.auth,
                           json={"exercise_id": deadlift})
    squat_entry, bench_entry, deadlift_entry = (e["id"] for e in added.json()["exercises"])

    # Supersets: entries sharing a label.
    for entry_id in (squat_entry, bench_entry):
        response = await api.patch(f"/api/v1/workouts/{made['id']}/exercises/{entry_id}",
                                   headers=shared_user.auth, json={"superset": "A", "notes": "pair"})
        assert response.status_code == 200, response.text
    view = await get_workout(api, shared_user, made["id"])
    assert [(e["id"], e["superset"], e["notes"]) for e in view["exercises"]] == [
        (squat_entry, "A", "pair"), (bench_entry, "A", "pair"), (deadlift_entry, None, "")]

    # Moving the last entry to the front puts it first and keeps the others in order.
    moved = await api.patch(f"/api/v1/workouts/{made['id']}/exercises/{deadlift_entry}",
                            headers=shared_user.auth, json={"position": 1})
    assert moved.status_code == 200, moved.text
    assert [(e["id"], e["position"]) for e in moved.json()["exercises"]] == [
        (deadlift_entry, 1), (squat_entry, 2), (bench_entry, 3)]

    cleared = await api.patch(f"/api/v1/workouts/{made['id']}/exercises/{squat_entry}",
                              headers=shared_user.auth, json={"superset": None})
    assert [e["superset"] for e in cleared.json()["exercises"]] == [None, None, "A"]

    removed = await api.delete(f"/api/v1/workouts/{made['id']}/exercises/{bench_entry}", headers=shared_user.auth)
    assert removed.status_code == 204
    view = await get_workout(api, shared_user, made["id"])
    assert [e["id"] for e in view["exercises"]] == [deadlift_entry, squat_entry]
    assert not any(e["sets"] for e in view["exercises"])  # the bench sets went with their entry
    again = await api.delete(f"/api/v1/workouts/{made['id']}/exercises/{bench_entry}", headers=shared_user.auth)
    assert_problem(again, 404, "not_found")


async def test_supersets_given_on_create_are_kept(api, shared_user, catalog):
    made = await create_workout(api, shared_user, exercises=[
        {"exercise_id": catalog.id("Bench Press"), "superset": "A"},
        {"exercise_id": catalog.id("Deadlift"), "superset": "A"},
        {"exercise_id": catalog.id("Squat")},
    ])
    assert [e["superset"] for e in made["exercises"]] == ["A", "A", None]


async def test_delete_removes_the_workout(api, shared_user, catalog):
    made = await create_workout(api, shared_user, exercises=[
        {"exercise_id": catalog.id("Squat"), "sets": [{"reps": 5, "weight": 80}]}])
    keep = await create_workout(api, shared_user, name="keep")
    assert (await api.delete(f"/api/v1/workouts/{made['id']}", headers=shared_user.auth)).status_code == 204
    assert_problem(await api.get(f"/api/v1/workouts/{made['id']}", headers=shared_user.auth), 404, "not_found")
    assert_problem(await api.delete(f"/api/v1/workouts/{made['id']}", headers=shared_user.auth), 404, "not_found")
    listed = {w["id"] for w in (await list_workouts(api, shared_user, limit=100))["items"]}
    assert keep["id"] in listed and made["id"] not in listed


async def test_logging_sets_by_exercise_and_by_entry(api, shared_user, catalog):
    squat, bench = catalog.id("Squat"), catalog.id("Bench Press")
    made = await create_workout(api, shared_user, status="in_progress", exercises=[{"exercise_id": squat}])
    squat_entry = made["exercises"][0]["id"]

    first = (await log_set(api, shared_user, made["id"], exercise_id=squat, reps=5, weight=100))["set"]
    assert (first["entry_id"], first["set_number"], first["completed"]) == (squat_entry, 1, True)
    second = (await log_set(api, shared_user, made["id"], entry_id=squat_entry, reps=5, weight=102.5))["set"]
    assert (second["entry_id"], second["set_number"], second["weight"]) == (squat_entry, 2, 102.5)

    # An exercise not yet in the workout is appended as a new entry.
    bench_set = (await log_set(api, shared_user, made["id"], exercise_id=bench, reps=8, weight=60))["set"]
    assert bench_set["entry_id"] != squat_entry and bench_set["set_number"] == 1
    third = (await log_set(api, shared_user, made["id"], exercise_id=squat, reps=3, weight=110))["set"]
    assert (third["entry_id"], third["set_number"]) == (squat_entry, 3)

    view = await get_workout(api, shared_user, made["id"])
    assert [(e["exercise_id"], e["position"]) for e in view["exercises"]] == [(squat, 1), (bench, 2)]
    assert [(s["set_number"], s["weight"]) for s in view["exercises"][0]["sets"]] == [
        (1, 100.0), (2, 102.5), (3, 110.0)]

    corrected = await api.patch(f"/api/v1/workouts/{made['id']}/sets/{third['id']}", headers=shared_user.auth,
                                json={"reps": 4, "rpe": 9})
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["reps"], corrected.json()["rpe"], corrected.json()["weight"]) == (4, 9.0, 110.0)
    assert corrected.json()["e1rm"] == pytest.approx(110 * (1 + 4 / 30), abs=0.01)
    deleted = await api.delete(f"/api/v1/workouts/{made['id']}/sets/{second['id']}", headers=shared_user.auth)
    assert deleted.status_code == 204
    view = await get_workout(api, shared_user, made["id"])
    assert [s["id"] for s in view["exercises"][0]["sets"]] == [first["id"], third["id"]]
    next_one = (await log_set(api, shared_user, made["id"], entry_id=squat_entry, reps=1, weight=120))["set"]
    assert next_one["set_number"] == 4  # numbers keep increasing after a deletion


async def test_logging_into_a_planned_workout_starts_it(api, shared_user, catalog):
    made = await create_workout(api, shared_user, name="Later")
    assert made["status"] == "planned"
    logged = await log_set(api, shared_user, made["id"], exercise_id=catalog.id("Squat"), reps=5, weight=60,
                           performed_at="2024-07-01T08:30:00Z")
    assert when(logged["set"]["performed_at"]) == datetime(2024, 7, 1, 8, 30, tzinfo=UTC)
    view = await get_workout(api, shared_user, made["id"])
    assert view["status"] == "in_progress"
    assert when(view["started_at"]) == datetime(2024, 7, 1, 8, 30, tzinfo=UTC)


async def test_logging_into_a_skipped_workout_is_a_conflict(api, shared_user, catalog):
    made = await create_workout(api, shared_user, status="skipped")
    response = await api.post(f"/api/v1/workouts/{made['id']}/sets", headers=shared_user.auth,
                              json={"exercise_id": catalog.id("Squat"), "reps": 5, "weight": 60})
    assert_problem(response, 409, "workout_skipped")
    view = await get_workout(api, shared_user, made["id"])
    assert (view["status"], view["exercises"]) == ("skipped", [])


async def test_logging_by_an_entry_of_another_workout_is_refused(api, shared_user, catalog):
    one = await create_workout(api, shared_user, exercises=[{"exercise_id": catalog.id("Squat")}])
    two = await create_workout(api, shared_user, status="in_progress")
    response = await api.post(f"/api/v1/workouts/{two['id']}/sets", headers=shared_user.auth,
                              json={"entry_id": one["exercises"][0]["id"], "reps": 5, "weight": 60})
    body = assert_problem(response, 422)
    assert "entry_id" in {e["field"] for e in body["errors"]}
    assert (await get_workout(api, shared_user, two["id"]))["exercises"] == []
    assert (await get_workout(api, shared_user, one["id"]))["exercises"][0]["sets"] == []


async def test_completing_keeps_the_times_of_sets_logged_during_the_workout(api, shared_user, catalog):
    squat = catalog.id("Squat")
    made = await create_workout(api, shared_user, scheduled_at="2024-03-05T09:00:00Z", exercises=[
        {"exercise_id": squat, "sets": [{"reps": 5, "weight": 100, "completed": True}]}])
    await patch_workout(api, shared_user, made["id"], status="in_progress", started_at="2024-03-05T10:00:00Z")
    await log_set(api, shared_user, made["id"], exercise_id=squat, reps=5, weight=105,
                  performed_at="2024-03-05T10:20:00Z")
    done = await patch_workout(api, shared_user, made["id"], status="completed",
                               completed_at="2024-03-05T11:00:00Z")
    times = [when(s["performed_at"]) for s in done["exercises"][0]["sets"]]
    assert times == [datetime(2024, 3, 5, 11, 0, tzinfo=UTC),  # timed before the start: moved
                     datetime(2024, 3, 5, 10, 20, tzinfo=UTC)]  # logged while it ran: kept
