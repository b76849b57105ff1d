"""What a telemetry stream derives over a real server: alerts delivered as notifications, sensor
states, and a stream's activity merged with the same workout synced later from a vendor."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import Account, sign_up
from tests.integration.notifications.inbox_helpers import inbox, wait_for
from tests.integration.streaming.test_telemetry_ingest import (
    answer,
    heart_batch,
    next_message,
    now_ms,
    start,
    telemetry_socket,
)
from tests.support import FithubServer, running_server


async def through_ack(ws: Any) -> list[dict[str, Any]]:
    """Every message up to and including the next ack."""
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["type"] != "ack":
        seen.append(json.loads(await asyncio.wait_for(ws.recv(), 20)))
    return seen


async def make_rule(api: httpx.AsyncClient, account: Account, **body: Any) -> int:
    made = await api.post("/api/v1/telemetry/alerts", headers=account.auth, json=body)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def test_a_rule_held_long_enough_fires_once_and_reaches_the_inbox(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    account = await sign_up(api)
    rule_id = await make_rule(api, account, name="Easy now", condition="above_rate", bpm=150,
                              duration_s=10, quiet_s=600)  # fmt: skip
    t0 = now_ms() - 120_000
    async with telemetry_socket(server.base_url, account.access_token) as ws:
        await start(ws)
        # 9 s above 150 bpm: not long enough; then down; then 20 s above: fires once.
        await ws.send(json.dumps(heart_batch(0, t0, count=10, bpm=160)))
        assert (await answer(ws))["stored"] == 20
        await ws.send(json.dumps(heart_batch(1, t0 + 10_000, count=5, bpm=120)))
        await answer(ws)
        await ws.send(json.dumps(heart_batch(2, t0 + 15_000, count=21, bpm=160)))
        await answer(ws)
        alert = await next_message(ws, "alert")
        assert alert["rule_id"] == rule_id and alert["condition"] == "above_rate"
        assert alert["bpm"] >= 160
        # Still above for another 20 s: inside the quiet period, no second alert.
        await ws.send(json.dumps(heart_batch(3, t0 + 36_000, count=20, bpm=165)))
        await answer(ws)
        await ws.send(json.dumps({"type": "stop"}))
        ended = await next_message(ws, "ended")
        assert ended["summary"]["time_in_zones_s"] is None  # no age, no maximum: no zones

    async def alerts() -> list[dict[str, Any]] | None:
        found = [i for i in await inbox(api, account) if i["kind"] == "telemetry.alert"]
        return found or None

    items = await wait_for("the alert in the inbox", alerts)
    assert len(items) == 1 and "Easy now" in items[0]["title"] + items[0]["text"]
    rule = (await api.get(f"/api/v1/telemetry/alerts/{rule_id}", headers=account.auth)).json()
    assert rule["last_fired_at"] is not None


async def test_contact_lost_and_regained_are_reported(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    account = await sign_up(api, birth_date="1996-06-01")
    t0 = now_ms() - 60_000
    lost = {"type": "batch", "seq": 1, "samples": [
        {"kind": "heart_rate", "t": t0 + 10_000 + i * 1000, "value": 0, "contact": False}
        for i in range(3)
    ]}  # fmt: skip
    async with telemetry_socket(server.base_url, account.access_token) as ws:
        started = await start(ws)
        assert started["derived"]["max_source"] == "tanaka"
        await ws.send(json.dumps(heart_batch(0, t0, count=10, bpm=130)))
        await answer(ws)
        await ws.send(json.dumps(lost))
        seen = await through_ack(ws)
        assert seen[-1]["stored"] == 0  # a strap without contact sends no value
        assert [m["state"] for m in seen if m["type"] == "sensor"] == ["contact_lost"]
        await ws.send(json.dumps(heart_batch(2, t0 + 13_000, count=5, bpm=131)))
        seen = await through_ack(ws)
        assert [m["state"] for m in seen if m["type"] == "sensor"] == ["reconnected"]
        values = await next_message(ws, "values")
        assert values["derived"]["zone"] is not None and values["sensor"] == "reconnected"


async def test_a_stream_and_a_later_vendor_workout_of_the_same_minutes_count_once(
    server: FithubServer, api: httpx.AsyncClient
) -> None:
    account = await sign_up(api)
    t0 = now_ms() - 3_600_000
    async with telemetry_socket(server.base_url, account.access_token) as ws:
        await start(ws)
        for seq in range(4):  # 4 x 50 s of heart rate
            await ws.send(json.dumps(heart_batch(seq, t0 + seq * 50_000)))
            await answer(ws)
        await ws.send(json.dumps({"type": "stop"}))
        await next_message(ws, "ended")
    mine = await api.get("/api/v1/activity", params={"provider": "live"}, headers=account.auth)
    assert mine.status_code == 200 and len(mine.json()["items"]) == 1
    live = mine.json()["items"][0]
    assert live["avg_heart_rate_bpm"] == 142  # 140..144 evenly
    iso = lambda ms: datetime.fromtimestamp(ms / 1000, UTC).isoformat()  # noqa: E731
    workout = {"uuid": str(uuid.uuid4()).upper(), "type": "HKWorkoutTypeIdentifier",
               "start": iso(t0 - 5_000), "end": iso(t0 + 205_000), "source": "Watch",
               "activity_type": "HKWorkoutActivityTypeRunning", "avg_heart_rate_bpm": 141}  # fmt: skip
    pushed = await api.post("/api/v1/devices/apple_health/batch", headers=account.auth,
                            json={"records": [workout]})  # fmt: skip
    assert pushed.status_code == 200, pushed.text
    merged = await api.get("/api/v1/activity", headers=account.auth)
    assert len(merged.json()["items"]) == 1, merged.json()  # the repeat is hidden
    everything = await api.get("/api/v1/activity", params={"include_duplicates": True},
                               headers=account.auth)  # fmt: skip
    assert len(everything.json()["items"]) == 2


def test_a_silent_strap_is_reported_as_signal_lost_and_fires_its_alert() -> None:
    with running_server({"FITHUB_TELEMETRY_SIGNAL_LOST_S": "1"}) as srv:
        asyncio.run(_silent_strap(srv))


async def _silent_strap(srv: FithubServer) -> None:
    async with httpx.AsyncClient(base_url=srv.base_url, timeout=30) as api:
        account = await sign_up(api)
        rule_id = await make_rule(api, account, name="Strap", condition="signal_lost", duration_s=5)
        async with telemetry_socket(srv.base_url, account.access_token) as ws:
            await start(ws)
            await ws.send(json.dumps(heart_batch(0, now_ms() - 5_000, count=5)))
            await through_ack(ws)
            # Nothing more is sent: the server's own clock notices (pings keep the socket open).
            lost = await next_message(ws, "sensor")
            assert lost["state"] == "signal_lost"
            alert = await next_message(ws, "alert")
            assert alert["rule_id"] == rule_id and alert["condition"] == "signal_lost"
            await ws.send(json.dumps(heart_batch(1, now_ms() - 1_000, count=1)))
            seen = await through_ack(ws)
            assert [m["state"] for m in seen if m["type"] == "sensor"] == ["reconnected"]
