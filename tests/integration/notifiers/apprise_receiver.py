"""An HTTP receiver for apprise's ``json://`` and ``form://`` targets: the apprise channel's fake."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import ClassVar

from aiohttp import web

from fithub.notifiers.apprise import IDEMPOTENCY_HEADER, message_id
from fithub.plugins.notifier import NotifierChannel, Recipient
from fithub.plugins.testing import Delivered, FakeChannelServer

HOLD_LIMIT_S = 10.0  # a held request is let go after this long, whatever the test does


class AppriseReceiver(FakeChannelServer):
    """Takes apprise's POSTs on ``/hook/{name}`` (JSON or a form) and keeps their fields.

    It drops a repeat of an idempotency key (answering 200), as a receiver using the header
    would. :meth:`hold` makes the next requests wait until :meth:`release`; ``held`` is set
    when one is waiting.
    """

    channel: ClassVar[NotifierChannel] = "apprise"
    supports_idempotency: ClassVar[bool] = True
    hang_s: ClassVar[float] = 2.0

    def __init__(self) -> None:
        super().__init__()
        self.received: list[dict[str, str]] = []
        self.held = threading.Event()
        self._holding = False
        self._released = threading.Event()

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/hook/{name}", self._hook)

    def settings(self) -> Mapping[str, str]:
        return {}

    def address(self, schema: str = "json", name: str = "ada") -> str:
        """The apprise URL of this receiver's hook ``name`` (``json`` or ``form``)."""
        return f"{schema}://{self.url.removeprefix('http://')}/hook/{name}"

    def recipient(self) -> Recipient:
        return Recipient(channel="apprise", address=self.address())

    def refused_recipient(self) -> Recipient:
        return Recipient(channel="apprise", address="nosuchservice://hook/ada")

    def hold(self) -> None:
        """Make the next requests wait for :meth:`release`."""
        self._released.clear()
        self.held.clear()
        self._holding = True

    def release(self) -> None:
        self._holding = False
        self._released.set()

    async def _hook(self, request: web.Request) -> web.Response:
        if self._holding:
            self.held.set()
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self._released.wait, HOLD_LIMIT_S)
        if request.content_type == "application/json":
            fields = {k: str(v) for k, v in (await request.json()).items()}
        else:
            fields = {k: str(v) for k, v in (await request.post()).items()}
        key = request.headers.get(IDEMPOTENCY_HEADER)
        fields["content_type"] = request.content_type
        fields["idempotency_key"] = key or ""
        if key is not None and self.delivered(key):
            return web.json_response({"duplicate": True})
        self.received.append(fields)
        schema = "json" if request.content_type == "application/json" else "form"
        self.record(
            Delivered(
                address=f"{schema}://{request.host}{request.path}",
                provider_message_id=message_id(key) if key else "",
                idempotency_key=key,
                raw=await request.read(),
            )
        )
        return web.json_response({"ok": True})
