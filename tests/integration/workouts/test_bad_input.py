"""Bad input to the training API: every answer is a problem+json 4xx, never a 500, and nothing is
half-written."""

from __future__ import annotations

import pytest

from tests.integration.helpers import assert_problem, error_fields
from tests.integration.training import (
    create_workout,
    current_records,
    get_workout,
    list_workouts,
    log_set,
    patch_workout,
)

INT32_OVER = 2**31
INT64_OVER = 2**63


@pytest.fixture
async def planned(api, shared_user):
    """An empty planned workout of ``shared_user``."""
    return await create_workout(api, shared_user, name="Target")


@pytest.mark.parametrize(("field", "value"), [
    ("reps", -1), ("reps", 1001), ("weight", -2.5), ("weight", 1501), ("rpe", 0), ("rpe", 11),
    ("rpe", 0.5), ("duration_s", -1), ("distance", -0.1), ("heart_rate", 10), ("rest_s", -5),
    ("form_score", 1.5), ("weight_unit", "stone"), ("distance_unit", "furlong"),
])
async def test_out_of_range_set_values_are_refused(api, shared_user, planned, catalog, field, value):
    body = {"exercise_id": catalog.id("Squat"), "reps": 5, "weight": 100, field: value}
    response = await api.post(f"/api/v1/workouts/{planned['id']}/sets", headers=shared_user.auth, json=body)
    assert field in error_fields(assert_problem(response, 422, "validation_failed"))

    nested = await api.post("/api/v1/workouts", headers=shared_user.auth, json={
        "name": "Nested", "exercises": [{"exercise_id": catalog.id("Squat"), "sets": [{field: value}]}]})
    assert f"exercises.0.sets.0.{field}" in error_fields(assert_problem(nested, 422, "validation_failed"))

    view = await get_workout(api, shared_user, planned["id"])
    assert (view["status"], view["exercises"]) == ("planned", [])


async def test_a_set_correction_is_validated_too(api, shared_user, catalog):
    workout = await create_workout(api, shared_user, status="in_progress")
    logged = (await log_set(api, shared_user, workout["id"], exercise_id=catalog.id("Squat"), reps=5, weight=80))["set"]
    url = f"/api/v1/workouts/{workout['id']}/sets/{logged['id']}"
    for body in ({"rpe": 11}, {"reps": -3}, {"weight": "heavy"}, {"exercise_id": 1}):
        assert_problem(await api.patch(url, headers=shared_user.auth, json=body), 422, "validation_failed")
    stored = (await get_workout(api, shared_user, workout["id"]))["exercises"][0]["sets"][0]
    assert (stored["reps"], stored["weight"], stored["rpe"]) == (5, 80.0, None)
    assert_problem(await api.patch(f"/api/v1/workouts/{workout['id']}/sets/{INT64_OVER}",
                                   headers=shared_user.auth, json={"reps": 1}), 404, "not_found")


async def test_another_users_workout_is_404_for_everything_and_stays_untouched(api, user, other_user, catalog):
    squat = catalog.id("Squat")
    theirs = await create_workout(api, other_user, status="in_progress",
                                  exercises=[{"exercise_id": squat, "sets": [{"reps": 5, "weight": 100}]}])
    entry = theirs["exercises"][0]
    set_id = entry["sets"][0]["id"]
    base = f"/api/v1/workouts/{theirs['id']}"
    attempts = [
        ("POST", f"{base}/sets", {"exercise_id": squat, "reps": 1, "weight": 300}),
        ("POST", f"{base}/sets", {"entry_id": entry["id"], "reps": 1, "weight": 300}),
        ("PATCH", f"{base}/sets/{set_id}", {"weight": 1}),
        ("DELETE", f"{base}/sets/{set_id}", None),
        ("GET", base, None),
        ("PATCH", base, {"name": "mine now"}),
        ("DELETE", base, None),
        ("POST", f"{base}/clone", {}),
        ("POST", f"{base}/exercises", {"exercise_id": squat}),
        ("PATCH", f"{base}/exercises/{entry['id']}", {"notes": "x"}),
        ("DELETE", f"{base}/exercises/{entry['id']}", None),
    ]
    for method, url, body in attempts:
        response = await api.request(method, url, headers=user.auth, json=body)
        assert_problem(response, 404, "not_found")

    assert await get_workout(api, other_user, theirs["id"]) == theirs
    assert (await list_workouts(api, user))["items"] == []
    assert await current_records(api, user) == [] and await current_records(api, other_user) == []


