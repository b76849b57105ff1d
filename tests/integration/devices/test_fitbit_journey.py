"""Fitbit through the whole connection journey, and its notifications through fithub's webhook."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from typing import Any

import httpx
import pytest

from fithub.plugins.testing.fakes.fitbit import FakeFitbit
from fithub.plugins.types import DataType
from tests.conftest import Account
from tests.integration.devices.journey import run_journey
from tests.integration.devices.world import (
    FINISHED,
    connect_and_backfill,
    device_server,
    query_db,
    seed,
)
from tests.support import FithubServer

HOOK = "/api/v1/webhooks/fitbit"
PUSHED = {"sleep", "activities", "daily", "heart_rate"}


@pytest.fixture(scope="module")
def fitbit() -> Iterator[FakeFitbit]:
    with FakeFitbit() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(fitbit: FakeFitbit) -> Iterator[FithubServer]:
    """Replaces the package's server here: this one knows the fake Fitbit."""
    with device_server(fitbit) as srv:
        yield srv


async def test_fitbit_connect_backfill_sync_reconnect_disconnect(
    api: httpx.AsyncClient, user: Account, fitbit: FakeFitbit, server: FithubServer
) -> None:
    report = await run_journey(api, user, fitbit, server)
    account, types = report.account, report.backfill["details"]["types"]
    assert types["heart_rate"]["pages"] > 1 and types["daily"]["pages"] > 1  # a day per page

    days = {r["day"]: r for r in report.read[DataType.DAILY]}
    stored = {d["date"]: d["summary"] for d in fitbit.items(account, "daily")}
    assert days and set(days) <= set(stored)
    for day, row in days.items():
        summary = stored[day]
        assert row["external_id"] == day and row["steps"] == summary["steps"]
        assert (
            row["active_minutes"] == summary["fairlyActiveMinutes"] + summary["veryActiveMinutes"]
        )
        assert row["distance_m"] == pytest.approx(summary["distances"][0]["distance"] * 1000)

    runs = {r["external_id"]: r for r in report.read[DataType.ACTIVITIES]}
    for item in fitbit.items(account, "activities"):
        if str(item["logId"]) in runs:
            row = runs[str(item["logId"])]
            assert datetime.fromisoformat(row["start_time"]) == fitbit.start_of(item)
            assert row["detected"] is (item["logType"] == "auto_detected")

    # Sleep came in the profile's zone: the stored start is the instant Fitbit meant.
    nights = {r["external_id"]: r for r in report.read[DataType.SLEEP]}
    sleeps = {str(s["logId"]): s for s in fitbit.items(account, "sleep")}
    assert nights and set(nights) <= set(sleeps)
    for log_id, row in nights.items():
        assert datetime.fromisoformat(row["start_time"]) == fitbit.start_of(sleeps[log_id])
        assert row["is_nap"] is not sleeps[log_id]["isMainSleep"]
    assert {r["is_nap"] for r in nights.values()} == {True, False}

    body = report.read[DataType.BODY]
    assert {r["kind"] for r in body} == {"weight", "bmi", "body_fat"}
    weights = {str(w["logId"]): w["weight"] for w in fitbit.items(account, "weight")}
    assert all(weights[r["external_id"]] == r["value"] for r in body if r["kind"] == "weight")

    # Heart rate: every stored minute of the backfill window, at its UTC instant.
    window_start = datetime.fromisoformat(types["heart_rate"]["window"][0])
    beats = {
        datetime.fromisoformat(r["time"]): r["value"] for r in report.read[DataType.HEART_RATE]
    }
    expected = {datetime.fromisoformat(s["t"]): s["value"] for s in fitbit.items(account, "heart")
                if datetime.fromisoformat(s["t"]) >= window_start}  # fmt: skip
    assert beats == expected


async def _inbox(server: FithubServer, owner: str) -> list[tuple[object, ...]]:
    return query_db(
        server,
        "SELECT action, data_type FROM device_webhook_events WHERE external_user_id = $1 "
        "ORDER BY id",
        owner,
    )


async def _wait(check: Callable[[], Awaitable[Any]], what: str, within_s: float = 30) -> Any:
    deadline = time.monotonic() + within_s
    while not (found := await check()):
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.1)
    return found


async def test_fitbit_verification_and_signed_notifications(
    api: httpx.AsyncClient, user: Account, fitbit: FakeFitbit, server: FithubServer
) -> None:
    verified = await api.get(HOOK, params={"verify": FakeFitbit.verify_code})
    assert verified.status_code == 204 and verified.content == b""
    wrong = await api.get(HOOK, params={"verify": "guess"})
    assert wrong.status_code == 404  # what Fitbit's second, deliberately wrong, check expects

    account = seed(fitbit)
    await connect_and_backfill(api, user, fitbit, account)
    today = datetime.now(UTC).date()
    headers, body = fitbit.signed_push([fitbit.notification(account, "sleep", today),
                                        fitbit.notification(account, "activities", today)])  # fmt: skip
    forged_headers, _ = fitbit.signed_push([], secret="guess")
    forged = await api.post(HOOK, content=body, headers={**headers, **forged_headers})
    assert forged.status_code == 401
    assert await _inbox(server, account) == []

    delivered = await api.post(HOOK, content=body, headers=headers)
    assert delivered.status_code == 204, delivered.text
    rows = await _wait(lambda: _inbox(server, account), "the notification was not stored")
    assert rows == [("upsert", "sleep"), ("upsert", "activities"), ("upsert", "daily"),
                    ("upsert", "heart_rate")]  # fmt: skip

    async def pushed() -> list[dict]:
        got = await api.get("/api/v1/devices/fitbit/syncs", headers=user.auth)
        syncs = [s for s in got.json()["items"] if s["trigger"] == "push"]
        done = syncs and all(s["status"] in FINISHED for s in syncs)
        return syncs if done and {t for s in syncs for t in s["data_types"]} >= PUSHED else []

    syncs = await _wait(pushed, "the notifications did not sync", within_s=60)
    # Each asked for the notified day anywhere on Earth, up to the moment it arrived. (Syncs that
    # found another sync of the connection running are "skipped" by fithub today.)
    earliest = datetime.combine(today - timedelta(days=1), time_of_day(10), UTC)
    for sync in syncs:
        start, end = map(datetime.fromisoformat, sync["details"]["requested_window"])
        assert start == earliest and end <= datetime.now(UTC), sync
        assert sync["status"] in ("succeeded", "skipped"), sync
    assert any(s["status"] == "succeeded" for s in syncs)

    headers, body = fitbit.signed_push([fitbit.withdraw(account)])
    revoked = await api.post(HOOK, content=body, headers=headers)
    assert revoked.status_code == 204

    async def disconnected() -> bool:
        rows = query_db(server, "SELECT status FROM device_connections WHERE user_id = $1 "
                        "AND provider = $2", user.id, "fitbit")  # fmt: skip
        return rows == [("disconnected",)]

    await _wait(disconnected, "userRevokedAccess did not disconnect")
