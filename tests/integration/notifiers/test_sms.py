"""The sms notifier against a fake Twilio Messages API on loopback, and Twilio's status callbacks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import replace

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from fithub.notifiers.sms import MAX_BODY_CHARS, SmsNotifier
from fithub.plugins import (
    DeliveryGaveUp,
    DeliveryRetryLater,
    NotifierContext,
    NotifierError,
    Recipient,
    RecipientInvalid,
    RenderedMessage,
    StatusCallbacks,
    StatusUpdate,
)
from fithub.plugins.manager import load_plugins
from fithub.plugins.testing import assert_notifier_contract

from .twilio_fake import (
    ACCEPTED,
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    MESSAGING_SERVICE_SID,
    SENDER,
    TwilioFake,
)

MESSAGE = RenderedMessage(
    title="New record: squat 120 kg",
    text="You squatted 120 kg, a new record.",
    locale="en",
    idempotency_key="delivery-42-sms",
)
CALLBACK_PATH = "/api/v1/notifications/channels/sms/status"


def expected_signature(token: str, url: str, params: Mapping[str, str]) -> str:
    """Twilio's documented algorithm, written out again here: HMAC-SHA1, base64."""
    signed = url
    for name in sorted(params):
        signed += name + params[name]
    return base64.b64encode(
        hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
    ).decode()


@pytest.fixture
def twilio() -> Iterator[TwilioFake]:
    with TwilioFake() as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def make(settings: Mapping[str, str], session: aiohttp.ClientSession | None = None) -> SmsNotifier:
    logger = logging.getLogger("fithub.notifiers.test")
    return SmsNotifier(NotifierContext(settings, session, logger, timeout_s=1.0))  # type: ignore[arg-type]


@pytest.fixture
def notifier(twilio: TwilioFake, session: aiohttp.ClientSession) -> SmsNotifier:
    return make(twilio.settings(), session)


async def test_the_sms_notifier_keeps_the_contract(twilio: TwilioFake) -> None:
    report = await assert_notifier_contract(SmsNotifier, twilio)
    assert report.result is not None and report.result.provider_message_id.startswith("SM")
    assert set(report.errors) == {"refused_recipient", "unavailable", "timeout", "auth"}
    assert "21211" in str(report.errors["refused_recipient"])


async def test_the_wire_format_as_twilio_sees_it(
    twilio: TwilioFake, session: aiohttp.ClientSession
) -> None:
    settings = {**twilio.settings(), "status_callback_url": "https://fithub.example/cb?via=twilio"}
    result = await make(settings, session).send(MESSAGE, twilio.recipient())
    [seen] = twilio.seen
    assert seen.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert seen.content_type == "application/x-www-form-urlencoded"
    assert seen.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert seen.form == {
        "To": ACCEPTED,
        "From": SENDER,
        "Body": f"{MESSAGE.title}\n{MESSAGE.text}",
        "StatusCallback": "https://fithub.example/cb?via=twilio",
    }
    assert seen.headers["Accept"] == "application/json"
    assert seen.headers["Fithub-Idempotency-Key"] == MESSAGE.idempotency_key
    [delivered] = twilio.delivered()
    assert result.provider_message_id == delivered.provider_message_id
    assert (
        delivered.provider_message_id.startswith("SM") and len(delivered.provider_message_id) == 34
    )


async def test_an_api_key_and_a_messaging_service_go_on_the_wire(
    twilio: TwilioFake, session: aiohttp.ClientSession
) -> None:
    settings = {
        "account_sid": ACCOUNT_SID,
        "api_key_sid": API_KEY_SID,
        "api_key_secret": API_KEY_SECRET,
        "messaging_service_sid": MESSAGING_SERVICE_SID,
        "base_url": twilio.url + "/",
    }
    recipient = Recipient(channel="sms", address="+1 (415) 555-2671")
    await make(settings, session).send(MESSAGE, recipient)
    [seen] = twilio.seen
    assert seen.auth == (API_KEY_SID, API_KEY_SECRET)
    assert seen.form["MessagingServiceSid"] == MESSAGING_SERVICE_SID
    assert "From" not in seen.form and "StatusCallback" not in seen.form
    assert seen.form["To"] == ACCEPTED  # sent in E.164
    assert [d.address for d in twilio.delivered()] == [ACCEPTED]


async def test_a_long_message_is_trimmed_to_the_sms_limit(
    twilio: TwilioFake, notifier: SmsNotifier
) -> None:
    text = " ".join(["squat"] * 400)
    await notifier.send(replace(MESSAGE, text=text), twilio.recipient())
    body = twilio.seen[0].form["Body"]
    assert len(body) <= MAX_BODY_CHARS and len(body) > MAX_BODY_CHARS - 40
    assert body.startswith(MESSAGE.title + "\nsquat squat")
    assert body.endswith("squat...")  # ends on a word, with an ASCII mark (GSM-7 stays GSM-7)


