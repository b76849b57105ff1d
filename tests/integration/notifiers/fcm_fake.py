"""A fake Firebase Cloud Messaging (HTTP v1) with Google's OAuth2 token endpoint: the push channel's fake.

It generates its own service account (a fresh RSA key; never a real one), verifies each JWT grant
with the account's public key, issues access tokens living :attr:`FCMFake.expires_in` seconds,
and takes ``messages:send`` only with a live bearer token and a well-formed message.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fithub.plugins.notifier import NotifierChannel, Recipient
from fithub.plugins.testing import Delivered, FakeChannelServer

PROJECT_ID = "fithub-fake-project"
CLIENT_EMAIL = "fithub-push@fithub-fake-project.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LIVE_TOKEN = "fcm-device-token-live-5a1e"  # a registration token the fake delivers to
DEAD_TOKEN = "fcm-device-token-dead-0b7d"  # one whose app was uninstalled: UNREGISTERED
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "-_:.")


def fcm_error(
    status: int, error_status: str, error_code: str | None = None, message: str = ""
) -> dict[str, Any]:
    """FCM's error body (https://firebase.google.com/docs/cloud-messaging/error-codes)."""
    details = [{"@type": FCM_ERROR_TYPE, "errorCode": error_code}] if error_code else []
    text = message or error_status.replace("_", " ").lower()
    return {"error": {"code": status, "message": text, "status": error_status, "details": details}}


@dataclass(frozen=True)
class Answer:
    """A scripted answer the next ``messages:send`` gets instead of FCM's own."""

    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    bad_fields: tuple[str, ...] = ()  # fields named in a google.rpc.BadRequest detail


@dataclass(frozen=True)
class Received:
    """One ``messages:send`` request as the fake saw it (whatever it answered)."""

    project: str
    authorization: str
    content_type: str
    body: Any


