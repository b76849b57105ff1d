"""The notifications WebSocket, ``/ws/v1/notifications``: a user's new notifications, live.

The socket authenticates as ``/ws/v1/live`` does (a ``bearer.<token>`` subprotocol, else a first
``{type: auth, token}`` message), subscribes to the fan-out topic of the user's inbox, then says
``hello`` with the unread count and forwards every message published there (the in-app notifier
publishes one ``notification`` per delivery, from whichever process delivers it). Subscribing
before counting means nothing falls between the count and the stream. The heartbeat is the live
socket's: the client sends ``ping`` (answered ``pong``) and a socket silent for the idle timeout
is closed with 4408. Protocol: docs/streaming.md, "Notifications socket".
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from fithub.core.errors import FithubError
from fithub.core.notifications.live import inbox_topic, unread_count
from fithub.core.problems import problem_body
from fithub.core.runtime import Runtime
from fithub.streaming import protocol as p
from fithub.streaming.connection import Closing
from fithub.streaming.coordinator import LiveLimits

log = logging.getLogger("fithub.streaming.notifications")

PATH = "/ws/v1/notifications"


def forwarded(message: Mapping[str, Any]) -> dict[str, Any]:
    """What the client receives for a fan-out ``message`` of its inbox topic.

    A ``notification`` is re-made field by field (the documented shape); any other message is
    passed on as it is (clients ignore types they do not know).
    """
    if message.get("type") != "notification":
        return dict(message)
    event = p.event(
        "notification",
        id=message.get("id"),
        title=message.get("title"),
        text=message.get("text"),
        data=message.get("data") or {},
        created_at=message.get("created_at"),
    )
    event["kind"] = message.get("kind")  # not a keyword above: p.event's first parameter is kind
    return event


class NotificationSocket:
    """One client's notifications socket: authenticate, say hello, forward, answer pings."""

    def __init__(self, runtime: Runtime, limits: LiveLimits, socket: Any) -> None:
        self.runtime = runtime
        self.limits = limits
        self.ws = socket
        self.outbox: asyncio.Queue[str | None] = asyncio.Queue(limits.outbox_size)
        self.tokens = limits.burst
        self.refilled = time.monotonic()
        self.bad_messages = 0

    def emit(self, message: dict[str, Any]) -> None:
        """Queue a message; a client whose outbox is full is too slow and is cut."""
        try:
            self.outbox.put_nowait(json.dumps(message, default=str))
        except asyncio.QueueFull as exc:
            raise Closing(p.CLOSE_POLICY, "client is not reading its events") from exc

    def error(
        self, status: int, code: str, detail: str, errors: list[dict[str, Any]] | None = None
    ) -> None:
        problem = problem_body(status, code, detail, instance=PATH, errors=errors)
        problem["problem_type"] = problem.pop("type")  # "type" names the message
        self.emit(p.event("error", **problem))

    async def run(self) -> None:
        """Serve the socket until it closes."""
        sender: asyncio.Task[None] | None = None
        workers: list[asyncio.Task[None]] = []
        close: Closing | None = None
        try:
            user_id = await self._accept_and_authenticate()
            sender = asyncio.create_task(self._sender())
            async with self.runtime.fanout.subscribe(inbox_topic(user_id)) as queue:
                self.emit(p.event("hello", unread=await unread_count(user_id)))
                workers = [
                    asyncio.create_task(self._receive_loop()),
                    asyncio.create_task(self._forward(queue)),
                ]
                done, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    failure = None if task.cancelled() else task.exception()
                    if failure is not None:
                        raise failure
        except Closing as exc:
            close = exc
        finally:
            for worker in workers:
                if not worker.done():
                    worker.cancel()
                    await asyncio.gather(worker, return_exceptions=True)
            if sender is not None:
                if close is not None and close.code == p.CLOSE_POLICY:
                    sender.cancel()
                else:
                    await self._drain(sender)
            if close is not None:
                await self._close(close.code, close.reason)

    async def _accept_and_authenticate(self) -> int:
        requested = list(getattr(self.ws, "requested_subprotocols", []) or [])
        token = next(
            (s[len(p.BEARER_PREFIX) :] for s in requested if s.startswith(p.BEARER_PREFIX)), None
        )
        chosen = p.NOTIFICATIONS_SUBPROTOCOL if p.NOTIFICATIONS_SUBPROTOCOL in requested else None
        await self.ws.accept(subprotocol=chosen)
        if token is None:
            try:
                async with asyncio.timeout(self.limits.auth_timeout_s):
                    first = await self.ws.receive()
            except TimeoutError as exc:
                raise Closing(
                    p.CLOSE_AUTH_TIMEOUT, "authenticate first: send {type: auth, token}"
                ) from exc
            try:
                message = (
                    p.notifications_client_message.validate_json(first)
                    if isinstance(first, str)
                    else None
                )
            except ValidationError:
                message = None
            if not isinstance(message, p.Auth):
                raise Closing(p.CLOSE_UNAUTHORIZED, "the first message must be {type: auth, token}")
            token = message.token
        try:
            user, _ = await self.runtime.accounts.authenticate(token)
        except FithubError as exc:
            raise Closing(p.CLOSE_UNAUTHORIZED, exc.detail[:120]) from exc
        return int(user.id)

    async def _forward(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            self.emit(forwarded(await queue.get()))

    async def _sender(self) -> None:
        while (message := await self.outbox.get()) is not None:
            await self.ws.send(message)

    def _spend_token(self) -> None:
        now = time.monotonic()
        rate, burst = self.limits.messages_per_second, self.limits.burst
        self.tokens = min(burst, self.tokens + (now - self.refilled) * rate)
        self.refilled = now
        if self.tokens < 1:
            raise Closing(p.CLOSE_POLICY, "too many messages")
        self.tokens -= 1

    async def _receive_loop(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self.limits.idle_timeout_s):
                    raw = await self.ws.receive()
            except TimeoutError as exc:
                raise Closing(
                    p.CLOSE_IDLE, f"nothing received for {self.limits.idle_timeout_s:g} s"
                ) from exc
            self._spend_token()
            raw = raw or ""
            if len(raw.encode() if isinstance(raw, str) else raw) > self.limits.max_message_bytes:
                raise Closing(
                    p.CLOSE_TOO_BIG,
                    f"messages are limited to {self.limits.max_message_bytes} bytes",
                )
            try:
                message = p.notifications_client_message.validate_json(raw)
            except ValidationError as exc:
                self._bad_message(exc)
                continue
            if isinstance(message, p.Ping):
                self.emit(p.event("pong", t=time.time()))
            else:
                self.error(409, "already_authenticated", "This socket is already authenticated.")

    def _bad_message(self, exc: ValidationError) -> None:
        self.bad_messages += 1
        errors = [
            {"field": ".".join(str(x) for x in e["loc"]), "message": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False)
        ][:10]
        detail = "Only {type: ping} (and {type: auth} first) may be sent on this socket."
        self.error(400, "bad_message", detail, errors)
        if self.bad_messages >= self.limits.bad_messages_before_close:
            raise Closing(p.CLOSE_BAD_REQUEST, "too many malformed messages")

    async def _drain(self, sender: asyncio.Task[None]) -> None:
        try:
            self.outbox.put_nowait(None)
            await asyncio.wait_for(sender, timeout=5)
        except (asyncio.QueueFull, TimeoutError, Exception):
            sender.cancel()

    async def _close(self, code: int, reason: str) -> None:
        """Send the close frame, then read until the client's (see LiveConnection._close)."""
        try:
            await self.ws.close(code, reason)
            async with asyncio.timeout(self.limits.close_drain_s):
                while True:
                    await self.ws.receive()
        except Exception:  # the peer is gone, or never closed: hypercorn cleans up
            pass
