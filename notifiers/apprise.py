"""A notifier that reaches the ~100 services apprise supports (ntfy, Telegram, Matrix, Discord, …).

A recipient's address is one apprise URL (``ntfy://topic``, ``tgram://token/chat``,
``json://host/path``); :func:`check_apprise_url` tells whether apprise can use one. apprise is an
optional extra (``pip install fithub[apprise]``) and blocks, so each send runs apprise in a small
thread pool of this notifier's own (never the event loop's default executor, which resolves host
names for aiohttp), bounded by ``NotifierContext.timeout_s``: the loop is never blocked, and the
service's socket timeouts are lowered to the same bound so a worker thread is not held longer.

Settings (``FITHUB_NOTIFIER_APPRISE_*``): ``workers`` (default 4), the sends that may run at once.

Errors: a URL apprise cannot parse raises ``RecipientInvalid``; a service that did not take the
message (apprise's ``notify()`` is false) raises ``DeliveryRetryLater``, whatever the reason,
because apprise reports no status code or cause to tell a refused credential from an outage.
``DeliveryGaveUp`` is never raised, so fithub's retry budget decides when to stop.

No service gives back an id: the provider message id is derived from the idempotency key. For
apprise's generic HTTP targets (``json://``, ``form://``, ``xml://`` and their ``s`` forms) the
key travels as the ``Fithub-Idempotency-Key`` header, so a receiver can drop a repeat.

Loading: the plugin is announced by the ``fithub-apprise-notifier`` entry point and is not in
``BUILTIN_PLUGINS``. The plugin manager turns an ``ImportError`` at load into a "failed" plugin and
an error in the log, so the import of apprise is guarded instead: without the extra this module
loads and registers no notifier. apprise logs message bodies and hosts at DEBUG through its
``apprise`` logger; unless an operator set that logger's level, the notifier raises it to
``CRITICAL`` so nothing personal reaches fithub's logs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, ClassVar

from fithub.plugins import (
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

try:
    import apprise
    from apprise.plugins.custom_form import NotifyForm
    from apprise.plugins.custom_json import NotifyJSON
    from apprise.plugins.custom_xml import NotifyXML
except ImportError:  # the optional extra is absent: the plugin registers nothing
    HAVE_APPRISE = False
else:
    HAVE_APPRISE = True

if TYPE_CHECKING:
    from apprise.plugins.base import NotifyBase

IDEMPOTENCY_HEADER = "Fithub-Idempotency-Key"
DEFAULT_WORKERS = 4


def _parse(url: str) -> NotifyBase:
    """apprise's service for ``url``; ``ValueError`` (never naming the URL) when it has none."""
    if not HAVE_APPRISE:
        raise ValueError("apprise is not installed (pip install fithub[apprise])")
    service = apprise.Apprise.instantiate(url.strip()) if url.strip() else None
    if service is None:
        raise ValueError("apprise cannot use this URL")
    return service


def check_apprise_url(url: str) -> str:
    """``url`` stripped when apprise can send to it; ``ValueError`` otherwise (or without apprise)."""
    _parse(url)
    return url.strip()


def message_id(idempotency_key: str) -> str:
    """The provider message id of every attempt of the delivery with ``idempotency_key``."""
    return f"apprise-{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}"


class AppriseNotifier:
    """Sends one message per delivery to the apprise URL that is the recipient's address."""

    name: ClassVar[str] = "apprise"
    display_name: ClassVar[str] = "Apprise (ntfy, Telegram, Matrix, Discord, …)"
    channel: ClassVar[NotifierChannel] = "apprise"

    def __init__(self, context: NotifierContext) -> None:
        if not HAVE_APPRISE:
            raise NotifierError("apprise notifier: apprise is not installed")
        self.context = context
        try:
            workers = int(context.settings.get("workers") or DEFAULT_WORKERS)
        except ValueError:
            workers = 0
        if workers < 1:
            raise NotifierError("apprise notifier: FITHUB_NOTIFIER_APPRISE_WORKERS is a count")
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fithub-apprise")
        apprise_log = logging.getLogger("apprise")
        if apprise_log.level == logging.NOTSET:
            apprise_log.setLevel(logging.CRITICAL)

    def _notify(self, message: RenderedMessage, address: str) -> bool:
        """Parse ``address`` and send through apprise (blocking, so on a worker thread: the first
        parse also imports apprise's ~100 service modules); ``ValueError`` for an unusable URL."""
        service = _parse(address)
        timeout = self.context.timeout_s
        service.socket_connect_timeout = min(service.socket_connect_timeout, timeout)
        service.socket_read_timeout = min(service.socket_read_timeout, timeout)
        if isinstance(service, NotifyJSON | NotifyForm | NotifyXML):  # json://, form://, xml://
            service.headers[IDEMPOTENCY_HEADER] = message.idempotency_key
        sender = apprise.Apprise()
        sender.add(service)
        result = sender.notify(
            body=message.text,
            title=message.title,
            body_format=apprise.NotifyFormat.TEXT,
            timeout=timeout,
        )
        return bool(result)

    async def send(self, message: RenderedMessage, recipient: Recipient) -> DeliveryResult:
        """Hand the message to apprise off the event loop; its yes or no decides the outcome."""
        loop = asyncio.get_running_loop()
        attempt = loop.run_in_executor(self._pool, self._notify, message, recipient.address)
        try:
            sent = await asyncio.wait_for(attempt, self.context.timeout_s)
        except ValueError:
            raise RecipientInvalid("apprise cannot use the recipient's URL") from None
        except TimeoutError:
            raise DeliveryRetryLater("the apprise service did not answer in time") from None
        except Exception as exc:  # a crash inside an apprise service plugin
            raise DeliveryRetryLater(f"apprise failed ({type(exc).__name__})") from None
        if not sent:
            raise DeliveryRetryLater("the apprise service did not take the message (no reason)")
        provider_message_id = message_id(message.idempotency_key)
        self.context.logger.info("apprise message sent: %s", provider_message_id)
        return DeliveryResult(provider_message_id=provider_message_id)


@hookimpl
def register_notifiers(host: PluginHost) -> list[type[Notifier]]:
    return [AppriseNotifier] if HAVE_APPRISE else []
