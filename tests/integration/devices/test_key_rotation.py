"""Rotating the data-folder secret: sealed tokens still open, are sealed again, and syncs go on."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fithub.plugins.testing.fakes.oura import FakeOura
from tests.conftest import Account
from tests.integration.devices.world import (
    connect_and_backfill,
    device_server,
    query_db,
    seed,
    sync_now,
)
from tests.support import FithubServer


@pytest.fixture(scope="module")
def server(oura: FakeOura) -> Iterator[FithubServer]:
    """A server of its own: this test restarts it."""
    with device_server(oura) as srv:
        yield srv


def _key_id(server: FithubServer, user: Account) -> str:
    rows = query_db(server, "SELECT credentials_key_id, credentials FROM device_connections "
                    "WHERE user_id = $1", user.id)  # fmt: skip
    (key_id, sealed), = rows
    assert sealed.startswith(f"{key_id}.")
    return str(key_id)


async def test_tokens_survive_a_key_rotation(api, user: Account, oura: FakeOura,
                                             server: FithubServer):  # fmt: skip
    account = seed(oura)
    await connect_and_backfill(api, user, oura, account)
    before = _key_id(server, user)

    server.stop()
    secrets = server.data_dir / "secrets"
    (secrets / "retired").mkdir()
    (secrets / "secret_key").rename(secrets / "retired" / "secret_key.2024")
    rekeyed = server.run_cli("rekey-device-tokens")
    assert rekeyed.returncode == 0, rekeyed.stderr
    assert "1 device connection(s) sealed again" in rekeyed.stdout
    after = _key_id(server, user)
    assert after != before

    server.start()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as fresh:
        result = await sync_now(fresh, user)
    assert result["status"] == "succeeded", result
    assert _key_id(server, user) == after
