"""Oura misbehaving: rate limits, outages (the breaker), timeouts, malformed pages, bad callbacks."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from fithub.plugins.testing.fakes.oura import FakeOura
from tests.conftest import Account
from tests.integration.devices.world import (
    OURA,
    connect_and_backfill,
    devices,
    read_all,
    seed,
    sync_now,
    wait_sync,
)
from tests.integration.helpers import assert_problem

HEARTRATE = "/v2/usercollection/heartrate"


def _breaker(listing: dict) -> dict:
    return next(p for p in listing["providers"] if p["name"] == "oura")["breaker"]


async def _past(moment: datetime) -> None:
    """Return once ``moment``, a time the server announced, has passed (same machine, same clock)."""
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.05)
    assert datetime.now(UTC) > moment


async def test_a_storm_of_429s_is_waited_out_and_the_data_arrives(
    api, user: Account, oura: FakeOura
):
    account = seed(oura)
    start = len(oura.requests)
    oura.inject(429, retry_after=1, times=3, path=HEARTRATE, account=account)
    connected = await connect_and_backfill(api, user, oura, account)

    assert connected["details"]["types"]["heart_rate"]["rate_limited"] == 3
    calls = [r for r in oura.requests[start:] if r.path == HEARTRATE]
    assert [r.status for r in calls[:4]] == [429, 429, 429, 200]
    gaps = [later.at - earlier.at for earlier, later in zip(calls, calls[1:4], strict=False)]
    assert all(gap >= 0.95 for gap in gaps), gaps  # Retry-After: 1 was honoured each time
    samples = await read_all(api, user, "/api/v1/samples")
    assert len(samples) == connected["details"]["types"]["heart_rate"]["fetched"]


async def test_a_long_retry_after_defers_the_sync_which_then_completes(
    api, user: Account, oura: FakeOura
):
    account = seed(oura)
    await connect_and_backfill(api, user, oura, account)
    oura.inject(429, retry_after=4, path=HEARTRATE, account=account)  # > the 3 s a job waits

    started = await api.post(f"{OURA}/sync", headers=user.auth)
    sync_id = started.json()["id"]
    deferred = await wait_sync(api, user, sync_id, until={"deferred"})
    assert deferred["retry_at"] and "rate limited" in deferred["error"]
    again = await api.post(f"{OURA}/sync", headers=user.auth)
    assert again.json()["id"] == sync_id and again.json()["created"] is False
    begun = time.monotonic()
    done = await wait_sync(api, user, sync_id, within_s=30)
    assert done["status"] == "succeeded", done
    assert time.monotonic() - begun >= 2.5
    assert done["details"]["deferrals"] == 1
    assert done["details"]["types"]["heart_rate"]["rate_limited"] == 1


async def test_a_malformed_page_fails_that_data_type_and_keeps_the_rest(
    api, user: Account, oura: FakeOura
):
    account = seed(oura)
    oura.inject(malformed=True, path="/v2/usercollection/sleep", account=account)
    oura.inject(delay_s=2, path="/v2/usercollection/workout", account=account)  # > 1 s timeout
    started = await _connect_sync(api, user, oura, account)

    result = await wait_sync(api, user, started)
    assert result["status"] == "partial", result
    types = result["details"]["types"]
    assert "not JSON" in types["sleep"]["failed"] and types["sleep"]["inserted"] == 0
    assert "no answer in time" in types["activities"]["failed"]
    assert types["heart_rate"]["inserted"] > 0 and types["daily"]["inserted"] > 0
    assert "sleep:" in result["error"] and "activities:" in result["error"]
    connection = (await devices(api, user))["connections"][0]
    assert connection["last_sync_status"] == "partial"
    assert set(connection["synced_until"]) == {"daily", "heart_rate"}  # no cursor moved for sleep
    assert await read_all(api, user, "/api/v1/sleep") == []

    healed = await sync_now(api, user)
    assert healed["status"] == "succeeded"
    assert healed["details"]["types"]["sleep"]["inserted"] > 0
    assert await read_all(api, user, "/api/v1/sleep")


async def _connect_sync(api, user: Account, oura: FakeOura, account: str) -> int:
    from tests.integration.devices.world import connect

    return int((await connect(api, user, oura, account))["sync"]["id"])


async def test_server_errors_open_the_breaker_and_it_recovers(api, user: Account, oura: FakeOura):
    account = seed(oura)
    await connect_and_backfill(api, user, oura, account)
    outage = oura.inject(500, times=1000, account=account)

    failed = await sync_now(api, user)
    assert failed["status"] == "failed", failed
    assert outage.hits == 3  # the third failure in a row opened it; nothing after reached Oura
    breaker = _breaker(await devices(api, user))
    assert breaker["state"] == "open" and breaker["failures"] >= 3 and breaker["retry_at"]

    refused = await sync_now(api, user)
    assert refused["status"] == "failed" and "calls paused" in refused["error"]
    assert refused["retry_at"] and outage.hits == 3

    oura.clear_faults()  # Oura is back; the breaker lets a trial call through at its retry_at
    await _past(datetime.fromisoformat(breaker["retry_at"]))
    recovered = await sync_now(api, user)
    assert recovered["status"] == "succeeded", recovered
    assert _breaker(await devices(api, user))["state"] == "closed"


async def test_callbacks_that_cannot_connect(api, user: Account, other_user: Account,
                                             oura: FakeOura):  # fmt: skip
    assert_problem(await api.post("/api/v1/devices/nope/connect", headers=user.auth),
                   404, "unknown_provider")  # fmt: skip
    assert_problem(await api.post(f"{OURA}/connect"), 401, "auth_required")
    assert_problem(await api.get(f"{OURA}/callback", params={"code": "x", "state": "forged"}),
                   400, "invalid_state")  # fmt: skip

    account = seed(oura)
    started = (await api.post(f"{OURA}/connect", headers=user.auth)).json()
    denied = oura.authorize(started["authorization_url"], account, deny=True)
    assert_problem(await api.get(f"{OURA}/callback", params=denied.params),
                   400, "authorization_denied")  # fmt: skip

    started = (await api.post(f"{OURA}/connect", headers=user.auth)).json()
    back = oura.authorize(started["authorization_url"], account)
    stolen = await api.post(f"{OURA}/callback", headers=other_user.auth,
                            json={"params": back.params})  # fmt: skip
    assert_problem(stolen, 400, "invalid_state")  # another user cannot finish my connection
    started = (await api.post(f"{OURA}/connect", headers=user.auth)).json()
    back = oura.authorize(started["authorization_url"], account)
    mine = await api.post(f"{OURA}/callback", headers=user.auth, json={"params": back.params})
    assert mine.status_code == 200, mine.text
    replay = await api.get(f"{OURA}/callback", params=back.params)
    assert_problem(replay, 400, "invalid_state")  # a state works once
    await wait_sync(api, user, mine.json()["sync"]["id"])
    assert (await devices(api, other_user))["connections"] == []


async def test_sync_requests_that_are_refused(api, user: Account, oura: FakeOura):
    assert_problem(await api.post(f"{OURA}/sync", headers=user.auth), 404, "connection_not_found")
    account = seed(oura)
    await connect_and_backfill(api, user, oura, account)
    assert_problem(await api.post(f"{OURA}/sync", headers=user.auth,
                                  params={"data_types": "steps"}), 422, "validation_failed")  # fmt: skip
    assert_problem(await api.get(f"{OURA}/syncs/999999", headers=user.auth), 404, "sync_not_found")
    assert_problem(await api.get("/api/v1/samples", headers=user.auth, params={"cursor": "zz"}),
                   422, "validation_failed")  # fmt: skip
