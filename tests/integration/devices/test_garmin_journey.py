"""Garmin through the whole connection journey shared by every built-in provider, plus its pushes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fithub.plugins.testing.fakes.garmin import OFFSET_S, UPLOAD, FakeGarmin
from fithub.plugins.types import DataType
from tests.conftest import Account
from tests.integration.devices.journey import read_type, run_journey
from tests.integration.devices.world import connect_and_backfill, device_server, seed
from tests.support import FithubServer

HOOK = "/api/v1/webhooks/garmin"


@pytest.fixture(scope="module")
def garmin() -> Iterator[FakeGarmin]:
    with FakeGarmin() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(garmin: FakeGarmin) -> Iterator[FithubServer]:
    """Replaces the package's server here: this one knows the fake Garmin."""
    with device_server(garmin) as srv:
        yield srv


async def test_garmin_connect_backfill_sync_reconnect_disconnect(
    api: httpx.AsyncClient, user: Account, garmin: FakeGarmin, server: FithubServer
) -> None:
    report = await run_journey(api, user, garmin, server)
    assert garmin.deregistered == [report.account]  # disconnecting deregistered the user
    # Three days of one-day pulls per type, one request each: no pages within a window.
    types = report.backfill["details"]["types"]
    assert all(types[str(t)]["pages"] >= 3 for t in garmin.data_types())

    daily = {row["day"]: row for row in report.read[DataType.DAILY]}
    some_day = max(daily)
    item = FakeGarmin.daily(report.account, datetime.fromisoformat(some_day).date())
    assert daily[some_day]["steps"] == item["steps"]
    assert daily[some_day]["external_id"] == some_day  # calendarDate: stable across re-syncs

    weights = [r for r in report.read[DataType.BODY] if r["kind"] == "weight"]
    assert weights and all(60 < w["value"] < 80 for w in weights)  # grams became kilograms
    beats = report.read[DataType.HEART_RATE]
    assert len(beats) > 90 * len(daily)  # every 15 minutes of each daily, less the gaps
    sleeps = report.read[DataType.SLEEP]
    for night in sleeps:
        start, end = (datetime.fromisoformat(night[k]) for k in ("start_time", "end_time"))
        assert end - start == timedelta(hours=8) and night["deep_s"] and night["stages"]
        # 23:00 at the wearer's UTC-5, filed under the calendar day the night ends on.
        local = start.astimezone(UTC) + timedelta(seconds=OFFSET_S)
        assert local.hour == 23 and night["day"] == (local + timedelta(days=1)).date().isoformat()


async def _wait_for(check, within_s: float = 30):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within_s
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, "the push had no effect in time"
        await asyncio.sleep(0.1)


async def test_a_garmin_push_is_stored_and_a_forged_one_refused(
    api: httpx.AsyncClient, user: Account, garmin: FakeGarmin, server: FithubServer
) -> None:
    account = seed(garmin)
    await connect_and_backfill(api, user, garmin, account)
    before = await read_type(api, user, DataType.ACTIVITIES, "garmin")

    later = datetime.now(UTC) + timedelta(days=1)  # an activity fithub has not seen yet
    item = FakeGarmin.activity(account, later.date())
    garmin.items(account, "activities").append(item)
    body = json.dumps(garmin.push_body(account, "activities")).encode()

    forged = await api.post(HOOK, content=body, headers={"content-type": "application/json"},
                            params=garmin.webhook_query())  # fmt: skip
    assert forged.status_code in (401, 403), forged.text
    answer = await api.post(HOOK, content=body, headers=garmin.webhook_headers(),
                            params=garmin.webhook_query())  # fmt: skip
    assert answer.status_code == 200, answer.text

    async def stored() -> bool:
        rows = await read_type(api, user, DataType.ACTIVITIES, "garmin")
        return any(r["external_id"] == item["summaryId"] for r in rows)

    await _wait_for(stored)
    after = await read_type(api, user, DataType.ACTIVITIES, "garmin")
    pushed = {i["summaryId"] for i in json.loads(body)["activities"]}
    assert {r["external_id"] for r in after} == {r["external_id"] for r in before} | pushed
    assert len(after) == len({r["external_id"] for r in after})  # nothing stored twice


async def test_a_garmin_ping_makes_fithub_pull_the_window_it_names(
    api: httpx.AsyncClient, user: Account, garmin: FakeGarmin, server: FithubServer
) -> None:
    account = seed(garmin)
    await connect_and_backfill(api, user, garmin, account)
    now = int(time.time())
    item = FakeGarmin.activity(account, (datetime.now(UTC) + timedelta(days=2)).date())
    item[UPLOAD] = now - 60  # uploaded a minute ago, after the backfill
    garmin.items(account, "activities").append(item)
    before = len(garmin.requests_to("/wellness-api/rest/activities"))

    body = garmin.ping_body(account, "activities", now - 3600, now + 1)
    answer = await api.post(HOOK, content=json.dumps(body).encode(),
                            headers=garmin.webhook_headers(), params=garmin.webhook_query())  # fmt: skip
    assert answer.status_code == 200, answer.text

    async def stored() -> bool:
        rows = await read_type(api, user, DataType.ACTIVITIES, "garmin")
        return any(r["external_id"] == item["summaryId"] for r in rows)

    await _wait_for(stored)
    pulls = garmin.requests_to("/wellness-api/rest/activities")[before:]
    assert any(r.query["uploadStartTimeInSeconds"] == str(now - 3600) for r in pulls), pulls
