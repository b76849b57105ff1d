"""Polar through the whole connection journey shared by every built-in provider, and its webhook."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fithub.plugins.polar.mapping import duration_s
from fithub.plugins.testing.fakes.polar import FakePolar
from fithub.plugins.types import DataType
from tests.conftest import Account
from tests.integration.devices.journey import run_journey
from tests.integration.devices.world import (
    connect_and_backfill,
    device_server,
    query_db,
    read_all,
    seed,
)
from tests.integration.helpers import assert_problem
from tests.support import FithubServer

HOOK = "/api/v1/webhooks/polar"


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def polar() -> Iterator[FakePolar]:
    with FakePolar() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(polar: FakePolar) -> Iterator[FithubServer]:
    """Replaces the package's server here: this one knows the fake Polar."""
    with device_server(polar) as srv:
        yield srv


async def test_polar_connect_backfill_sync_reconnect_disconnect(
    api: httpx.AsyncClient, user: Account, polar: FakePolar, server: FithubServer
) -> None:
    report = await run_journey(api, user, polar, server)
    account = report.account
    types = report.backfill["details"]["types"]
    assert types["sleep"]["pages"] > 1 and types["heart_rate"]["pages"] > 1  # a date a page

    # Registered once with a member id, re-registration (409) on reconnecting, de-registered.
    posts = [r.status for r in polar.requests_to("/v3/users") if r.method == "POST"
             and r.account == account]  # fmt: skip
    assert posts[0] == 200 and set(posts[1:]) <= {409}
    assert polar.deregistered == [account] and account not in polar.registered

    # Exercises: local start and offset make the instant; durations are ISO 8601.
    runs = {r["id"]: r for r in polar.items(account, "exercises")}
    activities = report.read[DataType.ACTIVITIES]
    assert activities and {a["external_id"] for a in activities} <= set(runs)
    for activity in activities:
        run = runs[activity["external_id"]]
        start = _instant(activity["start_time"])
        local = datetime.fromisoformat(run["start_time"])  # 19:00 on the watch, at UTC+02:00
        assert start == (local - timedelta(minutes=run["start_time_utc_offset"])).replace(
            tzinfo=UTC
        )
        seconds = (_instant(activity["end_time"]) - start).total_seconds()
        assert seconds == duration_s(run["duration"])
        assert activity["calories_kcal"] == run["calories"]
        assert activity["max_heart_rate_bpm"] == run["heart_rate"]["maximum"]

    # Daily summaries by date; sleep with stages; HRV from Nightly Recharge.
    days = {d["date_key"]: d for d in polar.items(account, "activities")}
    for day in report.read[DataType.DAILY]:
        assert day["steps"] == days[day["external_id"]]["steps"]
    nights = {n["date"]: n for n in polar.items(account, "sleep")}
    for night in report.read[DataType.SLEEP]:
        assert night["deep_s"] == nights[night["external_id"]]["deep_sleep"]
    hrv = report.read[DataType.HRV]
    recharges = polar.items(account, "nightly-recharge")
    assert {s["value"] for s in hrv} <= {v for r in recharges for v in r["hrv_samples"].values()}


async def test_polar_webhooks_ping_then_signed_events_only(
    api: httpx.AsyncClient, polar: FakePolar
) -> None:
    ping = await api.post(HOOK, json={"event": "PING", "timestamp": "2024-03-05T10:00:00Z"})
    assert ping.status_code == 200
    account = polar.add_account()
    event = polar.notification("EXERCISE", account, entity_id="aQlC83")
    headers, body = polar.signed_push(event, secret="a-guess")
    assert_problem(await api.post(HOOK, content=body, headers=headers), 401, "push_unverified")
    headers, body = polar.signed_push(event)
    assert (await api.post(HOOK, content=body, headers=headers)).status_code == 200


async def test_a_sleep_push_brings_that_night_and_asks_for_its_recharge(
    api: httpx.AsyncClient, user: Account, polar: FakePolar, server: FithubServer
) -> None:
    account = seed(polar)
    await connect_and_backfill(api, user, polar, account)
    night = datetime.now(UTC).date() - timedelta(days=10)  # older than the backfill
    polar.items(account, "sleep").append(polar.sleep(account, night))
    polar.items(account, "nightly-recharge").append(polar.nightly_recharge(account, night))

    headers, body = polar.signed_push(polar.notification("SLEEP", account, date=night.isoformat()))
    assert (await api.post(HOOK, content=body, headers=headers)).status_code == 200

    deadline = time.monotonic() + 30
    while True:
        sleeps = await read_all(api, user, "/api/v1/sleep")
        if any(s["external_id"] == night.isoformat() for s in sleeps):
            break
        assert time.monotonic() < deadline, "the pushed night never arrived"
        await asyncio.sleep(0.1)
    asked = {r.path for r in polar.requests if r.account == account}
    assert f"/v3/users/sleep/{night}" in asked
    # The same push asks for that night's Nightly Recharge too (it has no event of its own).
    inbox = query_db(
        server,
        "SELECT data_type, window_start, window_end FROM device_webhook_events "
        "WHERE provider = 'polar' AND external_user_id = $1 ORDER BY id",
        str(polar.polar_id(account)),
    )
    assert [row[0] for row in inbox] == ["sleep", "hrv"]
    assert {_instant(str(row[1])).date() for row in inbox} == {night}
