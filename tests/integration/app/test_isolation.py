"""One account can never read or change another's data."""

from __future__ import annotations

from tests.conftest import PASSWORD
from tests.integration.helpers import assert_problem, login_ok


async def test_sessions_of_another_account_are_invisible(api, user, other_user):
    await login_ok(api, other_user.email, PASSWORD)  # B has two sessions now

    mine = (await api.get("/api/v1/sessions", headers=user.auth)).json()["items"]
    theirs = (await api.get("/api/v1/sessions", headers=other_user.auth)).json()["items"]
    assert [item["id"] for item in mine] == [user.session_id]
    assert len(theirs) == 2 and other_user.session_id in {item["id"] for item in theirs}


async def test_revoking_another_accounts_session_is_404_and_harmless(api, user, other_user):
    response = await api.delete(f"/api/v1/sessions/{other_user.session_id}", headers=user.auth)
    assert_problem(response, 404, "not_found")

    still = await api.get("/api/v1/users/me", headers=other_user.auth)
    assert still.status_code == 200 and still.json()["id"] == other_user.id
    refreshed = await api.post(
        "/api/v1/auth/refresh", json={"refresh_token": other_user.refresh_token}
    )
    assert refreshed.status_code == 200, refreshed.text


async def test_users_me_is_always_the_caller(api, user, other_user):
    await api.patch("/api/v1/users/me", headers=other_user.auth, json={"display_name": "B only"})
    mine = (await api.get("/api/v1/users/me", headers=user.auth)).json()
    assert (mine["id"], mine["email"], mine["display_name"]) == (user.id, user.email, "Test User")


async def test_logout_all_touches_only_the_caller(api, user, other_user):
    assert (await api.post("/api/v1/auth/logout-all", headers=user.auth)).status_code == 204
    assert (await api.get("/api/v1/users/me", headers=other_user.auth)).status_code == 200


async def test_audit_events_of_another_account_are_invisible(api, user, other_user):
    await api.patch("/api/v1/users/me", headers=other_user.auth, json={"locale": "de"})
    theirs = (await api.get("/api/v1/audit-events", headers=other_user.auth)).json()["items"]
    assert {event["action"] for event in theirs} >= {
        "user.registered",
        "auth.login",
        "user.updated",
    }
    their_ids = {event["id"] for event in theirs}

    # naming the other account is not a way in: the parameter does not exist (422)
    response = await api.get("/api/v1/audit-events", headers=user.auth,
                             params={"user_id": other_user.id})  # fmt: skip
    assert response.status_code == 422 and "user_id" in response.text
    for params in ({}, {"action": "user.updated"}, {"limit": 100}):
        response = await api.get("/api/v1/audit-events", headers=user.auth, params=params)
        assert response.status_code == 200, response.text
        mine = response.json()["items"]
        assert all(event["subject_id"] == user.id for event in mine), params
        assert not their_ids & {event["id"] for event in mine}, params


async def test_a_normal_user_cannot_read_the_admin_audit_log(api, user, other_user):
    for params in ({}, {"user_id": other_user.id}):
        response = await api.get("/api/v1/admin/audit-events", headers=user.auth, params=params)
        assert_problem(response, 403, "forbidden")
