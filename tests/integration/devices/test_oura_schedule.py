"""Scheduled sync: the dispatcher queues each connection again once its interval has passed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from fithub.plugins.testing.fakes.oura import FakeOura
from tests.conftest import Account
from tests.integration.devices.world import OURA, connect_and_backfill, device_server, seed
from tests.support import FithubServer


@pytest.fixture(scope="module")
def server(oura: FakeOura) -> Iterator[FithubServer]:
    """A server that looks for due syncs every second and syncs each connection every 2 s."""
    with device_server(
        oura, FITHUB_DEVICES_DISPATCH_EVERY_S="1", FITHUB_DEVICES_SYNC_INTERVAL_S="2"
    ) as srv:
        yield srv


async def test_connections_are_synced_on_their_schedule(api, user: Account, oura: FakeOura):
    account = seed(oura)
    backfill = await connect_and_backfill(api, user, oura, account)
    deadline = time.monotonic() + 20
    scheduled: list[dict] = []
    while time.monotonic() < deadline and not scheduled:
        listing = (await api.get(f"{OURA}/syncs", headers=user.auth)).json()["items"]
        scheduled = [s for s in listing if s["trigger"] == "scheduled" and s["finished_at"]]
        await asyncio.sleep(0.2)
    assert scheduled, "no scheduled sync ran"
    assert scheduled[-1]["id"] > backfill["id"]
    assert scheduled[-1]["status"] == "succeeded" and scheduled[-1]["inserted"] == 0
