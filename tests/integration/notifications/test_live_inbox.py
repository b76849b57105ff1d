"""The notifications socket over a real server: hello, a record arriving live, refusals, isolation.

A personal record logged through the REST API becomes a ``record.achieved`` event; after the
event settles (about 5 s) the consumer makes a notification, the in-app notifier delivers it and
the fan-out hands it to the person's sockets. With Redis, a second API process sharing the
database proves the pub/sub path: the socket on one process gets what the other's worker sent.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import Account, sign_up
from tests.integration.conftest import Catalog
from tests.integration.helpers import random_address
from tests.integration.training import create_workout, log_set
from tests.support import FithubServer, cleanup, free_port, make_server, redis_url

PATH = "/ws/v1/notifications"
SUBPROTOCOL = "fithub.notifications.v1"
#: Settling (5 s), the consumer's schedule (2 s) and a delivery job, with room for a slow CI.
ARRIVAL_S = 30.0


def socket_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + PATH


@asynccontextmanager
async def inbox_socket(base_url: str, token: str | None) -> AsyncIterator[ClientConnection]:
    """A notifications socket, authenticated by subprotocol when ``token`` is given."""
    offered = [SUBPROTOCOL] + ([f"bearer.{token}"] if token else [])
    async with connect(socket_url(base_url), subprotocols=offered) as ws:  # type: ignore[arg-type]
        yield ws


async def next_message(ws: ClientConnection, kind: str, within_s: float) -> dict[str, Any]:
    """The next message of type ``kind`` (others are skipped); fails after ``within_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while True:
        remaining = deadline - loop.time()
        assert remaining > 0, f"no {kind!r} message within {within_s:g} s"
        try:
            raw = await asyncio.wait_for(ws.recv(), timeout=remaining)
        except TimeoutError:
            raise AssertionError(f"no {kind!r} message within {within_s:g} s") from None
        message: dict[str, Any] = json.loads(raw)
        if message.get("type") == kind:
            return message


async def close_code(ws: ClientConnection, within_s: float = 15) -> int | None:
    """Read until the server closes the socket; the close code it sent."""
    try:
        async with asyncio.timeout(within_s):
            while True:
                await ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def log_a_record(api: httpx.AsyncClient, account: Account, running: int) -> None:
    """One set that sets exactly one personal record (the longest duration of a first run)."""
    workout = await create_workout(api, account, status="in_progress")
    logged = await log_set(api, account, workout["id"], exercise_id=running, duration_s=1500)
    assert [r["kind"] for r in logged["records"]] == ["longest_duration"]


def assert_record_notification(message: dict[str, Any]) -> None:
    assert message["kind"] == "record.achieved"
    assert isinstance(message["id"], int) and message["id"] > 0
    assert message["title"] and message["text"]
    assert isinstance(message["data"], dict)
    assert datetime.fromisoformat(message["created_at"]).tzinfo is not None


async def test_hello_then_a_new_record_arrives_live_and_only_to_its_owner(
    server: FithubServer, api: httpx.AsyncClient, catalog: Catalog
) -> None:
    owner, stranger = await sign_up(api), await sign_up(api)
    async with (
        inbox_socket(server.base_url, owner.access_token) as mine,
        inbox_socket(server.base_url, stranger.access_token) as theirs,
    ):
        assert mine.subprotocol == SUBPROTOCOL
        assert await next_message(mine, "hello", 10) == {"type": "hello", "unread": 0}
        assert await next_message(theirs, "hello", 10) == {"type": "hello", "unread": 0}
        await mine.send(json.dumps({"type": "ping"}))  # the heartbeat of /ws/v1/live
        assert isinstance((await next_message(mine, "pong", 10))["t"], float)

        await log_a_record(api, owner, catalog.id("Running"))
        arrived = await next_message(mine, "notification", ARRIVAL_S)
        assert_record_notification(arrived)

        # The stranger's socket got nothing first: its next message answers this ping.
        await theirs.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(theirs.recv(), timeout=10))["type"] == "pong"

    async with inbox_socket(server.base_url, owner.access_token) as again:
        assert await next_message(again, "hello", 10) == {"type": "hello", "unread": 1}
    async with inbox_socket(server.base_url, stranger.access_token) as again:
        assert await next_message(again, "hello", 10) == {"type": "hello", "unread": 0}


async def test_the_token_may_come_as_the_first_message(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    account = await sign_up(api)
    async with inbox_socket(server.base_url, None) as ws:
        await ws.send(json.dumps({"type": "auth", "token": account.access_token}))
        assert await next_message(ws, "hello", 10) == {"type": "hello", "unread": 0}
        await ws.send(json.dumps({"type": "start"}))  # a live-socket message: not on this one
        error = await next_message(ws, "error", 10)
        assert (error["code"], error["status"], error["instance"]) == ("bad_message", 400, PATH)


@pytest.mark.parametrize(
    "token", ["not-a-token-at-all", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"]
)
async def test_a_bad_token_is_refused_with_4401(server: FithubServer, token: str) -> None:
    async with inbox_socket(server.base_url, token) as ws:
        assert await close_code(ws) == 4401


async def test_a_first_message_that_is_not_auth_is_refused_with_4401(server: FithubServer) -> None:
    async with inbox_socket(server.base_url, None) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert await close_code(ws) == 4401


async def test_a_revoked_session_is_refused_with_4401(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    account = await sign_up(api)
    out = await api.post("/api/v1/auth/logout", headers=account.auth)
    assert out.status_code in (200, 204), out.text
    async with inbox_socket(server.base_url, account.access_token) as ws:
        assert await close_code(ws) == 4401


# -- two API processes, one database, Redis pub/sub -------------------------------------------


def _start_web_only(srv: FithubServer) -> None:
    """``fithub migrate`` and ``fithub serve`` without a worker: its jobs run elsewhere."""
    migrated = srv.run_cli("migrate")
    assert migrated.returncode == 0, migrated.stderr
    srv.port = free_port()
    srv.restart_server()


@pytest.mark.skipif(not redis_url(), reason="needs Redis (FITHUB_REDIS_URL)")
async def test_a_socket_on_one_process_gets_what_another_process_delivered() -> None:
    web_a, database = await asyncio.to_thread(make_server)  # makes a PostgreSQL database
    # B shares A's database, key ring (data folder) and Redis namespace; its logs go elsewhere.
    web_b = FithubServer(env=dict(web_a.env), data_dir=Path(tempfile.mkdtemp(prefix="fithub-b-")))
    try:
        _start_web_only(web_a)  # no worker on A: B's worker delivers everything
        web_b.start()  # fithub serve and fithub worker
        headers = {"X-Forwarded-For": random_address()}
        async with httpx.AsyncClient(base_url=web_b.base_url, headers=headers, timeout=30) as api:
            owner = await sign_up(api)
            running = Catalog(web_b).id("Running")
            async with inbox_socket(web_a.base_url, owner.access_token) as ws:
                assert await next_message(ws, "hello", 10) == {"type": "hello", "unread": 0}
                await log_a_record(api, owner, running)
                assert_record_notification(await next_message(ws, "notification", ARRIVAL_S))
        logs = web_a.read_logs() + web_b.read_logs()
        assert '"unhandled error"' not in logs, logs[-5000:]
    finally:
        web_b.stop()
        shutil.rmtree(web_b.data_dir, ignore_errors=True)
        await asyncio.to_thread(cleanup, web_a, database)
