"""Goals over HTTP: kinds and their checks, progress computed from logged data, ``goal.achieved``
emitted once, units, listing, changes and isolation."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import sign_up
from tests.integration.helpers import assert_problem, error_fields
from tests.integration.readonly_db import select
from tests.integration.training import create_workout, iso, log_set

GOALS = "/api/v1/goals"


async def create_goal(api, account, **body):
    body.setdefault("title", "A goal")
    response = await api.post(GOALS, json=body, headers=account.auth)
    assert response.status_code == 201, response.text
    return response.json()


async def get_goal(api, account, goal_id):
    response = await api.get(f"{GOALS}/{goal_id}", headers=account.auth)
    assert response.status_code == 200, response.text
    return response.json()


async def list_goals(api, account, **params):
    response = await api.get(GOALS, params=params, headers=account.auth)
    assert response.status_code == 200, response.text
    return response.json()


async def weigh(api, account, value, at, **extra):
    body = {"kind": "weight", "value": value, "measured_at": at, **extra}
    response = await api.post("/api/v1/body-metrics", json=body, headers=account.auth)
    assert response.status_code == 201, response.text
    return response.json()


async def achieved_events(server, account):
    rows = await select(
        server,
        "SELECT payload FROM domain_events WHERE type = 'goal.achieved' AND user_id = $1",
        account.id,
    )
    return [
        row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
        for row in rows
    ]


def when(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# -- body-metric goals ----------------------------------------------------------------------------


async def test_a_weight_loss_goal_follows_the_scale_and_is_achieved_once(api, server, user):
    await weigh(api, user, 80, "2024-01-01T07:00:00Z")
    goal = await create_goal(
        api,
        user,
        kind="body_metric",
        metric="weight",
        target_value=75,
        title=" Cut ",
        starts_on="2024-01-01",
    )
    assert goal["title"] == "Cut"
    assert (goal["unit"], goal["start_value"], goal["target_value"]) == ("kg", 80.0, 75.0)
    assert (goal["direction"], goal["current_value"], goal["progress"]) == ("losing", 80.0, 0.0)
    assert (goal["achieved"], goal["achieved_at"], goal["status"]) == (False, None, "active")

    await weigh(api, user, 77.5, "2024-01-10T07:00:00Z")
    halfway = await get_goal(api, user, goal["id"])
    assert (halfway["current_value"], halfway["progress"], halfway["achieved"]) == (
        77.5,
        0.5,
        False,
    )

    await weigh(api, user, 74.8, "2024-01-20T07:00:00Z")
    readers = await asyncio.gather(*(get_goal(api, user, goal["id"]) for _ in range(5)))
    for done in readers:
        assert (done["achieved"], done["progress"], done["status"]) == (True, 1.0, "achieved")
        assert when(done["achieved_at"]) == datetime(2024, 1, 20, 7, tzinfo=UTC)
    await list_goals(api, user, status="achieved")

    # Weight crept back: progress says so, but the goal stays achieved, and nothing is emitted again.
    await weigh(api, user, 76, "2024-01-25T07:00:00Z")
    later = await get_goal(api, user, goal["id"])
    assert (later["current_value"], later["progress"], later["achieved"]) == (76.0, 0.8, True)
    assert later["achieved_at"] == readers[0]["achieved_at"]

    [event] = await achieved_events(server, user)
    assert event["goal_id"] == goal["id"]
    assert (event["kind"], event["target_value"], event["unit"]) == ("body_metric", 75.0, "kg")


async def test_a_gaining_goal_in_pounds(api, server):
    imperial = await sign_up(api, unit_system="imperial")
    goal = await create_goal(
        api,
        imperial,
        kind="body_metric",
        metric="weight",
        target_value=160,
        start_value=150,
        starts_on="2024-01-01",
    )
    assert (goal["unit"], goal["direction"], goal["start_value"]) == ("lb", "gaining", 150.0)
    assert (goal["current_value"], goal["progress"]) == (None, 0.0)
    await weigh(api, imperial, 155, "2024-02-01T07:00:00Z")
    halfway = await get_goal(api, imperial, goal["id"])
    assert (halfway["current_value"], halfway["progress"]) == (155.0, 0.5)
    await weigh(api, imperial, 72.6, "2024-02-02T07:00:00Z", unit="kg")  # 160.06 lb
    assert (await get_goal(api, imperial, goal["id"]))["achieved"] is True
    [row] = await select(server, "SELECT target_value FROM goals WHERE id = $1", goal["id"])
    assert row["target_value"] == pytest.approx(160 * 0.45359237)


async def test_measurements_outside_the_window_do_not_count(api, user):
    await weigh(api, user, 70, "2024-01-01T07:00:00Z")
    goal = await create_goal(
        api,
        user,
        kind="body_metric",
        metric="weight",
        target_value=72,
        start_value=69,
        starts_on="2024-02-01",
        due_on="2024-02-29",
    )
    await weigh(api, user, 73, "2024-03-01T07:00:00Z")
    seen = await get_goal(api, user, goal["id"])
    assert (seen["current_value"], seen["progress"], seen["achieved"]) == (None, 0.0, False)
    assert seen["status"] == "expired"
    await weigh(api, user, 72.5, "2024-02-29T23:00:00Z")  # the due day counts, to its end
    assert (await get_goal(api, user, goal["id"]))["achieved"] is True


async def test_a_body_metric_goal_starts_from_the_latest_measurement_or_needs_one(api, user):
    response = await api.post(
        GOALS,
        headers=user.auth,
        json={"kind": "body_metric", "metric": "body_fat", "target_value": 15, "title": "Lean"},
    )
    assert error_fields(assert_problem(response, 422, "validation_failed")) == {"start_value"}
    for at, value in (("2024-01-01T07:00:00Z", 22), ("2024-01-05T07:00:00Z", 21)):
        made = await api.post(
            "/api/v1/body-metrics",
            headers=user.auth,
            json={"kind": "body_fat", "value": value, "measured_at": at},
        )
        assert made.status_code == 201, made.text
    goal = await create_goal(api, user, kind="body_metric", metric="body_fat", target_value=15)
    assert (goal["start_value"], goal["unit"], goal["direction"]) == (21.0, "%", "losing")
    same = await api.post(
        GOALS,
        headers=user.auth,
        json={"kind": "body_metric", "metric": "body_fat", "target_value": 21, "title": "Stay"},
    )
    assert error_fields(assert_problem(same, 422)) == {"target_value"}


# -- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"kind": "body_metric", "target_value": 70}, {"metric"}),
        (
            {
                "kind": "body_metric",
                "metric": "weight",
                "target_value": 70,
                "exercise_id": 1,
                "start_value": 80,
            },
            {"exercise_id"},
        ),
        ({"kind": "weight", "target_value": 100}, {"exercise_id"}),
        ({"kind": "distance", "target_value": 10, "metric": "weight"}, {"metric"}),
        ({"kind": "calories", "target_value": 1000, "start_value": 10}, {"start_value"}),
        ({"kind": "streak", "target_value": 2.5}, {"target_value"}),
        ({"kind": "streak", "target_value": 0}, {"target_value"}),
        ({"kind": "streak", "target_value": 5000}, {"target_value"}),
        ({"kind": "streak", "target_value": 5, "unit": "lb"}, {"unit"}),
        ({"kind": "distance", "target_value": 10, "unit": "parsec"}, {"unit"}),
        (
            {"kind": "body_metric", "metric": "weight", "target_value": 500, "start_value": 80},
            {"target_value"},
        ),
        (
            {"kind": "body_metric", "metric": "weight", "target_value": 70, "start_value": 70},
            {"target_value"},
        ),
        (
            {
                "kind": "calories",
                "target_value": 500,
                "starts_on": "2024-02-01",
                "due_on": "2024-01-31",
            },
            {"due_on"},
        ),
        ({"kind": "calories", "target_value": 500, "colour": "red"}, {"colour"}),
        ({"kind": "mood", "target_value": 5}, {"kind"}),
        ({"kind": "calories", "target_value": 500, "title": "   "}, {"title"}),
    ],
)
async def test_invalid_goals_are_422_naming_the_field(api, shared_user, body, fields):
    body = {"title": "A goal", **body}
    response = await api.post(GOALS, json=body, headers=shared_user.auth)
    assert error_fields(assert_problem(response, 422, "validation_failed")) == fields


async def test_a_lift_goal_needs_an_exercise_you_can_see(
    api, shared_user, shared_other_user, catalog
):
    response = await api.post(
        GOALS,
        headers=shared_user.auth,
        json={"kind": "one_rm", "exercise_id": 2**31 - 1, "target_value": 100, "title": "Big"},
    )
    problem = assert_problem(response, 422, "unknown_exercise")
    assert error_fields(problem) == {"exercise_id"}

    private = await api.post(
        "/api/v1/exercises",
        headers=shared_other_user.auth,
        json={"name": "Secret lift", "type": "strength", "primary_muscles": ["quadriceps"]},
    )
    assert private.status_code == 201, private.text
    response = await api.post(
        GOALS,
        headers=shared_user.auth,
        json={
            "kind": "weight",
            "exercise_id": private.json()["id"],
            "target_value": 100,
            "title": "X",
        },
    )
    assert_problem(response, 422, "unknown_exercise")

    goal = await create_goal(
        api, shared_user, kind="weight", exercise_id=catalog.id("Squat"), target_value=100
    )
    assert (goal["exercise_id"], goal["unit"], goal["current_value"]) == (
        catalog.id("Squat"),
        "kg",
        None,
    )


# -- training goals -------------------------------------------------------------------------------


async def test_weight_reps_and_one_rm_goals_read_working_sets(api, server, user, catalog):
    squat, bench = catalog.id("Squat"), catalog.id("Bench Press")
    heavy = await create_goal(
        api, user, kind="weight", exercise_id=squat, target_value=100, starts_on="2024-01-01"
    )
    many = await create_goal(
        api, user, kind="reps", exercise_id=squat, target_value=12, starts_on="2024-01-01"
    )
    strong = await create_goal(
        api, user, kind="one_rm", exercise_id=squat, target_value=120, starts_on="2024-01-01"
    )
    workout = await create_workout(api, user, name="Legs")
    start = datetime(2024, 3, 1, 18, tzinfo=UTC)

    async def lift(minutes, **fields):
        return await log_set(
            api, user, workout["id"], performed_at=iso(start + timedelta(minutes=minutes)), **fields
        )

    await lift(0, exercise_id=squat, reps=15, weight=110, is_warmup=True)  # a warm-up: ignored
    await lift(1, exercise_id=bench, reps=20, weight=120)  # another exercise: ignored
    await lift(2, exercise_id=squat, reps=5, weight=90, completed=False)  # not done: ignored
    await lift(3, exercise_id=squat, reps=10, weight=60)
    await lift(4, exercise_id=squat, reps=5, weight=90)
    assert (await get_goal(api, user, heavy["id"]))["progress"] == 0.9
    assert (await get_goal(api, user, many["id"]))["current_value"] == 10
    one_rm = await get_goal(api, user, strong["id"])
    assert one_rm["current_value"] == pytest.approx(105.0)
    assert one_rm["progress"] == pytest.approx(0.875)

    await lift(5, exercise_id=squat, reps=5, weight=100)  # e1RM 116.67
    await lift(6, exercise_id=squat, reps=12, weight=50)
    await lift(7, exercise_id=squat, reps=5, weight=105)  # e1RM 122.5
    done = {g["id"]: g for g in (await list_goals(api, user, status="achieved"))["items"]}
    assert set(done) == {heavy["id"], many["id"], strong["id"]}
    assert when(done[heavy["id"]]["achieved_at"]) == start + timedelta(minutes=5)
    assert when(done[many["id"]]["achieved_at"]) == start + timedelta(minutes=6)
    assert when(done[strong["id"]]["achieved_at"]) == start + timedelta(minutes=7)
    assert done[heavy["id"]]["current_value"] == 105.0
    events = await achieved_events(server, user)
    assert sorted(e["goal_id"] for e in events) == sorted(done)


async def test_an_imperial_lift_goal_is_met_by_the_same_weight_in_pounds(api, catalog):
    imperial = await sign_up(api, unit_system="imperial")
    deadlift = catalog.id("Deadlift")
    goal = await create_goal(
        api, imperial, kind="weight", exercise_id=deadlift, target_value=315, starts_on="2024-01-01"
    )
    assert (goal["unit"], goal["target_value"]) == ("lb", 315.0)
    workout = await create_workout(api, imperial)
    await log_set(
        api,
        imperial,
        workout["id"],
        exercise_id=deadlift,
        reps=1,
        weight=315,
        performed_at="2024-04-01T10:00:00Z",
    )
    seen = await get_goal(api, imperial, goal["id"])
    assert (seen["current_value"], seen["progress"], seen["achieved"]) == (315.0, 1.0, True)


async def test_sets_before_the_goal_started_do_not_count(api, user, catalog):
    squat = catalog.id("Squat")
    workout = await create_workout(api, user)
    await log_set(
        api,
        user,
        workout["id"],
        exercise_id=squat,
        reps=3,
        weight=150,
        performed_at="2024-01-31T23:00:00Z",
    )
    goal = await create_goal(
        api, user, kind="weight", exercise_id=squat, target_value=140, starts_on="2024-02-01"
    )
    assert (goal["current_value"], goal["achieved"]) == (None, False)


async def test_distance_and_calories_sum_completed_workouts(api, server, user, catalog):
    running = catalog.id("Running")
    far = await create_goal(api, user, kind="distance", target_value=10, starts_on="2024-01-01")
    burn = await create_goal(api, user, kind="calories", target_value=1000, starts_on="2024-01-01")
    assert (far["unit"], burn["unit"]) == ("km", "kcal")
    assert (far["current_value"], burn["current_value"]) == (0.0, 0.0)

    async def run(day, km_per_set, calories, status="completed"):
        times = (
            {
                "started_at": f"2024-01-{day:02d}T07:00:00Z",
                "completed_at": f"2024-01-{day:02d}T08:00:00Z",
            }
            if status == "completed"
            else {}
        )
        return await create_workout(
            api,
            user,
            status=status,
            calories=calories,
            **times,
            exercises=[
                {
                    "exercise_id": running,
                    "sets": [{"duration_s": 900, "distance": km} for km in km_per_set],
                }
            ],
        )

    await run(2, [3, 4], 400)
    await run(3, [20], 5000, status="planned")  # planned: not done, does not count
    halfway = await get_goal(api, user, far["id"])
    assert (halfway["current_value"], halfway["progress"]) == (7.0, 0.7)
    assert (await get_goal(api, user, burn["id"]))["progress"] == 0.4
    await run(5, [2.5, 0.5], 700)
    far_done, burn_done = (
        await get_goal(api, user, far["id"]),
        await get_goal(api, user, burn["id"]),
    )
    assert (far_done["current_value"], far_done["achieved"]) == (10.0, True)
    assert (burn_done["current_value"], burn_done["achieved"]) == (1100.0, True)
    assert when(far_done["achieved_at"]) == datetime(2024, 1, 5, 8, tzinfo=UTC)
    assert when(burn_done["achieved_at"]) == datetime(2024, 1, 5, 8, tzinfo=UTC)
    assert len(await achieved_events(server, user)) == 2

    imperial = await sign_up(api, unit_system="imperial")
    miles = await create_goal(api, imperial, kind="distance", target_value=5, unit="km")
    assert (miles["unit"], miles["target_value"]) == ("mi", 3.107)


async def test_streak_goals_count_consecutive_days(api, user):
    for day in (1, 2, 4, 5, 6):
        await create_workout(
            api,
            user,
            status="completed",
            started_at=f"2024-01-{day:02d}T17:00:00Z",
            completed_at=f"2024-01-{day:02d}T18:00:00Z",
        )
    three = await create_goal(api, user, kind="streak", target_value=3, starts_on="2024-01-01")
    four = await create_goal(api, user, kind="streak", target_value=4, starts_on="2024-01-01")
    assert (three["unit"], three["current_value"], three["achieved"]) == ("days", 3.0, True)
    assert when(three["achieved_at"]) == datetime(2024, 1, 6, 18, tzinfo=UTC)
    assert (four["current_value"], four["progress"], four["achieved"]) == (3.0, 0.75, False)
    assert four["current_streak"] == 0

    now = datetime.now(UTC)
    for moment in (now - timedelta(days=1, minutes=1), now - timedelta(minutes=1)):
        await create_workout(
            api,
            user,
            status="completed",
            started_at=iso(moment - timedelta(hours=1)),
            completed_at=iso(moment),
        )
    assert (await get_goal(api, user, four["id"]))["current_streak"] == 2


# -- listing, changes, deletion ---------------------------------------------------------------------


async def test_list_filters_by_status_and_kind_in_pages(api, user):
    await weigh(api, user, 80, "2024-01-01T07:00:00Z")
    expired = await create_goal(
        api, user, kind="calories", target_value=500, starts_on="2024-01-01", due_on="2024-01-31"
    )
    active = await create_goal(api, user, kind="streak", target_value=5)
    reached = await create_goal(
        api, user, kind="body_metric", metric="weight", target_value=78, starts_on="2024-01-01"
    )
    assert reached["achieved"] is False
    await weigh(api, user, 77.9, "2024-01-02T07:00:00Z")  # nobody reads the goal before the list

    def ids(page):
        return [g["id"] for g in page["items"]]

    assert ids(await list_goals(api, user, status="achieved")) == [reached["id"]]
    assert ids(await list_goals(api, user, status="active")) == [active["id"]]
    assert ids(await list_goals(api, user, status="expired")) == [expired["id"]]
    assert ids(await list_goals(api, user, kind="streak")) == [active["id"]]

    seen, cursor = [], None
    while True:
        page = await list_goals(api, user, limit=1, **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [reached["id"], active["id"], expired["id"]]
    for params in ({"status": "done"}, {"kind": "mood"}, {"limit": 101}, {"cursor": "?"}):
        assert_problem(await api.get(GOALS, params=params, headers=user.auth), 422)


async def test_patch_changes_fields_and_a_new_target_is_judged_again(api, server, user):
    await weigh(api, user, 80, "2024-01-01T07:00:00Z")
    await weigh(api, user, 76, "2024-01-05T07:00:00Z")
    goal = await create_goal(
        api,
        user,
        kind="body_metric",
        metric="weight",
        target_value=77,
        start_value=80,
        starts_on="2024-01-01",
    )
    assert goal["achieved"] is True

    renamed = await api.patch(
        f"{GOALS}/{goal['id']}",
        headers=user.auth,
        json={"title": "Lighter", "due_on": "2024-12-31"},
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["title"], renamed.json()["due_on"]) == ("Lighter", "2024-12-31")
    assert renamed.json()["achieved_at"] == goal["achieved_at"]

    harder = await api.patch(f"{GOALS}/{goal['id']}", headers=user.auth, json={"target_value": 74})
    assert (harder.json()["achieved"], harder.json()["progress"]) == (False, 0.6667)
    cleared = await api.patch(f"{GOALS}/{goal['id']}", headers=user.auth, json={"due_on": None})
    assert cleared.json()["due_on"] is None
    await weigh(api, user, 73.5, "2024-02-01T07:00:00Z")
    again = await get_goal(api, user, goal["id"])
    assert when(again["achieved_at"]) == datetime(2024, 2, 1, 7, tzinfo=UTC)
    assert len(await achieved_events(server, user)) == 2  # one per target reached

    for body, field in (
        ({"title": None}, "title"),
        ({"colour": "red"}, "colour"),
        ({"target_value": -1}, "target_value"),
        ({"starts_on": "2025-01-01", "due_on": "2024-01-01"}, "due_on"),
    ):
        response = await api.patch(f"{GOALS}/{goal['id']}", headers=user.auth, json=body)
        assert error_fields(assert_problem(response, 422)) == {field}, body

    audit = await api.get(
        "/api/v1/audit-events", params={"action": "goal.updated"}, headers=user.auth
    )
    assert len(audit.json()["items"]) == 3


async def test_delete_a_goal(api, user):
    goal = await create_goal(api, user, kind="calories", target_value=500)
    response = await api.delete(f"{GOALS}/{goal['id']}", headers=user.auth)
    assert response.status_code == 204, response.text
    assert_problem(await api.get(f"{GOALS}/{goal['id']}", headers=user.auth), 404)
    assert_problem(await api.delete(f"{GOALS}/{goal['id']}", headers=user.auth), 404)
    assert_problem(await api.get(f"{GOALS}/{2**70}", headers=user.auth), 404)
    assert (await list_goals(api, user))["items"] == []
    audit = await api.get(
        "/api/v1/audit-events", params={"action": "goal.deleted"}, headers=user.auth
    )
    assert [e["target_id"] for e in audit.json()["items"]] == [str(goal["id"])]


async def test_nobody_else_reads_changes_or_deletes_your_goals(api, user, other_user):
    goal = await create_goal(api, user, kind="streak", target_value=3)
    path = f"{GOALS}/{goal['id']}"
    assert_problem(await api.get(path, headers=other_user.auth), 404)
    assert_problem(await api.patch(path, json={"title": "Mine"}, headers=other_user.auth), 404)
    assert_problem(await api.delete(path, headers=other_user.auth), 404)
    assert (await list_goals(api, other_user))["items"] == []
    assert (await get_goal(api, user, goal["id"]))["title"] == "A goal"
    assert_problem(await api.get(GOALS), 401)
