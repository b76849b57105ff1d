"""The whole life of a device connection, for any provider, through a running fithub server.

``run_journey`` is what every built-in provider's end-to-end test calls against its own fake
vendor: connect (consent at the fake, callback), backfill, read the normalised data back, sync
again (nothing new, nothing duplicated), reconnect (data kept, nothing duplicated), disconnect
(grant revoked at the vendor, tokens deleted, data kept). With ``FITHUB_REDIS_URL`` set the syncs
run on a real ``fithub worker``; on SQLite, on the in-process worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from fithub.plugins.testing.fake import FakeVendor
from fithub.plugins.types import DataType
from tests.conftest import Account
from tests.integration.devices.world import (
    connect,
    devices,
    devices_path,
    query_db,
    read_all,
    seed,
    sync_now,
    wait_sync,
)
from tests.support import FithubServer

# Where each data type's primary records are read back.
READS: dict[DataType, tuple[str, dict[str, str]]] = {
    DataType.ACTIVITIES: ("/api/v1/activity", {}),
    DataType.DAILY: ("/api/v1/daily", {}),
    DataType.HEART_RATE: ("/api/v1/samples", {"kind": "heart_rate"}),
    DataType.SLEEP: ("/api/v1/sleep", {}),
    DataType.BODY: ("/api/v1/body", {}),
    DataType.HRV: ("/api/v1/samples", {"kind": "hrv_rmssd"}),
    DataType.SPO2: ("/api/v1/samples", {"kind": "spo2"}),
}


@dataclass
class JourneyReport:
    """What the journey saw, for provider tests that check more of the data."""

    account: str
    backfill: dict[str, Any]
    read: dict[DataType, list[dict[str, Any]]] = field(default_factory=dict)


async def read_type(api: httpx.AsyncClient, user: Account, data_type: DataType,
                    provider: str) -> list[dict[str, Any]]:  # fmt: skip
    path, params = READS[data_type]
    return [r for r in await read_all(api, user, path, **params) if r["provider"] == provider]


async def run_journey(
    api: httpx.AsyncClient,
    user: Account,
    fake: FakeVendor,
    server: FithubServer,
    *,
    data_types: tuple[DataType, ...] | None = None,
    revokes: bool = True,
) -> JourneyReport:
    """Connect, backfill, read, sync again, reconnect and disconnect; assert each step's effect.

    ``data_types`` defaults to what the fake seeds; ``revokes=False`` only for a vendor that has
    no way to withdraw a grant.
    """
    name = fake.name
    path = devices_path(fake)
    expected = data_types or tuple(fake.data_types())
    assert expected, f"{type(fake).__name__}.data_types() names nothing to sync"
    account = seed(fake)

    # Connect: consent at the vendor, callback, a connected connection and a backfill started.
    connected = await connect(api, user, fake, account)
    connection = connected["connection"]
    assert connection["provider"] == name and connection["status"] == "connected", connected
    assert connection["external_user_id"], connection
    assert connected["sync"]["trigger"] == "backfill"
    backfill = await wait_sync(api, user, connected["sync"]["id"], provider=name)
    assert backfill["status"] == "succeeded", backfill
    assert backfill["errors"] == 0 and backfill["inserted"] > 0, backfill
    assert set(backfill["details"]["types"]) >= {str(t) for t in expected}, backfill
    report = JourneyReport(account=account, backfill=backfill)

    # The tokens are sealed at rest, never logged and never returned.
    (sealed,), = query_db(
        server,
        "SELECT credentials FROM device_connections WHERE user_id = $1 AND provider = $2",
        user.id,
        name,
    )
    issued = fake.tokens_of(account)
    assert issued, "the fake issued no tokens"
    listing = await devices(api, user)
    logs = server.read_logs()
    for token in issued:
        assert token not in sealed and token not in logs and token not in str(listing)
    provider_row = next(p for p in listing["providers"] if p["name"] == name)
    assert provider_row["configured"] and provider_row["breaker"]["state"] == "closed"

    # Every data type comes back normalised, from this provider, with its source id.
    for data_type in expected:
        rows = await read_type(api, user, data_type, name)
        assert rows, f"{name}: nothing readable for {data_type} after the backfill"
        assert all(r["external_id"] for r in rows)
        report.read[data_type] = rows
    counts = {t: len(rows) for t, rows in report.read.items()}

    # Syncing again finds nothing new and duplicates nothing.
    again = await sync_now(api, user, provider=name)
    assert again["status"] == "succeeded", again
    assert again["inserted"] == 0 and again["updated"] == 0, again
    for data_type in expected:
        assert len(await read_type(api, user, data_type, name)) == counts[data_type], data_type

    # Reconnecting (a new grant) resumes syncing and keeps the same rows.
    reconnected = await connect(api, user, fake, account)
    assert reconnected["connection"]["status"] == "connected"
    resumed = await wait_sync(api, user, reconnected["sync"]["id"], provider=name)
    assert resumed["status"] == "succeeded" and resumed["inserted"] == 0, resumed
    for data_type in expected:
        assert len(await read_type(api, user, data_type, name)) == counts[data_type], data_type

    # Disconnecting revokes the grant at the vendor and deletes the tokens; the data stays.
    live = [t for t in fake.tokens_of(account) if t in fake.access_tokens and
            not fake.is_revoked(t)]  # fmt: skip
    gone = await api.delete(path, headers=user.auth)
    assert gone.status_code == 204, gone.text
    if revokes:  # False only for a vendor without a revocation endpoint (documented why)
        assert live and any(fake.is_revoked(t) for t in live), "disconnect did not revoke"
    rows = query_db(
        server,
        "SELECT status, credentials FROM device_connections WHERE user_id = $1 AND provider = $2",
        user.id,
        name,
    )
    assert rows == [("disconnected", None)], rows
    refused = await api.post(f"{path}/sync", headers=user.auth)
    assert refused.status_code == 409 and refused.json()["code"] == "connection_not_active"
    for data_type in expected:
        assert len(await read_type(api, user, data_type, name)) == counts[data_type], data_type
    return report