async def test_times_out_of_order_are_refused_on_create(api, shared_user):
    response = await api.post("/api/v1/workouts", headers=shared_user.auth, json={
        "name": "Backwards", "status": "completed",
        "started_at": "2024-05-01T10:00:00Z", "completed_at": "2024-05-01T09:00:00Z"})
    assert_problem(response, 422, "validation_failed")
    # Completing with only a completion time earlier than the start given is refused as well.
    response = await api.post("/api/v1/workouts", headers=shared_user.auth, json={
        "name": "Backwards", "started_at": "2030-05-01T10:00:00+02:00", "completed_at": "2030-05-01T09:00:00+02:00"})
    assert_problem(response, 422, "validation_failed")
    listed = await list_workouts(api, shared_user, limit=100)
    assert "Backwards" not in {w["name"] for w in listed["items"]}


async def test_times_out_of_order_are_refused_on_update(api, shared_user):
    made = await create_workout(api, shared_user, status="completed", started_at="2024-05-01T10:00:00Z",
                                completed_at="2024-05-01T11:00:00Z")
    url = f"/api/v1/workouts/{made['id']}"
    for body in ({"completed_at": "2024-05-01T09:59:00Z"}, {"started_at": "2024-05-01T11:30:00Z"},
                 {"started_at": "2024-05-02T10:00:00Z", "completed_at": "2024-05-02T09:00:00Z"}):
        response = await api.patch(url, headers=shared_user.auth, json=body)
        assert "completed_at" in error_fields(assert_problem(response, 422, "validation_failed")), body

    running = await create_workout(api, shared_user, status="in_progress", started_at="2024-05-03T10:00:00Z")
    response = await api.patch(f"/api/v1/workouts/{running['id']}", headers=shared_user.auth,
                               json={"status": "completed", "completed_at": "2024-05-03T09:00:00Z"})
    assert_problem(response, 422, "validation_failed")
    assert (await get_workout(api, shared_user, running["id"]))["status"] == "in_progress"
    assert await get_workout(api, shared_user, made["id"]) == made


async def test_times_without_an_offset_are_read_as_utc(api, shared_user):
    """Mixed with times that have an offset, they compare instead of breaking the server."""
    response = await api.post("/api/v1/workouts", headers=shared_user.auth, json={
        "name": "Naive", "status": "completed",
        "started_at": "2024-05-01T10:00:00", "completed_at": "2024-05-01T11:00:00Z"})
    assert response.status_code == 201, response.text
    assert (response.json()["started_at"], response.json()["duration_s"]) == ("2024-05-01T10:00:00Z", 3600)

    made = await create_workout(api, shared_user, status="in_progress", started_at="2024-05-01T10:00:00Z")
    response = await api.patch(f"/api/v1/workouts/{made['id']}", headers=shared_user.auth,
                               json={"status": "completed", "completed_at": "2024-05-01T09:00:00"})
    assert_problem(response, 422, "validation_failed")  # before the start, read as UTC or not
    response = await api.get("/api/v1/workouts", headers=shared_user.auth,
                             params={"from": "2024-05-02T00:00:00", "to": "2024-05-01T00:00:00Z"})
    assert_problem(response, 422, "validation_failed")


@pytest.mark.parametrize("path", ["/api/v1/workouts", "/api/v1/analytics/volume", "/api/v1/analytics/frequency",
                                  "/api/v1/analytics/exercises/{squat}/progress"])
async def test_a_window_ending_before_it_starts_is_refused(api, shared_user, catalog, path):
    url = path.format(squat=catalog.id("Squat"))
    response = await api.get(url, headers=shared_user.auth,
                             params={"from": "2024-05-02T00:00:00Z", "to": "2024-05-01T00:00:00Z"})
    assert_problem(response, 422, "validation_failed")
    response = await api.get(url, headers=shared_user.auth, params={"from": "last week"})
    assert error_fields(assert_problem(response, 422, "validation_failed")) == {"from"}


