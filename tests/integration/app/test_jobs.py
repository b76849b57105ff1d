"""Background jobs: the in-process broker on SQLite, Redis plus ``fithub worker`` when configured."""

from __future__ import annotations

import asyncio
import time

from tests.conftest import PASSWORD
from tests.integration.helpers import assert_problem, login_ok

PURGE = "/api/v1/admin/jobs/purge-sessions"
PURGED = "maintenance.sessions_purged"
DEADLINE_SECONDS = 20


async def _purge_events(api, admin_auth) -> list[dict]:
    response = await api.get(
        "/api/v1/admin/audit-events", headers=admin_auth, params={"action": PURGED, "limit": 100}
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_purge_sessions_job_runs_and_is_audited(api, user, admin_auth):
    phone = await login_ok(api, user.email, PASSWORD)
    assert (
        await api.post(
            "/api/v1/auth/logout", headers={"Authorization": f"Bearer {phone['access_token']}"}
        )
    ).status_code == 204
    # Before the purge the ended session still exists: its refresh token is known, but dead.
    before = await api.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert_problem(before, 401, "session_ended")
    last_seen = max((event["id"] for event in await _purge_events(api, admin_auth)), default=0)

    response = await api.post(PURGE, headers=admin_auth)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["job"] == "accounts.purge_expired_sessions" and body["message_id"]

    deadline = time.monotonic() + DEADLINE_SECONDS
    new: list[dict] = []
    while not new and time.monotonic() < deadline:
        new = [event for event in await _purge_events(api, admin_auth) if event["id"] > last_seen]
        if not new:
            await asyncio.sleep(0.1)
    assert new, f"no {PURGED} event within {DEADLINE_SECONDS} s"
    assert len(new) == 1
    event = new[0]
    assert event["details"]["deleted"] >= 1
    assert event["details"]["older_than_days"] == 0
    assert event["subject_id"] is None and event["user_agent"] == "fithub-system"

    # The ended session is gone now, while the live one is untouched.
    after = await api.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert_problem(after, 401, "invalid_refresh_token")
    assert (await api.get("/api/v1/users/me", headers=user.auth)).status_code == 200


async def test_only_admins_may_start_jobs(api, user):
    assert_problem(await api.post(PURGE, headers=user.auth), 403, "forbidden")
    assert_problem(await api.post(PURGE), 401, "auth_required")
