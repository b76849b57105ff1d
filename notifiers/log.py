"""A notifier that writes messages to the log: the development default, needing no account anywhere."""

from __future__ import annotations

import hashlib
import logging
from typing import ClassVar

from fithub.plugins import (
    DeliveryResult,
    Notifier,
    NotifierChannel,
    NotifierContext,
    PluginHost,
    Recipient,
    RenderedMessage,
    hookimpl,
)

log = logging.getLogger("fithub.notifiers.log")


def _ref(value: str) -> str:
    """A short stable reference to ``value`` that does not reveal it."""
    return hashlib.sha256(value.encode()).hexdigest()[:12]


class LogNotifier:
    """Delivers a message by logging its title (never its body or the address: personal data)."""

    name: ClassVar[str] = "log"
    display_name: ClassVar[str] = "Log (development)"
    channel: ClassVar[NotifierChannel] = "log"

    def __init__(self, context: NotifierContext) -> None:
        self.context = context

    async def send(self, message: RenderedMessage, recipient: Recipient) -> DeliveryResult:
        """Log the title and a hash of the address; the id comes from the idempotency key."""
        log.info("notification to %s: %s", _ref(recipient.address), message.title)
        return DeliveryResult(provider_message_id=f"log-{_ref(message.idempotency_key)}")


@hookimpl
def register_notifiers(host: PluginHost) -> list[type[Notifier]]:
    return [LogNotifier]
