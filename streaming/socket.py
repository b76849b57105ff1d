"""What every JSON WebSocket of fithub shares: authentication, the outbox, limits, closing.

A socket authenticates with a ``bearer.<access token>`` subprotocol or a first
``{type: auth, token}`` message, sends through a bounded outbox (a client that stops reading is
cut with 1008 rather than allowed to grow memory), spends a token per message received (flooding
closes with 1008), closes after the idle timeout (4408), and answers malformed messages with a
problem-details ``error`` event, closing after too many (4400). Subclasses implement ``serve``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from fithub.core.errors import FithubError
from fithub.core.problems import problem_body
from fithub.core.runtime import Runtime
from fithub.streaming import protocol as p
from fithub.streaming.coordinator import LiveLimits


class Closing(Exception):
    """Close the socket with ``code`` and ``reason``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class JsonSocket:
    """The shared machinery; ``path`` names the endpoint in problem details."""

    path = "/ws/v1"
    subprotocol = p.SUBPROTOCOL
    messages: TypeAdapter[Any] = p.notifications_client_message
    bad_message_detail = "The message does not follow the protocol."

    def __init__(self, runtime: Runtime, limits: LiveLimits, socket: Any) -> None:
        self.runtime = runtime
        self.limits = limits
        self.ws = socket
        self.outbox: asyncio.Queue[str | None] = asyncio.Queue(limits.outbox_size)
        self.tokens = limits.burst
        self.refilled = time.monotonic()
        self.bad_messages = 0
        self.user_id: int = 0

    # -- sending -------------------------------------------------------------------------------

    def emit(self, message: dict[str, Any]) -> None:
        """Queue a message; a client whose outbox is full is too slow and is cut."""
        try:
            text = orjson.dumps(message, default=str, option=orjson.OPT_NON_STR_KEYS)
            self.outbox.put_nowait(text.decode())
        except asyncio.QueueFull as exc:
            raise Closing(p.CLOSE_POLICY, "client is not reading its events") from exc

    def error(
        self,
        status: int,
        code: str,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        """An ``error`` event carrying problem details (``type`` renamed ``problem_type``)."""
        problem = problem_body(status, code, detail, instance=self.path, errors=errors)
        problem["problem_type"] = problem.pop("type")  # "type" names the message
        self.emit(p.event("error", **problem, **extra))

    async def _sender(self) -> None:
        while (message := await self.outbox.get()) is not None:
            await self.ws.send(message)

    # -- the connection ------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve the socket until it closes."""
        sender: asyncio.Task[None] | None = None
        close: Closing | None = None
        try:
            self.user_id = await self._accept_and_authenticate()
            sender = asyncio.create_task(self._sender())
            await self.serve()
        except Closing as exc:
            close = exc
        finally:
            await self.cleanup()
            if sender is not None:
                if close is not None and close.code == p.CLOSE_POLICY:
                    sender.cancel()
                else:
                    await self._drain(sender)
            if close is not None:
                await self._close(close.code, close.reason)

    async def serve(self) -> None:
        """The socket's work once authenticated; raise :class:`Closing` to close it."""
        raise NotImplementedError

    async def cleanup(self) -> None:
        """Runs once the socket is done, before the close frame (whatever happened)."""

    async def _accept_and_authenticate(self) -> int:
        requested = list(getattr(self.ws, "requested_subprotocols", []) or [])
        token = next(
            (s[len(p.BEARER_PREFIX) :] for s in requested if s.startswith(p.BEARER_PREFIX)), None
        )
        await self.ws.accept(
            subprotocol=self.subprotocol if self.subprotocol in requested else None
        )
        if token is None:
            try:
                async with asyncio.timeout(self.limits.auth_timeout_s):
                    first = await self.ws.receive()
            except TimeoutError as exc:
                raise Closing(
                    p.CLOSE_AUTH_TIMEOUT, "authenticate first: send {type: auth, token}"
                ) from exc
            try:
                message = self.messages.validate_json(first) if isinstance(first, str) else None
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

    # -- receiving -----------------------------------------------------------------------------

    def _spend_token(self) -> None:
        now = time.monotonic()
        rate, burst = self.limits.messages_per_second, self.limits.burst
        self.tokens = min(burst, self.tokens + (now - self.refilled) * rate)
        self.refilled = now
        if self.tokens < 1:
            raise Closing(p.CLOSE_POLICY, "too many messages")
        self.tokens -= 1

    async def receive(self) -> Any | None:
        """The next valid client message (None for a malformed one, already answered)."""
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
                p.CLOSE_TOO_BIG, f"messages are limited to {self.limits.max_message_bytes} bytes"
            )
        try:
            return self.messages.validate_json(raw)
        except ValidationError as exc:
            self.bad_message(exc)
            return None

    def bad_message(self, exc: ValidationError) -> None:
        """Answer a malformed message; close after too many."""
        self.bad_messages += 1
        errors = [
            {"field": ".".join(str(x) for x in e["loc"]), "message": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False)
        ][:10]
        self.error(400, "bad_message", self.bad_message_detail, errors)
        if self.bad_messages >= self.limits.bad_messages_before_close:
            raise Closing(p.CLOSE_BAD_REQUEST, "too many malformed messages")

    def pong(self) -> None:
        self.emit(p.event("pong", t=time.time()))

    # -- closing -------------------------------------------------------------------------------

    async def _drain(self, sender: asyncio.Task[None]) -> None:
        try:
            self.outbox.put_nowait(None)
            await asyncio.wait_for(sender, timeout=5)
        except (asyncio.QueueFull, TimeoutError, Exception):
            sender.cancel()

    async def _close(self, code: int, reason: str) -> None:
        """Send the close frame, then drop what the client still sends until its close frame.

        hypercorn hands messages to the app through a small queue that nobody reads once the
        handler has returned: a client still sending (a flood, frames in flight after ``stop``)
        would block hypercorn before it sees the client's close, and the connection would hang
        open. Quart cancels this handler when the client's close arrives.
        """
        try:
            await self.ws.close(code, reason)
            async with asyncio.timeout(self.limits.close_drain_s):
                while True:
                    await self.ws.receive()
        except Exception:  # the peer is gone, or never closed: hypercorn cleans up
            pass


async def first_of(*tasks: asyncio.Task[None]) -> None:
    """Wait until one task ends; re-raise its failure; cancel the others."""
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            failure = None if task.cancelled() else task.exception()
            if failure is not None:
                raise failure
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
