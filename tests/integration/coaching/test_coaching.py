"""Coaching through the real server: who becomes a trainer, invitations, and what a trainer may
read of a client's data (only an active client's, only what they share)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import PASSWORD, Account
from tests.integration.coaching_world import (
    V1,
    assign,
    coach,
    completed_workout,
    invite,
    make_trainer,
)
from tests.integration.helpers import assert_problem, login_ok, random_email


@pytest.fixture
async def trainer(api: httpx.AsyncClient) -> Account:
    return await make_trainer(api)


# -- becoming a trainer -----------------------------------------------------------------------


async def test_any_user_becomes_a_trainer_by_writing_a_profile(api, user, other_user):
    assert_problem(await api.get(f"{V1}/trainer-profile", headers=user.auth), 404, "not_a_trainer")
    assert_problem(await api.get(f"{V1}/trainers/{user.id}", headers=other_user.auth), 404)
    assert_problem(
        await api.post(
            f"{V1}/coaching/invitations", headers=user.auth, json={"email": other_user.email}
        ),
        403,
        "forbidden",
    )

    body = {
        "business_name": "  Lift Lab ",
        "bio": "Powerlifting",
        "certifications": ["ISSA", "CPR"],
    }
    saved = await api.put(f"{V1}/trainer-profile", headers=user.auth, json=body)
    assert saved.status_code == 200, saved.text
    assert saved.json()["business_name"] == "Lift Lab" and saved.json()["created_at"]
    me = (await api.get(f"{V1}/users/me", headers=user.auth)).json()
    assert me["role"] == "trainer"

    public = await api.get(f"{V1}/trainers/{user.id}", headers=other_user.auth)
    assert public.status_code == 200, public.text
    assert public.json() == {
        "user_id": user.id,
        "display_name": "Test User",
        "business_name": "Lift Lab",
        "bio": "Powerlifting",
        "certifications": ["ISSA", "CPR"],
    }
    again = await api.put(f"{V1}/trainer-profile", headers=user.auth, json={"bio": "New"})
    assert again.json()["bio"] == "New" and again.json()["certifications"] == []

    actions = [
        e["action"]
        for e in (await api.get(f"{V1}/audit-events", headers=user.auth)).json()["items"]
    ]
    assert actions.count("user.role_changed") == 1 and actions.count("coaching.profile_saved") == 2


async def test_profile_input_is_validated_and_admins_do_not_coach(api, user, admin):
    too_many = {"certifications": [f"C{i}" for i in range(21)]}
    assert_problem(await api.put(f"{V1}/trainer-profile", headers=user.auth, json=too_many), 422)
    assert_problem(
        await api.put(f"{V1}/trainer-profile", headers=user.auth, json={"role": "admin"}), 422
    )
    tokens = await login_ok(api, admin["email"], admin["password"])
    staff = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert_problem(
        await api.put(f"{V1}/trainer-profile", headers=staff, json={}), 403, "admin_cannot_coach"
    )


# -- invitations ------------------------------------------------------------------------------


async def test_invitation_lifecycle_and_duplicates(api, trainer, user, other_user):
    relation = await invite(
        api,
        trainer,
        user.email.upper(),
        message="Let's train",
        share={"workouts": True, "body_metrics": True, "goals": False},
    )
    assert relation["status"] == "pending" and relation["client"] is None
    assert relation["invite_email"] == user.email
    assert_problem(
        await api.post(
            f"{V1}/coaching/invitations", headers=trainer.auth, json={"email": user.email}
        ),
        409,
        "relation_exists",
    )
    assert_problem(
        await api.post(
            f"{V1}/coaching/invitations", headers=trainer.auth, json={"email": trainer.email}
        ),
        422,
        "self_invitation",
    )
    assert_problem(
        await api.post(
            f"{V1}/coaching/invitations", headers=trainer.auth, json={"email": "not-an-address"}
        ),
        422,
    )

    received = (await api.get(f"{V1}/coaching/invitations", headers=user.auth)).json()["items"]
    assert [(r["id"], r["trainer"]["id"], r["message"]) for r in received] == [
        (relation["id"], trainer.id, "Let's train")
    ]
    sent = await api.get(
        f"{V1}/coaching/invitations", params={"role": "sent"}, headers=trainer.auth
    )
    assert [r["id"] for r in sent.json()["items"]] == [relation["id"]]
    assert (await api.get(f"{V1}/coaching/invitations", headers=other_user.auth)).json()[
        "items"
    ] == []

    # Another account can neither see, accept, decline nor end it.
    for action in ("accept", "decline"):
        response = await api.post(
            f"{V1}/coaching/invitations/{relation['id']}/{action}", headers=other_user.auth, json={}
        )
        assert_problem(response, 404, "not_found")
    assert_problem(
        await api.get(f"{V1}/coaching/relations/{relation['id']}", headers=other_user.auth), 404
    )
    assert_problem(
        await api.post(f"{V1}/coaching/relations/{relation['id']}/end", headers=other_user.auth),
        404,
    )

    # The invitee accepts, sharing less than was asked.
    accepted = await api.post(
        f"{V1}/coaching/invitations/{relation['id']}/accept",
        headers=user.auth,
        json={"share": {"workouts": True, "body_metrics": False, "goals": True}},
    )
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["status"] == "active" and body["client"]["id"] == user.id
    assert body["share"] == {
        "workouts": True, "body_metrics": False, "goals": True, "live": False, "nutrition": False
    }  # fmt: skip
    assert_problem(
        await api.post(
            f"{V1}/coaching/invitations/{relation['id']}/accept", headers=user.auth, json={}
        ),
        404,
    )
    assert_problem(
        await api.post(
            f"{V1}/coaching/invitations", headers=trainer.auth, json={"email": user.email}
        ),
        409,
        "relation_exists",
    )

    clients = (await api.get(f"{V1}/coaching/clients", headers=trainer.auth)).json()["items"]
    assert [(c["client_id"], c["email"]) for c in clients] == [(user.id, user.email)]
    mine = (await api.get(f"{V1}/coaching/relations", headers=user.auth)).json()["items"]
    assert [(r["id"], r["trainer"]["id"]) for r in mine] == [(relation["id"], trainer.id)]

    # The client changes what is shared; the trainer may not.
    changed = await api.patch(
        f"{V1}/coaching/relations/{relation['id']}/share",
        headers=user.auth,
        json={"body_metrics": True},
    )
    assert changed.json()["share"] == {
        "workouts": True, "body_metrics": True, "goals": True, "live": False, "nutrition": False
    }  # fmt: skip
    assert_problem(
        await api.patch(
            f"{V1}/coaching/relations/{relation['id']}/share",
            headers=trainer.auth,
            json={"goals": False},
        ),
        403,
        "client_only",
    )

    trainer_log = (await api.get(f"{V1}/audit-events", headers=trainer.auth)).json()["items"]
    client_log = (await api.get(f"{V1}/audit-events", headers=user.auth)).json()["items"]
    assert "coaching.invited" in {e["action"] for e in trainer_log}
    assert {"coaching.accepted", "coaching.share_changed"} <= {e["action"] for e in client_log}


async def test_racing_requests_make_one_relation(api, trainer, user):
    """Concurrent invitations for one address, then concurrent accepts: one wins, the rest 409."""
    path = f"{V1}/coaching/invitations"
    invites = await asyncio.gather(
        *(api.post(path, headers=trainer.auth, json={"email": user.email}) for _ in range(5))
    )
    assert sorted(r.status_code for r in invites) == [201, 409, 409, 409, 409]
    relation_id = next(r.json()["id"] for r in invites if r.status_code == 201)
    accept = f"{path}/{relation_id}/accept"
    accepts = await asyncio.gather(
        *(api.post(accept, headers=user.auth, json={}) for _ in range(3))
    )
    assert sorted(r.status_code for r in accepts)[0] == 200
    assert all(r.status_code in (404, 409) for r in accepts if r.status_code != 200)
    assert [r.status_code for r in accepts].count(200) == 1
    clients = (await api.get(f"{V1}/coaching/clients", headers=trainer.auth)).json()["items"]
    assert [c["client_id"] for c in clients] == [user.id]


async def test_an_invitation_waits_for_the_person_to_register(api, trainer):
    email = random_email("later")
    relation = await invite(api, trainer, email)
    created = await api.post(
        f"{V1}/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Late"}
    )
    assert created.status_code == 202, created.text
    tokens = await login_ok(api, email, PASSWORD)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    received = (await api.get(f"{V1}/coaching/invitations", headers=auth)).json()["items"]
    assert [r["id"] for r in received] == [relation["id"]]
    declined = await api.post(f"{V1}/coaching/invitations/{relation['id']}/decline", headers=auth)
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert (await api.get(f"{V1}/coaching/clients", headers=trainer.auth)).json()["items"] == []
    # Declined is final for that invitation; the trainer may ask again.
    again = await invite(api, trainer, email)
    assert again["id"] != relation["id"]


async def test_invitation_lists_are_paginated(api, trainer):
    ids = [(await invite(api, trainer, random_email("page")))["id"] for _ in range(3)]
    first = await api.get(
        f"{V1}/coaching/invitations", headers=trainer.auth, params={"role": "sent", "limit": 2}
    )
    assert [r["id"] for r in first.json()["items"]] == ids[::-1][:2]
    rest = await api.get(
        f"{V1}/coaching/invitations",
        headers=trainer.auth,
        params={"role": "sent", "limit": 2, "cursor": first.json()["next_cursor"]},
    )
    assert [r["id"] for r in rest.json()["items"]] == [ids[0]] and rest.json()[
        "next_cursor"
    ] is None


async def test_a_trainer_withdraws_a_pending_invitation(api, trainer, user):
    relation = await invite(api, trainer, user.email)
    assert_problem(
        await api.post(f"{V1}/coaching/relations/{relation['id']}/end", headers=user.auth),
        409,
        "invalid_transition",
    )
    ended = await api.post(f"{V1}/coaching/relations/{relation['id']}/end", headers=trainer.auth)
    assert ended.json()["status"] == "ended"
    assert (await api.get(f"{V1}/coaching/invitations", headers=user.auth)).json()["items"] == []
    assert_problem(
        await api.post(
            f"{V1}/coaching/invitations/{relation['id']}/accept", headers=user.auth, json={}
        ),
        404,
    )


# -- what a trainer may read ------------------------------------------------------------------


async def test_trainer_reads_only_what_an_active_client_shares(api, trainer, user, other_user):
    relation_id = await coach(api, trainer, user, workouts=True, body_metrics=False, goals=True)
    workout_id = await completed_workout(api, user, "Tempo run")
    theirs = await completed_workout(api, other_user, "Not yours")

    listed = await api.get(f"{V1}/coaching/clients/{user.id}/workouts", headers=trainer.auth)
    assert listed.status_code == 200, listed.text
    assert [w["id"] for w in listed.json()["items"]] == [workout_id]
    one = await api.get(
        f"{V1}/coaching/clients/{user.id}/workouts/{workout_id}", headers=trainer.auth
    )
    assert one.status_code == 200 and one.json()["name"] == "Tempo run"
    assert (
        await api.get(f"{V1}/coaching/clients/{user.id}", headers=trainer.auth)
    ).status_code == 200

    # Not a client, or another person's workout under a client's id: 404, never 403.
    for path in (
        f"/coaching/clients/{other_user.id}/workouts",
        f"/coaching/clients/{other_user.id}/workouts/{theirs}",
        f"/coaching/clients/{user.id}/workouts/{theirs}",
        f"/coaching/clients/{other_user.id}",
        f"/coaching/clients/{user.id}/body-metrics",
    ):
        assert_problem(await api.get(V1 + path, headers=trainer.auth), 404, "not_found")

    # The client stops sharing workouts: the next read is refused.
    await api.patch(
        f"{V1}/coaching/relations/{relation_id}/share", headers=user.auth, json={"workouts": False}
    )
    assert_problem(
        await api.get(f"{V1}/coaching/clients/{user.id}/workouts", headers=trainer.auth), 404
    )
    assert_problem(
        await api.get(
            f"{V1}/coaching/clients/{user.id}/workouts/{workout_id}", headers=trainer.auth
        ),
        404,
    )


async def test_body_metrics_and_goals_follow_the_share_flags(api, user, other_user):
    trainer = await make_trainer(api, unit_system="imperial")
    relation_id = await coach(api, trainer, user, workouts=False, body_metrics=False, goals=True)
    logged = await api.post(
        f"{V1}/body-metrics", headers=user.auth, json={"kind": "weight", "value": 80, "unit": "kg"}
    )
    assert logged.status_code == 201, logged.text
    goal = await api.post(
        f"{V1}/goals",
        headers=user.auth,
        json={
            "kind": "body_metric",
            "metric": "weight",
            "title": "Cut",
            "target_value": 75,
            "unit": "kg",
        },
    )
    assert goal.status_code == 201, goal.text
    await api.post(
        f"{V1}/body-metrics",
        headers=other_user.auth,
        json={"kind": "weight", "value": 99, "unit": "kg"},
    )
    metrics = f"{V1}/coaching/clients/{user.id}/body-metrics"
    goals = f"{V1}/coaching/clients/{user.id}/goals"

    assert_problem(await api.get(metrics, headers=trainer.auth), 404, "not_found")
    assert_problem(
        await api.get(f"{V1}/coaching/clients/{user.id}/workouts", headers=trainer.auth), 404
    )
    shown = await api.get(goals, headers=trainer.auth)
    assert shown.status_code == 200, shown.text
    assert [g["id"] for g in shown.json()["items"]] == [goal.json()["id"]]
    assert_problem(
        await api.get(f"{V1}/coaching/clients/{other_user.id}/goals", headers=trainer.auth), 404
    )

    await api.patch(
        f"{V1}/coaching/relations/{relation_id}/share",
        headers=user.auth,
        json={"body_metrics": True, "goals": False},
    )
    read = await api.get(metrics, headers=trainer.auth, params={"kind": "weight"})
    assert read.status_code == 200, read.text
    (item,) = read.json()["items"]
    assert item["unit"] == "lb" and item["value"] == pytest.approx(176.37, abs=0.1)
    assert_problem(await api.get(goals, headers=trainer.auth), 404)

    await api.post(f"{V1}/coaching/relations/{relation_id}/end", headers=trainer.auth)
    assert_problem(await api.get(metrics, headers=trainer.auth), 404)


@pytest.mark.parametrize("ender", ["trainer", "client"])
async def test_access_stops_the_moment_either_side_ends(api, trainer, user, ender):
    relation_id = await coach(api, trainer, user)
    workout_id = await completed_workout(api, user)
    path = f"{V1}/coaching/clients/{user.id}/workouts/{workout_id}"
    assert (await api.get(path, headers=trainer.auth)).status_code == 200

    who = trainer if ender == "trainer" else user
    ended = await api.post(f"{V1}/coaching/relations/{relation_id}/end", headers=who.auth)
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "ended" and ended.json()["ended_by_id"] == who.id

    assert_problem(await api.get(path, headers=trainer.auth), 404)
    assert_problem(
        await api.get(f"{V1}/coaching/clients/{user.id}/workouts", headers=trainer.auth), 404
    )
    assert (await api.get(f"{V1}/coaching/clients", headers=trainer.auth)).json()["items"] == []
    assert_problem(
        await api.post(f"{V1}/coaching/relations/{relation_id}/end", headers=who.auth),
        409,
        "invalid_transition",
    )
    assert_problem(
        await assign(api, trainer, user, title="Too late", template_id=1), 422, "unknown_client"
    )
    for account in (trainer, user):  # both parties' audit trails show it
        log = (
            await api.get(
                f"{V1}/audit-events", headers=account.auth, params={"action": "coaching.ended"}
            )
        ).json()["items"]
        assert [e["actor_id"] for e in log] == [who.id]


async def test_clients_never_see_each_other(api, trainer, user, other_user):
    mine = await coach(api, trainer, user)
    theirs = await coach(api, trainer, other_user)
    secret = await completed_workout(api, other_user)

    # A plain client has no trainer endpoints at all.
    assert_problem(await api.get(f"{V1}/coaching/clients", headers=user.auth), 403)
    assert_problem(await api.get(f"{V1}/coaching/assignments", headers=user.auth), 403)
    relations = (await api.get(f"{V1}/coaching/relations", headers=user.auth)).json()["items"]
    assert [r["id"] for r in relations] == [mine]
    as_trainer = await api.get(
        f"{V1}/coaching/relations", params={"role": "trainer"}, headers=user.auth
    )
    assert as_trainer.json()["items"] == []
    assert_problem(await api.get(f"{V1}/coaching/relations/{theirs}", headers=user.auth), 404)
    assert_problem(
        await api.patch(
            f"{V1}/coaching/relations/{theirs}/share", headers=user.auth, json={"workouts": False}
        ),
        404,
    )

    # Even as a trainer in their own right, a client reads nothing of a fellow client.
    await api.put(f"{V1}/trainer-profile", headers=user.auth, json={})
    assert (await api.get(f"{V1}/coaching/clients", headers=user.auth)).json()["items"] == []
    assert_problem(
        await api.get(
            f"{V1}/coaching/clients/{other_user.id}/workouts/{secret}", headers=user.auth
        ),
        404,
    )
    assert_problem(await api.get(f"{V1}/trainers/{other_user.id}", headers=user.auth), 404)
