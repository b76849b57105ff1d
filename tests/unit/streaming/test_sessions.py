"""Live-session machinery without a server: a client too slow to read, and storing a session once.

The end-to-end behaviour is in tests/e2e/test_live_stream.py; these cover what a real socket
cannot show quickly (a stalled reader needs megabytes of kernel buffers filled first) or at all (a
storing failure, the timer and the sweeper finalising the same session at the same moment).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from redis.asyncio import Redis

from fithub.streaming import coordinator as coordinator_module
from fithub.streaming import jobs as jobs_module
from fithub.streaming.connection import LiveConnection
from fithub.streaming.coordinator import LiveCoordinator, LiveLimits, finalize_detached
from fithub.streaming.store import MemorySessionStore, RedisSessionStore
from fithub.vision.classifiers import BUILTIN_EXERCISES
from fithub.vision.pose import decode_image


class FakeSocket:
    """Quart's websocket as LiveConnection uses it; ``reads=False`` is a client that never reads."""

    def __init__(self, *, reads: bool = True) -> None:
        self.requested_subprotocols = ["fithub.live.v1", "bearer.a-token-of-some-length"]
        self.incoming: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None
        self.reads = reads

    async def accept(self, subprotocol: str | None = None) -> None:
        pass

    async def receive(self) -> str | bytes | None:
        return await self.incoming.get()

    async def send(self, message: str) -> None:
        if not self.reads and self.sent:
            await asyncio.Event().wait()  # the socket's buffers are full: send never returns
        self.sent.append(json.loads(message))

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


async def _refuse(stream: str, data: bytes, t_ms: float) -> Any:
    """The pose pool's answer to bytes that are no image (no pose model needed)."""
    decode_image(data)
    raise AssertionError("not an image, yet decoded")


async def _nothing(*args: Any) -> None:
    pass


def make_coordinator(**limits: Any) -> LiveCoordinator:
    user = SimpleNamespace(id=7)

    async def authenticate(token: str) -> tuple[Any, Any]:
        return user, None

    components = {cls.name: SimpleNamespace(cls=cls) for cls in BUILTIN_EXERCISES}
    runtime = SimpleNamespace(
        accounts=SimpleNamespace(authenticate=authenticate),
        plugins=SimpleNamespace(components=lambda kind: components),
    )
    return LiveCoordinator(
        runtime=runtime,  # type: ignore[arg-type]
        store=MemorySessionStore(),
        pool=SimpleNamespace(  # type: ignore[arg-type]
            close=lambda: None, estimate=_refuse, warm_up=_nothing, release=_nothing
        ),
        limits=LiveLimits(close_drain_s=0.05, **limits),
    )


def landmarks(t_ms: float) -> str:
    marks = np.full((33, 4), 0.5)
    marks[:, 1] = np.linspace(0.1, 0.9, 33)
    return json.dumps({"type": "landmarks", "t_ms": t_ms, "landmarks": marks.tolist()})


async def test_a_client_that_stops_reading_is_cut_off_with_1008_and_left_resumable() -> None:
    coordinator = make_coordinator(outbox_size=8)
    socket = FakeSocket(reads=False)
    connection = LiveConnection(coordinator, socket)
    running = asyncio.create_task(connection.run())
    await socket.incoming.put(json.dumps({"type": "start", "exercise": "squat", "send_pose": True}))
    for i in range(40):  # every frame's pose event goes into an outbox nobody empties
        await socket.incoming.put(landmarks(i * 33.0))
        await asyncio.sleep(0)
    await asyncio.wait_for(running, 5)

    assert socket.closed == (1008, "client is not reading its events")
    assert connection.state is not None
    stored = await coordinator.store.load(connection.state["id"])
    assert stored is not None and stored["status"] == "detached"
    await coordinator.close()


async def test_an_empty_binary_message_is_a_bad_image_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def nothing_to_store(state: dict[str, Any], client: Any) -> dict[str, Any]:
        return {"workout_id": None, "set_id": None}

    monkeypatch.setattr(coordinator_module, "store_result", nothing_to_store)
    coordinator = make_coordinator()
    socket = FakeSocket()
    connection = LiveConnection(coordinator, socket)
    running = asyncio.create_task(connection.run())
    await socket.incoming.put(json.dumps({"type": "start", "exercise": "squat"}))
    await socket.incoming.put(None)  # Quart's form of an empty binary message
    await socket.incoming.put(json.dumps({"type": "stop"}))
    await asyncio.wait_for(running, 5)

    errors = [m for m in socket.sent if m["type"] == "error"]
    assert [e["code"] for e in errors] == ["bad_image"]
    assert errors[0]["problem_type"].endswith("/bad-image")
    summary = next(m for m in socket.sent if m["type"] == "summary")
    assert summary["frames_received"] == 1 and summary["frames_failed"] == 1
    assert socket.closed == (1000, "session stopped")
    await coordinator.close()


