"""Fake channel servers for testing notifiers: what they received, and faults to inject.

A :class:`ChannelServer` stands in for a channel's provider (an SMTP relay, an SMS or push API, a
webhook receiver) on loopback. :func:`~fithub.plugins.testing.assert_notifier_contract` drives a
notifier against one. It says how to point a notifier at it (:meth:`ChannelServer.settings`),
which addresses it accepts and refuses, what it received (:meth:`ChannelServer.delivered`), and
takes faults that hit the next attempts::

    server.inject("unavailable")     # a 5xx (an SMTP 451): retry later
    server.inject("timeout")         # no answer within the notifier's timeout
    server.inject("auth", times=2)   # fithub's credentials refused (401, SMTP 535): give up

:class:`FakeChannelServer` is the base for HTTP channels: an aiohttp app served by
``aiohttp.test_utils.TestServer`` from a thread of its own, like
:class:`~fithub.plugins.testing.FakeVendor`, with the faults applied by a middleware. Subclasses
add the channel's routes in :meth:`FakeChannelServer.add_routes` and call
:meth:`ChannelServer.record` for each message they accept.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal, Self

from aiohttp import web
from aiohttp.test_utils import TestServer

from fithub.plugins.notifier import NotifierChannel, Recipient

ChannelFault = Literal["unavailable", "timeout", "auth"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Delivered:
    """One message a channel server accepted, as it saw it."""

    address: str
    provider_message_id: str
    idempotency_key: str | None = None
    raw: bytes = b""


class ChannelServer:
    """Base of the fakes :func:`assert_notifier_contract` runs a notifier against.

    Subclasses set ``channel``, ``supports_idempotency`` (True when the channel itself drops a
    second message with the same idempotency key), implement :meth:`start`, :meth:`stop`,
    :meth:`settings`, :meth:`recipient` and :meth:`refused_recipient`, and honour the faults
    :meth:`take_fault` hands them.
    """

    channel: ClassVar[NotifierChannel]
    supports_idempotency: ClassVar[bool] = False
    hang_s: ClassVar[float] = 5.0  # how long a "timeout" fault holds an attempt (> the timeout)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._delivered: list[Delivered] = []
        self._faults: list[ChannelFault] = []

    # -- what a subclass provides -------------------------------------------------------------------

    def start(self) -> Self:
        """Serve on loopback; return self."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving."""
        raise NotImplementedError

    def settings(self) -> Mapping[str, str]:
        """The notifier settings (``NotifierContext.settings``) that point a notifier here."""
        raise NotImplementedError

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values in :meth:`settings` that must never appear in an error message or a log line."""
        return ()

    def recipient(self) -> Recipient:
        """An address this server accepts messages for."""
        raise NotImplementedError

    def refused_recipient(self) -> Recipient:
        """An address this server refuses for good (no such mailbox, an unregistered token)."""
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------------

    def inject(self, fault: ChannelFault, times: int = 1) -> None:
        """Make the next ``times`` attempts fail with ``fault``."""
        with self._lock:
            self._faults.extend([fault] * times)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def take_fault(self, *kinds: ChannelFault) -> ChannelFault | None:
        """The fault the attempt arriving now must suffer, if any (a subclass calls it).

        With ``kinds``, only a next fault of those kinds is taken (a server that meets each kind
        at a different step of the exchange: a login, then the message).
        """
        with self._lock:
            if self._faults and (not kinds or self._faults[0] in kinds):
                return self._faults.pop(0)
            return None

    def record(self, delivered: Delivered) -> None:
        """Note a message this server accepted (a subclass calls it)."""
        with self._lock:
            self._delivered.append(delivered)

    def delivered(self, idempotency_key: str | None = None) -> list[Delivered]:
        """What arrived, oldest first; only the messages with ``idempotency_key`` when given."""
        with self._lock:
            return [
                d
                for d in self._delivered
                if idempotency_key is None or d.idempotency_key == idempotency_key
            ]

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class FakeChannelServer(ChannelServer):
    """An HTTP channel served on 127.0.0.1 from its own thread; faults applied to every route.

    ``unavailable`` answers 503, ``auth`` 401, ``timeout`` holds the request ``hang_s`` seconds
    first. ``self.url`` is the server's root once started.
    """

    def __init__(self) -> None:
        super().__init__()
        self.url = ""
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Add the channel's routes (override)."""

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._faults_middleware])
        self.add_routes(app.router)
        return app

    @web.middleware
    async def _faults_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        fault = self.take_fault()
        if fault == "timeout":
            await asyncio.sleep(self.hang_s)
            return web.Response(status=503)
        if fault == "unavailable":
            return web.json_response({"error": "unavailable"}, status=503)
        if fault == "auth":
            return web.json_response({"error": "unauthorized"}, status=401)
        return await handler(request)

    def start(self) -> Self:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            server = TestServer(self.make_app(), host="127.0.0.1")
            try:
                loop.run_until_complete(server.start_server())
                self.url = str(server.make_url("")).rstrip("/")
            except BaseException as exc:  # report to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(server.close())
            loop.close()

        self._thread = threading.Thread(target=run, name=f"fake-{self.channel}", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._thread = self._loop = None
