"""Vendor pushes through a real server (journey 3), with Oura's signed webhooks.

Verified pushes are stored in the inbox and answered; a job then syncs (or deletes) what they
announce. Forged, replayed and unknown pushes change nothing.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime
from typing import Any

import httpx

from fithub.plugins.testing.fakes.oura import FakeOura
from tests.conftest import Account
from tests.integration.devices.world import connect_and_backfill, query_db, read_all, seed
from tests.integration.helpers import assert_problem
from tests.support import FithubServer

HOOK = "/api/v1/webhooks/oura"


def _events(server: FithubServer, account: str) -> list[tuple[Any, ...]]:
    return query_db(
        server,
        "SELECT action, data_type, object_id, status, sync_log_id FROM device_webhook_events "
        "WHERE external_user_id = $1 ORDER BY id",
        account,
    )


async def _wait_for(check: Any, within_s: float = 30) -> Any:
    deadline = time.monotonic() + within_s
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, "the push had no effect in time"
        await asyncio.sleep(0.1)


async def _push(api: httpx.AsyncClient, oura: FakeOura, event: dict[str, Any]) -> httpx.Response:
    headers, body = oura.signed_push(event)
    return await api.post(HOOK, content=body, headers=headers)


def _event(account: str, object_id: str, event_type: str = "create") -> dict[str, Any]:
    return {"event_type": event_type, "data_type": "workout", "object_id": object_id,
            "user_id": account, "event_time": datetime.now(UTC).isoformat()}  # fmt: skip


async def test_the_subscription_handshake_echoes_the_challenge(api: httpx.AsyncClient):
    ok = await api.get(HOOK, params={"verification_token": FakeOura.webhook_verification_token,
                                     "challenge": "c-123"})  # fmt: skip
    assert ok.status_code == 200 and ok.json() == {"challenge": "c-123"}
    wrong = await api.get(HOOK, params={"verification_token": "guess", "challenge": "c-123"})
    assert_problem(wrong, 401, "push_unverified")
    unknown = await api.post("/api/v1/webhooks/nobody", content=b"{}")
    assert_problem(unknown, 404, "unknown_provider")
    file_import = await api.post("/api/v1/webhooks/apple_health", content=b"{}")
    assert_problem(file_import, 404, "no_webhooks")


async def test_a_pushed_workout_is_fetched_and_stored_once(
    api: httpx.AsyncClient, user: Account, oura: FakeOura, server: FithubServer
):
    account = seed(oura)
    await connect_and_backfill(api, user, oura, account)
    workout = oura.workout(account, date.today())
    workout["id"] = "wo-pushed-1"
    workout["calories"] = 777.0
    oura.items(account, "workout").append(workout)

    headers, body = oura.signed_push(_event(account, "wo-pushed-1"))
    first = await api.post(HOOK, content=body, headers=headers)
    assert first.status_code == 200, first.text

    async def stored() -> list[dict[str, Any]]:
        rows = await read_all(api, user, "/api/v1/activity")
        return [w for w in rows if w["external_id"] == "wo-pushed-1"]

    (found,) = await _wait_for(stored)
    assert found["calories_kcal"] == 777.0
    (event,) = _events(server, account)
    assert event[:4] == ("upsert", "activities", "wo-pushed-1", "processed") and event[4]
    sync = await api.get(f"/api/v1/devices/oura/syncs/{event[4]}", headers=user.auth)
    assert sync.json()["trigger"] == "push" and sync.json()["data_types"] == ["activities"]

    # The vendor delivers the same push again: stored once, nothing written twice.
    again = await api.post(HOOK, content=body, headers=headers)
    assert again.status_code == 200
    assert len(_events(server, account)) == 1
    assert len(await stored()) == 1


async def test_a_deleted_workout_is_deleted(
    api: httpx.AsyncClient, user: Account, oura: FakeOura, server: FithubServer
):
    account = seed(oura)
    await connect_and_backfill(api, user, oura, account)
    workouts = await read_all(api, user, "/api/v1/activity")
    victim = workouts[0]["external_id"]

    answer = await _push(api, oura, _event(account, victim, "delete"))
    assert answer.status_code == 200

    async def gone() -> bool:
        rows = await read_all(api, user, "/api/v1/activity")
        return victim not in {w["external_id"] for w in rows}

    await _wait_for(gone)
    assert len(await read_all(api, user, "/api/v1/activity")) == len(workouts) - 1
    assert _events(server, account)[-1][:4] == ("delete", "activities", victim, "processed")


async def test_forged_and_unknown_pushes_change_nothing(
    api: httpx.AsyncClient, user: Account, oura: FakeOura, server: FithubServer
):
    account = seed(oura)
    await connect_and_backfill(api, user, oura, account)
    before = await read_all(api, user, "/api/v1/activity")

    headers, body = oura.signed_push(_event(account, before[0]["external_id"], "delete"),
                                     secret="not-the-secret")  # fmt: skip
    forged = await api.post(HOOK, content=body, headers=headers)
    assert_problem(forged, 401, "push_unverified")
    assert "delete" not in forged.text  # the body is not echoed back
    unsigned = await api.post(HOOK, content=body, headers={"content-type": "application/json"})
    assert_problem(unsigned, 401, "push_unverified")
    headers, body = oura.signed_push({"x": 1})  # genuine, but not an Oura event
    malformed = await api.post(HOOK, content=body, headers=headers)
    assert_problem(malformed, 400, "push_malformed")
    assert _events(server, account) == []

    stranger = await _push(api, oura, _event("someone-else", "wo-x"))
    assert stranger.status_code == 200  # the vendor is answered; nobody here is that user
    (ignored,) = await _wait_for(
        lambda: asyncio.sleep(0, [e for e in _events(server, "someone-else") if e[3] != "queued"])
    )
    assert ignored[3] == "ignored"
    assert len(await read_all(api, user, "/api/v1/activity")) == len(before)
    logs = server.read_logs()
    assert headers["x-oura-signature"] not in logs


async def test_pushes_are_erased_with_the_account_and_not_seen_by_others(
    api: httpx.AsyncClient, user: Account, oura: FakeOura, server: FithubServer
):
    account = seed(oura)
    await connect_and_backfill(api, user, oura, account)
    await _push(api, oura, _event(account, "wo-nothing-new"))
    await _wait_for(lambda: asyncio.sleep(0, [e for e in _events(server, account)
                                              if e[3] != "queued"]))  # fmt: skip
    deleted = await api.request("DELETE", "/api/v1/users/me", headers=user.auth,
                                json={"password": user.password})  # fmt: skip
    assert deleted.status_code == 204, deleted.text
    assert _events(server, account) == []
