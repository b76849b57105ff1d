"""``assert_notifier_contract``: a notifier delivers, reports, and fails with the right errors.

Runs a notifier class against a :class:`~fithub.plugins.testing.ChannelServer` (a fake or a
real local server of its channel) and checks, in order::

    await assert_notifier_contract(EmailNotifier, smtp_server)

- the declarations: ``name``, ``display_name``, a ``channel`` that is the server's;
- a message is delivered once to the recipient, and the ``provider_message_id`` it reports is
  the id the server saw;
- the same idempotency key sent again arrives once when the channel deduplicates
  (``supports_idempotency``), and otherwise is reported as what the server saw again;
- a refused recipient raises ``RecipientInvalid``; the channel down (5xx) or silent (a timeout)
  raises ``DeliveryRetryLater``; refused credentials raise ``DeliveryGaveUp``; nothing arrives;
- no error (or its causes) names a secret of the settings, nor the recipient's address; nothing
  the notifier logs names a secret, an address or the message body.

An ``AssertionError`` names the breach.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import aiohttp

from fithub.plugins.errors import (
    DeliveryGaveUp,
    DeliveryRetryLater,
    NotifierError,
    RecipientInvalid,
)
from fithub.plugins.notifier import (
    NOTIFIER_CHANNELS,
    DeliveryResult,
    Notifier,
    NotifierContext,
    Recipient,
    RenderedMessage,
)
from fithub.plugins.testing.channel import ChannelFault, ChannelServer

FAULTS: tuple[tuple[ChannelFault, type[NotifierError]], ...] = (
    ("unavailable", DeliveryRetryLater),
    ("timeout", DeliveryRetryLater),
    ("auth", DeliveryGaveUp),
)


@dataclass
class NotifierReport:
    """What the contract saw: the first delivery's result and each error raised, by check."""

    result: DeliveryResult | None = None
    errors: dict[str, NotifierError] = field(default_factory=dict)


class _Capture(logging.Handler):
    """Log lines written on the calling thread (the notifier's; not the server's) while active."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(record.getMessage())


@contextmanager
def _captured_logs() -> Iterator[_Capture]:
    root = logging.getLogger()
    capture, level = _Capture(), root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(level)


def _message(title: str) -> RenderedMessage:
    key = f"contract-{secrets.token_hex(8)}"
    return RenderedMessage(
        title=title,
        text=f"Body {key}: you did 20 squats.",
        html=f"<p>Body {key}: you did <b>20</b> squats.</p>",
        data={"unsubscribe_url": f"https://fithub.example/unsubscribe/{key}"},
        locale="en",
        idempotency_key=key,
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


async def _expect_error(
    notifier: Notifier,
    message: RenderedMessage,
    recipient: Recipient,
    expected: type[NotifierError],
    what: str,
) -> NotifierError:
    try:
        result = await notifier.send(message, recipient)
    except expected as exc:
        return exc
    except Exception as exc:
        raise AssertionError(
            f"{what}: expected {expected.__name__}, got {type(exc).__name__}: {exc}"
        ) from exc
    raise AssertionError(f"{what}: expected {expected.__name__}, but it returned {result}")


def check_notifier_declarations(cls: type[Notifier], channel: str) -> None:
    """The class declares a name, a display name and the server's channel."""
    name = getattr(cls, "name", None)
    assert isinstance(name, str) and name.isidentifier(), f"{cls.__name__}.name: {name!r}"
    assert getattr(cls, "display_name", ""), f"{cls.__name__} has no display_name"
    declared = getattr(cls, "channel", None)
    assert declared in NOTIFIER_CHANNELS, f"{cls.__name__}.channel {declared!r} is not a channel"
    assert declared == channel, f"{cls.__name__}.channel is {declared!r}, its server's {channel!r}"


async def assert_notifier_contract(
    cls: type[Notifier], channel_server: ChannelServer, *, timeout_s: float = 1.0
) -> NotifierReport:
    """Check ``cls`` against the started ``channel_server`` (see the module docstring)."""
    check_notifier_declarations(cls, channel_server.channel)
    report = NotifierReport()
    channel_server.clear_faults()
    recipient = channel_server.recipient()
    bodies: list[str] = []
    with _captured_logs() as logs:
        async with aiohttp.ClientSession() as session:
            context = NotifierContext(
                settings=channel_server.settings(),
                session=session,
                logger=logging.getLogger(f"fithub.notifiers.contract.{cls.name}"),
                timeout_s=timeout_s,
            )
            notifier = cls(context)
            assert isinstance(notifier, Notifier), f"{cls.__name__} is not a Notifier"

            message = _message("Contract delivery")
            bodies.append(message.text)
            result = await notifier.send(message, recipient)
            assert isinstance(result, DeliveryResult), f"send returned {result!r}"
            assert result.provider_message_id, "the DeliveryResult has no provider_message_id"
            arrived = channel_server.delivered(message.idempotency_key)
            assert len(arrived) == 1, f"one message sent, {len(arrived)} arrived"
            assert arrived[0].address == recipient.address, "it arrived for another address"
            assert arrived[0].provider_message_id == result.provider_message_id, (
                f"reported id {result.provider_message_id!r}, "
                f"the channel saw {arrived[0].provider_message_id!r}"
            )
            report.result = result

            again = await notifier.send(message, recipient)
            arrived = channel_server.delivered(message.idempotency_key)
            if channel_server.supports_idempotency:
                assert len(arrived) == 1, f"the same idempotency key arrived {len(arrived)} times"
                assert again.provider_message_id == result.provider_message_id, (
                    "the repeated delivery reports another id than the first"
                )
            else:
                assert again.provider_message_id == arrived[-1].provider_message_id, (
                    "the repeated delivery reports another id than the channel saw"
                )

            refused = channel_server.refused_recipient()
            probe = _message("Contract refused recipient")
            report.errors["refused_recipient"] = await _expect_error(
                notifier, probe, refused, RecipientInvalid, "a refused recipient"
            )
            for fault, expected in FAULTS:
                probe = _message(f"Contract fault {fault}")
                bodies.append(probe.text)
                channel_server.inject(fault)
                try:
                    report.errors[fault] = await _expect_error(
                        notifier, probe, recipient, expected, f"fault {fault!r}"
                    )
                finally:
                    channel_server.clear_faults()
                assert not channel_server.delivered(probe.idempotency_key), (
                    f"fault {fault!r}: the message arrived although an error was raised"
                )
            recovered = await notifier.send(_message("Contract recovery"), recipient)
            assert recovered.provider_message_id, "no delivery after the faults cleared"

    for what, exc in report.errors.items():
        for link in _chain(exc):
            text = f"{link} {link!r}"
            for secret in channel_server.secrets:
                assert secret not in text, f"{what}: an error names a secret of the settings"
        own = f"{exc} {exc!r}"
        for address in (recipient.address, refused.address):
            assert address not in own, f"{what}: the error message names the recipient's address"
    for line in logs.lines:
        for secret in channel_server.secrets:
            assert secret not in line, f"a log line names a secret: {line!r}"
        for address in (recipient.address, refused.address):
            assert address not in line, f"a log line names the recipient's address: {line!r}"
        for body in bodies:
            assert body not in line, f"a log line holds the message body: {line!r}"
    return report
