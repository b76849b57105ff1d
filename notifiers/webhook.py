"""A notifier that POSTs signed JSON to an app builder's endpoint, per the Standard Webhooks spec.

The body is the JSON of ``message.data`` (core puts the envelope ``{"type", "timestamp", "data"}``
there); ``recipient.address`` is the endpoint URL and ``recipient.secrets`` its ``whsec_`` signing
secrets, newest first. Each request carries ``webhook-id`` (the idempotency key: the same for
every attempt, so receivers drop duplicates; it is also the provider message id),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">`` for each secret, space-separated (both during a rotation).

Settings (``FITHUB_NOTIFIER_WEBHOOK_*``, keyed in lower case without the prefix):

- ``allow_private``: ``true`` lets an admin send to loopback and private addresses (default
  ``false``: see :mod:`fithub.plugins.outbound`, checked again at connect time against DNS
  rebinding);
- ``timeout_s``: seconds for one attempt, default 15 (and never more than the context's);
- ``user_agent``: the ``User-Agent`` header, default ``fithub-webhooks``.

Answers, per the spec (senders retry every non-2xx, the endpoint decides):

- 2xx -> delivered; 410 Gone -> ``RecipientInvalid`` (disable the endpoint);
- a redirect (3xx) is never followed, as its target could be private: ``DeliveryRetryLater``,
  like any failing answer, so the owner can fix the URL while retries last;
- 401 -> ``DeliveryGaveUp``: the endpoint refused the signature (its owner must update the
  secret), the plugin contract's "credentials refused";
- 429, 5xx, any other 4xx, a timeout, no connection -> ``DeliveryRetryLater`` (with
  ``Retry-After`` when given);
- an unusable URL, or one resolving only to refused addresses -> ``RecipientInvalid``; no secret,
  or one that is not ``whsec_<base64>``, or data that is not JSON -> ``DeliveryGaveUp``.

The notifier has its own guarded aiohttp session (the shared one does not check addresses),
made on first use; ``aclose()`` closes it.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import ClassVar

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
    hookimpl,
)
from fithub.plugins.http import parse_retry_after
from fithub.plugins.outbound import check_url, guarded_session, is_blocked
from fithub.plugins.signing import sign

DEFAULT_TIMEOUT_S = 15.0  # Standard Webhooks: a 2xx within 15 s is a success
DEFAULT_USER_AGENT = "fithub-webhooks"


def _setting_error(message: str) -> NotifierError:
    return NotifierError(f"webhook notifier: {message}")


class WebhookNotifier:
    """Delivers one signed POST per message to the recipient's endpoint URL."""

    name: ClassVar[str] = "webhook"
    display_name: ClassVar[str] = "Webhooks (Standard Webhooks)"
    channel: ClassVar[NotifierChannel] = "webhook"

    def __init__(self, context: NotifierContext) -> None:
        settings = context.settings
        self.context = context
        allow = settings.get("allow_private", "false").strip().lower()
        if allow not in ("true", "false"):
            raise _setting_error("FITHUB_NOTIFIER_WEBHOOK_ALLOW_PRIVATE is true or false")
        self.allow_private = allow == "true"
        try:
            timeout_s = float(settings.get("timeout_s") or DEFAULT_TIMEOUT_S)
        except ValueError:
            raise _setting_error("FITHUB_NOTIFIER_WEBHOOK_TIMEOUT_S is not a number") from None
        if not 0 < timeout_s <= 300:
            raise _setting_error("FITHUB_NOTIFIER_WEBHOOK_TIMEOUT_S is between 0 and 300 s")
        self.timeout_s = min(timeout_s, context.timeout_s)
        self.user_agent = settings.get("user_agent") or DEFAULT_USER_AGENT
        if not self.user_agent.isprintable():
            raise _setting_error("FITHUB_NOTIFIER_WEBHOOK_USER_AGENT has control characters")
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None

    def _client(self) -> aiohttp.ClientSession:
        """The guarded session of the running loop, made on first use."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            self._session = guarded_session(allow_private=self.allow_private)
            self._session_loop = loop
        return self._session

    async def aclose(self) -> None:
        """Close the notifier's own session (fithub calls it at shutdown)."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def request(
        self, message: RenderedMessage, recipient: Recipient
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the POST for ``message`` (signed with every secret)."""
        try:
            body = json.dumps(message.data, separators=(",", ":"), ensure_ascii=False).encode()
        except (TypeError, ValueError):
            raise DeliveryGaveUp("the message data is not JSON") from None
        msg_id = message.idempotency_key
        if not msg_id or not msg_id.isascii() or not msg_id.isprintable() or " " in msg_id:
            raise DeliveryGaveUp("the idempotency key is not a valid webhook-id")
        if not recipient.secrets:
            raise DeliveryGaveUp("the endpoint has no signing secret")
        timestamp = int(time.time())
        try:
            signatures = " ".join(sign(s, msg_id, timestamp, body) for s in recipient.secrets)
        except ValueError:
            raise DeliveryGaveUp("a signing secret of the endpoint is not whsec_<base64>") from None
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self.user_agent,
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signatures,
        }
        return body, headers

    async def send(self, message: RenderedMessage, recipient: Recipient) -> DeliveryResult:
        """POST the signed message once, without following redirects; the answer decides."""
        try:
            url = check_url(
                recipient.address, allow_private=self.allow_private, require_https=False
            )
        except ValueError as exc:
            raise RecipientInvalid(f"the webhook URL is refused: {exc}") from None
        body, headers = self.request(message, recipient)
        msg_id = headers["webhook-id"]
        try:
            async with self._client().post(
                url,
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            ) as response:
                status = response.status
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
        except TimeoutError:
            raise DeliveryRetryLater(
                f"the endpoint did not answer within {self.timeout_s:g} s"
            ) from None
        except aiohttp.InvalidURL:
            raise RecipientInvalid("the webhook URL is refused: it cannot be parsed") from None
        except (aiohttp.ClientError, OSError) as exc:
            if is_blocked(exc):
                raise RecipientInvalid(
                    "the webhook URL resolves to a non-public address (not allowed)"
                ) from None
            raise DeliveryRetryLater(
                f"could not reach the endpoint ({type(exc).__name__})"
            ) from None
        if 200 <= status < 300:
            self.context.logger.info("webhook delivered: %s (%d)", msg_id, status)
            return DeliveryResult(provider_message_id=msg_id)
        if 300 <= status < 400:
            raise DeliveryRetryLater(f"the endpoint answered a redirect ({status}), not followed")
        if status == 410:
            raise RecipientInvalid("the endpoint is gone (410): disable it")
        if status == 401:
            raise DeliveryGaveUp("the endpoint refused the signature (401)")
        raise DeliveryRetryLater(f"the endpoint answered {status}", retry_after=retry_after)


@hookimpl
def register_notifiers(host: PluginHost) -> list[type[Notifier]]:
    return [WebhookNotifier]
