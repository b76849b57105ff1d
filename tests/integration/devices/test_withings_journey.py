"""Withings through the whole connection journey, and its notifications through fithub's webhook."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from fithub.plugins.testing.fakes.withings import FakeWithings
from fithub.plugins.types import DataType
from tests.conftest import Account
from tests.integration.devices.journey import run_journey
from tests.integration.devices.world import connect_and_backfill, device_server, query_db, seed
from tests.support import FithubServer

HOOK = "/api/v1/webhooks/withings"


@pytest.fixture(scope="module")
def withings() -> Iterator[FakeWithings]:
    with FakeWithings() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(withings: FakeWithings) -> Iterator[FithubServer]:
    """Replaces the package's server here: this one knows the fake Withings."""
    with device_server(withings) as srv:
        yield srv


async def test_withings_connect_backfill_sync_reconnect_disconnect(
    api: httpx.AsyncClient, user: Account, withings: FakeWithings, server: FithubServer
) -> None:
    report = await run_journey(api, user, withings, server)
    assert set(report.read) == set(withings.data_types())
    account = report.account
    assert account in withings.revoked_users  # disconnecting was the signed oauth2 revoke
    # Heart rate came in 24-hour chunks, each a page of its own.
    assert report.backfill["details"]["types"]["heart_rate"]["pages"] > 1

    body = report.read[DataType.BODY]
    weights = {r["external_id"]: r["value"] for r in body if r["kind"] == "weight"}
    for group in withings.items(account, "measuregrps"):
        if str(group["grpid"]) in weights:  # value * 10**unit, in kg
            assert weights[str(group["grpid"])] == pytest.approx(
                group["measures"][0]["value"] / 1000
            )
    assert weights and {r["kind"] for r in body} >= {"weight", "body_fat", "systolic", "diastolic"}

    days = {r["day"]: r for r in report.read[DataType.DAILY]}
    for item in withings.items(account, "activities"):
        if item["date"] in days:
            assert days[item["date"]]["steps"] == item["steps"]
            assert days[item["date"]]["external_id"] == item["date"]
    nights = report.read[DataType.SLEEP]
    assert nights and all(80 <= n["efficiency"] <= 100 for n in nights)  # a ratio, in percent
    beats = report.read[DataType.HEART_RATE]
    assert any(r["external_id"].startswith("grp-") for r in beats)  # pulses from the BP monitor
    intraday = {r["time"] for r in beats if not r["external_id"].startswith("grp-")}
    assert len(intraday) > 200


async def _inbox(server: FithubServer, userid: str) -> list[tuple[object, ...]]:
    return query_db(
        server,
        "SELECT action, data_type FROM device_webhook_events WHERE external_user_id = $1 "
        "ORDER BY id",
        userid,
    )


async def test_withings_notifications_are_verified_by_the_callback_token(
    api: httpx.AsyncClient, user: Account, withings: FakeWithings, server: FithubServer
) -> None:
    account = seed(withings)
    await connect_and_backfill(api, user, withings, account)
    assert len(withings.subscriptions[account]) == 5  # subscribed when connecting

    checked = await api.head(HOOK, params={"token": FakeWithings.callback_token})
    assert checked.status_code == 200
    refused = await api.head(HOOK, params={"token": "guess"})
    assert refused.status_code == 401

    now = int(datetime.now(UTC).timestamp())
    query, headers, body = withings.notification(account, 1, startdate=now - 3600, enddate=now)
    forged = await api.post(HOOK, params={"token": "guess"}, content=body, headers=headers)
    assert forged.status_code == 401
    assert await _inbox(server, account) == []
    delivered = await api.post(HOOK, params=query, content=body, headers=headers)
    assert delivered.status_code == 200, delivered.text
    deadline = time.monotonic() + 30
    while not (rows := await _inbox(server, account)):
        assert time.monotonic() < deadline, "the notification was not stored"
        await asyncio.sleep(0.1)
    assert rows[0] == ("upsert", "body")