async def test_unknown_exercises_are_refused_and_nothing_is_half_written(api, user, catalog):
    squat, bench = catalog.id("Squat"), catalog.id("Bench Press")
    for bad in (999_999, INT32_OVER, INT64_OVER):
        response = await api.post("/api/v1/workouts", headers=user.auth, json={
            "name": "Half", "status": "completed", "exercises": [
                {"exercise_id": squat, "sets": [{"reps": 5, "weight": 100}]},
                {"exercise_id": bad, "sets": [{"reps": 5, "weight": 100}]},
                {"exercise_id": bench}]})
        if bad == 999_999:
            body = assert_problem(response, 422, "unknown_exercise")
            assert "999999" in body["detail"] and error_fields(body) == {"exercise_id"}
        else:  # beyond what an exercise id can be
            assert "exercises.1.exercise_id" in error_fields(assert_problem(response, 422, "validation_failed"))
    assert (await list_workouts(api, user))["items"] == []

    planned = await create_workout(api, user, name="Still planned")
    for bad, code in ((999_999, "unknown_exercise"), (INT32_OVER, "validation_failed")):
        response = await api.post(f"/api/v1/workouts/{planned['id']}/sets", headers=user.auth,
                                  json={"exercise_id": bad, "reps": 5, "weight": 100})
        assert_problem(response, 422, code)
        response = await api.post(f"/api/v1/workouts/{planned['id']}/exercises", headers=user.auth,
                                  json={"exercise_id": bad})
        assert_problem(response, 422, code)
    response = await api.post(f"/api/v1/workouts/{planned['id']}/sets", headers=user.auth,
                              json={"entry_id": INT64_OVER, "reps": 5})
    assert_problem(response, 422, "validation_failed")
    response = await api.post(f"/api/v1/workouts/{planned['id']}/sets", headers=user.auth,
                              json={"entry_id": 999_999, "reps": 5})
    assert error_fields(assert_problem(response, 422)) == {"entry_id"}
    view = await get_workout(api, user, planned["id"])
    assert (view["status"], view["started_at"], view["exercises"]) == ("planned", None, [])

    template = await api.post("/api/v1/templates", headers=user.auth,
                              json={"name": "T", "items": [{"exercise_id": 999_999}]})
    assert_problem(template, 422, "unknown_exercise")
    progress = await api.get("/api/v1/analytics/exercises/999999/progress", headers=user.auth)
    assert_problem(progress, 422, "unknown_exercise")
    assert await current_records(api, user) == []


async def test_ids_beyond_the_database_range_are_not_found(api, shared_user):
    for path in (f"/api/v1/workouts/{INT64_OVER}", f"/api/v1/templates/{INT64_OVER}",
                 f"/api/v1/plans/{INT64_OVER}"):
        assert_problem(await api.get(path, headers=shared_user.auth), 404, "not_found")
    response = await api.post(f"/api/v1/templates/{INT32_OVER}/start", headers=shared_user.auth, json={})
    assert_problem(response, 404, "not_found")
    response = await api.post("/api/v1/plans", headers=shared_user.auth,
                              json={"name": "P", "entries": [{"weekday": 0, "template_id": INT64_OVER}]})
    assert_problem(response, 422, "validation_failed")
    progress = await api.get(f"/api/v1/analytics/exercises/{INT32_OVER}/progress", headers=shared_user.auth)
    assert_problem(progress, 404, "not_found")


async def test_a_template_cycle_is_refused(api, shared_user, catalog):
    made = await api.post("/api/v1/templates", headers=shared_user.auth,
                          json={"name": "Loop", "items": [{"exercise_id": catalog.id("Squat")}]})
    template = made.json()
    response = await api.put(f"/api/v1/templates/{template['id']}", headers=shared_user.auth,
                             json={"items": [{"template_id": template["id"]}]})
    assert_problem(response, 422, "template_cycle")


@pytest.mark.parametrize(("url", "body"), [
    ("/api/v1/workouts", {"name": "X", "colour": "red"}),
    ("/api/v1/workouts", {"name": "X", "exercises": [{"exercise_id": 1, "weight": 100}]}),
    ("/api/v1/workouts", {"name": "X", "exercises": [{"exercise_id": 1, "sets": [{"reps": 5, "weight_kg": 100}]}]}),
    ("/api/v1/workouts/{workout}", {"user_id": 1}),
    ("/api/v1/workouts/{workout}", {"source": "import"}),
    ("/api/v1/workouts/{workout}/sets", {"exercise_id": 1, "reps": 5, "weight_kg": 100}),
    ("/api/v1/workouts/{workout}/sets", {"exercise_id": 1, "entry_id": 1, "reps": 5}),
    ("/api/v1/workouts/{workout}/sets", {"reps": 5}),
    ("/api/v1/workouts/{workout}/clone", {"status": "completed"}),
    ("/api/v1/templates", {"name": "T", "items": [{"exercise_id": 1, "rpe": 8}]}),
    ("/api/v1/templates", {"name": "T", "items": [{"exercise_id": 1}], "owner_id": 1}),
    ("/api/v1/plans", {"name": "P", "entries": [{"weekday": 0, "template_id": 1, "time": "09:00"}]}),
])
async def test_unknown_fields_are_refused(api, shared_user, planned, url, body):
    method = "PATCH" if url == "/api/v1/workouts/{workout}" else "POST"
    response = await api.request(method, url.format(workout=planned["id"]), headers=shared_user.auth, json=body)
    assert_problem(response, 422, "validation_failed")
    assert (await get_workout(api, shared_user, planned["id"])) == planned


