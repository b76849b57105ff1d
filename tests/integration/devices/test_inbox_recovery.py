"""The inbox as a transactional outbox: a stored push is processed even when its job was lost.

A real server with a fast recovery sweep (every second, rows re-driven after 2 s). A push whose
job never ran (the broker refused it, or the process died after the commit) is enqueued again by
the vendor's duplicate delivery or by the sweep; a row held by a dead worker is taken over once
its lease lapses; two jobs for one row act once. On Redis, the report's reproduction: Redis
refuses writes while a signed push arrives.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from fithub.plugins.testing.fakes.oura import FakeOura
from tests.conftest import Account
from tests.integration.devices.inbox import a_sweep_passed, execute, jsonb, moment
from tests.integration.devices.world import connect_and_backfill, device_server, seed
from tests.support import FithubServer, redis_url

HOOK = "/api/v1/webhooks/oura"


@pytest.fixture(scope="module")
def server(oura: FakeOura) -> Iterator[FithubServer]:
    """This module's server: the recovery sweep runs every second, re-driving after 2 s."""
    with device_server(oura, FITHUB_RECOVERY_SWEEP_EVERY_S="1",
                       FITHUB_RECOVERY_REDRIVE_AFTER_S="2") as srv:  # fmt: skip
        yield srv


def rows_of(server: FithubServer, account: str) -> list[tuple[Any, ...]]:
    return execute(server, "SELECT id, status, sync_log_id FROM device_webhook_events "
                           "WHERE external_user_id = $1 ORDER BY id", account)  # fmt: skip


def lose_job(server: FithubServer, row_id: int, *, received_ago_s: float = 0,
             lease_ago_s: float | None = None, backed_off: bool = False) -> None:  # fmt: skip
    """Put a processed row back as if its job had never run (or its worker had died holding it).

    ``backed_off``: the sweep re-drove it a moment ago, so only a duplicate may enqueue it now.
    """
    outcome = {"redrives": 10, "redriven_at": datetime.now(UTC).isoformat()} if backed_off else {}
    execute(server, f"UPDATE device_webhook_events SET status = 'queued', sync_log_id = NULL, "
                    f"received_at = $1, processed_at = $2, outcome = $3{jsonb(server)} WHERE id = $4",
            moment(server, received_ago_s),
            None if lease_ago_s is None else moment(server, lease_ago_s),
            json.dumps(outcome), row_id)  # fmt: skip


async def wait_processed(server: FithubServer, account: str, within_s: float = 30) -> list[Any]:
    deadline = time.monotonic() + within_s
    while True:
        rows = rows_of(server, account)
        if rows and all(status == "processed" for _, status, _ in rows):
            return rows
        assert time.monotonic() < deadline, f"still not processed: {rows}"
        await asyncio.sleep(0.2)


def event(account: str) -> dict[str, Any]:
    return {"event_type": "create", "data_type": "workout", "object_id": f"wo-{uuid.uuid4().hex[:8]}",
            "user_id": account, "event_time": datetime.now(UTC).isoformat()}  # fmt: skip


async def connected(api: httpx.AsyncClient, user: Account, oura: FakeOura) -> str:
    account = seed(oura)
    await connect_and_backfill(api, user, oura, account)
    return account


async def processed_push(api: httpx.AsyncClient, oura: FakeOura, server: FithubServer,
                         account: str) -> tuple[dict[str, str], bytes, int]:  # fmt: skip
    headers, body = oura.signed_push(event(account))
    answer = await api.post(HOOK, content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    ((row_id, _, _),) = await wait_processed(server, account)
    return headers, body, row_id


async def test_a_duplicate_of_a_push_whose_job_was_lost_enqueues_it_again(
    api: httpx.AsyncClient, user: Account, oura: FakeOura, server: FithubServer
) -> None:
    account = await connected(api, user, oura)
    headers, body, row_id = await processed_push(api, oura, server, account)
    lose_job(server, row_id, received_ago_s=600, backed_off=True)  # left alone for minutes
    await a_sweep_passed(server)  # one that would have re-driven it, but for the back-off
    assert rows_of(server, account)[0][1] == "queued"

    syncs_before = len(execute(server, "SELECT id FROM device_sync_logs WHERE trigger = 'push'"))
    # The vendor retries, twice at once: stored once, enqueued again, acted on once.
    answers = await asyncio.gather(*(api.post(HOOK, content=body, headers=headers)
                                     for _ in range(2)))  # fmt: skip
    assert [a.status_code for a in answers] == [200, 200]
    ((again_id, _, sync_id),) = await wait_processed(server, account)
    assert again_id == row_id and sync_id
    await a_sweep_passed(server)  # a second job, if one slipped through, was taken before it
    syncs_after = execute(server, "SELECT id FROM device_sync_logs WHERE trigger = 'push'")
    assert len(syncs_after) == syncs_before + 1


async def test_the_sweep_enqueues_a_row_left_queued(
    api: httpx.AsyncClient, user: Account, oura: FakeOura, server: FithubServer
) -> None:
    account = await connected(api, user, oura)
    _, _, row_id = await processed_push(api, oura, server, account)
    lose_job(server, row_id, received_ago_s=3600)
    ((_, status, sync_id),) = await wait_processed(server, account)
    assert status == "processed" and sync_id
    (outcome,) = execute(server, "SELECT outcome FROM device_webhook_events WHERE id = $1", row_id)
    assert json.loads(outcome[0]).get("redrives") == 1


async def test_the_sweep_takes_over_a_row_whose_worker_died(
    api: httpx.AsyncClient, user: Account, oura: FakeOura, server: FithubServer
) -> None:
    account = await connected(api, user, oura)
    _, _, row_id = await processed_push(api, oura, server, account)
    # Claimed a minute ago by a job whose lease (30 s, renewed while it works) then lapsed.
    lose_job(server, row_id, received_ago_s=90, lease_ago_s=30)
    ((_, status, sync_id),) = await wait_processed(server, account)
    assert status == "processed" and sync_id


@pytest.mark.skipif(not redis_url(), reason="needs Redis (FITHUB_REDIS_URL)")
async def test_a_push_arriving_while_redis_refuses_writes_is_answered_and_processed(
    api: httpx.AsyncClient, user: Account, oura: FakeOura, server: FithubServer
) -> None:
    """The report: the push is stored, the enqueue fails; it was answered 500 and never processed."""
    import redis

    account = await connected(api, user, oura)
    client = redis.Redis.from_url(redis_url() or "")
    headers, body = oura.signed_push(event(account))
    client.config_set("min-replicas-to-write", 1)
    try:
        first = await api.post(HOOK, content=body, headers=headers)
        # Stored: the vendor is not told to retry (the sweep or a duplicate enqueues it).
        assert first.status_code == 200, first.text
        assert [status for _, status, _ in rows_of(server, account)] == ["queued"]
    finally:
        client.config_set("min-replicas-to-write", 0)
    again = await api.post(HOOK, content=body, headers=headers)
    assert again.status_code == 200, again.text
    ((_, status, sync_id),) = await wait_processed(server, account)
    assert status == "processed" and sync_id
    assert "could not be enqueued" in server.read_logs()
