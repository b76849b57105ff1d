"""Strava through the whole connection journey shared by every built-in provider."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from fithub.plugins.testing.fakes.strava import FakeStrava
from fithub.plugins.types import DataType
from tests.conftest import Account
from tests.integration.devices.journey import run_journey
from tests.integration.devices.world import (
    connect_and_backfill,
    device_server,
    devices,
    query_db,
    read_all,
    seed,
    sync_now,
)
from tests.support import FithubServer


@pytest.fixture(scope="module")
def strava() -> Iterator[FakeStrava]:
    with FakeStrava() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(strava: FakeStrava) -> Iterator[FithubServer]:
    """Replaces the package's server here: this one knows the fake Strava."""
    with device_server(strava) as srv:
        yield srv


async def test_strava_connect_backfill_sync_reconnect_disconnect(
    api, user: Account, strava: FakeStrava, server: FithubServer
):
    report = await run_journey(api, user, strava, server)
    assert report.backfill["details"]["types"]["activities"]["pages"] >= 2  # the empty page ends
    rows = report.read[DataType.ACTIVITIES]
    sent = {str(i["id"]): i for i in strava.items(report.account, "activities")}
    assert rows and {r["external_id"] for r in rows} <= set(sent)
    assert {r["sport"] for r in rows} >= {"running", "cycling"}
    for row in rows:
        item = sent[row["external_id"]]
        assert row["distance_m"] == pytest.approx(item["distance"])
        assert row["name"] == item["name"] and row["calories_kcal"] is None
        assert row["avg_heart_rate_bpm"] == item.get("average_heartrate")
    walks = [r for r in rows if r["sport"] == "walking"]
    assert walks and all(r["avg_heart_rate_bpm"] is None for r in walks)  # private, no HR


# -- pushes: Strava's events are unsigned, so a "deauthorized" is checked with the vendor ----------


def _withdraw_at_strava(strava: FakeStrava, account: str) -> None:
    """The athlete revokes fithub in Strava's settings: every token of theirs dies."""
    with strava._lock:
        for token, grant in list(strava.access_tokens.items()):
            if grant.account == account:
                strava.revoked.add(token)
                del strava.access_tokens[token]
        for token, grant in list(strava.refresh_tokens.items()):
            if grant.account == account:
                del strava.refresh_tokens[token]


async def _deauthorized(api, strava: FakeStrava, server: FithubServer, account: str,
                        at: int = 0) -> str:  # fmt: skip
    event = strava.webhook_event(account, "athlete", "update", updates={"authorized": "false"})
    event["event_time"] += at  # a later event, not a retry of the first
    answer = await api.post("/api/v1/webhooks/strava", json=event, params=strava.webhook_query())
    assert answer.status_code == 200, answer.text
    deadline = time.monotonic() + 30
    while True:
        rows = query_db(server, "SELECT status FROM device_webhook_events "
                        "WHERE external_user_id = $1 ORDER BY id DESC", account)  # fmt: skip
        if rows and rows[0][0] != "queued":
            return str(rows[0][0])
        assert time.monotonic() < deadline, rows
        await asyncio.sleep(0.1)


async def test_a_forged_deauthorization_changes_nothing_a_real_one_disconnects(
    api, user: Account, strava: FakeStrava, server: FithubServer
):
    account = seed(strava)
    await connect_and_backfill(api, user, strava, account)

    # Anyone can post an unsigned event naming a public athlete id: the grant still works.
    assert await _deauthorized(api, strava, server, account) == "ignored"
    (connection,) = (await devices(api, user))["connections"]
    assert connection["status"] == "connected"
    assert (await sync_now(api, user, provider="strava"))["status"] == "succeeded"

    # The athlete really revoked fithub at Strava: the push drops the tokens.
    _withdraw_at_strava(strava, account)
    assert await _deauthorized(api, strava, server, account, at=60) == "processed"
    (connection,) = (await devices(api, user))["connections"]
    assert connection["status"] == "disconnected"
    rows = query_db(server, "SELECT credentials FROM device_connections WHERE user_id = $1",
                    user.id)  # fmt: skip
    assert rows == [(None,)]
    assert await read_all(api, user, "/api/v1/activity")  # the data stays
