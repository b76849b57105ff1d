"""Google Health's notifications are not signed over the body (a shared secret only), so a DELETE
of a window deletes only what Google no longer returns for it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from fithub.plugins.testing.fakes.google import FakeGoogle
from fithub.plugins.testing.fakes.google_data import parse_time
from tests.conftest import Account
from tests.integration.devices.inbox import settled_row
from tests.integration.devices.world import (
    connect_and_backfill,
    device_server,
    read_all,
    seed,
)
from tests.support import FithubServer

HOOK = "/api/v1/webhooks/google"


@pytest.fixture(scope="module")
def server(google: FakeGoogle) -> Iterator[FithubServer]:
    with device_server(google) as srv:
        yield srv


async def _deleted_window(api: httpx.AsyncClient, google: FakeGoogle, server: FithubServer,
                          account: str, start: datetime, end: datetime, nth: int) -> dict[str, Any]:  # fmt: skip
    """Push Google's ``nth`` DELETE of heart rate in [start, end) and wait for its outcome."""
    push = google.push_request(google.notification(account, "heart-rate", start, end, "DELETE"))
    body = push.body + b"\n" * nth  # a new delivery, not a retry of the last (stored once)
    answer = await api.post(HOOK, content=body, headers=dict(push.headers))
    assert answer.status_code < 300, answer.text
    status, outcome = await settled_row(server, "external_user_id = $1 AND action = 'delete'",
                                        account, count=nth)  # fmt: skip
    return {"status": status, **outcome}


async def test_a_window_delete_removes_only_what_google_no_longer_has(
    api: httpx.AsyncClient, user: Account, google: FakeGoogle, server: FithubServer
) -> None:
    account = seed(google)
    await connect_and_backfill(api, user, google, account)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    start = end - timedelta(hours=1)
    window = {"from": start.isoformat(), "to": (end - timedelta(seconds=1)).isoformat()}
    stored = await read_all(api, user, "/api/v1/samples", **window)
    assert len(stored) >= 10  # a beat every 5 minutes

    # Google still has every beat: a forged or replayed DELETE deletes nothing.
    outcome = await _deleted_window(api, google, server, account, start, end, 1)
    assert (outcome["status"], outcome["deleted"]) == ("processed", 0), outcome
    assert outcome["confirmed_with_vendor"] is True
    assert len(await read_all(api, user, "/api/v1/samples", **window)) == len(stored)

    # The person deleted the second half of the hour at Google: only that half goes.
    middle = start + timedelta(minutes=30)
    beats = google.items(account, "heart-rate")
    with google._lock:
        beats[:] = [b for b in beats if not
                    middle <= parse_time(b["heartRate"]["sampleTime"]["physicalTime"]) < end]  # fmt: skip
    outcome = await _deleted_window(api, google, server, account, start, end, 2)
    kept = await read_all(api, user, "/api/v1/samples", **window)
    assert outcome["status"] == "processed" and outcome["deleted"] == len(stored) - len(kept)
    assert 0 < len(kept) < len(stored)
    assert all(datetime.fromisoformat(s["time"]) < middle for s in kept)
