"""The e-mail notifier against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import aiohttp
import pytest

from fithub.notifiers.email import IDEMPOTENCY_HEADER, EmailNotifier
from fithub.plugins import (
    DeliveryGaveUp,
    DeliveryRetryLater,
    NotifierContext,
    NotifierError,
    RecipientInvalid,
    RenderedMessage,
)
from fithub.plugins.testing import assert_notifier_contract

from .smtp_server import PASSWORD, SMTPServer

# The test relay takes AUTH without TLS (loopback only); aiosmtpd warns about that on each connection.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

MESSAGE = RenderedMessage(
    title="New record: squat 120 kg",
    text="You squatted 120 kg, a new record.",
    html="<p>You squatted <b>120 kg</b>, a new record.</p>",
    data={"unsubscribe_url": "https://fithub.example/unsubscribe/tok123"},
    locale="en",
    idempotency_key="delivery-42-email",
)


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


@pytest.fixture
async def notifier(smtp: SMTPServer) -> AsyncIterator[EmailNotifier]:
    async with aiohttp.ClientSession() as session:
        logger = logging.getLogger("fithub.notifiers.test")
        yield EmailNotifier(NotifierContext(smtp.settings(), session, logger, timeout_s=1.0))


async def test_a_mail_arrives_with_both_parts_and_its_headers(
    smtp: SMTPServer, notifier: EmailNotifier
) -> None:
    result = await notifier.send(MESSAGE, smtp.recipient())
    [mail] = smtp.mails
    assert mail["Message-ID"] == result.provider_message_id
    assert mail["Subject"] == MESSAGE.title
    assert mail["To"] == "Ada <ada@people.example>"
    assert mail["From"] == "fithub <coach@fithub.example>"
    assert mail[IDEMPOTENCY_HEADER] == MESSAGE.idempotency_key
    assert mail["List-Unsubscribe"] == "<https://fithub.example/unsubscribe/tok123>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Content-Language"] == "en"
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().strip() == MESSAGE.text
    assert html.get_content().strip() == MESSAGE.html
    assert [d.address for d in smtp.delivered()] == ["ada@people.example"]


async def test_without_an_unsubscribe_url_or_html_the_mail_is_plain(
    smtp: SMTPServer, notifier: EmailNotifier
) -> None:
    await notifier.send(replace(MESSAGE, html=None, data={}), smtp.recipient())
    [mail] = smtp.mails
    assert mail.get_content_type() == "text/plain"
    assert "List-Unsubscribe" not in mail and "List-Unsubscribe-Post" not in mail


async def test_every_attempt_of_a_delivery_has_the_same_message_id(
    smtp: SMTPServer, notifier: EmailNotifier
) -> None:
    first = await notifier.send(MESSAGE, smtp.recipient())
    second = await notifier.send(MESSAGE, smtp.recipient())
    other = await notifier.send(replace(MESSAGE, idempotency_key="another"), smtp.recipient())
    assert first == second != other
    assert [m["Message-ID"] for m in smtp.mails] == [first.provider_message_id] * 2 + [
        other.provider_message_id
    ]


async def test_a_refused_recipient_is_invalid(smtp: SMTPServer, notifier: EmailNotifier) -> None:
    with pytest.raises(RecipientInvalid, match=r"\(550\)") as caught:
        await notifier.send(MESSAGE, smtp.refused_recipient())
    assert "refused.example" not in str(caught.value)
    assert smtp.mails == []


async def test_a_temporary_failure_is_retried_later(
    smtp: SMTPServer, notifier: EmailNotifier
) -> None:
    smtp.inject("unavailable")
    with pytest.raises(DeliveryRetryLater, match="451"):
        await notifier.send(MESSAGE, smtp.recipient())
    assert smtp.mails == []
    await notifier.send(MESSAGE, smtp.recipient())  # the retry gets through
    assert len(smtp.mails) == 1


async def test_a_refused_login_gives_up_without_naming_the_password(
    smtp: SMTPServer, notifier: EmailNotifier
) -> None:
    smtp.inject("auth")
    with pytest.raises(DeliveryGaveUp, match="535") as caught:
        await notifier.send(MESSAGE, smtp.recipient())
    assert PASSWORD not in repr(caught.value)


async def test_a_relay_that_is_not_there_is_retried_later(smtp: SMTPServer) -> None:
    settings = {**smtp.settings(), "port": "1"}  # nothing listens on port 1
    async with aiohttp.ClientSession() as session:
        notifier = EmailNotifier(NotifierContext(settings, session, logging.getLogger("t"), 1.0))
        with pytest.raises(DeliveryRetryLater):
            await notifier.send(MESSAGE, smtp.recipient())


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"title": "Record\r\nBcc: everyone@example.com"}, DeliveryGaveUp),
        ({}, RecipientInvalid),
    ],
)
async def test_nothing_injects_headers_or_goes_to_a_non_address(
    smtp: SMTPServer, notifier: EmailNotifier, change: dict[str, str], error: type[NotifierError]
) -> None:
    recipient = smtp.recipient()
    if not change:
        recipient = replace(recipient, address="ada@people.example\r\nBcc: x@y.example")
    with pytest.raises(error):
        await notifier.send(replace(MESSAGE, **change), recipient)
    assert smtp.mails == []


@pytest.mark.parametrize(
    "settings",
    [{"from": ""}, {"security": "ssl3"}, {"port": "smtp"}],
)
def test_settings_that_cannot_work_are_refused_at_start(
    smtp: SMTPServer, settings: dict[str, str]
) -> None:
    with pytest.raises(NotifierError, match="FITHUB_NOTIFIER_EMAIL_"):
        EmailNotifier(
            NotifierContext({**smtp.settings(), **settings}, None, logging.getLogger("t"))  # type: ignore[arg-type]
        )


async def test_the_email_notifier_keeps_the_contract(smtp: SMTPServer) -> None:
    report = await assert_notifier_contract(EmailNotifier, smtp)
    assert report.result is not None and report.result.provider_message_id.startswith("<")
    assert set(report.errors) == {"refused_recipient", "unavailable", "timeout", "auth"}
