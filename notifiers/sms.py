"""A notifier that sends SMS through Twilio's Programmable Messaging API, with signed status callbacks.

Settings (``FITHUB_NOTIFIER_SMS_*``, keyed in lower case without the prefix):

- ``account_sid`` (required): the Twilio account (``AC`` and 32 hex digits), part of the API path;
- ``auth_token``: the account's auth token, for HTTP Basic auth (``account_sid:auth_token``) and
  the key Twilio signs status callbacks with;
- ``api_key_sid`` (``SK…``) and ``api_key_secret``: an API key to send with instead of the auth
  token (Basic ``api_key_sid:api_key_secret``); status callbacks still need ``auth_token``;
- ``from``: the sender (an E.164 number, a short code or an alphanumeric sender ID) and/or
  ``messaging_service_sid`` (``MG…``): at least one of the two; both are sent when both are set;
- ``base_url`` (default ``https://api.twilio.com``): the API root (a test server elsewhere);
- ``status_callback_url`` (optional): where Twilio reports delivery, sent as ``StatusCallback``;
  fithub serves it at ``/api/v1/notifications/channels/sms/status`` (see :meth:`status_updates`).

The request: ``POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json``, form-encoded
``To`` (E.164, checked with :func:`fithub.plugins.addresses.check_phone_number`), ``From`` / ``MessagingServiceSid``,
``Body`` and ``StatusCallback``; the answer's ``sid`` is the provider message id.

The body is the title, a line break and the text, trimmed to :data:`MAX_BODY_CHARS` (459: three
concatenated GSM-7 segments of 153 characters; Twilio itself refuses more than 1600) and then
ending in ``...`` (ASCII: one non-GSM character would make the whole message UCS-2, 67 characters
a segment).

Errors: a timeout, an unreachable API, 429 and 5xx raise ``DeliveryRetryLater`` (with the
``Retry-After`` wait); 401 and 403 ``DeliveryGaveUp``; a 4xx whose Twilio error code is about the
recipient (:data:`RECIPIENT_ERROR_CODES`: invalid, unreachable, opted out, not a mobile)
``RecipientInvalid``; any other 4xx ``DeliveryGaveUp``. Errors name the HTTP status and Twilio's
code, never Twilio's message text (it quotes the number).

Idempotency: Twilio's Messages API takes no idempotency key, so a retried delivery can arrive
twice when an attempt timed out or got a 5xx after Twilio had accepted the message (a 429,
Twilio's error 20429, was never processed). fithub retries only after ``DeliveryRetryLater``; a
2xx is final. The delivery's key still goes along in a ``Fithub-Idempotency-Key`` header, which
Twilio ignores, for a proxy's log or a test server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import aiohttp

from fithub.plugins import (
    DeliveryGaveUp,
    DeliveryResult,
    DeliveryRetryLater,
    Notifier,
    NotifierChannel,
    NotifierContext,
    NotifierError,
    PluginHost,
    Recipient,
    RecipientInvalid,
    RenderedMessage,
    StatusUpdate,
    hookimpl,
)
from fithub.plugins.addresses import check_phone_number
from fithub.plugins.http import parse_retry_after

DEFAULT_BASE_URL = "https://api.twilio.com"
IDEMPOTENCY_HEADER = "Fithub-Idempotency-Key"
SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_BODY_CHARS = 459
TRIM_MARK = "..."

#: Twilio error codes that refuse the recipient, not fithub's account or the message.
RECIPIENT_ERROR_CODES: frozenset[int] = frozenset(
    {
        21211,  # invalid 'To' phone number
        21214,  # 'To' phone number cannot be reached
        21217,  # phone number does not appear to be valid
        21265,  # 'To' number cannot be a short code
        21407,  # this phone number type does not support SMS
        21610,  # the recipient replied STOP (unsubscribed)
        21612,  # 'To' number not currently reachable via SMS
        21614,  # 'To' number is not a valid mobile number
    }
)
DELIVERED_STATES = frozenset({"delivered"})
FAILED_STATES = frozenset({"failed", "undelivered"})

_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_API_KEY_SID = re.compile(r"SK[0-9a-fA-F]{32}")
_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
_SHORT_CODE = re.compile(r"[0-9]{3,8}")
_ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")


def compose_body(message: RenderedMessage) -> str:
    """The SMS text: the title, a line break and the text, at most :data:`MAX_BODY_CHARS` long."""
    title, text = message.title.strip(), message.text.strip()
    if title and text.startswith(title):
        title = ""  # the text already opens with the title: do not pay for it twice
    body = "\n".join(part for part in (title, text) if part)
    if not body:
        raise DeliveryGaveUp("the message has neither a title nor a text")
    if len(body) <= MAX_BODY_CHARS:
        return body
    cut = body[: MAX_BODY_CHARS - len(TRIM_MARK)]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= len(cut) - 30:  # end on a word boundary when one is near
        cut = cut[:space]
    return cut.rstrip() + TRIM_MARK


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Twilio's ``X-Twilio-Signature`` for a POST to ``url`` with ``params``.

    Base64 of HMAC-SHA1, keyed by the auth token, over the full URL followed by each parameter's
    name and value, sorted by name, with no separators.
    """
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _url_variants(url: str) -> list[str]:
    """``url`` as called, and with the scheme's default port added or its port removed.

    Twilio signs the URL as it was configured; a proxy may have added or dropped the port
    (Twilio's own validators try both).
    """
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    try:
        port = parts.port
    except ValueError:
        return [url]
    default = {"https": 443, "http": 80}.get(parts.scheme)
    if port is not None:
        hostport = hostport[: hostport.rindex(":")]
    elif default is not None:
        hostport = f"{hostport}:{default}"
    else:
        return [url]
    return [url, parts._replace(netloc=f"{userinfo}{at}{hostport}").geturl()]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def _setting_error(message: str) -> NotifierError:
    return NotifierError(f"sms notifier: {message}")


