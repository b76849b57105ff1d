"""Templates (immutable versions, includes, sharing) and weekly plans scheduled into the calendar."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import sign_up
from tests.integration.helpers import assert_problem
from tests.integration.training import get_workout, list_workouts, when


async def make_template(api, account, name, items, **body):
    response = await api.post("/api/v1/templates", headers=account.auth,
                              json={"name": name, "items": items, **body})
    assert response.status_code == 201, response.text
    return response.json()


async def put_template(api, account, template_id, **body):
    return await api.put(f"/api/v1/templates/{template_id}", headers=account.auth, json=body)


async def start(api, account, template_id, **body):
    response = await api.post(f"/api/v1/templates/{template_id}/start", headers=account.auth, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def lifts(workout):
    """(exercise_id, [(reps, weight), ...]) per entry, in order."""
    return [(e["exercise_id"], [(s["reps"], s["weight"]) for s in e["sets"]]) for e in workout["exercises"]]


async def test_editing_makes_a_new_version_and_earlier_workouts_keep_theirs(api, shared_user, catalog):
    squat, bench = catalog.id("Squat"), catalog.id("Bench Press")
    v1 = await make_template(api, shared_user, "Strength A", [
        {"exercise_id": squat, "superset": "A", "sets": [{"reps": 5, "weight": 100}, {"reps": 5, "weight": 100}]}])
    assert (v1["version"], v1["owner_id"], v1["visibility"]) == (1, shared_user.id, "private")
    assert v1["items"][0]["sets"][0] == {"reps": 5, "weight": 100.0, "weight_unit": "kg", "duration_s": None,
                                         "distance": None, "distance_unit": "km", "rest_s": None}

    before = await start(api, shared_user, v1["id"])
    assert (before["status"], before["source"], before["template_version_id"]) == (
        "in_progress", "template", v1["version_id"])
    assert before["name"] == "Strength A" and before["started_at"] is not None
    assert lifts(before) == [(squat, [(5, 100.0), (5, 100.0)])]
    assert before["exercises"][0]["superset"] == "A"
    assert not any(s["completed"] for s in before["exercises"][0]["sets"])  # targets to fill in

    edited = await put_template(api, shared_user, v1["id"],
                                items=[{"exercise_id": bench, "sets": [{"reps": 8, "weight": 60}]}])
    assert edited.status_code == 200, edited.text
    v2 = edited.json()
    assert (v2["id"], v2["version"]) == (v1["id"], 2) and v2["version_id"] != v1["version_id"]
    assert [i["exercise_id"] for i in v2["items"]] == [bench]

    assert await get_workout(api, shared_user, before["id"]) == before  # untouched by the edit
    old = await api.get(f"/api/v1/templates/{v1['id']}", params={"version": 1}, headers=shared_user.auth)
    assert old.status_code == 200 and old.json()["items"] == v1["items"] and old.json()["version"] == 1
    latest = await api.get(f"/api/v1/templates/{v1['id']}", headers=shared_user.auth)
    assert (latest.json()["version"], latest.json()["items"]) == (2, v2["items"])
    missing = await api.get(f"/api/v1/templates/{v1['id']}", params={"version": 9}, headers=shared_user.auth)
    assert_problem(missing, 404, "not_found")

    after = await start(api, shared_user, v1["id"], status="planned")
    assert after["status"] == "planned" and after["started_at"] is None
    assert lifts(after) == [(bench, [(8, 60.0)])]
    from_v1 = await start(api, shared_user, v1["id"], version=1, name="Old program")
    assert (from_v1["name"], from_v1["template_version_id"]) == ("Old program", v1["version_id"])
    assert lifts(from_v1) == lifts(before)

    # Description and visibility change in place; a new name is a new version.
    described = (await put_template(api, shared_user, v1["id"], description="heavy day")).json()
    assert (described["version"], described["description"]) == (2, "heavy day")
    renamed = (await put_template(api, shared_user, v1["id"], name="Strength B")).json()
    assert (renamed["version"], renamed["name"], renamed["items"]) == (3, "Strength B", v2["items"])
    first = await api.get(f"/api/v1/templates/{v1['id']}", params={"version": 1}, headers=shared_user.auth)
    assert first.json()["name"] == "Strength A"


async def test_an_included_template_is_expanded_in_the_workout(api, shared_user, catalog):
    running, squat, deadlift = catalog.id("Running"), catalog.id("Squat"), catalog.id("Deadlift")
    warmup = await make_template(api, shared_user, "Warm-up", [
        {"exercise_id": running, "sets": [{"duration_s": 600, "distance": 1.5}]}])
    main = await make_template(api, shared_user, "Legs", [
        {"template_id": warmup["id"]},
        {"exercise_id": squat, "sets": [{"reps": 5, "weight": 120}]},
        {"exercise_id": deadlift, "sets": [{"reps": 3, "weight": 150}]},
    ])
    assert main["items"][0] == {"template_id": warmup["id"]}

    workout = await start(api, shared_user, main["id"])
    assert [(e["exercise_id"], e["position"]) for e in workout["exercises"]] == [
        (running, 1), (squat, 2), (deadlift, 3)]
    run = workout["exercises"][0]["sets"][0]
    assert (run["duration_s"], run["distance"], run["distance_unit"]) == (600, 1.5, "km")

    bad = await api.post("/api/v1/templates", headers=shared_user.auth, json={
        "name": "Both", "items": [{"template_id": warmup["id"], "exercise_id": squat}]})
    assert_problem(bad, 422, "validation_failed")


async def test_template_cycles_are_refused(api, shared_user, catalog):
    squat = catalog.id("Squat")
    a = await make_template(api, shared_user, "A", [{"exercise_id": squat, "sets": [{"reps": 5}]}])
    selfish = await put_template(api, shared_user, a["id"], items=[{"template_id": a["id"]}])
    assert_problem(selfish, 422, "template_cycle")

    b = await make_template(api, shared_user, "B", [{"template_id": a["id"]}])
    around = await put_template(api, shared_user, a["id"],
                                items=[{"exercise_id": squat}, {"template_id": b["id"]}])
    body = assert_problem(around, 422, "template_cycle")
    assert body["errors"][0]["field"] == "items"

    c = await make_template(api, shared_user, "C", [{"template_id": b["id"]}])
    longer = await put_template(api, shared_user, a["id"], items=[{"template_id": c["id"]}])
    assert_problem(longer, 422, "template_cycle")  # A -> C -> B -> A

    stored = (await api.get(f"/api/v1/templates/{a['id']}", headers=shared_user.auth)).json()
    assert (stored["version"], stored["items"]) == (1, a["items"])  # nothing was written
    workout = await start(api, shared_user, c["id"])
    assert [e["exercise_id"] for e in workout["exercises"]] == [squat]


async def test_private_templates_are_invisible_to_others_and_public_ones_can_be_started(
        api, shared_user, shared_other_user, catalog):
    owner, other = shared_user, shared_other_user
    squat = catalog.id("Squat")
    private = await make_template(api, owner, "Mine", [{"exercise_id": squat, "sets": [{"reps": 5, "weight": 90}]}])
    public = await make_template(api, owner, "Ours", [{"exercise_id": squat, "sets": [{"reps": 3, "weight": 80}]}],
                                 visibility="public")

    assert_problem(await api.get(f"/api/v1/templates/{private['id']}", headers=other.auth), 404, "not_found")
    refused = await api.post(f"/api/v1/templates/{private['id']}/start", headers=other.auth, json={})
    assert_problem(refused, 404, "not_found")
    including = await api.post("/api/v1/templates", headers=other.auth,
                               json={"name": "Sneaky", "items": [{"template_id": private["id"]}]})
    assert_problem(including, 404, "not_found")

    seen = await api.get(f"/api/v1/templates/{public['id']}", headers=other.auth)
    assert seen.status_code == 200 and seen.json()["owner_id"] == owner.id
    listed = await api.get("/api/v1/templates", params={"scope": "public", "limit": 100}, headers=other.auth)
    ids = {t["id"] for t in listed.json()["items"]}
    assert public["id"] in ids and private["id"] not in ids
    mine = await api.get("/api/v1/templates", params={"limit": 100}, headers=other.auth)
    assert public["id"] not in {t["id"] for t in mine.json()["items"]}

    workout = await start(api, other, public["id"])
    assert lifts(workout) == [(squat, [(3, 80.0)])]
    assert (await api.get(f"/api/v1/workouts/{workout['id']}", headers=owner.auth)).status_code == 404

    # Only the owner edits or deletes, public or not.
    assert_problem(await put_template(api, other, public["id"], name="Mine now"), 404, "not_found")
    deleted = await api.delete(f"/api/v1/templates/{public['id']}", headers=other.auth)
    assert_problem(deleted, 404, "not_found")
    assert (await api.get(f"/api/v1/templates/{public['id']}", headers=owner.auth)).json()["name"] == "Ours"


async def test_a_plan_is_scheduled_on_the_right_days(api, catalog):
    athlete = await sign_up(api, timezone="America/New_York")
    upper = await make_template(api, athlete, "Upper", [{"exercise_id": catalog.id("Bench Press")}])
    lower = await make_template(api, athlete, "Lower", [{"exercise_id": catalog.id("Squat")}])
    response = await api.post("/api/v1/plans", headers=athlete.auth, json={
        "name": "Two weeks", "weeks": 2, "entries": [
            {"week": 2, "weekday": 2, "template_id": lower["id"]},
            {"week": 1, "weekday": 0, "template_id": upper["id"]},
            {"week": 1, "weekday": 4, "template_id": lower["id"]},
            {"week": 2, "weekday": 0, "template_id": upper["id"]},
        ]})
    assert response.status_code == 201, response.text
    plan = response.json()
    assert [(e["week"], e["weekday"]) for e in plan["entries"]] == [(1, 0), (1, 4), (2, 0), (2, 2)]

    # From Wednesday 2025-06-04: week 1 is the week of Monday 2025-06-02; its Monday is already past.
    scheduled = await api.post(f"/api/v1/plans/{plan['id']}/schedule", headers=athlete.auth,
                               json={"start_date": "2025-06-04"})
    assert scheduled.status_code == 201, scheduled.text
    ids = scheduled.json()["workout_ids"]
    assert len(ids) == 3
    made = [await get_workout(api, athlete, i) for i in ids]
    # 09:00 in New York (EDT, UTC-4) on Friday week 1, Monday and Wednesday of week 2.
    assert [(w["name"], when(w["scheduled_at"])) for w in made] == [
        ("Lower", datetime(2025, 6, 6, 13, 0, tzinfo=UTC)),
        ("Upper", datetime(2025, 6, 9, 13, 0, tzinfo=UTC)),
        ("Lower", datetime(2025, 6, 11, 13, 0, tzinfo=UTC)),
    ]
    assert {(w["status"], w["source"]) for w in made} == {("planned", "template")}
    assert [w["exercises"][0]["exercise_id"] for w in made] == [
        catalog.id("Squat"), catalog.id("Bench Press"), catalog.id("Squat")]

    # From a Monday every entry is in the future; winter dates are EST (UTC-5).
    again = await api.post(f"/api/v1/plans/{plan['id']}/schedule", headers=athlete.auth,
                           json={"start_date": "2025-12-01"})
    days = [when((await get_workout(api, athlete, i))["scheduled_at"]) for i in again.json()["workout_ids"]]
    assert days == [datetime(2025, 12, d, 14, 0, tzinfo=UTC) for d in (1, 5, 8, 10)]

    listed = await list_workouts(api, athlete, status="planned", limit=100)
    assert len(listed["items"]) == 7


async def test_plan_entries_must_fit_the_plan(api, shared_user, catalog):
    template = await make_template(api, shared_user, "Any", [{"exercise_id": catalog.id("Squat")}])
    for entry, weeks in [({"week": 3, "weekday": 0}, 2), ({"week": 1, "weekday": 7}, 1),
                         ({"week": 0, "weekday": 0}, 1), ({"week": 1, "weekday": -1}, 1)]:
        response = await api.post("/api/v1/plans", headers=shared_user.auth, json={
            "name": "Bad", "weeks": weeks, "entries": [{**entry, "template_id": template["id"]}]})
        assert_problem(response, 422, "validation_failed")
    empty = await api.post("/api/v1/plans", headers=shared_user.auth,
                           json={"name": "Empty", "weeks": 1, "entries": []})
    assert_problem(empty, 422, "validation_failed")
    page = await api.get("/api/v1/plans", headers=shared_user.auth, params={"limit": 100})
    assert "Bad" not in {p["name"] for p in page.json()["items"]}


async def test_plans_only_use_templates_the_scheduler_may_see(api, shared_user, catalog):
    owner = shared_user
    other = await sign_up(api)
    squat = catalog.id("Squat")
    theirs = await make_template(api, other, "Private", [{"exercise_id": squat}])
    refused = await api.post("/api/v1/plans", headers=owner.auth, json={
        "name": "Borrowed", "entries": [{"weekday": 0, "template_id": theirs["id"]}]})
    assert_problem(refused, 404, "not_found")

    # A public plan of someone else's that uses one of their private templates: nothing scheduled.
    shared = await make_template(api, other, "Shared", [{"exercise_id": squat}], visibility="public")
    plan = await api.post("/api/v1/plans", headers=other.auth, json={
        "name": "Public plan", "visibility": "public",
        "entries": [{"weekday": 0, "template_id": shared["id"]}, {"weekday": 1, "template_id": theirs["id"]}]})
    assert plan.status_code == 201, plan.text
    before = {w["id"] for w in (await list_workouts(api, owner, limit=100))["items"]}
    response = await api.post(f"/api/v1/plans/{plan.json()['id']}/schedule", headers=owner.auth,
                              json={"start_date": "2030-01-07"})
    assert_problem(response, 404, "not_found")
    after = {w["id"] for w in (await list_workouts(api, owner, limit=100))["items"]}
    assert after == before
