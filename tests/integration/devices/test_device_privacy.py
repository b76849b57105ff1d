"""Device data in the full export (never a token) and gone after the account is deleted."""

from __future__ import annotations

import io
import json
import zipfile

from fithub.plugins.testing.fakes.oura import FakeOura
from tests.conftest import PASSWORD, Account
from tests.integration.devices.world import connect_and_backfill, query_db, seed, sync_now
from tests.integration.privacy_world import leftovers
from tests.support import FithubServer

DEVICE_FILES = {
    "device_connections", "device_sync_logs", "device_activities", "device_daily_summaries",
    "device_samples", "device_sleep_sessions", "device_body_measurements",
}  # fmt: skip


async def test_device_data_is_exported_without_tokens_and_erased_with_the_account(
    api, user: Account, oura: FakeOura, server: FithubServer
):
    account = seed(oura)
    await connect_and_backfill(api, user, oura, account)
    await sync_now(api, user)
    response = await api.get("/api/v1/exports/full", headers=user.auth)
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    tables = {
        name.removesuffix(".json"): json.loads(archive.read(name))
        for name in archive.namelist()
        if name != "manifest.json"
    }
    assert DEVICE_FILES <= set(tables)
    assert "device_oauth_states" in json.loads(archive.read("manifest.json"))["excluded"]
    (connection,) = tables["device_connections"]
    assert "credentials" not in connection and connection["provider"] == "oura"
    assert len(tables["device_sync_logs"]) == 2
    assert tables["device_samples"] and tables["device_sleep_sessions"]
    assert {row["user_id"] for row in tables["device_samples"]} == {user.id}
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for token in oura.tokens_of(account):
        assert token.encode() not in everything

    connection_ids = [row[0] for row in query_db(
        server, "SELECT id FROM device_connections WHERE user_id = $1", user.id)]  # fmt: skip
    live = [t for t in oura.tokens_of(account) if t in oura.access_tokens
            and not oura.is_revoked(t)]  # fmt: skip
    refused = await api.request("DELETE", "/api/v1/users/me", headers=user.auth,
                                json={"password": "not the password"})  # fmt: skip
    assert refused.status_code == 401 and not any(oura.is_revoked(t) for t in live)
    deleted = await api.request("DELETE", "/api/v1/users/me", headers=user.auth,
                                json={"password": PASSWORD})  # fmt: skip
    assert deleted.status_code == 204, deleted.text
    assert live and all(oura.is_revoked(t) for t in live)  # the vendor grant went with it
    assert await leftovers(server, user.id, user.email) == []
    logs = query_db(server, "SELECT count(*) FROM device_sync_logs WHERE connection_id = $1",
                    connection_ids[0])  # fmt: skip
    assert logs == [(0,)]