@pytest.mark.parametrize("body", [
    {"name": 123},
    {"name": ""},
    {"name": "x" * 121},
    {"name": "X", "status": "done"},
    {"name": "X", "tags": "a,b"},
    {"name": "X", "tags": [1, 2]},
    {"name": "X", "exercises": {"exercise_id": 1}},
    {"name": "X", "exercises": [{"exercise_id": "squat"}]},
    {"name": "X", "exercises": [{"exercise_id": 1, "sets": [{"reps": "five"}]}]},
    {"name": "X", "exercises": [{"exercise_id": 1, "sets": [{"is_warmup": "maybe"}]}]},
    {"name": "X", "started_at": "yesterday"},
    {"name": "X", "perceived_exertion": 11},
    {"name": "X", "calories": -1},
    {"name": "X", "tags": [f"t{i}" for i in range(21)]},
    {"name": "X", "tags": ["x" * 33]},
    {"name": "X", "exercises": [{"exercise_id": 1}] * 51},
    [{"name": "X"}],
])
async def test_wrong_types_and_oversized_values_are_refused(api, shared_user, body):
    response = await api.post("/api/v1/workouts", headers=shared_user.auth, json=body)
    assert_problem(response, 422, "validation_failed")


async def test_oversized_tag_lists_are_refused_on_update(api, shared_user, planned):
    url = f"/api/v1/workouts/{planned['id']}"
    too_many = await api.patch(url, headers=shared_user.auth, json={"tags": [f"t{i}" for i in range(21)]})
    assert "tags" in error_fields(assert_problem(too_many, 422, "validation_failed"))
    exactly = await patch_workout(api, shared_user, planned["id"], tags=[f"t{i}" for i in range(20)])
    assert len(exactly["tags"]) == 20


async def test_null_for_a_field_that_cannot_be_empty_leaves_it_alone(api, shared_user, catalog):
    made = await create_workout(api, shared_user, name="Kept", notes="n", tags=["a"],
                                exercises=[{"exercise_id": catalog.id("Squat"), "notes": "e"}])
    for field in ("name", "notes", "tags", "status"):
        response = await api.patch(f"/api/v1/workouts/{made['id']}", headers=shared_user.auth, json={field: None})
        assert response.status_code == 200, response.text
    entry = made["exercises"][0]["id"]
    for field in ("notes", "position"):
        response = await api.patch(f"/api/v1/workouts/{made['id']}/exercises/{entry}", headers=shared_user.auth,
                                   json={field: None})
        assert response.status_code == 200, response.text
    view = await get_workout(api, shared_user, made["id"])
    assert (view["name"], view["notes"], view["tags"], view["status"]) == ("Kept", "n", ["a"], "planned")
    assert (view["exercises"][0]["notes"], view["exercises"][0]["position"]) == ("e", 1)


@pytest.mark.parametrize(("path", "params"), [
    ("/api/v1/workouts", {"limit": 0}),
    ("/api/v1/workouts", {"limit": 101}),
    ("/api/v1/workouts", {"status": "done"}),
    ("/api/v1/workouts", {"tag": "x" * 33}),
    ("/api/v1/records", {"exercise_id": 0}),
    ("/api/v1/records/history", {"cursor": "%%%"}),
    ("/api/v1/analytics/frequency", {"bucket": "year"}),
    ("/api/v1/templates", {"scope": "everyone"}),
    ("/api/v1/templates/1", {"version": 0}),
])
async def test_bad_query_parameters_are_refused(api, shared_user, path, params):
    assert_problem(await api.get(path, headers=shared_user.auth, params=params), 422, "validation_failed")


async def test_bad_plan_schedules_are_refused(api, shared_user, catalog):
    template = (await api.post("/api/v1/templates", headers=shared_user.auth,
                               json={"name": "T", "items": [{"exercise_id": catalog.id("Squat")}]})).json()
    plan = (await api.post("/api/v1/plans", headers=shared_user.auth,
                           json={"name": "P", "entries": [{"weekday": 0, "template_id": template["id"]}]})).json()
    for body in ({"start_date": "1999-12-31"}, {"start_date": "soon"}, {}, {"start_date": "2030-01-01", "x": 1}):
        response = await api.post(f"/api/v1/plans/{plan['id']}/schedule", headers=shared_user.auth, json=body)
        assert_problem(response, 422, "validation_failed")
    missing = await api.post("/api/v1/plans/999999/schedule", headers=shared_user.auth,
                             json={"start_date": "2030-01-07"})
    assert_problem(missing, 404, "not_found")


async def test_training_endpoints_need_a_token(api):
    for method, path in (("GET", "/api/v1/workouts"), ("POST", "/api/v1/workouts"), ("GET", "/api/v1/records"),
                         ("GET", "/api/v1/analytics/streaks"), ("POST", "/api/v1/templates")):
        response = await api.request(method, path, json={} if method == "POST" else None)
        assert_problem(response, 401)
