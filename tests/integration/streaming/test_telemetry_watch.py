"""Watching live telemetry over a real server: ``/ws/v1/telemetry/watch``.

Phones stream heart rate through the real ingest socket (``/ws/v1/telemetry``): every stored batch
is published to the user's fan-out topic (in process, or Redis pub/sub with FITHUB_REDIS_URL) and
forwarded to watchers: the user's other screens and trainers the user shares live data with.
Every forwarded ``values`` message carries ``dropped``; so whatever a viewer misses, the values
it received plus the dropped counts add up exactly to the batches the phone sent.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect

from fithub.core.fanout import Fanout
from fithub.streaming.telemetry_protocol import topic
from tests.conftest import Account, sign_up
from tests.integration.coaching_world import coach, make_trainer
from tests.integration.helpers import random_address
from tests.integration.notifications.test_live_inbox import close_code, next_message
from tests.support import FithubServer, cleanup, free_port, make_server, redis_url

WATCH, INGEST = "/ws/v1/telemetry/watch", "/ws/v1/telemetry"
WATCH_SUBPROTOCOL, INGEST_SUBPROTOCOL = "fithub.telemetry-watch.v1", "fithub.telemetry.v1"
DEVICE = {"id": "h10-1", "name": "Polar H10"}
ARRIVAL_S = 10.0  # a published value reaches a watcher well within this, even on a slow CI


def ws_url(base_url: str, path: str) -> str:
    return base_url.replace("http://", "ws://", 1) + path


@asynccontextmanager
async def watch_socket(
    base_url: str, token: str, *, slow: bool = False
) -> AsyncIterator[ClientConnection]:
    """A watch socket authenticated by subprotocol.

    ``slow``: a client that, once it stops calling ``recv``, stops reading almost at once (one
    queued message, a tiny receive buffer), so the server's writes back up quickly.
    """
    offered = [WATCH_SUBPROTOCOL, f"bearer.{token}"]
    if not slow:
        async with connect(ws_url(base_url, WATCH), subprotocols=offered) as ws:  # type: ignore[arg-type]
            yield ws
        return
    parts = urlsplit(base_url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: the window
    sock.connect((parts.hostname or "127.0.0.1", parts.port or 80))
    sock.setblocking(False)
    async with connect(
        ws_url(base_url, WATCH),
        subprotocols=offered,  # type: ignore[arg-type]
        sock=sock,
        max_queue=1,
        ping_interval=None,  # a client that does not read would miss its own keepalive
    ) as ws:
        yield ws


async def watch(ws: ClientConnection, **request: Any) -> list[int]:
    """Send a ``watch`` request; the ``user_ids`` of the answer."""
    await ws.send(json.dumps({"type": "watch", **request}))
    watching = await next_message(ws, "watching", ARRIVAL_S)
    return list(watching["user_ids"])


class Phone:
    """A user's phone on the ingest socket: one stream, numbered batches of heart rate."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seq = -1  # the first batch is number 0
        self.last_t = 0
        self.sent: list[int] = []  # the newest sample time of each stored batch, in order

    async def start(self) -> int:
        await self.ws.send(json.dumps({"type": "start", "device": DEVICE, "sport": "run"}))
        return int((await self._answer("started"))["stream_id"])

    async def _answer(self, kind: str) -> dict[str, Any]:
        """The next ``kind`` message of the ingest (an ``error`` instead fails the test)."""
        async with asyncio.timeout(ARRIVAL_S):
            while True:
                message: dict[str, Any] = json.loads(await self.ws.recv())
                assert message["type"] != "error", message
                if message["type"] == kind:
                    return message

    async def beat(self, bpm: float) -> int:
        """One batch of one sample, acknowledged (stored and published); its time ``t``."""
        self.last_t = t = max(self.last_t + 1, int(time.time() * 1000))
        self.seq += 1
        sample = {"kind": "heart_rate", "t": t, "value": bpm}
        await self.ws.send(json.dumps({"type": "batch", "seq": self.seq, "samples": [sample]}))
        ack = await self._answer("ack")
        assert (ack["seq"], ack["duplicate"]) == (self.seq, False), ack
        self.sent.append(t)
        return t

    async def beats(self, count: int, hz: float, bpm: float = 120) -> float:
        """``count`` batches paced at ``hz``; how long it took (seconds)."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        for i in range(count):
            await asyncio.sleep(max(0.0, began + i / hz - loop.time()))
            await self.beat(bpm + i % 40)
        return loop.time() - began


@asynccontextmanager
async def phone(base_url: str, account: Account) -> AsyncIterator[Phone]:
    offered = [INGEST_SUBPROTOCOL, f"bearer.{account.access_token}"]
    async with connect(ws_url(base_url, INGEST), subprotocols=offered) as ws:  # type: ignore[arg-type]
        await next_message(ws, "ready", ARRIVAL_S)
        yield Phone(ws)


class Collector:
    """Reads a watch socket in the background: ``values`` per user (with arrival times), others."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.values: dict[int, list[tuple[float, dict[str, Any]]]] = {}
        self.others: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        async for raw in self.ws:
            message = json.loads(raw)
            if message["type"] == "values":
                self.values.setdefault(message["user_id"], []).append((loop.time(), message))
            else:
                self.others.append(message)

    def received(self, user_id: int) -> list[dict[str, Any]]:
        return [message for _, message in self.values.get(user_id, [])]

    async def until_t(self, user_id: int, t: int, within_s: float = ARRIVAL_S) -> None:
        """Wait until the value with sample time ``t`` of ``user_id`` arrived."""
        deadline = asyncio.get_running_loop().time() + within_s
        while not any(m["t"] == t for m in self.received(user_id)):
            assert not self.task.done(), "the watch socket closed"
            assert asyncio.get_running_loop().time() < deadline, f"t={t} not within {within_s} s"
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


