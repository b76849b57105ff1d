"""A live-stream client for the end-to-end tests, and the shared clips as messages to play back.

``LiveClient`` wraps one real WebSocket (the ``websockets`` library): a reader task collects every
server event, so a test can send as fast as it likes and still see the close code; ``play`` sends a
clip's messages at a pace under the server's rate limit (90 messages/s, bursts of 180).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.exercise_clips import Clip, labelled_clips, missing_reason
from tests.support import FithubServer

SUBPROTOCOL = "fithub.live.v1"
PATH = "/ws/v1/live"
#: Under the server's sustained limit of 90 messages per second (bursts of 180 absorb jitter).
PACE_S = 1 / 80
EVENT_TIMEOUT_S = 20.0


# -- the shared clips ------------------------------------------------------------------------------


def clip(name: str) -> Clip:
    """A labelled clip by name; skips the test (saying where it looked) when the data is absent."""
    found = {c.name: c for c in labelled_clips()}
    if name not in found:
        pytest.skip(missing_reason(f"clip {name}"))
    return found[name]


@cache
def landmark_messages(name: str, step: int = 1) -> tuple[str, ...]:
    """Every ``step``-th frame of a clip as ``landmarks`` messages (JSON text), with its own t_ms."""
    path = clip(name).landmarks
    if not path.is_file():
        pytest.skip(missing_reason(f"landmarks {path.name}"))
    with np.load(path) as data:
        marks, times, world = data["landmarks"], data["t_ms"], data["world"]
        aspect = float(data["width"]) / float(data["height"])
    messages = []
    for i in range(0, len(marks), step):
        if not np.isfinite(marks[i]).all():
            continue  # no pose in that frame: a phone sends nothing either
        message: dict[str, Any] = {
            "type": "landmarks",
            "t_ms": float(times[i]),
            "landmarks": np.round(marks[i].astype(float), 5).tolist(),
            "aspect": aspect,
        }
        if np.isfinite(world[i]).all():
            message["world"] = np.round(world[i, :, :3].astype(float), 5).tolist()
        messages.append(json.dumps(message))
    return tuple(messages)


def restart_clock(messages: Sequence[str]) -> list[str]:
    """The same messages with t_ms counted from the first of them, as after a phone app restart."""
    parsed = [json.loads(m) for m in messages]
    zero = parsed[0]["t_ms"]
    return [json.dumps({**m, "t_ms": m["t_ms"] - zero}) for m in parsed]


@dataclass(frozen=True)
class JpegFrame:
    t_ms: float
    jpeg: bytes

    def as_json(self) -> str:
        """A ``frame`` message: base64 of the JPEG with the clip's own time."""
        data = base64.b64encode(self.jpeg).decode()
        return json.dumps({"type": "frame", "data": data, "t_ms": self.t_ms})


@cache
def jpeg_frames(
    name: str, step: int = 1, quality: int = 80, scale: float = 1.0
) -> tuple[JpegFrame, ...]:
    """Every ``step``-th frame of a clip's video, JPEG-encoded as a phone would send it."""
    import cv2

    path: Path = clip(name).video
    if not path.is_file():
        pytest.skip(missing_reason(f"video {path.name}"))
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    frames, index = [], 0
    try:
        while True:
            ok, image = capture.read()
            if not ok:
                break
            if index % step == 0:
                if scale != 1.0:
                    image = cv2.resize(image, None, fx=scale, fy=scale)
                ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
                assert ok
                frames.append(JpegFrame(index * 1000.0 / fps, encoded.tobytes()))
            index += 1
    finally:
        capture.release()
    assert frames, f"no frames could be read from {path}"
    return tuple(frames)


# -- the client -------------------------------------------------------------------------------------


def ws_url(server: FithubServer) -> str:
    return server.base_url.replace("http://", "ws://") + PATH


