"""The audit log: what is recorded, with which origin, and who may read it."""

from __future__ import annotations

import uuid

from tests.conftest import PASSWORD
from tests.integration.helpers import assert_problem, bearer, login, login_ok

AGENT = "fithub-tests/1.0 (audit)"
NEW_PASSWORD = "another-long-passphrase"


async def _all_pages(api, path: str, headers: dict, params: dict, limit: int) -> list[list[dict]]:
    pages, cursor = [], None
    for _ in range(50):
        query = params | {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = await api.get(path, headers=headers, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("pagination never ended")


async def test_own_actions_are_recorded_with_their_origin(api, user):
    address = api.headers["X-Forwarded-For"]
    agent = {"User-Agent": AGENT}
    failed = await login(api, user.email, "not-the-password", headers=agent)
    assert failed.status_code == 401
    signed_in = await login(api, user.email, PASSWORD, headers=agent)
    token = signed_in.json()["access_token"]
    auth = bearer(token) | agent
    updated = await api.patch(
        "/api/v1/users/me",
        headers=auth,
        json={"locale": "de", "display_name": "Audited", "privacy": "private"},
    )
    assert updated.status_code == 200
    changed = await api.post(
        "/api/v1/users/me/password",
        headers=auth,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204

    response = await api.get("/api/v1/audit-events", headers=bearer(token), params={"limit": 100})
    assert response.status_code == 200, response.text
    events = response.json()["items"]
    ids = [event["id"] for event in events]
    assert ids == sorted(ids, reverse=True)  # newest first
    by_request = {event["request_id"]: event for event in events}

    expected = {
        failed: "auth.login_failed",
        signed_in: "auth.login",
        updated: "user.updated",
        changed: "auth.password_changed",
    }
    for reply, action in expected.items():
        event = by_request[reply.headers["x-request-id"]]
        assert event["action"] == action
        assert event["subject_id"] == user.id
        assert event["ip_address"] == address
        assert event["user_agent"] == AGENT

    assert by_request[failed.headers["x-request-id"]]["details"] == {"reason": "bad_credentials"}
    login_event = by_request[signed_in.headers["x-request-id"]]
    assert (login_event["target_type"], login_event["target_id"]) == (
        "session",
        signed_in.json()["session_id"],
    )
    # Which fields changed, not their values (privacy did not change, so it is not listed).
    assert by_request[updated.headers["x-request-id"]]["details"] == {
        "fields": ["display_name", "locale"]
    }
    assert PASSWORD not in response.text and NEW_PASSWORD not in response.text


async def test_the_address_recorded_is_the_one_our_proxy_saw(api, user):
    """The proxy appends what it saw; anything before that came from the client and is ignored."""
    seen_by_proxy = api.headers["X-Forwarded-For"]
    chain = {"X-Forwarded-For": f"203.0.113.66, {seen_by_proxy}"}
    signed_in = await login(api, user.email, PASSWORD, headers=chain)
    assert signed_in.status_code == 200, signed_in.text
    session_id = signed_in.json()["session_id"]

    events = (
        await api.get("/api/v1/audit-events", headers=user.auth, params={"action": "auth.login"})
    ).json()["items"]
    ours = [event for event in events if event["target_id"] == session_id]
    assert [event["ip_address"] for event in ours] == [seen_by_proxy]
    sessions = (await api.get("/api/v1/sessions", headers=user.auth)).json()["items"]
    assert {item["id"]: item["ip_address"] for item in sessions}[session_id] == seen_by_proxy


async def test_a_safe_client_request_id_is_recorded(api, user):
    request_id = f"audit-{uuid.uuid4().hex}"
    response = await api.patch(
        "/api/v1/users/me",
        headers=user.auth | {"X-Request-ID": request_id},
        json={"timezone": "Asia/Tokyo"},
    )
    assert response.headers["x-request-id"] == request_id
    events = (
        await api.get("/api/v1/audit-events", headers=user.auth, params={"action": "user.updated"})
    ).json()["items"]
    assert [event["request_id"] for event in events] == [request_id]


async def test_action_filter_on_own_events(api, user):
    await login_ok(api, user.email, PASSWORD)
    response = await api.get(
        "/api/v1/audit-events", headers=user.auth, params={"action": "auth.login"}
    )
    events = response.json()["items"]
    assert len(events) == 2  # the fixture's sign-in and ours
    assert {event["action"] for event in events} == {"auth.login"}


async def test_own_events_paginate_into_disjoint_pages(api, user):
    for zone in ("Europe/Oslo", "Europe/Rome", "Europe/Madrid", "Europe/Vienna"):
        await api.patch("/api/v1/users/me", headers=user.auth, json={"timezone": zone})
    everything = (
        await api.get("/api/v1/audit-events", headers=user.auth, params={"limit": 100})
    ).json()["items"]
    assert len(everything) >= 6

    pages = await _all_pages(api, "/api/v1/audit-events", user.auth, {}, limit=2)
    assert all(len(page) == 2 for page in pages[:-1]) and 1 <= len(pages[-1]) <= 2
    paged = [event["id"] for page in pages for event in page]
    assert len(paged) == len(set(paged))  # disjoint
    assert paged == [event["id"] for event in everything]  # complete and in order


async def test_a_bad_cursor_is_422(api, user):
    response = await api.get("/api/v1/audit-events", headers=user.auth, params={"cursor": "@@@"})
    assert_problem(response, 422, "validation_failed")


async def test_admin_sees_another_users_events_by_user_and_action(
    api, user, other_user, admin_auth
):
    await login(api, user.email, "not-the-password")
    await login_ok(api, user.email, PASSWORD)

    response = await api.get(
        "/api/v1/admin/audit-events", headers=admin_auth, params={"user_id": user.id, "limit": 100}
    )
    assert response.status_code == 200, response.text
    events = response.json()["items"]
    assert {event["subject_id"] for event in events} == {user.id}
    assert {event["action"] for event in events} == {
        "user.registered",
        "auth.login",
        "auth.login_failed",
    }

    logins = (
        await api.get(
            "/api/v1/admin/audit-events",
            headers=admin_auth,
            params={"user_id": user.id, "action": "auth.login"},
        )
    ).json()["items"]
    assert len(logins) == 2
    assert {(event["subject_id"], event["action"]) for event in logins} == {(user.id, "auth.login")}

    everyone = (
        await api.get(
            "/api/v1/admin/audit-events",
            headers=admin_auth,
            params={"action": "user.registered", "limit": 100},
        )
    ).json()["items"]
    assert {user.id, other_user.id} <= {event["subject_id"] for event in everyone}


async def test_admin_pages_are_disjoint(api, user, admin_auth):
    for locale in ("de", "fr", "it", "es", "nl"):
        await api.patch("/api/v1/users/me", headers=user.auth, json={"locale": locale})
    params = {"user_id": user.id}
    pages = await _all_pages(api, "/api/v1/admin/audit-events", admin_auth, params, limit=3)
    assert len(pages) >= 3
    seen: set[int] = set()
    for page in pages:
        ids = {event["id"] for event in page}
        assert not ids & seen
        seen |= ids
    assert len(seen) == 7  # registered, login, five updates


async def test_deleting_an_account_anonymises_its_trail(api, user, admin_auth):
    response = await api.request(
        "DELETE", "/api/v1/users/me", headers=user.auth, json={"password": PASSWORD}
    )
    assert response.status_code == 204
    events = (
        await api.get(
            "/api/v1/admin/audit-events",
            headers=admin_auth,
            params={"action": "user.registered", "limit": 100},
        )
    ).json()["items"]
    registered = [event for event in events if event["target_id"] == str(user.id)]
    assert len(registered) == 1
    assert registered[0]["ip_address"] is None and registered[0]["user_agent"] is None
