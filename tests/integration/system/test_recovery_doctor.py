"""Stuck work, seen and re-driven: ``fithub doctor``, the admin endpoint and ``/metrics``.

A real server whose inbox holds rows a lost job left queued, and one a dead worker left held
(both backed off, so the recovery sweep leaves them alone while the tests look); on Redis, a
dead-lettered job message too.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Account, create_admin
from tests.integration.devices.inbox import a_sweep_passed, execute, insert_stuck_row
from tests.integration.helpers import assert_problem
from tests.support import FithubServer, redis_url, running_server

RECOVERY = "/api/v1/admin/recovery"


@pytest.fixture(scope="module")
def server() -> Iterator[FithubServer]:
    """This module's server; its recovery sweep runs every second."""
    with running_server({"FITHUB_RECOVERY_SWEEP_EVERY_S": "1"}) as srv:
        yield srv


@pytest.fixture(scope="module")
def admin(server: FithubServer) -> dict[str, str]:
    return create_admin(server)


def stuck_rows(server: FithubServer, queued: int = 2, held: int = 1) -> list[int]:
    """Inbox rows of a vendor user nobody connected: ``queued`` whose job was lost ten minutes
    ago, and ``held`` by a job whose lease lapsed; the sweep re-drove them all a moment ago."""
    return [insert_stuck_row(server, lease_ago_s=60 if n >= queued else None)
            for n in range(queued + held)]  # fmt: skip


def statuses(server: FithubServer, ids: list[int]) -> list[str]:
    marks = ", ".join(f"${n + 1}" for n in range(len(ids)))
    sql = f"SELECT status FROM device_webhook_events WHERE id IN ({marks}) ORDER BY id"
    return [row[0] for row in execute(server, sql, *ids)]


async def wait_not_queued(server: FithubServer, ids: list[int], within_s: float = 30) -> None:
    deadline = time.monotonic() + within_s
    while "queued" in (found := statuses(server, ids)):
        assert time.monotonic() < deadline, f"still queued: {found}"
        await asyncio.sleep(0.2)


def doctor(server: FithubServer, *args: str) -> dict[str, Any]:
    done = server.run_cli("doctor", "--json", *args)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    answer["by_kind"] = {item["kind"]: item for item in answer["stuck"]}
    return answer


def dead_letter_keys(server: FithubServer) -> tuple[Any, str]:
    import redis

    namespace = server.env["FITHUB_REDIS_NAMESPACE"]
    return redis.Redis.from_url(redis_url() or ""), f"{namespace}:fithub.XQ"


def make_dead_letter(server: FithubServer) -> float:
    """A job message that fails at once and has no retries left; return when it died (ms)."""
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(url=redis_url(), namespace=server.env["FITHUB_REDIS_NAMESPACE"])
    broker.enqueue(dramatiq.Message(queue_name="fithub", actor_name="recovery.sweep",
                                    args=("unexpected",), kwargs={}, options={}))  # fmt: skip
    client, xq = dead_letter_keys(server)
    deadline = time.monotonic() + 30
    while not (found := client.zrange(xq, 0, -1, withscores=True)):
        assert time.monotonic() < deadline, "the failing job was not dead-lettered"
        time.sleep(0.1)
    return float(found[0][1])


async def test_doctor_lists_stuck_work_and_redrives_it(server: FithubServer) -> None:
    ids = stuck_rows(server)
    died_at = make_dead_letter(server) if redis_url() else None
    await a_sweep_passed(server)  # backed-off rows stay where they are
    assert statuses(server, ids) == ["queued"] * 3

    found = doctor(server)["by_kind"]
    queued, held = found["inbox_queued"], found["inbox_processing"]
    assert {str(i) for i in ids[:2]} <= set(queued["ids"]) and queued["count"] >= 2
    assert str(ids[2]) in held["ids"] and held["oldest_s"] >= 590
    assert queued["oldest_s"] >= 590
    if died_at is not None:
        assert found["dead_letter"]["count"] == 1
        assert found["dead_letter"]["ids"][0].startswith("recovery.sweep:")
    else:  # embedded: the server's broker is in its memory (see the admin endpoint)
        assert "dead_letter" not in found
    table = server.run_cli("doctor")
    assert table.returncode == 0 and "inbox_processing" in table.stdout, table.stderr

    redriven = doctor(server, "--redrive")["redriven"]
    assert redriven["inbox"] >= 3
    await wait_not_queued(server, ids)  # acted on: nobody is connected, so ignored
    assert set(statuses(server, ids)) == {"ignored"}
    if died_at is not None:  # one more attempt: it fails again and is dead-lettered anew
        assert redriven["dead_letter"] == 1
        client, xq = dead_letter_keys(server)
        deadline = time.monotonic() + 30
        while (score := client.zrange(xq, 0, -1, withscores=True)[0][1]) <= died_at:
            assert time.monotonic() < deadline, "the dead letter was not tried again"
            await asyncio.sleep(0.1)
        assert client.zcard(xq) == 1 and score > died_at
        client.delete(xq, f"{xq}.msgs")
    assert doctor(server)["by_kind"]["inbox_queued"]["count"] == 0


async def test_the_admin_endpoint_lists_and_redrives(
    api: httpx.AsyncClient, user: Account, admin_auth: dict[str, str], server: FithubServer
) -> None:
    assert_problem(await api.get(RECOVERY, headers=user.auth), 403)
    assert_problem(await api.post(f"{RECOVERY}/redrive", headers=user.auth), 403)
    assert_problem(await api.get(RECOVERY), 401)
    ids = stuck_rows(server, queued=1, held=1)

    answer = await api.get(RECOVERY, headers=admin_auth)
    assert answer.status_code == 200, answer.text
    items = {item["kind"]: item for item in answer.json()["items"]}
    assert set(items) == {"sync", "inbox_queued", "inbox_processing", "delivery", "dead_letter"}
    assert str(ids[0]) in items["inbox_queued"]["ids"]
    assert str(ids[1]) in items["inbox_processing"]["ids"]
    assert items["inbox_queued"]["oldest_s"] >= 590

    redriven = await api.post(f"{RECOVERY}/redrive", headers=admin_auth)
    assert redriven.status_code == 200, redriven.text
    assert redriven.json()["inbox"] >= 2
    await wait_not_queued(server, ids)


def gauge(text: str, name: str, kind: str) -> float:
    match = re.search(rf'^{name}{{kind="{kind}"}} (\S+)$', text, re.MULTILINE)
    assert match, f"{name}{{kind={kind}}} is not exposed"
    return float(match.group(1))


async def test_metrics_expose_stuck_counts_and_ages(
    api: httpx.AsyncClient, server: FithubServer
) -> None:
    ids = stuck_rows(server, queued=2, held=0)
    deadline = time.monotonic() + 15  # the gauges are read at most every 5 s
    while True:
        text = (await api.get("/metrics")).text
        if gauge(text, "fithub_stuck_work", "inbox_queued") >= 2:
            break
        assert time.monotonic() < deadline, text
        await asyncio.sleep(0.5)
    assert gauge(text, "fithub_stuck_work_oldest_seconds", "inbox_queued") >= 590
    for kind in ("sync", "inbox_processing", "dead_letter"):
        assert gauge(text, "fithub_stuck_work", kind) >= 0
    execute(server, "UPDATE device_webhook_events SET status = 'failed' WHERE id IN ($1, $2)",
            *ids)  # fmt: skip