def _http_url(value: str, setting: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _setting_error(f"FITHUB_NOTIFIER_SMS_{setting} is not an http(s) URL")
    return value


def _twilio_code(text: str) -> int | None:
    """The Twilio error code of an error body (``{"code", "message", "more_info", "status"}``)."""
    try:
        body: Any = json.loads(text)
    except ValueError:
        return None
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


class SmsNotifier:
    """Sends one SMS per delivery through Twilio; verifies and reads Twilio's status callbacks."""

    name: ClassVar[str] = "sms"
    display_name: ClassVar[str] = "SMS (Twilio)"
    channel: ClassVar[NotifierChannel] = "sms"

    def __init__(self, context: NotifierContext) -> None:
        settings = context.settings
        self.context = context
        self.account_sid = settings.get("account_sid", "")
        if not _ACCOUNT_SID.fullmatch(self.account_sid):
            raise _setting_error("set FITHUB_NOTIFIER_SMS_ACCOUNT_SID to the account's AC… SID")
        self.auth_token = settings.get("auth_token") or None
        key_sid, key_secret = settings.get("api_key_sid") or "", settings.get("api_key_secret")
        if key_sid or key_secret:
            if not (_API_KEY_SID.fullmatch(key_sid) and key_secret):
                raise _setting_error(
                    "FITHUB_NOTIFIER_SMS_API_KEY_SID (SK…) and _API_KEY_SECRET go together"
                )
            self.authorization = aiohttp.encode_basic_auth(key_sid, key_secret)
        elif self.auth_token:
            self.authorization = aiohttp.encode_basic_auth(self.account_sid, self.auth_token)
        else:
            raise _setting_error(
                "set FITHUB_NOTIFIER_SMS_AUTH_TOKEN (or an API key: _API_KEY_SID, _API_KEY_SECRET)"
            )
        self.sender = settings.get("from") or None
        self.messaging_service_sid = settings.get("messaging_service_sid") or None
        if self.sender is None and self.messaging_service_sid is None:
            raise _setting_error(
                "set FITHUB_NOTIFIER_SMS_FROM or FITHUB_NOTIFIER_SMS_MESSAGING_SERVICE_SID"
            )
        if self.sender is not None:
            self.sender = self._check_sender(self.sender)
        if self.messaging_service_sid is not None and not _SERVICE_SID.fullmatch(
            self.messaging_service_sid
        ):
            raise _setting_error("FITHUB_NOTIFIER_SMS_MESSAGING_SERVICE_SID is not an MG… SID")
        base_url = _http_url(settings.get("base_url") or DEFAULT_BASE_URL, "BASE_URL")
        self.messages_url = (
            f"{base_url.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        )
        callback = settings.get("status_callback_url") or None
        if callback is not None:
            _http_url(callback, "STATUS_CALLBACK_URL")
            if "_" in (urlsplit(callback).hostname or ""):
                raise _setting_error("Twilio refuses a STATUS_CALLBACK_URL host with underscores")
        self.status_callback_url = callback

    @staticmethod
    def _check_sender(sender: str) -> str:
        if sender.startswith("+"):
            try:
                return check_phone_number(sender)
            except ValueError as exc:
                raise _setting_error(f"FITHUB_NOTIFIER_SMS_FROM: {exc}") from None
        if _SHORT_CODE.fullmatch(sender) or _ALPHANUMERIC_SENDER.fullmatch(sender):
            return sender
        raise _setting_error(
            "FITHUB_NOTIFIER_SMS_FROM is an E.164 number, a short code or an alphanumeric "
            "sender ID (at most 11 letters, digits or spaces)"
        )

    def compose(self, message: RenderedMessage, recipient: Recipient) -> dict[str, str]:
        """The form fields of the request that sends ``message`` to ``recipient``."""
        try:
            to = check_phone_number(recipient.address)
        except ValueError:
            raise RecipientInvalid("the recipient is not a valid E.164 phone number") from None
        form = {"To": to, "Body": compose_body(message)}
        if self.sender is not None:
            form["From"] = self.sender
        if self.messaging_service_sid is not None:
            form["MessagingServiceSid"] = self.messaging_service_sid
        if self.status_callback_url is not None:
            form["StatusCallback"] = self.status_callback_url
        return form

    async def send(self, message: RenderedMessage, recipient: Recipient) -> DeliveryResult:
        """Create the message at Twilio; its ``sid`` is the result, its error decides the error."""
        form = self.compose(message, recipient)
        try:
            async with self.context.session.post(
                self.messages_url,
                data=form,
                headers={
                    "Authorization": self.authorization,
                    "Accept": "application/json",
                    IDEMPOTENCY_HEADER: message.idempotency_key,
                },
                timeout=aiohttp.ClientTimeout(total=self.context.timeout_s),
                allow_redirects=False,
            ) as response:
                status = response.status
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                text = await response.text(errors="replace")
        except TimeoutError:
            raise DeliveryRetryLater("Twilio did not answer in time") from None
        except aiohttp.ClientError as exc:
            raise DeliveryRetryLater(f"could not reach Twilio ({type(exc).__name__})") from None
        if 200 <= status < 300:
            return self._accepted(status, text)
        code = _twilio_code(text)
        said = f"{status}" if code is None else f"{status}, code {code}"
        if status == 429 or status >= 500:
            raise DeliveryRetryLater(f"Twilio said try later ({said})", retry_after=retry_after)
        if status in (401, 403):
            raise DeliveryGaveUp(f"Twilio refused fithub's credentials ({said})")
        if code in RECIPIENT_ERROR_CODES:
            raise RecipientInvalid(f"Twilio refused the recipient ({said})")
        raise DeliveryGaveUp(f"Twilio refused the message ({said})")

    def _accepted(self, status: int, text: str) -> DeliveryResult:
        # Twilio took the message: never retry (it would send it twice), even on a strange body.
        try:
            body: Any = json.loads(text)
        except ValueError:
            body = None
        sid = body.get("sid") if isinstance(body, dict) else None
        if not isinstance(sid, str) or not sid:
            raise DeliveryGaveUp(f"Twilio accepted the message ({status}) but sent no sid")
        self.context.logger.info("sms sent: %s", sid)
        return DeliveryResult(provider_message_id=sid)

    def status_updates(
        self, url: str, form: Mapping[str, str], headers: Mapping[str, str]
    ) -> list[StatusUpdate]:
        """Check a status callback's ``X-Twilio-Signature`` and read its ``MessageStatus``.

        ``delivered`` gives a delivered update; ``failed`` and ``undelivered`` a failed one with
        Twilio's ``ErrorCode``; other states (queued, sent, …) nothing. Raises ``ValueError``
        when the signature is missing or wrong, or no auth token is set to check it with.
        """
        signature = _header(headers, SIGNATURE_HEADER)
        if not signature:
            raise ValueError(f"the callback has no {SIGNATURE_HEADER}")
        if self.auth_token is None:
            raise ValueError("no auth token is set (FITHUB_NOTIFIER_SMS_AUTH_TOKEN) to check it")
        given = signature.strip().encode()
        token = self.auth_token
        if not any(
            hmac.compare_digest(twilio_signature(token, candidate, form).encode(), given)
            for candidate in _url_variants(url)
        ):
            raise ValueError(f"the {SIGNATURE_HEADER} does not match")
        sid = form.get("MessageSid") or form.get("SmsSid")
        state = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
        if not sid:
            return []
        if state in DELIVERED_STATES:
            return [StatusUpdate(provider_message_id=sid, status="delivered")]
        if state in FAILED_STATES:
            error = form.get("ErrorCode") or None
            return [StatusUpdate(provider_message_id=sid, status="failed", error=error)]
        return []


@hookimpl
def register_notifiers(host: PluginHost) -> list[type[Notifier]]:
    return [SmsNotifier]