def accounted(messages: list[dict[str, Any]]) -> int:
    """Values a viewer received plus those it was told it missed."""
    return sum(1 + m["dropped"] for m in messages)


# -- who may watch ----------------------------------------------------------------------------


async def test_your_other_screen_receives_your_values_and_stream_events(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    me = await sign_up(api)
    async with watch_socket(server.base_url, me.access_token) as screen:
        assert screen.subprotocol == WATCH_SUBPROTOCOL
        assert await watch(screen) == [me.id]  # {type: watch} alone: yourself
        await screen.send(json.dumps({"type": "ping"}))
        assert isinstance((await next_message(screen, "pong", ARRIVAL_S))["t"], float)
        async with phone(server.base_url, me) as mine:
            stream_id = await mine.start()
            started = await next_message(screen, "started", ARRIVAL_S)
            assert (started["user_id"], started["stream_id"]) == (me.id, stream_id)
            assert started["device"] == DEVICE
            for bpm in (120, 131, 142):
                t = await mine.beat(bpm)
                values = await next_message(screen, "values", ARRIVAL_S)
                assert (values["user_id"], values["stream_id"], values["t"]) == (
                    me.id,
                    stream_id,
                    t,
                )
                assert values["latest"]["heart_rate"] == bpm
                assert values["dropped"] == 0  # one at a time, each read before the next
            await mine.ws.send(json.dumps({"type": "stop"}))
            ended = await next_message(screen, "ended", ARRIVAL_S)
            assert (ended["user_id"], ended["stream_id"]) == (me.id, stream_id)


async def test_a_trainer_watches_a_client_sharing_live_and_nobody_else_does(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    trainer = await make_trainer(api)
    client, unshared, stranger = await sign_up(api), await sign_up(api), await sign_up(api)
    await coach(api, trainer, client, live=True)
    await coach(api, trainer, unshared)  # an active client, but live data is not shared (default)

    async with watch_socket(server.base_url, trainer.access_token) as ws:
        assert await watch(ws, user_ids=[client.id]) == [client.id]
        async with phone(server.base_url, client) as theirs:
            await theirs.start()
            t = await theirs.beat(150)
            values = await next_message(ws, "values", ARRIVAL_S)
            assert (values["user_id"], values["t"], values["latest"]["heart_rate"]) == (
                client.id,
                t,
                150,
            )
        # The class view holds only the client who shares live data.
        assert await watch(ws, all_clients=True) == [client.id]

    details = set()
    refused = [
        (trainer, [unshared.id]),  # active client, live not shared
        (trainer, [client.id, 10**12]),  # one of them does not exist: the whole request fails
        (stranger, [client.id]),  # no relation
        (client, [trainer.id]),  # the relation goes one way
    ]
    for viewer, user_ids in refused:
        async with watch_socket(server.base_url, viewer.access_token) as ws:
            await ws.send(json.dumps({"type": "watch", "user_ids": user_ids}))
            error = await next_message(ws, "error", ARRIVAL_S)
            assert (error["status"], error["code"], error["instance"]) == (
                404,
                "not_watchable",
                WATCH,
            )
            details.add(error["detail"])
            assert await close_code(ws) == 4404
    assert len(details) == 1  # the same words whether or not the user exists


async def test_a_bad_token_is_refused_with_4401(server: FithubServer) -> None:
    async with watch_socket(server.base_url, "not-a-token-at-all") as ws:
        assert await close_code(ws) == 4401


# -- rates and backpressure -------------------------------------------------------------------


async def test_the_class_view_gets_about_one_value_a_second_per_client(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    trainer = await make_trainer(api)
    clients = [await sign_up(api) for _ in range(3)]
    for client in clients:
        await coach(api, trainer, client, live=True)
    ids = [client.id for client in clients]

    async with watch_socket(server.base_url, trainer.access_token) as ws:
        assert sorted(await watch(ws, all_clients=True)) == sorted(ids)
        view = Collector(ws)
        async with (
            phone(server.base_url, clients[0]) as a,
            phone(server.base_url, clients[1]) as b,
            phone(server.base_url, clients[2]) as c,
        ):
            phones = [a, b, c]
            await asyncio.gather(*(p.start() for p in phones))
            # 40 batches at 10 Hz each: about 4 s of streaming.
            took = await asyncio.gather(*(p.beats(40, hz=10) for p in phones))
            for client, p in zip(clients, phones, strict=True):
                await view.until_t(client.id, p.sent[-1], within_s=ARRIVAL_S)
        await view.stop()

    assert {m["user_id"] for m in view.others if m["type"] == "started"} == set(ids)
    for client, p, seconds in zip(clients, phones, took, strict=True):
        got = view.received(client.id)
        assert got[-1]["t"] == p.sent[-1]  # the newest value arrives
        assert [m["t"] for m in got] == sorted(m["t"] for m in got)
        assert accounted(got) == 40  # every batch: received, or counted as dropped
        # Unthrottled it would be 40 messages; at 1 Hz about seconds + 1 (the first goes at once,
        # the last within a second). Bound with a 50% margin: 1.5 * (4 + 2) = 9 for 4 s.
        assert len(got) <= 1.5 * (seconds + 2), (len(got), seconds)
        assert max(m["dropped"] for m in got) >= 5  # about 9 of every 10 are replaced


@pytest.mark.skipif(
    not redis_url(),
    reason="needs Redis (FITHUB_REDIS_URL): the test publishes oversized values itself; through the "
    "ingest (~0.7 KB each) it would take ~5,000 batches to fill the kernel's 4 MB socket buffers",
)
async def test_a_slow_viewer_gets_the_newest_with_a_dropped_count_and_slows_nobody(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    """A viewer that stops reading backs up only its own pipe: once the kernel's socket buffers
    (a few MB on loopback) and the window fill, newer values replace the slotted one."""
    me = await sign_up(api)
    # 200 values of 64 KB (13 MB) overflow the ~3-4 MB a loopback socket buffers, many times over.
    count, pad = 200, secrets.token_hex(32768)  # random: permessage-deflate cannot shrink it
    fanout = Fanout(Redis.from_url(redis_url() or ""), server.env["FITHUB_REDIS_NAMESPACE"])
    async with (
        watch_socket(server.base_url, me.access_token) as fast_ws,
        watch_socket(server.base_url, me.access_token, slow=True) as slow_ws,
    ):
        assert await watch(fast_ws) == [me.id]
        assert await watch(slow_ws) == [me.id]  # and then it stops reading
        fast = Collector(fast_ws)
        for t in range(1, count + 1):  # about 30 a second: the fast viewer keeps up with ease
            await asyncio.sleep(1 / 30)
            message = {"type": "values", "user_id": me.id, "stream_id": 1, "t": t, "pad": pad}
            assert await fanout.publish(topic(me.id), message) >= 1  # the server subscribed
        await fast.until_t(me.id, count, within_s=ARRIVAL_S)
        # The fast viewer kept up: every value arrived, in order, none dropped, opaque fields kept.
        assert [m["t"] for m in fast.received(me.id)] == list(range(1, count + 1))
        assert {m["dropped"] for m in fast.received(me.id)} == {0}
        assert {m["pad"] for m in fast.received(me.id)} == {pad}
        await fast.stop()

        slow = Collector(slow_ws)  # reads again
        await slow.until_t(me.id, count, within_s=30)  # the newest arrives
        await slow.stop()
    await fanout.redis.aclose()  # type: ignore[union-attr]
    got = slow.received(me.id)
    assert accounted(got) == count  # every value: received, or counted as dropped
    assert sum(m["dropped"] for m in got) > 0 and len(got) < count, len(got)
    assert [m["t"] for m in got] == sorted(m["t"] for m in got)


# -- two API processes sharing Redis ----------------------------------------------------------


@pytest.mark.skipif(
    not redis_url(), reason="needs Redis (FITHUB_REDIS_URL) for cross-process fan-out"
)
async def test_a_trainer_on_one_process_watches_a_phone_streaming_to_another() -> None:
    web_a, database = await asyncio.to_thread(make_server)  # makes a PostgreSQL database
    # B shares A's database, key ring (data folder) and Redis namespace; its logs go elsewhere.
    web_b = FithubServer(env=dict(web_a.env), data_dir=Path(tempfile.mkdtemp(prefix="fithub-b-")))
    try:
        await asyncio.to_thread(web_a.start)
        web_b.port = free_port()
        await asyncio.to_thread(web_b.restart_server)
        headers = {"X-Forwarded-For": random_address()}
        async with httpx.AsyncClient(base_url=web_a.base_url, headers=headers, timeout=30) as api:
            trainer = await make_trainer(api)
            client = await sign_up(api)
            await coach(api, trainer, client, live=True)
        async with watch_socket(web_b.base_url, trainer.access_token) as ws:
            assert await watch(ws, user_ids=[client.id]) == [client.id]
            async with phone(web_a.base_url, client) as theirs:
                await theirs.start()
                t = await theirs.beat(133)
            values = await next_message(ws, "values", ARRIVAL_S)
            assert (values["user_id"], values["t"], values["latest"]["heart_rate"]) == (
                client.id,
                t,
                133,
            )
        logs = web_a.read_logs() + web_b.read_logs()
        assert '"unhandled error"' not in logs, logs[-5000:]
    finally:
        web_b.stop()
        shutil.rmtree(web_b.data_dir, ignore_errors=True)
        await asyncio.to_thread(cleanup, web_a, database)