@dataclass
class LiveClient:
    """One live socket and everything the server sent on it."""

    ws: ClientConnection
    events: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str = ""
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        server: FithubServer,
        token: str | None,
        *,
        via: str = "subprotocol",
        wait_ready: bool = True,
        compress: bool = True,
    ) -> LiveClient:
        """Connect; authenticate with the bearer subprotocol or a first ``auth`` message.

        ``compress=False`` turns permessage-deflate off, as a phone sending JPEGs should: it
        costs both sides CPU for bytes that do not compress.
        """
        protocols = [SUBPROTOCOL]
        if token is not None and via == "subprotocol":
            protocols.append(f"bearer.{token}")
        ws = await connect(
            ws_url(server),
            subprotocols=protocols,
            max_size=None,
            open_timeout=10,
            compression="deflate" if compress else None,
        )
        client = cls(ws)
        client._reader = asyncio.create_task(client._read())
        if token is not None and via == "message":
            await client.send({"type": "auth", "token": token})
        if token is not None and wait_ready:
            await client.expect("ready")
        return client

    async def _read(self) -> None:
        try:
            while True:
                raw = await self.ws.recv()
                assert isinstance(raw, str), f"the server sent a binary message: {raw[:40]!r}"
                async with self._arrived:
                    self.events.append(json.loads(raw))
                    self._arrived.notify_all()
        except ConnectionClosed:
            pass
        finally:
            rcvd = self.ws.protocol.close_rcvd  # what the server sent, not what we did
            async with self._arrived:
                self.close_code = rcvd.code if rcvd is not None else 1006
                self.close_reason = rcvd.reason if rcvd is not None else ""
                self._arrived.notify_all()

    @property
    def closed(self) -> bool:
        return self.close_code is not None

    async def send(self, message: dict[str, Any] | str | bytes) -> None:
        await self.ws.send(json.dumps(message) if isinstance(message, dict) else message)

    async def try_send(self, message: dict[str, Any] | str | bytes) -> bool:
        """Send unless the socket is closed; whether it was sent."""
        try:
            await self.send(message)
        except ConnectionClosed:
            return False
        return True

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == kind]

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], what: str,
        within: float = EVENT_TIMEOUT_S, start: int = 0,
    ) -> dict[str, Any]:
        """The first event from index ``start`` on that matches ``predicate``."""
        deadline = time.monotonic() + within
        async with self._arrived:
            while True:
                for event in self.events[start:]:
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    raise AssertionError(
                        f"no {what} event (closed: {self.close_code} {self.close_reason!r}); "
                        f"got {[e.get('type') for e in self.events]} "
                        f"last: {self.events[-3:]}"
                    )
                try:
                    await asyncio.wait_for(self._arrived.wait(), left)
                except TimeoutError:
                    pass

    async def expect(self, kind: str, within: float = EVENT_TIMEOUT_S, **fields: Any) -> dict[str, Any]:
        """The first event of type ``kind`` whose fields include ``fields``."""
        return await self.wait_for(
            lambda e: e.get("type") == kind and all(e.get(k) == v for k, v in fields.items()),
            f"{kind} {fields or ''}", within,
        )

    async def first(self, kind: str, within: float = EVENT_TIMEOUT_S) -> dict[str, Any] | None:
        """The first event of type ``kind``, or None if the socket closed without one."""
        try:
            return await self.expect(kind, within)
        except AssertionError:
            if self.closed:
                return None
            raise

    async def next_event(self, start: int, within: float = EVENT_TIMEOUT_S) -> dict[str, Any]:
        """The first event sent after the first ``start`` ones."""
        return await self.wait_for(lambda e: True, "new", within, start)

    async def error(self, code: str, within: float = EVENT_TIMEOUT_S) -> dict[str, Any]:
        return await self.wait_for(
            lambda e: e.get("type") == "error" and e.get("code") == code, f"error {code}", within
        )

    async def wait_closed(self, within: float = EVENT_TIMEOUT_S) -> tuple[int, str]:
        """The close code and reason the server sent (1006 when the connection just dropped)."""
        assert self._reader is not None
        await asyncio.wait_for(asyncio.shield(self._reader), within)
        assert self.close_code is not None
        return self.close_code, self.close_reason

    async def start(self, exercise: str, **options: Any) -> dict[str, Any]:
        before = len(self.events)
        await self.send({"type": "start", "exercise": exercise, **options})
        reply = await self.next_event(before)
        assert reply["type"] == "started", reply
        return reply

    async def stop(self) -> dict[str, Any]:
        """Stop the session; return its summary (the server then closes with 1000)."""
        await self.send({"type": "stop"})
        summary = await self.expect("summary")
        assert await self.wait_closed() == (1000, "session stopped")
        return summary

    async def play(self, messages: Sequence[str | bytes], pace_s: float = PACE_S) -> None:
        """Send messages at a steady pace (by the clock, so slow sends do not slow the pace)."""
        began = time.monotonic()
        for i, message in enumerate(messages):
            await self.send(message)
            delay = began + (i + 1) * pace_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)

    async def play_lockstep(self, messages: Sequence[str | bytes], in_flight: int = 1) -> None:
        """Send camera frames no faster than the server analyses them (needs ``send_pose``).

        Keeps at most ``in_flight`` frames ahead of the ``pose`` events, so none is dropped
        (with two, a stalled client could send two at once and the newer would replace the
        older); pose idles only for a round trip on the loopback.
        """
        poses_before = len(self.of_type("pose"))
        for i, message in enumerate(messages):
            if i >= in_flight:
                await self.wait_for(
                    lambda e, n=i - in_flight: e.get("type") == "pose"
                    and self._count_poses() - poses_before > n,
                    f"pose of frame {i - in_flight}",
                )
            await self.send(message)

    def _count_poses(self) -> int:
        return sum(1 for e in self.events if e.get("type") == "pose")

    async def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (a phone losing its network)."""
        self.ws.transport.abort()
        if self._reader is not None:
            await asyncio.wait_for(asyncio.shield(self._reader), 5)

    async def close(self) -> None:
        await self.ws.close()
        if self._reader is not None:
            await asyncio.wait_for(asyncio.shield(self._reader), 5)


def reps_in(events: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (e for e in events if e.get("type") == "rep")


def process_rss_kb(pid: int) -> int:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")
