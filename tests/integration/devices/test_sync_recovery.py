"""A sync whose process is SIGKILLed mid-backfill is taken over and finishes; nothing stays "running".

A real server (and, with ``FITHUB_REDIS_URL``, a real ``fithub worker``) syncs from a fake Oura
that answers each data request slowly. The process running the sync is killed with SIGKILL
after a few pages; a new one starts. "Sync now" answers the stuck run only while its lease may
still be renewed; after that the run is taken over (by "sync now" or the sweeper), ends
``superseded`` with a link to the run that took over, and the chain ends ``succeeded`` with every
heart-rate sample stored once. See docs/adr/0009-leases.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from fithub.core.leases import LEASE_S, SWEEP_EVERY_S
from fithub.plugins.testing.fakes.oura import FakeOura
from tests.integration.conftest import register
from tests.integration.devices.world import OURA, device_env, query_db
from tests.support import FithubServer, poll, running_server

BACKFILL_DAYS = 6
SLOW_S = 0.25  # per vendor data request: the backfill takes about 15 s
#: A lapsed lease is taken over within a sweep; the new process needs a few seconds to start.
RECOVERY_S = LEASE_S + 2 * SWEEP_EVERY_S + 30


@pytest.fixture
def slow_oura() -> Iterator[FakeOura]:
    with FakeOura() as fake:
        fake.inject(delay_s=SLOW_S, times=10**6)
        yield fake


@pytest.fixture
def world(slow_oura: FakeOura) -> Iterator[FithubServer]:
    with running_server(device_env(slow_oura, FITHUB_DEVICES_BACKFILL_DAYS=str(BACKFILL_DAYS))) as srv:
        yield srv


def _get(srv: FithubServer, auth: dict[str, str], sync_id: int) -> dict[str, Any]:
    response = httpx.get(f"{srv.base_url}{OURA}/syncs/{sync_id}", headers=auth, timeout=10)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_killed_sync_is_taken_over_and_resumed(world: FithubServer, slow_oura: FakeOura) -> None:
    srv, fake = world, slow_oura
    user = register(srv)
    account = fake.add_account()
    now = datetime.now(UTC)
    fake.seed(
        account, now - timedelta(days=BACKFILL_DAYS) + timedelta(hours=2), now - timedelta(hours=1)
    )
    expected_beats = len(fake.items(account, "heartrate"))
    started = httpx.post(f"{srv.base_url}{OURA}/connect", headers=user.auth, timeout=10)
    assert started.status_code == 201, started.text
    back = fake.authorize(started.json()["authorization_url"], account)
    answer = httpx.get(f"{srv.base_url}{OURA}/callback", params=back.params, timeout=10)
    assert answer.status_code == 200, answer.text
    first = answer.json()["sync"]["id"]

    # A few pages in, the run's counts already say what it wrote; then its process dies.
    before = poll(
        "pages committed", lambda: (s := _get(srv, user.auth, first))["pages"] >= 4 and s, 60
    )
    assert before["status"] == "running" and before["inserted"] > 0, before
    assert before["worker"] and before["lease_expires_at"], before
    srv.kill_the_job_runner()

    # "Sync now" answers the stuck run only while its lease may still be renewed; then it takes over.
    def sync_now() -> dict[str, Any] | None:
        asked_at = datetime.now(UTC)
        response = httpx.post(f"{srv.base_url}{OURA}/sync", headers=user.auth, timeout=10)
        assert response.status_code == 202, response.text
        body = dict(response.json())
        if body["id"] != first:
            return body
        assert body["status"] == "running", body
        lease = datetime.fromisoformat(body["lease_expires_at"])
        assert lease > asked_at - timedelta(seconds=2), f"answered a run whose lease lapsed: {body}"
        return None

    successor = poll("a run taking over", sync_now, RECOVERY_S)
    old = _get(srv, user.auth, first)
    assert old["status"] == "superseded" and old["finished_at"], old
    assert old["superseded_by"] is not None, old
    assert old["inserted"] >= before["inserted"] and old["pages"] >= before["pages"], old

    # Follow the chain of take-overs to the run that finished.
    chain = [old]
    while chain[-1]["status"] == "superseded":
        nxt = chain[-1]["superseded_by"]
        chain.append(
            poll(
                f"sync {nxt} finished",
                lambda n=nxt: (s := _get(srv, user.auth, n))["finished_at"] and s,
                120,
            )
        )
    final = chain[-1]
    assert final["status"] == "succeeded", final
    assert successor["id"] in {s["id"] for s in chain[1:]} or successor["created"] is False, (
        successor
    )
    assert final["details"]["took_over"] == chain[-2]["id"], final

    # Every sample once: rows expected == rows stored, no duplicate, the resumed run did not start over.
    ((stored, distinct),) = query_db(
        srv,
        "SELECT count(*), count(DISTINCT time) FROM device_samples WHERE user_id = $1 AND kind = $2",
        user.id,
        "heart_rate",
    )
    assert (stored, distinct) == (expected_beats, expected_beats)
    # Each log's counts say what its run wrote (the killed one's too, page by page).
    written = sum(s["inserted"] for s in chain)
    assert 0 < final["inserted"] < written, "the run that took over started from scratch"
    tables = ("device_activities", "device_daily_summaries", "device_samples",
              "device_sleep_sessions", "device_body_measurements")  # fmt: skip
    rows = sum(
        query_db(srv, f"SELECT count(*) FROM {t} WHERE user_id = $1", user.id)[0][0] for t in tables
    )
    assert written == rows
    assert not query_db(
        srv,
        "SELECT id FROM device_sync_logs WHERE status IN ('running', 'queued') AND connection_id IN "
        "(SELECT id FROM device_connections WHERE user_id = $1)",
        user.id,
    )
