"""One live WebSocket: authentication, the receive loop, the analyser and the sender.

Three tasks per socket: the receiver never blocks on analysis (frames go into a newest-wins slot),
the analyser runs pose off the event loop and feeds the counter, the sender drains a bounded outbox
(a client that stops reading is disconnected rather than allowed to grow memory).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np
from pydantic import ValidationError

from fithub.core.errors import FithubError
from fithub.streaming import protocol as p
from fithub.streaming.coordinator import LiveCoordinator, finalize, session_ttl
from fithub.streaming.frames import LatestSlot
from fithub.streaming.socket import Closing, JsonSocket
from fithub.vision.auto import create_counter
from fithub.vision.landmarks import PoseFrame
from fithub.vision.pose import ImageDecodeError

log = logging.getLogger("fithub.streaming")

#: After a resume, where the session's clock goes on when the client's clock started again.
RESUME_GAP_MS = 1000 / 30


class LiveConnection(JsonSocket):
    """One live camera socket (the shared socket rules are :class:`JsonSocket`'s)."""

    path = "/ws/v1/live"
    subprotocol = p.SUBPROTOCOL
    messages = p.client_message
    bad_message_detail = "The message does not follow the live protocol."

    def __init__(self, coordinator: LiveCoordinator, socket: Any) -> None:
        super().__init__(coordinator.runtime, coordinator.limits, socket)
        self.coordinator = coordinator
        self.state: dict[str, Any] | None = None
        self.counter: Any = None
        self.rep_offset = 0
        self.t_offset = 0.0
        self.resumed_at_ms: float | None = None
        self.clock0 = time.monotonic()
        self.slot: LatestSlot[bytes | PoseFrame] = LatestSlot()
        self.stopped = False
        self.frames_failed = 0
        self.analyser: asyncio.Task[None] | None = None

    # -- the connection ----------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the socket until it closes; always leaves the session resumable or finished."""
        sender: asyncio.Task[None] | None = None
        receiver: asyncio.Task[None] | None = None
        close: Closing | None = None
        try:
            self.user_id = await self._accept_and_authenticate()
            self.emit(p.event("ready", user_id=self.user_id, protocol=p.SUBPROTOCOL))
            sender = asyncio.create_task(self._sender())
            self.analyser = asyncio.create_task(self._analyse())
            receiver = asyncio.create_task(self._receive_loop())
            # The analyser may end the socket too (a client too slow to read its events).
            done, _ = await asyncio.wait(
                {receiver, self.analyser}, return_when=asyncio.FIRST_EXCEPTION
            )
            for task in done:
                failure = None if task.cancelled() else task.exception()
                if failure is not None:
                    raise failure
        except Closing as exc:
            close = exc
        except asyncio.CancelledError:
            raise
        finally:
            self.slot.close()
            workers: list[asyncio.Task[None] | None] = [receiver, self.analyser]
            for worker in workers:
                if worker is not None and not worker.done():
                    worker.cancel()
                    await asyncio.gather(worker, return_exceptions=True)
            await self._detach_if_unfinished()
            if self.state is not None:
                try:  # its tracker is rebuilt on whichever process resumes it
                    await self.coordinator.pool.release(self.state["id"])
                except Exception:
                    log.exception("could not release the pose tracker")
            if sender is not None:
                if close is not None and close.code == p.CLOSE_POLICY:
                    sender.cancel()
                else:
                    await self._drain(sender)
            if close is not None:
                await self._close(close.code, close.reason)

    async def _receive_loop(self) -> None:
        while not self.stopped:
            try:
                async with asyncio.timeout(self.limits.idle_timeout_s):
                    raw = await self.ws.receive()
            except TimeoutError as exc:
                raise Closing(
                    p.CLOSE_IDLE, f"nothing received for {self.limits.idle_timeout_s:g} s"
                ) from exc
            if raw is None:  # Quart hands an empty binary message over as None
                raw = b""
            self._spend_token()
            size = len(raw.encode() if isinstance(raw, str) else raw)
            if size > self.limits.max_message_bytes:
                raise Closing(
                    p.CLOSE_TOO_BIG,
                    f"messages are limited to {self.limits.max_message_bytes} bytes",
                )
            if isinstance(raw, bytes | bytearray):
                self._offer(bytes(raw), None)
                continue
            try:
                message = p.client_message.validate_json(raw)
            except ValidationError as exc:
                self.bad_message(exc)
                continue
            await self._handle(message)

    async def _handle(self, message: Any) -> None:
        if isinstance(message, p.Start):
            await self._start(message)
        elif isinstance(message, p.Resume):
            await self._resume(message)
        elif isinstance(message, p.Frame):
            try:
                data = base64.b64decode(message.data, validate=True)
            except (binascii.Error, ValueError):
                self.error(400, "bad_frame", "The frame's data is not base64.")
                return
            self._offer(data, message.t_ms)
        elif isinstance(message, p.Landmarks):
            frame = self._landmark_frame(message)
            if frame is not None:
                self._offer(frame, message.t_ms)
        elif isinstance(message, p.Stop):
            await self._stop()
        elif isinstance(message, p.Ping):
            self.pong()
        elif isinstance(message, p.Auth):
            self.error(409, "already_authenticated", "This socket is already authenticated.")

    def _landmark_frame(self, message: p.Landmarks) -> PoseFrame | None:
        marks = np.asarray(message.landmarks, dtype=np.float64)
        world = (
            None
            if message.world is None
            else np.asarray([w[:3] for w in message.world], dtype=np.float64)
        )
        if not np.isfinite(marks[:, 3]).all():
            self.error(422, "bad_landmarks", "Landmark visibility must be a number.")
            return None
        return PoseFrame(self._stream_ms(message.t_ms), marks, world, message.aspect)

    def _stream_ms(self, t_ms: float | None) -> float:
        """A frame's time on the session's clock (which runs on across resumes)."""
        raw = t_ms if t_ms is not None else (time.monotonic() - self.clock0) * 1000
        if self.resumed_at_ms is not None:
            # The first frame since a resume: a client whose clock went on needs no offset; one
            # whose clock restarted (or that sends none) continues just after the last frame.
            last, self.resumed_at_ms = self.resumed_at_ms, None
            self.t_offset = 0.0 if raw > last else last - raw + RESUME_GAP_MS
        return self.t_offset + raw

    def _offer(self, item: bytes | PoseFrame, t_ms: float | None) -> None:
        if self.state is None:
            self.error(409, "not_started", "Send {type: start} before frames.")
            return
        if isinstance(item, bytes):
            self.slot.put((item, self._stream_ms(t_ms)))  # type: ignore[arg-type]
        else:
            self.slot.put(item)

    # -- session lifecycle -----------------------------------------------------------------------

    def _ttl(self) -> int:
        return session_ttl(self.limits.resume_window_s)

    async def _start(self, message: p.Start) -> None:
        assert self.user_id is not None
        if self.state is not None:
            self.error(409, "already_started", "This socket already has a session; stop it first.")
            return
        classifiers = self.coordinator.classifiers()
        if message.exercise != "auto" and message.exercise not in classifiers:
            self.error(
                422,
                "unknown_exercise",
                f"No classifier '{message.exercise}'.",
                [
                    {
                        "field": "exercise",
                        "message": "one of: auto, " + ", ".join(sorted(classifiers)),
                        "type": "enum",
                    }
                ],
            )
            return
        if message.workout_id is not None:
            from fithub.core.workouts.services import owned_workout

            try:
                await owned_workout(self.user_id, message.workout_id)
            except FithubError as exc:
                self.error(exc.status, exc.code, exc.detail)
                return
        self.counter = create_counter(message.exercise, classifiers)
        self.coordinator.ensure_warm()
        self.state = {
            "id": uuid.uuid4().hex,
            "user_id": self.user_id,
            "requested": message.exercise,
            "exercise": None if message.exercise == "auto" else message.exercise,
            "workout_id": message.workout_id,
            "send_pose": message.send_pose,
            "status": "active",
            "started_at": datetime.now(UTC).isoformat(),
            "reps": [],
            "t_ms": 0.0,
        }
        await self.coordinator.store.save(self.state, self._ttl())
        self.emit(
            p.event(
                "started",
                session_id=self.state["id"],
                exercise=message.exercise,
                resume_window_s=self.limits.resume_window_s,
                reps=0,
            )
        )

    async def _resume(self, message: p.Resume) -> None:
        assert self.user_id is not None
        if self.state is not None:
            self.error(409, "already_started", "This socket already has a session.")
            return
        found = await self.coordinator.store.load(message.session_id)
        if found is None or found.get("user_id") != self.user_id:
            raise Closing(p.CLOSE_NOT_FOUND, "no such session, or its resume window has passed")
        state = await self.coordinator.store.transition(
            message.session_id, {"detached"}, {"status": "active"}, self._ttl()
        )
        if state is None:
            raise Closing(p.CLOSE_CONFLICT, f"the session is {found.get('status')}, not resumable")
        self.coordinator.cancel_timer(state["id"])
        self.state = state
        self.counter = create_counter(
            state["exercise"] or state["requested"], self.coordinator.classifiers()
        )
        self.rep_offset = len(state["reps"])
        self.resumed_at_ms = float(state.get("t_ms", 0.0))
        self.emit(
            p.event(
                "started",
                session_id=state["id"],
                exercise=state["exercise"] or state["requested"],
                resume_window_s=self.limits.resume_window_s,
                reps=self.rep_offset,
                resumed=True,
            )
        )

    async def _stop(self) -> None:
        if self.state is None:
            self.error(409, "not_started", "There is no session to stop.")
            return
        self.slot.close()  # the analyser finishes the frame it holds and the one waiting, then ends
        if self.analyser is not None:
            await self.analyser
        for event in self.counter.finish():
            await self._deliver(event)
        await self.coordinator.store.save(self.state, self._ttl())
        final = await finalize(self.coordinator.store, self.state["id"], "active", self._ttl())
        result = (final or {}).get("result") or {"workout_id": None, "set_id": None}
        self.emit(
            p.event(
                "summary",
                session_id=self.state["id"],
                exercise=self.state["exercise"],
                reps=len(self.state["reps"]),
                rep_events=self.state["reps"],
                **self._counts(),
                form_score=_mean([r["form_score"] for r in self.state["reps"]]),
                **result,
            )
        )
        self.state["status"] = "finished"
        self.stopped = True
        raise Closing(p.CLOSE_NORMAL, "session stopped")

    async def _detach_if_unfinished(self) -> None:
        if self.state is None or self.state.get("status") != "active":
            return
        self.state.update(status="detached", detached_at=time.time())
        try:
            await self.coordinator.store.save(self.state, self._ttl())
            self.coordinator.finalize_later(self.state["id"])
        except Exception:
            log.exception("could not detach live session %s", self.state["id"])

    # -- analysis ------------------------------------------------------------------------------

    def _counts(self) -> dict[str, int]:
        stats = self.slot.stats
        return {
            "frames_received": stats.received,
            "frames_analysed": stats.taken,
            "frames_dropped": stats.dropped,
            "frames_failed": self.frames_failed,
        }

    async def _analyse(self) -> None:
        last_state = time.monotonic()
        anchored = False  # this socket's clock is tied to wall-clock time at its first frame
        while (item := await self.slot.take()) is not None:
            try:
                frame = await self._pose(item)
            except Exception:  # a broken pool or model: tell this client, keep the socket
                log.exception("pose estimation failed")
                self.frames_failed += 1
                self.error(503, "pose_unavailable", "Frames cannot be analysed right now.")
                continue
            if frame is not None:
                if self.state is not None:
                    self.state["t_ms"] = max(float(self.state.get("t_ms", 0.0)), frame.t_ms)
                    if not anchored:  # [session ms, epoch ms at session ms 0] (streaming/sets.py)
                        anchor = [frame.t_ms, round(time.time() * 1000 - frame.t_ms, 1)]
                        self.state.setdefault("anchors", []).append(anchor)
                        anchored = True
                for event in self.counter.update(frame):
                    await self._deliver(event)
                if self.state and self.state.get("send_pose"):
                    self.emit(
                        p.event(
                            "pose",
                            t_ms=round(frame.t_ms, 1),
                            landmarks=np.round(np.nan_to_num(frame.landmarks), 4).tolist(),
                        )
                    )
            if (
                time.monotonic() - last_state >= self.limits.state_every_s
                and self.state is not None
            ):
                last_state = time.monotonic()
                self.emit(
                    p.event(
                        "state",
                        reps=len(self.state["reps"]),
                        exercise=self.state["exercise"],
                        **self._counts(),
                    )
                )

    async def _pose(self, item: Any) -> PoseFrame | None:
        if isinstance(item, PoseFrame):
            return item
        data, t_ms = item
        try:
            stream = self.state["id"] if self.state is not None else "-"
            frame: PoseFrame = await self.coordinator.pool.estimate(stream, data, t_ms)
        except ImageDecodeError:
            self.frames_failed += 1
            self.error(422, "bad_image", "The frame is not a JPEG, PNG or WebP image.")
            return None
        return frame

    async def _deliver(self, event: Any) -> None:
        message = event.to_dict()
        assert self.state is not None
        if message.get("type") == "exercise":
            self.state["exercise"] = message.get("exercise")
        if message.get("type") == "rep":
            message["number"] = int(message["number"]) + self.rep_offset
            self.state["exercise"] = self.state["exercise"] or message.get("exercise")
            self.state["reps"].append(message)
            await self.coordinator.store.save(self.state, self._ttl())
        if message.get("type") == "feedback" and "rep" in message:
            message["rep"] = int(message["rep"]) + self.rep_offset
        self.emit(message)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None