class FCMFake(FakeChannelServer):
    """FCM and its token endpoint on 127.0.0.1.

    Faults: ``unavailable`` answers 503 UNAVAILABLE, ``timeout`` holds the request ``hang_s``
    seconds; ``auth`` at ``messages:send`` answers 401 and refuses the next grant (the account's
    key was disabled), at the token endpoint refuses the grant (400 ``invalid_grant``).
    """

    channel: ClassVar[NotifierChannel] = "push"

    def __init__(self) -> None:
        super().__init__()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = secrets.token_hex(20)
        self.private_key_pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self.expires_in = 3600  # the lifetime of the access tokens it issues, in seconds
        self.token_requests = 0
        self.assertions: list[dict[str, Any]] = []  # the verified JWT claims, in order
        self.received: list[Received] = []
        self.reject_every_bearer = False  # 401 for every send, whatever the token
        self._issued: dict[str, float] = {}  # access token -> expiry (time.monotonic())
        self._refuse_grants = 0
        self._answers: list[Answer] = []
        self._ids = itertools.count(6_000_000_000_000_000_001)

    # -- configuration -----------------------------------------------------------------------------

    def service_account(self) -> dict[str, str]:
        """The service-account key file for this fake (its token_uri is the fake's)."""
        return {
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": self.key_id,
            "private_key": self.private_key_pem,
            "client_email": CLIENT_EMAIL,
            "client_id": "104862934713628419925",
            "token_uri": f"{self.url}/token",
        }

    def settings(self) -> Mapping[str, str]:
        return {"service_account_json": json.dumps(self.service_account()), "base_url": self.url}

    @property
    def secrets(self) -> tuple[str, ...]:
        with self._lock:
            return (self.private_key_pem, *self._issued)

    def recipient(self) -> Recipient:
        return Recipient("push", LIVE_TOKEN)

    def refused_recipient(self) -> Recipient:
        return Recipient("push", DEAD_TOKEN)

    def answer_next(self, answer: Answer) -> None:
        """Answer the next ``messages:send`` (with a live token) with ``answer``."""
        with self._lock:
            self._answers.append(answer)

    def revoke_access_tokens(self) -> None:
        """Make every access token issued so far invalid (as if Google rotated them)."""
        with self._lock:
            self._issued.clear()

    def bearer_tokens(self) -> list[str]:
        """The access token of each ``messages:send`` request, in order."""
        with self._lock:
            return [r.authorization.removeprefix("Bearer ") for r in self.received]

    # -- the server --------------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        app = web.Application()  # the faults are applied per route, below
        self.add_routes(app.router)
        return app

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/token", self._token)
        router.add_post("/v1/projects/{project}/messages:send", self._send)

    async def _hang(self) -> web.Response:
        await asyncio.sleep(self.hang_s)
        return web.json_response(fcm_error(503, "UNAVAILABLE"), status=503)

    async def _token(self, request: web.Request) -> web.Response:
        fault = self.take_fault()
        if fault == "timeout":
            return await self._hang()
        if fault == "unavailable":
            return web.json_response({"error": "internal_failure"}, status=503)
        with self._lock:
            self.token_requests += 1
            refused = fault == "auth" or self._refuse_grants > 0
            self._refuse_grants = max(0, self._refuse_grants - 1)
        if refused:
            return _invalid_grant("Invalid JWT Signature.")
        form = await request.post()
        if form.get("grant_type") != GRANT_TYPE or not isinstance(form.get("assertion"), str):
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        assertion = str(form["assertion"])
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(
                assertion,
                self.key.public_key(),
                algorithms=["RS256"],
                audience=f"{self.url}/token",
                issuer=CLIENT_EMAIL,
                options={"require": ["iss", "aud", "exp", "iat", "scope"]},
            )
        except jwt.PyJWTError as exc:
            return _invalid_grant(f"Invalid JWT: {type(exc).__name__}")
        if header.get("kid") != self.key_id or header.get("alg") != "RS256":
            return _invalid_grant("Invalid JWT Signature.")
        if SCOPE not in str(claims["scope"]).split() or claims["exp"] - claims["iat"] > 3600:
            return _invalid_grant("Invalid JWT: scope or lifetime")
        token = f"ya29.fake-{secrets.token_urlsafe(24)}"
        with self._lock:
            self.assertions.append(claims)
            self._issued[token] = time.monotonic() + self.expires_in
            lifetime = self.expires_in
        return web.json_response(
            {"access_token": token, "expires_in": lifetime, "token_type": "Bearer"}
        )

    async def _send(self, request: web.Request) -> web.Response:
        fault = self.take_fault()
        if fault == "timeout":
            return await self._hang()
        if fault == "unavailable":
            return web.json_response(fcm_error(503, "UNAVAILABLE"), status=503)
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        authorization = request.headers.get("Authorization", "")
        project = request.match_info["project"]
        with self._lock:
            self.received.append(
                Received(project, authorization, request.headers.get("Content-Type", ""), body)
            )
            bearer = authorization.removeprefix("Bearer ")
            expiry = self._issued.get(bearer) if authorization.startswith("Bearer ") else None
            live = expiry is not None and time.monotonic() < expiry
            if fault == "auth":
                self._refuse_grants += 1
            answer = self._answers.pop(0) if self._answers and live else None
        if fault == "auth" or not live or self.reject_every_bearer:
            error = fcm_error(401, "UNAUTHENTICATED", message="Request had invalid credentials.")
            return web.json_response(error, status=401)
        if project != PROJECT_ID:
            return web.json_response(fcm_error(403, "PERMISSION_DENIED"), status=403)
        problem = _shape_problem(body)
        if problem:
            error = fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", problem)
            return web.json_response(error, status=400)
        if answer is not None:
            reply = json.loads(json.dumps(answer.body))
            if answer.bad_fields:
                violations = [{"field": f, "description": "invalid"} for f in answer.bad_fields]
                detail = {"@type": BAD_REQUEST_TYPE, "fieldViolations": violations}
                reply["error"]["details"].append(detail)
            return web.json_response(reply, status=answer.status, headers=answer.headers)
        message = body["message"]
        if message["token"] == DEAD_TOKEN:
            error = fcm_error(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.")
            return web.json_response(error, status=404)
        name = f"projects/{PROJECT_ID}/messages/{next(self._ids)}"
        key = message.get("data", {}).get("idempotency_key")
        self.record(Delivered(message["token"], name, key, raw))
        return web.json_response({"name": name})


def _invalid_grant(description: str) -> web.Response:
    return web.json_response(
        {"error": "invalid_grant", "error_description": description}, status=400
    )


def _shape_problem(body: Any) -> str:
    """What FCM would refuse in the request body ("" when it is well formed)."""
    if not isinstance(body, dict) or set(body) - {"message", "validate_only"}:
        return "Invalid JSON payload received."
    message = body.get("message")
    if not isinstance(message, dict):
        return "Invalid JSON payload received. Unknown name message."
    targets = [k for k in ("token", "topic", "condition") if k in message]
    token = message.get("token")
    if targets != ["token"] or not isinstance(token, str) or not token or set(token) - TOKEN_CHARS:
        return "The registration token is not a valid FCM registration token"
    notification = message.get("notification", {})
    if not isinstance(notification, dict) or set(notification) - {"title", "body", "image"}:
        return "Invalid value at 'message.notification'"
    if not all(isinstance(v, str) for v in notification.values()):
        return "Invalid value at 'message.notification'"
    data = message.get("data", {})
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return "Invalid value at 'message.data' (values must be strings)"
    if any(k in {"from", "gcm"} or k.lower().startswith("google") for k in data):
        return "Invalid data payload key: reserved"
    return ""
