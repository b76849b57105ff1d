"""A notifier that writes messages to the log: the development default, needing no account anywhere."""

from __future__ import annotations

import hashlib
import logging
from typing import Any, ClassVar

from fithub.plugins import PluginHost, hookimpl

log = logging.getLogger("fithub.notifiers.log")


class LogNotifier:
    """Delivers a message by logging its subject (never its body, which may hold personal data)."""

    name: ClassVar[str] = "log"
    display_name: ClassVar[str] = "Log (development)"

    async def send(self, recipient: str, subject: str, body: str) -> None:
        recipient_ref = hashlib.sha256(recipient.encode()).hexdigest()[:12]
        log.info("notification to %s: %s", recipient_ref, subject)


@hookimpl
def register_notifiers(host: PluginHost) -> list[type[Any]]:
    return [LogNotifier]