async def test_a_text_that_repeats_the_title_sends_it_once(
    twilio: TwilioFake, notifier: SmsNotifier
) -> None:
    await notifier.send(replace(MESSAGE, text=f"{MESSAGE.title}. Well done!"), twilio.recipient())
    assert twilio.seen[0].form["Body"] == f"{MESSAGE.title}. Well done!"


@pytest.mark.parametrize(
    ("status", "code", "retry_after", "error", "wait"),
    [
        (429, 20429, "7", DeliveryRetryLater, 7.0),
        (503, None, None, DeliveryRetryLater, None),
        (500, 20500, "30", DeliveryRetryLater, 30.0),
        (401, 20003, None, DeliveryGaveUp, None),
        (403, 20008, None, DeliveryGaveUp, None),
        (400, 21610, None, RecipientInvalid, None),
        (400, 21614, None, RecipientInvalid, None),
        (400, 21612, None, RecipientInvalid, None),
        (400, 21606, None, DeliveryGaveUp, None),
        (404, 20404, None, DeliveryGaveUp, None),
        (400, None, None, DeliveryGaveUp, None),
    ],
)
async def test_twilio_errors_map_to_the_notifier_errors(
    twilio: TwilioFake,
    notifier: SmsNotifier,
    status: int,
    code: int | None,
    retry_after: str | None,
    error: type[NotifierError],
    wait: float | None,
) -> None:
    twilio.answer_next(status, code, retry_after=retry_after)
    with pytest.raises(NotifierError) as caught:
        await notifier.send(MESSAGE, twilio.recipient())
    assert type(caught.value) is error
    assert str(status) in str(caught.value)
    if code is not None:
        assert str(code) in str(caught.value)
    if isinstance(caught.value, DeliveryRetryLater):
        assert caught.value.retry_after == wait
    assert AUTH_TOKEN not in repr(caught.value) and ACCEPTED not in str(caught.value)
    assert twilio.delivered() == []


@pytest.mark.parametrize(("number", "code"), [("+15005550004", "21610"), ("+15005550009", "21614")])
async def test_numbers_twilio_refuses_are_invalid_recipients_without_naming_them(
    twilio: TwilioFake, notifier: SmsNotifier, number: str, code: str
) -> None:
    with pytest.raises(RecipientInvalid, match=code) as caught:
        await notifier.send(MESSAGE, Recipient(channel="sms", address=number))
    assert number not in str(caught.value)
    assert twilio.seen[0].form["To"] == number  # Twilio refused it, not a check before


@pytest.mark.parametrize("address", ["0415 555 2671", "+447700900123", "+1 800 FLOWERS", ""])
async def test_a_number_that_is_not_e164_never_reaches_twilio(
    twilio: TwilioFake, notifier: SmsNotifier, address: str
) -> None:
    with pytest.raises(RecipientInvalid, match="E.164"):
        await notifier.send(MESSAGE, Recipient(channel="sms", address=address))
    assert twilio.seen == []


async def test_an_empty_message_is_not_sent(twilio: TwilioFake, notifier: SmsNotifier) -> None:
    with pytest.raises(DeliveryGaveUp, match="neither a title nor a text"):
        await notifier.send(replace(MESSAGE, title=" ", text=""), twilio.recipient())
    assert twilio.seen == []


async def test_a_twilio_that_is_not_there_is_retried_later(
    twilio: TwilioFake, session: aiohttp.ClientSession
) -> None:
    notifier = make({**twilio.settings(), "base_url": "http://127.0.0.1:1"}, session)
    with pytest.raises(DeliveryRetryLater, match="could not reach Twilio"):
        await notifier.send(MESSAGE, twilio.recipient())


@pytest.mark.parametrize(
    "change",
    [
        {"account_sid": ""},
        {"account_sid": "AC123"},
        {"auth_token": ""},
        {"api_key_sid": API_KEY_SID},
        {"from": ""},
        {"from": "+1555"},
        {"from": "fithub-coach-sender"},
        {"messaging_service_sid": "MG1"},
        {"base_url": "ftp://api.twilio.com"},
        {"status_callback_url": "https://my_host.example/cb"},
    ],
)
def test_settings_that_cannot_work_are_refused_at_start(
    twilio: TwilioFake, change: dict[str, str]
) -> None:
    with pytest.raises(NotifierError, match="FITHUB_NOTIFIER_SMS_|STATUS_CALLBACK_URL") as caught:
        make({**twilio.settings(), **change})
    assert AUTH_TOKEN not in str(caught.value)


@pytest.mark.parametrize("sender", ["+1 500 555 0006", "12345", "FitHub"])
def test_a_sender_may_be_a_number_a_short_code_or_a_name(twilio: TwilioFake, sender: str) -> None:
    notifier = make({**twilio.settings(), "from": sender})
    assert notifier.sender in {SENDER, "12345", "FitHub"}


