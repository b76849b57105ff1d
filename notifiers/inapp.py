"""The in-app notifier: the inbox row is the delivery; connected clients also get it live.

The recipient's address is the user's id. ``send`` publishes a ``notification`` message to the
topic ``inbox:<user id>`` through the context's publisher (fithub's fan-out: Redis pub/sub when
configured, so a worker reaches a WebSocket held by any API process), which the
``/ws/v1/notifications`` socket forwards to that user's clients (docs/streaming.md). Nobody
listening is not a failure, nor is a process without a publisher: the client reads its inbox
when it connects. A publisher that fails or hangs is retried later.

The provider message id is derived from the idempotency key, so every attempt of one delivery
reports the same one; a client drops a repeated live message by its ``id`` (the notification's).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from typing import Any, ClassVar

from fithub.plugins import (
    DeliveryResult,
    DeliveryRetryLater,
    Notifier,
    NotifierChannel,
    NotifierContext,
    PluginHost,
    Recipient,
    RecipientInvalid,
    RenderedMessage,
    hookimpl,
)

#: Fields of ``RenderedMessage.data`` the live message carries at its top level.
PROMOTED = ("notification_id", "kind", "created_at")


def topic(user_id: int | str) -> str:
    """The fan-out topic of one user's inbox."""
    return f"inbox:{user_id}"


def live_message(message: RenderedMessage) -> dict[str, Any]:
    """The ``notification`` message connected clients receive for ``message``."""
    data: Mapping[str, Any] = message.data
    return {
        "type": "notification",
        "id": data.get("notification_id"),
        "kind": data.get("kind"),
        "title": message.title,
        "text": message.text,
        "data": {key: value for key, value in data.items() if key not in PROMOTED},
        "created_at": data.get("created_at"),
    }


class InAppNotifier:
    """Delivers to the in-app inbox (already stored by fithub) and to the user's live sockets."""

    name: ClassVar[str] = "inapp"
    display_name: ClassVar[str] = "In-app inbox"
    channel: ClassVar[NotifierChannel] = "inapp"

    def __init__(self, context: NotifierContext) -> None:
        self.context = context

    @staticmethod
    def message_id(idempotency_key: str) -> str:
        """The provider message id of every attempt of the delivery with ``idempotency_key``."""
        return "inapp-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]

    async def send(self, message: RenderedMessage, recipient: Recipient) -> DeliveryResult:
        """Publish ``message`` to the recipient's inbox topic (when there is a publisher)."""
        address = recipient.address
        if not (address.isascii() and address.isdigit() and int(address) > 0):
            raise RecipientInvalid("the recipient is not a user id")
        publisher = self.context.publisher
        if publisher is not None:
            try:
                async with asyncio.timeout(self.context.timeout_s):
                    listeners = await publisher.publish(topic(address), live_message(message))
            except TimeoutError:
                raise DeliveryRetryLater("the live fan-out did not answer in time") from None
            except Exception as exc:  # Redis down: the notification is stored, go live later
                what = type(exc).__name__
                raise DeliveryRetryLater(f"the live fan-out failed ({what})") from None
            self.context.logger.info("in-app notification sent live to %d socket(s)", listeners)
        return DeliveryResult(provider_message_id=self.message_id(message.idempotency_key))


@hookimpl
def register_notifiers(host: PluginHost) -> list[type[Notifier]]:
    return [InAppNotifier]