async def test_a_silent_socket_is_closed_and_its_session_left_resumable() -> None:
    """A half-open connection (the phone changed networks) must not hold its session forever."""
    coordinator = make_coordinator(idle_timeout_s=0.5)
    socket = FakeSocket()
    connection = LiveConnection(coordinator, socket)
    running = asyncio.create_task(connection.run())
    await socket.incoming.put(json.dumps({"type": "start", "exercise": "squat"}))
    for _ in range(8):  # pings keep it open
        await asyncio.sleep(0.1)
        await socket.incoming.put(json.dumps({"type": "ping"}))
    assert not running.done()
    await asyncio.wait_for(running, 2)

    assert socket.closed == (4408, "nothing received for 0.5 s")
    assert connection.state is not None
    stored = await coordinator.store.load(connection.state["id"])
    assert stored is not None and stored["status"] == "detached"
    await coordinator.close()


async def test_shutting_down_stores_the_sessions_kept_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored: list[str] = []

    async def store_result(state: dict[str, Any], client: Any) -> dict[str, Any]:
        stored.append(state["id"])
        return {"workout_id": 1, "set_id": 2}

    monkeypatch.setattr(coordinator_module, "store_result", store_result)
    coordinator = make_coordinator()
    detached, active, finished = detached_state(180), detached_state(180), detached_state(180)
    active["status"], finished["status"] = "active", "finished"
    for state in (detached, active, finished):
        await coordinator.store.save(state, 60)
    coordinator.finalize_later(detached["id"])

    await coordinator.close()
    assert sorted(stored) == sorted([detached["id"], active["id"]])
    for state in (detached, active):
        after = await coordinator.store.load(state["id"])
        assert after is not None and after["status"] == "finished"


def detached_state(window: int) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "user_id": 7,
        "status": "detached",
        "detached_at": time.time() - window - 1,
        "reps": [],
    }


async def test_a_failed_store_leaves_the_session_for_the_sweeper_and_racers_store_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored: list[str] = []
    failures = [RuntimeError("database is down")]

    async def store_result(state: dict[str, Any], client: Any) -> dict[str, Any]:
        await asyncio.sleep(0.01)  # a real store awaits the database: others may run meanwhile
        if failures:
            raise failures.pop()
        stored.append(state["id"])
        return {"workout_id": 1, "set_id": 2}

    monkeypatch.setattr(coordinator_module, "store_result", store_result)
    store = MemorySessionStore()
    state = detached_state(window=2)
    await store.save(state, 60)

    with pytest.raises(RuntimeError):
        await finalize_detached(store, state["id"], 2)
    after_failure = await store.load(state["id"])
    assert after_failure is not None and after_failure["status"] == "detached"
    assert await store.detached_before(time.time()) == [state["id"]]

    # The resume-window timer and the sweeper both find it at the same moment.
    results = await asyncio.gather(*(finalize_detached(store, state["id"], 2) for _ in range(3)))
    assert stored == [state["id"]]
    assert sum(r is not None for r in results) == 1
    final = await store.load(state["id"])
    assert final is not None and final["status"] == "finished"
    assert final["result"] == {"workout_id": 1, "set_id": 2}


@pytest.mark.skipif(not os.environ.get("FITHUB_REDIS_URL"), reason="needs FITHUB_REDIS_URL (a real Redis)")
async def test_the_sweeper_in_a_worker_finalises_sessions_kept_in_redis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``fithub worker`` has no live coordinator; it must still reach the sessions API processes left."""
    redis = Redis.from_url(os.environ["FITHUB_REDIS_URL"])
    namespace = f"fithub-test-{uuid.uuid4().hex[:10]}"
    prefix = f"{namespace}:live:"
    stored: list[str] = []

    async def store_result(state: dict[str, Any], client: Any) -> dict[str, Any]:
        stored.append(state["id"])
        return {"workout_id": 1, "set_id": 2}

    settings = SimpleNamespace(live_resume_window_s=2, redis_namespace=namespace)
    runtime = SimpleNamespace(redis=redis, settings=settings)
    monkeypatch.setattr(coordinator_module, "store_result", store_result)
    monkeypatch.setattr(jobs_module, "current_coordinator", lambda: None)
    monkeypatch.setattr(jobs_module, "job_runtime", lambda: runtime)
    store = RedisSessionStore(redis, prefix=prefix)
    abandoned, recent, expired = detached_state(2), detached_state(2), detached_state(2)
    recent["detached_at"] = time.time()
    try:
        for state in (abandoned, recent):
            await store.save(state, 60)
        await redis.zadd(prefix + "detached", {expired["id"]: expired["detached_at"]})

        assert await jobs_module.finalize_abandoned() == 1
        assert await jobs_module.finalize_abandoned() == 0
        assert stored == [abandoned["id"]]
        recent_now = await store.load(recent["id"])
        assert recent_now is not None and recent_now["status"] == "detached"
        # An id whose state expired is dropped from the index instead of lingering forever.
        assert await redis.zscore(prefix + "detached", expired["id"]) is None
    finally:
        keys = [prefix + s["id"] for s in (abandoned, recent)] + [prefix + "detached"]
        await redis.delete(*keys)
        await redis.aclose()
