"""A webhook receiver on loopback that checks Standard Webhooks signatures with the official library.

Routes (under ``/hooks``): ``ok`` verifies the signature with the receiver's secrets
(``standardwebhooks.Webhook(secret).verify``, any of them) and records the message, answering 401
when none verifies; ``gone`` answers 410; ``redirect`` answers 302 to ``private`` (a stand-in for a
private address: a request there means a redirect was followed); ``status/{code}`` answers that
status with ``Retry-After: 7``. Every request is kept in :attr:`WebhookReceiver.requests`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from aiohttp import web
from standardwebhooks import Webhook, WebhookVerificationError

from fithub.plugins.notifier import NotifierChannel, Recipient
from fithub.plugins.signing import new_secret
from fithub.plugins.testing import Delivered, FakeChannelServer
from fithub.plugins.testing.channel import Handler


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: Mapping[str, str]
    body: bytes


class WebhookReceiver(FakeChannelServer):
    """An app builder's endpoint; ``signing_secrets`` are the ones it accepts (newest first)."""

    channel: ClassVar[NotifierChannel] = "webhook"

    def __init__(self, signing_secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.signing_secrets = signing_secrets or (new_secret(),)
        self.requests: list[Received] = []

    def settings(self) -> Mapping[str, str]:
        return {"allow_private": "true"}  # the receiver is on loopback

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.signing_secrets

    def address(self, route: str) -> str:
        return f"{self.url}/hooks/{route}"

    def recipient(self) -> Recipient:
        return Recipient("webhook", self.address("ok"), secrets=self.signing_secrets)

    def refused_recipient(self) -> Recipient:
        return Recipient("webhook", self.address("gone"), secrets=self.signing_secrets)

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    # -- the server (runs on its own thread) ------------------------------------------------------

    def make_app(self) -> web.Application:
        app = super().make_app()
        app.middlewares.insert(0, self._keep)  # before the faults: every request is seen
        return app

    @web.middleware
    async def _keep(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body = await request.read()
        with self._lock:
            self.requests.append(Received(request.path, dict(request.headers), body))
        return await handler(request)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/hooks/ok", self._ok)
        router.add_post("/hooks/gone", self._status(410))
        router.add_post("/hooks/redirect", self._redirect)
        router.add_post("/hooks/private", self._ok)
        router.add_post("/hooks/status/{code:\\d{3}}", self._by_code)

    async def _ok(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        for secret in self.signing_secrets:
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            msg_id = headers["webhook-id"]
            self.record(Delivered(self.url + request.path_qs, msg_id, msg_id, body))
            return web.Response(status=204)
        return web.json_response({"error": "bad signature"}, status=401)

    def _status(self, code: int) -> Handler:
        async def answer(request: web.Request) -> web.Response:
            return web.Response(status=code, headers={"Retry-After": "7"})

        return answer

    async def _redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(self.address("private"))

    async def _by_code(self, request: web.Request) -> web.StreamResponse:
        return await self._status(int(request.match_info["code"]))(request)
