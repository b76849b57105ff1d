"""A fake Twilio Programmable Messaging API on loopback: the sms channel's test server.

It speaks the wire format (reference: /work/shared/reference/channels-and-sensors.md, Twilio):
``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP Basic auth (the account's SID
and auth token, or an API key) and form fields ``To``, ``From``/``MessagingServiceSid``, ``Body``,
``StatusCallback``; it answers 201 with a message resource, or an error body ``{code, message,
more_info, status}``. Like Twilio's test credentials, the magic numbers refuse: ``+15005550001``
is invalid (21211), ``+15005550002`` unreachable (21612), ``+15005550004`` opted out (21610),
``+15005550009`` not a mobile (21614). As Twilio, it can call a ``StatusCallback`` URL with a
signed form (:meth:`TwilioFake.send_status_callback`); it signs on its own (not with fithub's code).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import aiohttp
from aiohttp import web

from fithub.plugins.notifier import NotifierChannel, Recipient
from fithub.plugins.testing import Delivered, FakeChannelServer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "5f0c9e1d2b3a4c5d6e7f8091a2b3c4d5"
API_KEY_SID = "SK" + "fedcba9876543210" * 2
API_KEY_SECRET = "apikeysecret-3e8b1c2d9f7a"
MESSAGING_SERVICE_SID = "MG" + "00112233445566778899aabbccddeeff"
SENDER = "+15005550006"  # Twilio's magic "valid From" number
ACCEPTED = "+14155552671"
REFUSED: dict[str, int] = {
    "+15005550001": 21211,
    "+15005550002": 21612,
    "+15005550004": 21610,
    "+15005550009": 21614,
}
MESSAGES: dict[int, str] = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    21211: "The 'To' number {to} is not a valid phone number.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21606: "The 'From' phone number provided is not a valid message-capable Twilio phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number: {to}, is not currently reachable using the 'From' phone number",
    21614: "'To' number {to} is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
}


def twilio_error(status: int, code: int | None, to: str = "", **headers: str) -> web.Response:
    """An error as Twilio shapes it; without a code, a bare body (a proxy's answer)."""
    if code is None:
        return web.Response(status=status, text="upstream trouble", headers=headers)
    body = {
        "code": code,
        "message": MESSAGES.get(code, "Error").format(to=to),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status, headers=headers)


def sign(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """``X-Twilio-Signature`` as Twilio documents it (HMAC-SHA1 of URL + sorted name+value)."""
    data = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    mac = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


@dataclass(frozen=True)
class SeenRequest:
    """One request to the Messages endpoint, as it arrived (accepted or not)."""

    path: str
    content_type: str
    auth: tuple[str, str] | None
    headers: Mapping[str, str]
    form: Mapping[str, str]


@dataclass(frozen=True)
class Scripted:
    """An answer to give the next message request instead of handling it."""

    status: int
    code: int | None
    headers: dict[str, str] = field(default_factory=dict)


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return user, password


class TwilioFake(FakeChannelServer):
    """Twilio's Messages API for one account; :attr:`seen` keeps every request."""

    channel: ClassVar[NotifierChannel] = "sms"
    supports_idempotency: ClassVar[bool] = False  # Twilio takes no idempotency key

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[SeenRequest] = []
        self._scripted: list[Scripted] = []
        self._script_lock = threading.Lock()

    def settings(self) -> Mapping[str, str]:
        return {
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "from": SENDER,
            "base_url": self.url,
        }

    @property
    def secrets(self) -> tuple[str, ...]:
        return (AUTH_TOKEN, API_KEY_SECRET)

    def recipient(self) -> Recipient:
        return Recipient(channel="sms", address=ACCEPTED, display_name="Ada")

    def refused_recipient(self) -> Recipient:
        return Recipient(channel="sms", address="+15005550001")

    def answer_next(
        self, status: int, code: int | None = None, *, retry_after: str | None = None
    ) -> None:
        """Make the next message request get ``status`` with Twilio error ``code``."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        with self._script_lock:
            self._scripted.append(Scripted(status, code, headers))

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/2010-04-01/Accounts/{account_sid}/Messages.json", self.create_message)

    async def create_message(self, request: web.Request) -> web.Response:
        raw = await request.read()
        form = {name: str(value) for name, value in (await request.post()).items()}
        auth = _basic(request.headers.get("Authorization"))
        self.seen.append(
            SeenRequest(request.path, request.content_type, auth, dict(request.headers), form)
        )
        if auth not in ((ACCOUNT_SID, AUTH_TOKEN), (API_KEY_SID, API_KEY_SECRET)):
            return twilio_error(401, 20003)
        if request.match_info["account_sid"] != ACCOUNT_SID:
            return twilio_error(404, 20404)
        with self._script_lock:
            scripted = self._scripted.pop(0) if self._scripted else None
        if scripted is not None:
            return twilio_error(scripted.status, scripted.code, **scripted.headers)
        to = form.get("To", "")
        body = form.get("Body", "")
        checks = (
            (not to, 21604),
            (not body, 21602),
            ("From" not in form and "MessagingServiceSid" not in form, 21603),
            (len(body) > 1600, 21617),
            (
                form.get("From", SENDER) != SENDER
                or form.get("MessagingServiceSid", MESSAGING_SERVICE_SID) != MESSAGING_SERVICE_SID,
                21606,
            ),
            (to in REFUSED, REFUSED.get(to)),
            (not to.startswith("+") or not to[1:].isdigit(), 21211),
        )
        for failed, code in checks:
            if failed:
                return twilio_error(400, code, to=to)
        sid = "SM" + uuid.uuid4().hex
        self.record(Delivered(to, sid, request.headers.get("Fithub-Idempotency-Key"), raw))
        resource = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "to": to,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": body,
            "status": "accepted" if "MessagingServiceSid" in form else "queued",
            "num_segments": "1",
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
        }
        return web.json_response(resource, status=201)

    # -- Twilio calling back ------------------------------------------------------------------------

    def status_callback_form(
        self, message_sid: str, status: str, error_code: str | None = None
    ) -> dict[str, str]:
        """The form Twilio posts to a ``StatusCallback`` when a message reaches ``status``."""
        form = {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "From": SENDER,
            "To": ACCEPTED,
            "MessageSid": message_sid,
            "SmsSid": message_sid,
            "MessageStatus": status,
            "SmsStatus": status,
        }
        if error_code is not None:
            form["ErrorCode"] = error_code
        return form

    async def send_status_callback(
        self,
        session: aiohttp.ClientSession,
        url: str,
        message_sid: str,
        status: str,
        error_code: str | None = None,
    ) -> int:
        """POST a signed status callback to ``url``, as Twilio does; the HTTP status it got."""
        form = self.status_callback_form(message_sid, status, error_code)
        headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, url, form)}
        async with session.post(url, data=form, headers=headers) as response:
            return response.status