def test_the_plugin_is_registered_as_a_builtin() -> None:
    notifiers = load_plugins().components("notifier")
    assert notifiers["sms"].cls is SmsNotifier


# -- status callbacks ---------------------------------------------------------------------------


def test_the_verifier_matches_twilios_published_example() -> None:
    # Twilio's documented test vector (reference doc, section 1.5), not computed by fithub's code.
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {  # not in name order: the signature sorts them
        "To": "+18005551212",
        "Digits": "1234",
        "CallSid": "CA1234567890ABCDE",
        "From": "+12349013030",
        "Caller": "+12349013030",
    }
    vector = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert expected_signature("12345", url, params) == vector
    notifier = make({"account_sid": ACCOUNT_SID, "auth_token": "12345", "from": SENDER})
    assert notifier.status_updates(url, params, {"X-Twilio-Signature": vector}) == []
    with pytest.raises(ValueError, match="does not match"):
        notifier.status_updates(url, {**params, "Digits": "1235"}, {"X-Twilio-Signature": vector})


@pytest.fixture
async def receiver(notifier: SmsNotifier) -> AsyncIterator[tuple[str, list[StatusUpdate]]]:
    """fithub's side of the callback, as core serves it: 204 with updates, 403 when not authentic."""
    updates: list[StatusUpdate] = []

    async def status(request: web.Request) -> web.Response:
        form = {name: str(value) for name, value in (await request.post()).items()}
        try:
            updates.extend(notifier.status_updates(str(request.url), form, request.headers))
        except ValueError:
            return web.Response(status=403)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post(CALLBACK_PATH, status)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url(CALLBACK_PATH)) + "?via=twilio", updates
    finally:
        await server.close()


async def test_signed_callbacks_report_delivered_and_failed_messages(
    twilio: TwilioFake,
    session: aiohttp.ClientSession,
    receiver: tuple[str, list[StatusUpdate]],
) -> None:
    url, updates = receiver
    notifier = make({**twilio.settings(), "status_callback_url": url}, session)
    sid = (await notifier.send(MESSAGE, twilio.recipient())).provider_message_id
    callback = twilio.seen[0].form["StatusCallback"]
    assert callback == url
    assert await twilio.send_status_callback(session, callback, sid, "sent") == 204
    assert updates == []  # an interim state is no update
    assert await twilio.send_status_callback(session, callback, sid, "delivered") == 204
    assert await twilio.send_status_callback(session, callback, sid, "undelivered", "30003") == 204
    assert await twilio.send_status_callback(session, callback, sid, "failed") == 204
    assert updates == [
        StatusUpdate(sid, "delivered"),
        StatusUpdate(sid, "failed", error="30003"),
        StatusUpdate(sid, "failed", error=None),
    ]


@pytest.mark.parametrize("tamper", ["none", "status", "url", "token", "missing"])
async def test_a_callback_is_checked_against_the_signature(
    twilio: TwilioFake,
    session: aiohttp.ClientSession,
    receiver: tuple[str, list[StatusUpdate]],
    tamper: str,
) -> None:
    url, updates = receiver
    form = twilio.status_callback_form("SM" + "ab" * 16, "delivered")
    signature = expected_signature(
        "not-the-token" if tamper == "token" else AUTH_TOKEN,
        url.replace("via=twilio", "via=other") if tamper == "url" else url,
        form,
    )
    if tamper == "status":
        form = {**form, "MessageStatus": "failed", "SmsStatus": "failed"}
    headers = {} if tamper == "missing" else {"X-Twilio-Signature": signature}
    async with session.post(url, data=form, headers=headers) as response:
        status = response.status
    if tamper == "none":
        assert status == 204 and updates == [StatusUpdate("SM" + "ab" * 16, "delivered")]
    else:
        assert status == 403 and updates == []


def test_a_signature_over_the_url_with_its_default_port_is_accepted(notifier: SmsNotifier) -> None:
    form = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    signed = expected_signature(AUTH_TOKEN, "https://fithub.example:443/cb", form)
    headers = {"x-twilio-signature": signed}  # header names are case-insensitive
    assert notifier.status_updates("https://fithub.example/cb", form, headers) == [
        StatusUpdate("SM1", "delivered")
    ]


def test_without_an_auth_token_no_callback_is_trusted(twilio: TwilioFake) -> None:
    settings = {**twilio.settings(), "auth_token": "", "api_key_sid": API_KEY_SID}
    notifier = make({**settings, "api_key_secret": API_KEY_SECRET})
    assert isinstance(notifier, StatusCallbacks)
    form = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    headers = {"X-Twilio-Signature": expected_signature("", "https://x.example/cb", form)}
    with pytest.raises(ValueError, match="no auth token"):
        notifier.status_updates("https://x.example/cb", form, headers)
