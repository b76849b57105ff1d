"""The notifier plugin kind: a channel that delivers a rendered message to one recipient.

A notifier takes a :class:`RenderedMessage` and a :class:`Recipient` and gives a
:class:`DeliveryResult`, or raises a typed error from :mod:`fithub.plugins.errors`
(``DeliveryRetryLater``, ``DeliveryGaveUp``, ``RecipientInvalid``). fithub keeps one delivery row
per message and channel and retries it; see docs/plugins.md, "Notifiers".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import aiohttp

NotifierChannel = Literal["email", "sms", "push", "webhook", "inapp", "apprise", "log"]
NOTIFIER_CHANNELS: frozenset[str] = frozenset(
    {"email", "sms", "push", "webhook", "inapp", "apprise", "log"}
)


@dataclass(frozen=True, kw_only=True)
class RenderedMessage:
    """One message, rendered for one person in their locale, ready for any channel.

    ``text`` is the plain-text body every channel can send; ``html`` an HTML body for channels that
    show one (e-mail). ``data`` carries structured values the channel may use (a deep link, an
    ``unsubscribe_url``, a push payload). ``idempotency_key`` is the same for every attempt of one
    delivery: a channel that deduplicates gets it, so a retried delivery arrives once.
    """

    title: str
    text: str = field(repr=False)
    html: str | None = field(default=None, repr=False)
    data: Mapping[str, Any] = field(default_factory=dict, repr=False)
    locale: str = "en"
    idempotency_key: str


@dataclass(frozen=True)
class Recipient:
    """Where to deliver, on one channel: an e-mail address, a phone number, a device token, a URL.

    The address is personal data: a notifier never logs it, nor puts it in an error message.
    """

    channel: NotifierChannel
    address: str = field(repr=False)
    display_name: str | None = field(default=None, repr=False)
    #: Credentials that belong to this address, newest first: a webhook endpoint's signing
    #: secrets (two during a rotation, when both signatures are sent).
    secrets: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class DeliveryResult:
    """The channel accepted the message; ``provider_message_id`` is its id for it (a Message-ID)."""

    provider_message_id: str


@runtime_checkable
class Publisher(Protocol):
    """Fan-out to connected clients: Redis pub/sub when configured, else this process only."""

    async def publish(self, topic: str, message: Mapping[str, Any]) -> int:
        """Send ``message`` to every subscriber of ``topic``; return how many got it (this
        process's count, or Redis's across processes)."""
        ...


@dataclass(frozen=True)
class NotifierContext:
    """What fithub hands a notifier when it makes one (once per process).

    ``settings`` are the notifier's ``FITHUB_NOTIFIER_<NAME>_*`` values, keyed by the lower-case
    rest of the name (``FITHUB_NOTIFIER_EMAIL_HOST`` -> ``host``); they may hold secrets.
    ``session`` is the process's shared aiohttp session: use it, never close it. ``timeout_s``
    bounds one attempt at the channel.
    """

    settings: Mapping[str, str] = field(repr=False)
    session: aiohttp.ClientSession
    logger: logging.Logger
    timeout_s: float = 30.0
    publisher: Publisher | None = None  # live fan-out (the in-app channel uses it)


@runtime_checkable
class Notifier(Protocol):
    """A channel that delivers rendered messages to a person (e-mail, SMS, push, a webhook).

    fithub makes one instance per process: ``cls(context)``. ``send`` may raise only
    ``NotifierError`` subclasses (see :mod:`fithub.plugins.errors`): ``DeliveryRetryLater``,
    ``DeliveryGaveUp`` or ``RecipientInvalid``. A notifier never retries or sleeps (fithub keeps
    one delivery row per attempt and retries it with backoff), and never logs a message body, an
    address or a secret.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    channel: ClassVar[NotifierChannel]  # the kind of address its recipients have

    def __init__(self, context: NotifierContext) -> None: ...

    async def send(self, message: RenderedMessage, recipient: Recipient) -> DeliveryResult:
        """Deliver ``message`` to ``recipient`` (of this notifier's channel) once; its result
        names the channel's id for the message. Sending the same ``idempotency_key`` again must
        not make a second message where the channel can prevent it."""
        ...


@dataclass(frozen=True)
class StatusUpdate:
    """What a channel reported later about a message it accepted (an SMS status callback).

    ``status`` is ``delivered`` or ``failed``; other interim states are not reported.
    """

    provider_message_id: str
    status: Literal["delivered", "failed"]
    error: str | None = None  # the channel's error code, for a failure


@runtime_checkable
class StatusCallbacks(Protocol):
    """A notifier capability: the channel calls fithub back with delivery reports.

    fithub serves ``POST /api/v1/notifications/channels/{name}/status`` (``name`` is the
    notifier's) and hands each request here. ``url`` is the full URL the channel called (some
    channels sign it), ``form`` the decoded body fields, ``headers`` the request headers.
    Raise ``ValueError`` when the request is not authentic: fithub answers 403 and stores nothing.
    """

    def status_updates(
        self, url: str, form: Mapping[str, str], headers: Mapping[str, str]
    ) -> list[StatusUpdate]: ...
