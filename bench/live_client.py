"""A fithub live-socket client for bench/live.py: authenticate, start, send frames, collect events.

One :class:`LiveSocket` is one session on ``/ws/v1/live`` (protocol: docs/streaming.md). It keeps
the frames it sent but has not had a ``pose`` event for, so a caller can pace itself by them
(``wait_for_room``) and measure each frame's latency.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

SUBPROTOCOL = "fithub.live.v1"
LIVE_PATH = "/ws/v1/live"
STALL_S = 10.0  # a socket with frames in flight and no event for this long has stalled


@dataclass
class StreamResult:
    """What one socket saw."""

    clip: str
    exercise: str
    sent: int = 0
    poses: int = 0
    client_dropped: int = 0  # sent, never answered by a pose event (dropped by the server)
    reps: int = 0
    summary: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (sent at, seconds)
    pose_times: list[float] = field(default_factory=list)  # monotonic arrival of each pose
    first_sent: float | None = None
    last_pose: float | None = None
    cut: bool = False  # the time limit stopped it before the clip's end


class LiveSocket:
    """A fithub live socket: authenticate, start, send frames, collect events, stop."""

    def __init__(self, url: str, token: str, exercise: str, clip: str, *, binary: bool) -> None:
        self.url, self.token, self.binary = url, token, binary
        self.result = StreamResult(clip, exercise)
        self.pending: dict[float, float] = {}  # t_ms -> monotonic send time, in send order
        self.order: deque[float] = deque()  # t_ms in flight, oldest first
        self.answered = asyncio.Event()
        self.started = asyncio.Event()
        self.finished = asyncio.Event()
        self.ws: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def open(self, exercise: str) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(
            self.url, subprotocols=[SUBPROTOCOL, f"bearer.{self.token}"],
            compression=None,  # JPEG does not deflate; compressing costs both sides CPU for nothing
            max_size=4 * 1024 * 1024, open_timeout=30, ping_interval=None,
        )
        if self.ws.subprotocol != SUBPROTOCOL:
            raise RuntimeError(f"the server chose subprotocol {self.ws.subprotocol!r}")
        self._reader = asyncio.create_task(self._read())
        await self.ws.send(json.dumps({"type": "start", "exercise": exercise, "send_pose": True}))
        await asyncio.wait_for(self.started.wait(), timeout=30)

    async def _read(self) -> None:
        result = self.result
        try:
            async for raw in self.ws:
                now = time.monotonic()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "pose":
                    result.poses += 1
                    result.pose_times.append(now)
                    result.last_pose = now
                    self._answer(float(message["t_ms"]), now)
                elif kind == "rep":
                    result.reps += 1
                elif kind == "started":
                    self.started.set()
                elif kind == "summary":
                    result.summary = message
                    self.finished.set()
                elif kind == "error":
                    result.errors.append(f"{message.get('code')}: {message.get('detail')}")
                    self.started.set()  # an error answering start must not hang open()
        except Exception as exc:  # the connection failed: record it, let the caller finish
            result.errors.append(f"connection: {exc!r}")
        finally:
            close = getattr(self.ws, "close_code", None)
            if close not in (None, 1000):
                result.errors.append(f"closed with {close}: {self.ws.close_reason}")
            self.started.set()
            self.finished.set()
            self.answered.set()

    def _answer(self, t_ms: float, now: float) -> None:
        """A pose event for ``t_ms``: frames sent before it and still unanswered were dropped."""
        if self.binary:  # binary frames carry no t_ms: answers come in order
            if self.order:
                sent = self.pending.pop(self.order.popleft(), now)
                self.result.latencies.append((sent, now - sent))
            self.answered.set()
            return
        if t_ms not in self.pending:
            return
        while self.order:
            oldest = self.order.popleft()
            sent = self.pending.pop(oldest, now)  # (a repeated t_ms was popped already)
            if oldest == t_ms:
                self.result.latencies.append((sent, now - sent))
                break
            self.result.client_dropped += 1
        self.answered.set()

    async def send_frame(self, jpeg: bytes, t_ms: float) -> None:
        now = time.monotonic()
        if self.binary:
            t_ms = float(self.result.sent)  # a key only; the server stamps the arrival time
            payload: str | bytes = jpeg
        else:
            payload = json.dumps({"type": "frame", "t_ms": t_ms,
                                  "data": base64.b64encode(jpeg).decode("ascii")})
        self.pending[t_ms] = now
        self.order.append(t_ms)
        self.result.sent += 1
        if self.result.first_sent is None:
            self.result.first_sent = now
        await self.ws.send(payload)

    async def wait_for_room(self, in_flight: int) -> bool:
        """Wait until fewer than ``in_flight`` frames are unanswered; False if the socket stalled."""
        while len(self.order) >= in_flight:
            if self.finished.is_set():
                return False
            self.answered.clear()
            try:
                await asyncio.wait_for(self.answered.wait(), timeout=STALL_S)
            except TimeoutError:
                self.result.errors.append(f"stalled: no pose event for {STALL_S:g} s")
                return False
        return True

    async def stop(self) -> StreamResult:
        """Send stop, wait for the summary (the socket then closes with 1000)."""
        try:
            if not self.finished.is_set():
                await self.ws.send(json.dumps({"type": "stop"}))
            await asyncio.wait_for(self.finished.wait(), timeout=60)
        except Exception as exc:
            self.result.errors.append(f"stop: {exc!r}")
        finally:
            await self.ws.close()
            if self._reader is not None:
                await asyncio.gather(self._reader, return_exceptions=True)
        summary = self.result.summary or {}
        self.result.client_dropped += len(self.order)  # never answered
        if summary and summary.get("reps") != self.result.reps:
            self.result.errors.append(f"summary says {summary.get('reps')} reps, "
                                      f"{self.result.reps} rep events arrived")
        return self.result
