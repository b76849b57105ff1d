"""Assignments through the real server: what may be assigned, completion by workouts, missed
deadlines (computed on read and persisted by the job)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.conftest import Account, sign_up
from tests.integration.coaching_world import (
    EAST,
    V1,
    WEST,
    assign,
    coach,
    completed_workout,
    exercise_id,
    local_today,
    make_template,
    make_trainer,
    my_assignment,
    run_missed_job,
    set_timezone,
)
from tests.integration.helpers import assert_problem


@pytest.fixture
async def trainer(api: httpx.AsyncClient) -> Account:
    return await make_trainer(api)


# -- assignments ------------------------------------------------------------------------------


async def test_bad_assignments_are_refused(api, trainer, user, other_user):
    await coach(api, trainer, user)
    stranger = await make_trainer(api)
    due = (local_today("UTC") + timedelta(days=2)).isoformat()

    assert_problem(await assign(api, trainer, other_user, template_id=1), 422, "unknown_client")
    response = await api.post(
        f"{V1}/coaching/assignments",
        headers=trainer.auth,
        json={"client_id": 10**9, "template_id": 1, "title": "x", "due_on": due},
    )
    assert_problem(response, 422, "unknown_client")
    both = await assign(api, trainer, user, template_id=1, exercise_id=1)
    assert_problem(both, 422, "validation_failed")
    assert_problem(await assign(api, trainer, user), 422, "validation_failed")
    past = (local_today(WEST) - timedelta(days=1)).isoformat()
    assert_problem(
        await assign(api, trainer, user, template_id=1, due_on=past), 422, "due_on_out_of_range"
    )
    far = (local_today("UTC") + timedelta(days=400)).isoformat()
    assert_problem(
        await assign(api, trainer, user, template_id=1, due_on=far), 422, "due_on_out_of_range"
    )
    assert_problem(await assign(api, user, trainer, template_id=1), 403)  # clients do not assign

    foreign = await make_template(api, stranger, "private")
    assert_problem(await assign(api, trainer, user, template_id=foreign), 422, "unknown_template")
    own_private = await make_template(api, trainer, "private")
    body = assert_problem(
        await assign(api, trainer, user, template_id=own_private), 422, "template_not_shared"
    )
    assert body["errors"][0]["field"] == "template_id"
    assert_problem(await assign(api, trainer, user, exercise_id=10**8), 422, "unknown_exercise")


async def test_template_assignment_completes_with_its_workout(api, trainer, user):
    await coach(api, trainer, user)
    template_id = await make_template(api, trainer, "clients")
    created = await assign(
        api, trainer, user, template_id=template_id, title="Legs", notes="Go deep"
    )
    assert created.status_code == 201, created.text
    assignment = created.json()
    assert assignment["status"] == "pending" and assignment["client_id"] == user.id

    listed = (await api.get(f"{V1}/assignments", headers=user.auth)).json()["items"]
    assert [a["id"] for a in listed] == [assignment["id"]]
    assert_problem(
        await api.post(f"{V1}/assignments/{assignment['id']}/start", headers=trainer.auth, json={}),
        404,
    )
    started = await api.post(
        f"{V1}/assignments/{assignment['id']}/start", headers=user.auth, json={}
    )
    assert started.status_code == 201, started.text
    workout = started.json()
    assert workout["assignment_id"] == assignment["id"] and workout["name"] == "Legs"
    assert workout["status"] == "in_progress" and len(workout["exercises"]) == 1
    assert (await my_assignment(api, user, assignment["id"]))["status"] == "pending"

    done = await api.patch(
        f"{V1}/workouts/{workout['id']}", headers=user.auth, json={"status": "completed"}
    )
    assert done.status_code == 200, done.text
    after = await my_assignment(api, user, assignment["id"])
    assert after["status"] == "completed" and after["completed_workout_id"] == workout["id"]
    given = await api.get(
        f"{V1}/coaching/assignments",
        headers=trainer.auth,
        params={"client_id": user.id, "status": "completed"},
    )
    assert [a["id"] for a in given.json()["items"]] == [assignment["id"]]
    assert (
        await api.get(
            f"{V1}/coaching/assignments", headers=trainer.auth, params={"status": "pending"}
        )
    ).json()["items"] == []
    assert_problem(
        await api.post(f"{V1}/assignments/{assignment['id']}/start", headers=user.auth, json={}),
        409,
        "invalid_transition",
    )


async def test_exercise_assignment_completes_when_the_exercise_is_logged(api, trainer, user):
    await coach(api, trainer, user)
    squat = await exercise_id(api, user.auth, "squat")
    other = await exercise_id(api, user.auth, "push-up")
    assert squat != other
    created = await assign(api, trainer, user, exercise_id=squat, title="Squat 5x5")
    assert created.status_code == 201, created.text
    assignment_id = created.json()["id"]
    assert_problem(
        await api.post(f"{V1}/assignments/{assignment_id}/start", headers=user.auth, json={}),
        409,
        "not_a_template_assignment",
    )

    async def workout_with(exercise: int) -> int:
        made = await api.post(
            f"{V1}/workouts", headers=user.auth, json={"name": "Gym", "status": "in_progress"}
        )
        assert made.status_code == 201, made.text
        logged = await api.post(
            f"{V1}/workouts/{made.json()['id']}/sets",
            headers=user.auth,
            json={"exercise_id": exercise, "reps": 5, "weight": 80},
        )
        assert logged.status_code == 201, logged.text
        done = await api.patch(
            f"{V1}/workouts/{made.json()['id']}", headers=user.auth, json={"status": "completed"}
        )
        assert done.status_code == 200, done.text
        return int(made.json()["id"])

    await workout_with(other)
    assert (await my_assignment(api, user, assignment_id))["status"] == "pending"
    fulfilling = await workout_with(squat)
    after = await my_assignment(api, user, assignment_id)
    assert after["status"] == "completed" and after["completed_workout_id"] == fulfilling


async def test_ending_a_relation_closes_its_pending_assignments(api, trainer, user):
    relation_id = await coach(api, trainer, user)
    template_id = await make_template(api, trainer, "clients")
    assert (await assign(api, trainer, user, template_id=template_id)).status_code == 201
    await api.post(f"{V1}/coaching/relations/{relation_id}/end", headers=user.auth)
    assert (await api.get(f"{V1}/assignments", headers=user.auth)).json()["items"] == []
    assert (await api.get(f"{V1}/coaching/assignments", headers=trainer.auth)).json()["items"] == []


# -- deadlines --------------------------------------------------------------------------------


async def test_overdue_assignments_read_as_missed_and_the_job_persists_it(
    api, server, admin_auth, trainer
):
    client = await sign_up(api, timezone=WEST)
    await coach(api, trainer, client)
    template_id = await make_template(api, trainer, "clients")
    due = local_today(WEST)  # the client's today: still allowed
    created = await assign(api, trainer, client, template_id=template_id, due_on=due.isoformat())
    assert created.status_code == 201, created.text
    assignment_id = created.json()["id"]

    # The client flies east across the date line: their today is now after the due date.
    await set_timezone(api, client, EAST)
    assert (await my_assignment(api, client, assignment_id))["status"] == "missed"
    missed = await api.get(f"{V1}/assignments", headers=client.auth, params={"status": "missed"})
    assert [a["id"] for a in missed.json()["items"]] == [assignment_id]
    assert (
        await api.get(f"{V1}/assignments", headers=client.auth, params={"status": "pending"})
    ).json()["items"] == []
    given = await api.get(
        f"{V1}/coaching/assignments",
        headers=trainer.auth,
        params={"status": "missed", "client_id": client.id},
    )
    assert [a["id"] for a in given.json()["items"]] == [assignment_id]
    assert_problem(
        await api.post(f"{V1}/assignments/{assignment_id}/start", headers=client.auth, json={}),
        409,
        "invalid_transition",
    )
    # Too late: a workout finished now does not fulfil it.
    await completed_workout(api, client)
    # So far only computed: back home, it reads pending again.
    await set_timezone(api, client, WEST)
    assert (await my_assignment(api, client, assignment_id))["status"] == "pending"

    # The job stores it while the client is east; back home it stays missed.
    await set_timezone(api, client, EAST)
    first = await run_missed_job(api, server, admin_auth)
    assert first["details"]["marked"] == 1 and first["user_agent"] == "fithub-system", first
    await set_timezone(api, client, WEST)
    assert (await my_assignment(api, client, assignment_id))["status"] == "missed"

    # Idempotent: a second run finds nothing left to mark.
    await set_timezone(api, client, EAST)
    second = await run_missed_job(api, server, admin_auth)
    assert second["details"]["marked"] == 0, second
    assert (await my_assignment(api, client, assignment_id))["status"] == "missed"
