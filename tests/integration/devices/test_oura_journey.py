"""Oura through the whole connection journey shared by every built-in provider."""

from __future__ import annotations

from fithub.plugins.testing.fakes.oura import FakeOura
from tests.conftest import Account
from tests.integration.devices.journey import run_journey
from tests.support import FithubServer


async def test_oura_connect_backfill_sync_reconnect_disconnect(
    api, user: Account, oura: FakeOura, server: FithubServer
):
    report = await run_journey(api, user, oura, server)
    assert report.backfill["details"]["types"]["heart_rate"]["pages"] > 1
