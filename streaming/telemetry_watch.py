"""The watching WebSocket, ``/ws/v1/telemetry/watch``: live telemetry of yourself or your clients.

After authenticating (as on every fithub socket) the client sends ``{type: watch}`` (yourself),
``{type: watch, user_ids: [...]}`` or ``{type: watch, all_clients: true}`` (a trainer's class
view). The server subscribes to each watched user's fan-out topic, answers ``{type: watching,
user_ids}`` and then forwards what the telemetry ingest publishes there. A request naming anyone
the viewer may not watch (core/telemetry/access.py) gets an ``error`` event (404
``not_watchable``) and the socket closes with 4404. Whom the socket watches is checked again on
every ``watch`` message and every 30 s: a client who stops sharing disappears from a new
``watching`` message (an explicit watch left with nobody closes with 4404).

Backpressure, per viewer: each watched user has a newest-wins slot for ``values`` messages. The
forwarder keeps at most :attr:`WatchSocket.window` messages queued for the client; when the
client reads slowly, newer values replace the slotted one and the next sent carries ``dropped``,
how many values of that user the viewer missed since the previous one it received. A viewer never
slows the publisher or other viewers, and is never closed for being slow. With more than one
watched user, values are sent at most once a second per user (newest kept, the rest counted in
``dropped``). Other messages (``sensor``, ``started``, ``ended``, anything else) wait in a small
queue of their own, sent before pending values and never replaced by them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from fithub.core.telemetry.access import RECHECK_S, watchable
from fithub.core.telemetry.errors import NotWatchable
from fithub.streaming import protocol as p
from fithub.streaming.socket import Closing, JsonSocket, first_of
from fithub.streaming.telemetry_protocol import (
    WATCH_SUBPROTOCOL,
    Watch,
    topic,
    watch_client_message,
)

log = logging.getLogger("fithub.streaming.telemetry_watch")

PATH = "/ws/v1/telemetry/watch"
CLOSE_UNAVAILABLE = 1011  # the fan-out failed (Redis gone): reconnect later


@dataclass
class Slot:
    """The newest unsent ``values`` message of one watched user, and what it replaced."""

    latest: dict[str, Any] | None = None
    replaced: int = 0
    sent_at: float = field(default=float("-inf"))  # monotonic


class WatchSocket(JsonSocket):
    """One viewer: choose whom to watch, then receive their live values, newest first."""

    path = PATH
    subprotocol = WATCH_SUBPROTOCOL
    messages = watch_client_message
    bad_message_detail = (
        "Send {type: watch} (optionally user_ids or all_clients: true) or {type: ping} "
        "(and {type: auth} first)."
    )
    #: Messages queued for the client at most; beyond, values wait in their slots (newest wins).
    #: Enough to absorb a burst (a publisher catching up) without dropping for a reading viewer.
    window = 32
    #: Seconds between two values of one user when several are watched (the class view).
    class_interval_s = 1.0
    #: Non-value messages kept while the client is not reading (the oldest go first).
    events_kept = 100
    recheck_s = RECHECK_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wake = asyncio.Event()
        self.request: Watch | None = None
        self.watched: list[int] = []
        self.slots: dict[int, Slot] = {}
        self.events: deque[dict[str, Any]] = deque(maxlen=self.events_kept)
        self.readers: dict[int, asyncio.Task[None]] = {}
        self.failure: BaseException | None = None
        self.following = asyncio.Lock()  # the receive loop and the re-check take turns

    async def serve(self) -> None:
        await first_of(
            asyncio.create_task(self._receive_loop()),
            asyncio.create_task(self._forward()),
            asyncio.create_task(self._recheck_loop()),
        )

    async def cleanup(self) -> None:
        async with self.following:
            await self._follow([])

    # -- whom to watch -------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        while True:
            message = await self.receive()
            if isinstance(message, p.Ping):
                self.pong()
            elif isinstance(message, Watch):
                await self._watch(message)
            elif message is not None:
                self.error(409, "already_authenticated", "This socket is already authenticated.")

    async def _watch(self, request: Watch) -> None:
        try:
            user_ids = await watchable(self.user_id, request.user_ids, request.all_clients)
        except NotWatchable as exc:
            self.error(exc.status, exc.code, exc.detail)
            raise Closing(p.CLOSE_NOT_FOUND, "not watchable") from exc
        async with self.following:
            self.request = request
            await self._follow(user_ids)
            self.emit(p.event("watching", user_ids=user_ids))

    async def _recheck_loop(self) -> None:
        while True:
            await asyncio.sleep(self.recheck_s)
            request = self.request
            if request is None:
                continue
            try:
                user_ids = await watchable(
                    self.user_id, request.user_ids, request.all_clients, refuse=False
                )
            except Exception:  # the database is briefly away: keep watching, ask again later
                log.warning("could not re-check whom user %s watches", self.user_id, exc_info=True)
                continue
            if user_ids == self.watched or request is not self.request:
                continue
            if not user_ids and not request.all_clients:
                gone = NotWatchable("Nobody you asked to watch shares live data with you any more.")
                self.error(gone.status, gone.code, gone.detail)
                raise Closing(p.CLOSE_NOT_FOUND, "nothing left to watch")
            async with self.following:
                if request is not self.request:  # a newer watch came meanwhile: it decides
                    continue
                await self._follow(user_ids)
                self.emit(p.event("watching", user_ids=user_ids))

    async def _follow(self, user_ids: list[int]) -> None:
        """Subscribe to exactly these users' topics (the new ones are live when this returns)."""
        for user_id in set(self.readers) - set(user_ids):
            reader = self.readers.pop(user_id)
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            self.slots.pop(user_id, None)
        subscribed: list[asyncio.Future[None]] = []
        for user_id in user_ids:
            if user_id not in self.readers:
                ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self.slots[user_id] = Slot()
                self.readers[user_id] = asyncio.create_task(self._read(user_id, ready))
                subscribed.append(ready)
        await asyncio.gather(*subscribed)
        self.watched = list(user_ids)

    async def _read(self, user_id: int, ready: asyncio.Future[None]) -> None:
        """Move one user's fan-out messages into the slot (values) or the event queue."""
        try:
            async with self.runtime.fanout.subscribe(topic(user_id)) as queue:
                ready.set_result(None)
                while True:
                    message = await queue.get()
                    if message.get("type") == "values":
                        slot = self.slots[user_id]
                        if slot.latest is not None:
                            slot.replaced += 1
                        slot.latest = message
                    else:
                        self.events.append(message)
                    self.wake.set()
        except asyncio.CancelledError:
            if not ready.done():  # whoever waits for the subscription must not wait forever
                ready.cancel()
            raise
        except Exception as exc:
            log.warning("the fan-out of %s failed", topic(user_id), exc_info=True)
            if not ready.done():
                ready.set_exception(Closing(CLOSE_UNAVAILABLE, "live values are unavailable"))
            self.failure = exc
            self.wake.set()

    # -- sending -------------------------------------------------------------------------------

    async def _sender(self) -> None:
        while (message := await self.outbox.get()) is not None:
            await self.ws.send(message)
            self.wake.set()  # room in the window: the forwarder may send more

    async def _forward(self) -> None:
        while True:
            if self.failure is not None:
                raise Closing(CLOSE_UNAVAILABLE, "live values are unavailable")
            wait_s = self._pump()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_s):
                    await self.wake.wait()
            self.wake.clear()

    def _pump(self) -> float | None:
        """Queue what the window allows: events first, then due values, least recently sent first.

        Returns the seconds until a slotted value falls due (None: wait for news).
        """
        room = self.window - self.outbox.qsize()
        while room > 0 and self.events:
            self.emit(self.events.popleft())
            room -= 1
        interval = self.class_interval_s if len(self.watched) > 1 else 0.0
        now = time.monotonic()
        next_due: float | None = None
        for slot in sorted(self.slots.values(), key=lambda s: s.sent_at):
            if slot.latest is None:
                continue
            due = slot.sent_at + interval
            if due > now:
                next_due = due if next_due is None else min(next_due, due)
            elif room > 0:
                self.emit({**slot.latest, "dropped": slot.replaced})
                slot.latest, slot.replaced, slot.sent_at = None, 0, now
                room -= 1
        return None if next_due is None else max(0.0, next_due - now)
