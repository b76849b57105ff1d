"""The telemetry ingest socket over a real server: acks after storing, resends, refusals, restarts.

Every number asserted is counted from what the test sent: rows stored are read back through
``/api/v1/samples`` (provider ``live``), so a batch lost or stored twice changes the count.
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import Account, sign_up
from tests.support import FithubServer, running_server

PATH = "/ws/v1/telemetry"
SUBPROTOCOL = "fithub.telemetry.v1"
WAIT_S = 20.0


@asynccontextmanager
async def telemetry_socket(base_url: str, token: str) -> AsyncIterator[ClientConnection]:
    url = base_url.replace("http://", "ws://", 1) + PATH
    async with connect(url, subprotocols=[SUBPROTOCOL, f"bearer.{token}"]) as ws:  # type: ignore[list-item]
        ready = await next_message(ws, "ready")
        assert ready["protocol"] == SUBPROTOCOL
        yield ws


async def next_message(ws: ClientConnection, kind: str, within_s: float = WAIT_S) -> dict[str, Any]:
    """The next message of type ``kind`` (others skipped)."""
    async with asyncio.timeout(within_s):
        while True:
            message: dict[str, Any] = json.loads(await ws.recv())
            if message.get("type") == kind:
                return message


async def answer(ws: ClientConnection, within_s: float = WAIT_S) -> dict[str, Any]:
    """The next ack or error."""
    async with asyncio.timeout(within_s):
        while True:
            message: dict[str, Any] = json.loads(await ws.recv())
            if message.get("type") in ("ack", "error"):
                return message


async def start(
    ws: ClientConnection, device: str = "strap-1", stream_id: int | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "start",
        "device": {"id": device, "name": "Chest strap"},
        "sport": "running",
    }
    if stream_id is not None:
        body["stream_id"] = stream_id
    await ws.send(json.dumps(body))
    return await next_message(ws, "started")


def now_ms() -> int:
    return int(time.time() * 1000)


def heart_batch(seq: int, t0: int, count: int = 50, bpm: float = 140) -> dict[str, Any]:
    """``count`` heart-rate samples one second apart, each with one RR interval."""
    return {
        "type": "batch",
        "seq": seq,
        "samples": [
            {
                "kind": "heart_rate",
                "t": t0 + i * 1000,
                "value": bpm + (i % 5),
                "rr_ms": [60000 / (bpm + (i % 5))],
            }
            for i in range(count)
        ],
    }


async def live_count(api: httpx.AsyncClient, account: Account, kind: str = "heart_rate") -> int:
    """How many of the account's live samples of ``kind`` are stored (all pages)."""
    total, cursor = 0, None
    while True:
        params: dict[str, Any] = {"kind": kind, "provider": "live", "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = await api.get("/api/v1/samples", params=params, headers=account.auth)
        assert page.status_code == 200, page.text
        body = page.json()
        total += len(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return total


async def test_batches_are_stored_then_acknowledged_and_resends_are_harmless(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    account = await sign_up(api, birth_date="1990-01-01", gender="male", weight_kg=80)
    t0 = now_ms() - 120_000
    async with telemetry_socket(server.base_url, account.access_token) as ws:
        started = await start(ws)
        assert started["last_seq"] == -1 and started["resumed"] is False
        await ws.send(json.dumps(heart_batch(0, t0)))
        ack = await answer(ws)
        # 50 heart rates + 50 RR intervals
        assert ack == {"type": "ack", "seq": 0, "stored": 100, "duplicate": False}
        values = await next_message(ws, "values")
        assert values["latest"]["heart_rate"] == 144  # the last sample: 140 + 49 % 5
        assert values["derived"]["zone"] is not None and values["derived"]["energy_kcal"] > 0
        await ws.send(json.dumps(heart_batch(0, t0)))  # a resend
        assert await answer(ws) == {"type": "ack", "seq": 0, "stored": 0, "duplicate": True}
        await ws.send(json.dumps(heart_batch(5, t0 + 60_000)))
        gap = await answer(ws)
        assert gap["code"] == "sequence_gap" and gap["expected"] == 1 and gap["seq"] == 5
    assert await live_count(api, account) == 50
    assert await live_count(api, account, "rr_interval") == 50


async def test_a_refused_batch_stores_nothing_and_keeps_the_socket(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    account = await sign_up(api)
    t0 = now_ms() - 60_000
    async with telemetry_socket(server.base_url, account.access_token) as ws:
        await start(ws)
        bad = heart_batch(0, t0, count=10)
        bad["samples"][3]["value"] = 400  # impossible
        bad["samples"].append({"kind": "power", "t": t0, "value": -5})
        bad["samples"].append({"kind": "position", "t": t0, "lat": 91.0, "lon": 0.0})
        await ws.send(json.dumps(bad))
        refused = await answer(ws)
        assert refused["type"] == "error" and refused["code"] == "batch_rejected"
        assert refused["status"] == 422 and refused["seq"] == 0
        fields = {e["field"] for e in refused["errors"]}
        assert {"samples[3].value", "samples[10].value", "samples[11].lat"} <= fields
        future = heart_batch(1, now_ms() + 3_600_000, count=2)
        await ws.send(json.dumps(future))
        assert (await answer(ws))["errors"][0]["type"] == "future_time"
        stale = heart_batch(2, now_ms() - 3 * 365 * 86_400_000, count=2)
        await ws.send(json.dumps(stale))
        assert (await answer(ws))["errors"][0]["type"] == "stale_time"
        truncated = {
            "type": "batch",
            "seq": 3,
            "ble": [{"char": "2a37", "t": t0, "b64": base64.b64encode(b"\x11\x48").decode()}],
        }
        await ws.send(json.dumps(truncated))
        broken = await answer(ws)
        assert broken["code"] == "batch_rejected" and broken["errors"][0]["field"] == "ble[0]"
        oversize = heart_batch(4, t0, count=501)
        await ws.send(json.dumps(oversize))
        assert (await answer(ws))["code"] == "bad_message"  # too many items: not a batch at all
        await ws.send(json.dumps(heart_batch(4, t0, count=5)))  # the socket still works
        assert (await answer(ws))["stored"] == 10
    assert await live_count(api, account) == 5
    metrics = await api.get("/metrics")
    assert 'fithub_telemetry_batches_total{outcome="rejected"}' in metrics.text


async def test_bluetooth_payloads_are_decoded_on_the_server(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    account = await sign_up(api)
    t0 = now_ms() - 30_000
    # 0x2A37: flags 0x16 (uint8 rate, contact detected, RR present), 72 bpm, RR 1024 and 1054
    heart = bytes([0x16, 72]) + struct.pack("<HH", 1024, 1054)
    # 0x2A63: flags 0x0020 (crank data), 250 W, crank revolutions then event time (1/1024 s)
    power = [struct.pack("<HhHH", 0x20, 250, revs, revs * 1024) for revs in (10, 11)]
    ble = [{"char": "2a37", "t": t0, "b64": base64.b64encode(heart).decode()}] + [
        {
            "char": "00002a63-0000-1000-8000-00805f9b34fb",
            "t": t0 + 1000 * (i + 1),
            "b64": base64.b64encode(value).decode(),
        }
        for i, value in enumerate(power)
    ]
    async with telemetry_socket(server.base_url, account.access_token) as ws:
        await start(ws, device="bike")
        await ws.send(json.dumps({"type": "batch", "seq": 0, "ble": ble}))
        ack = await answer(ws)
        # 1 heart rate + 2 RR + 2 power + 1 cadence (one crank turn in one second = 60 rpm)
        assert ack["stored"] == 6, ack
    heart_rows = (
        await api.get("/api/v1/samples", params={"kind": "heart_rate"}, headers=account.auth)
    ).json()
    assert [row["value"] for row in heart_rows["items"]] == [72]
    rr = (
        await api.get("/api/v1/samples", params={"kind": "rr_interval"}, headers=account.auth)
    ).json()
    assert sorted(round(row["value"], 1) for row in rr["items"]) == [1000.0, 1029.3]
    cadence = (
        await api.get("/api/v1/samples", params={"kind": "cycling_cadence"}, headers=account.auth)
    ).json()
    assert [row["value"] for row in cadence["items"]] == [60.0]


async def send_without_waiting(ws: ClientConnection, batches: list[dict[str, Any]]) -> None:
    for batch in batches:
        await ws.send(json.dumps(batch))


async def test_a_connection_killed_mid_stream_resumes_without_loss_or_repeats(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    account = await sign_up(api)
    t0 = now_ms() - 600_000
    batches = [heart_batch(seq, t0 + seq * 50_000) for seq in range(10)]
    async with telemetry_socket(server.base_url, account.access_token) as ws:
        stream_id = (await start(ws))["stream_id"]
        await send_without_waiting(ws, batches[:6])
        acked = (await answer(ws))["seq"]
        ws.transport.abort()  # type: ignore[attr-defined]  # the phone's network drops
    async with telemetry_socket(server.base_url, account.access_token) as ws:
        resumed = await start(ws, stream_id=stream_id)
        assert resumed["resumed"] is True and resumed["last_seq"] >= acked
        for batch in batches[resumed["last_seq"] + 1 :]:
            await ws.send(json.dumps(batch))
            assert (await answer(ws))["seq"] == batch["seq"]
        await ws.send(json.dumps({"type": "stop"}))
        ended = await next_message(ws, "ended")
        assert ended["stream_id"] == stream_id
    assert await live_count(api, account) == 500


def test_a_server_restart_loses_nothing_acknowledged() -> None:
    with running_server() as srv:
        asyncio.run(_restart_scenario(srv))


async def _restart_scenario(srv: FithubServer) -> None:
    t0 = now_ms() - 600_000
    batches = [heart_batch(seq, t0 + seq * 50_000, count=20) for seq in range(6)]
    async with httpx.AsyncClient(base_url=srv.base_url, timeout=30) as api:
        account = await sign_up(api)
        async with telemetry_socket(srv.base_url, account.access_token) as ws:
            stream_id = (await start(ws))["stream_id"]
            for batch in batches[:3]:
                await ws.send(json.dumps(batch))
                assert (await answer(ws))["seq"] == batch["seq"]
            await asyncio.to_thread(srv.kill, srv.processes[0])
            with pytest.raises(ConnectionClosed):
                async with asyncio.timeout(WAIT_S):
                    await ws.send(json.dumps(batches[3]))
                    await ws.recv()
        await asyncio.to_thread(srv.restart_server)
        async with telemetry_socket(srv.base_url, account.access_token) as ws:
            resumed = await start(ws, stream_id=stream_id)
            assert resumed["last_seq"] == 2
            for batch in batches[3:]:
                await ws.send(json.dumps(batch))
                assert (await answer(ws))["seq"] == batch["seq"]
        assert await live_count(api, account) == 120


async def test_streams_are_the_owners_and_flooding_closes(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    owner, stranger = await sign_up(api), await sign_up(api)
    async with telemetry_socket(server.base_url, owner.access_token) as ws:
        stream_id = (await start(ws))["stream_id"]
    async with telemetry_socket(server.base_url, stranger.access_token) as ws:
        await ws.send(
            json.dumps({"type": "start", "device": {"id": "strap-1"}, "stream_id": stream_id})
        )
        refused = await next_message(ws, "error")
        assert refused["status"] == 404 and refused["code"] == "stream_not_found"
        await ws.send(json.dumps({"type": "batch", "seq": 0, "samples": []}))
        assert (await next_message(ws, "error"))["code"] == "not_started"
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(WAIT_S):
                for _ in range(400):
                    await ws.send(json.dumps({"type": "ping"}))
                while True:
                    await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_a_stream_ended_meanwhile_says_so_and_closes(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    from fithub.core.telemetry.models import StreamStatus, TelemetryStream
    from tests.integration.telemetry.server_db import server_db

    account = await sign_up(api)
    async with telemetry_socket(server.base_url, account.access_token) as ws:
        stream_id = (await start(ws))["stream_id"]
        await ws.send(json.dumps(heart_batch(0, now_ms() - 60_000, count=5)))
        assert (await answer(ws))["seq"] == 0
        async with server_db(server):  # as the abandoned-stream job would
            await TelemetryStream.filter(id=stream_id).update(status=StreamStatus.ENDED)
        await ws.send(json.dumps(heart_batch(1, now_ms() - 50_000, count=5)))
        ended = await answer(ws)
        assert ended["code"] == "stream_ended" and ended["seq"] == 1
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(WAIT_S):
                while True:
                    await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4409
    assert await live_count(api, account) == 5
