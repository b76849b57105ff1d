"""The webhook notifier against a receiver on loopback that verifies with the official library."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from standardwebhooks import Webhook, WebhookVerificationError

from fithub.notifiers.webhook import WebhookNotifier
from fithub.plugins import (
    DeliveryGaveUp,
    DeliveryRetryLater,
    NotifierContext,
    NotifierError,
    Recipient,
    RecipientInvalid,
    RenderedMessage,
    outbound,
)
from fithub.plugins.signing import new_secret
from fithub.plugins.testing import assert_notifier_contract

from .webhook_receiver import WebhookReceiver

ENVELOPE = {
    "type": "record.achieved",
    "timestamp": "2026-12-07T08:00:00Z",
    "data": {"exercise": "squat", "weight_kg": 120, "note": "new record ✓"},
}
MESSAGE = RenderedMessage(
    title="New record",
    text="You squatted 120 kg.",
    data=ENVELOPE,
    idempotency_key="msg_2bV8delivery42",
)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as server:
        yield server


@pytest.fixture
async def notifiers() -> AsyncIterator[list[WebhookNotifier]]:
    """Notifiers a test makes, closed after it."""
    made: list[WebhookNotifier] = []
    yield made
    for notifier in made:
        await notifier.aclose()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as shared:
        yield shared


@pytest.fixture
def new(notifiers: list[WebhookNotifier], session: aiohttp.ClientSession) -> type[WebhookNotifier]:
    """The notifier class, whose instances are closed after the test."""

    class Made(WebhookNotifier):
        def __init__(self, context: NotifierContext) -> None:
            super().__init__(context)
            notifiers.append(self)

    return Made


def notifier_for(
    cls: type[WebhookNotifier],
    session: aiohttp.ClientSession,
    context_timeout_s: float = 5.0,
    **settings: str,
) -> WebhookNotifier:
    logger = logging.getLogger("fithub.notifiers.test")
    context = NotifierContext(settings, session, logger, context_timeout_s)
    return cls(context)


class Rebinding(AbstractResolver):
    """DNS whose every name now points at loopback (a rebinding attack's second answer)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET, proto=0, flags=0
            )
        ]

    async def close(self) -> None:
        pass


async def test_the_webhook_notifier_keeps_the_contract(
    receiver: WebhookReceiver, new: type[WebhookNotifier]
) -> None:
    report = await assert_notifier_contract(new, receiver)
    assert report.result is not None and report.result.provider_message_id.startswith("contract-")
    assert set(report.errors) == {"refused_recipient", "unavailable", "timeout", "auth"}


async def test_the_official_library_verifies_the_signature_and_reads_the_body(
    receiver: WebhookReceiver, new: type[WebhookNotifier], session: aiohttp.ClientSession
) -> None:
    notifier = notifier_for(new, session, allow_private="true", user_agent="fithub-test/1")
    result = await notifier.send(MESSAGE, receiver.recipient())
    [delivered] = receiver.delivered()
    assert result.provider_message_id == delivered.provider_message_id == MESSAGE.idempotency_key
    [request] = receiver.requests
    [secret] = receiver.signing_secrets
    assert Webhook(secret).verify(request.body, dict(request.headers)) == ENVELOPE
    assert json.loads(request.body) == ENVELOPE
    assert request.headers["webhook-id"] == MESSAGE.idempotency_key
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "fithub-test/1"
    assert request.headers["webhook-signature"].startswith("v1,")
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(request.body, dict(request.headers))


async def test_during_a_rotation_each_secret_verifies_alone(
    new: type[WebhookNotifier], session: aiohttp.ClientSession
) -> None:
    newest, previous = new_secret(), new_secret()
    with WebhookReceiver((previous,)) as receiver:  # the owner has not switched yet
        notifier = notifier_for(new, session, allow_private="true")
        rotating = replace(receiver.recipient(), secrets=(newest, previous))
        await notifier.send(MESSAGE, rotating)
        assert len(receiver.delivered()) == 1
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (newest, previous):
        assert Webhook(secret).verify(request.body, dict(request.headers)) == ENVELOPE
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(request.body, dict(request.headers))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
async def test_a_private_target_is_refused_unless_allowed(
    receiver: WebhookReceiver,
    new: type[WebhookNotifier],
    session: aiohttp.ClientSession,
    host: str,
) -> None:
    notifier = notifier_for(new, session)  # allow_private defaults to false
    address = receiver.address("ok").replace("127.0.0.1", host)
    recipient = replace(receiver.recipient(), address=address)
    with pytest.raises(RecipientInvalid, match="refused") as caught:
        await notifier.send(MESSAGE, recipient)
    assert address not in str(caught.value)
    assert receiver.requests == []


async def test_a_name_resolving_to_a_private_address_is_not_connected_to(
    receiver: WebhookReceiver,
    new: type[WebhookNotifier],
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outbound, "ThreadedResolver", Rebinding)
    address = receiver.address("ok").replace("127.0.0.1", "hooks.example")
    recipient = replace(receiver.recipient(), address=address)
    with pytest.raises(RecipientInvalid, match="non-public address"):
        await notifier_for(new, session).send(MESSAGE, recipient)
    assert receiver.requests == []
    # the same name does reach the receiver when an admin allows private addresses
    await notifier_for(new, session, allow_private="true").send(MESSAGE, recipient)
    assert receiver.paths() == ["/hooks/ok"]


async def test_a_redirect_is_not_followed(
    receiver: WebhookReceiver, new: type[WebhookNotifier], session: aiohttp.ClientSession
) -> None:
    notifier = notifier_for(new, session, allow_private="true")
    recipient = replace(receiver.recipient(), address=receiver.address("redirect"))
    with pytest.raises(DeliveryRetryLater, match=r"redirect \(302\), not followed"):
        await notifier.send(MESSAGE, recipient)
    assert receiver.paths() == ["/hooks/redirect"]  # never /hooks/private


async def test_a_silent_endpoint_times_out_at_the_setting(
    receiver: WebhookReceiver, new: type[WebhookNotifier], session: aiohttp.ClientSession
) -> None:
    notifier = notifier_for(new, session, 30.0, allow_private="true", timeout_s="0.5")
    assert notifier.timeout_s == 0.5
    receiver.inject("timeout")
    started = time.monotonic()
    with pytest.raises(DeliveryRetryLater, match=r"within 0\.5 s"):
        await notifier.send(MESSAGE, receiver.recipient())
    assert time.monotonic() - started < receiver.hang_s  # it did not wait for the answer
    assert receiver.delivered() == []


@pytest.mark.parametrize(
    ("code", "error", "retry_after"),
    [
        (410, RecipientInvalid, None),
        (401, DeliveryGaveUp, None),
        (429, DeliveryRetryLater, 7.0),
        (503, DeliveryRetryLater, 7.0),
        (500, DeliveryRetryLater, 7.0),
        (400, DeliveryRetryLater, 7.0),
        (403, DeliveryRetryLater, 7.0),
        (404, DeliveryRetryLater, 7.0),
    ],
)
async def test_each_answer_maps_to_an_error(
    receiver: WebhookReceiver,
    new: type[WebhookNotifier],
    session: aiohttp.ClientSession,
    code: int,
    error: type[NotifierError],
    retry_after: float | None,
) -> None:
    notifier = notifier_for(new, session, allow_private="true")
    recipient = replace(receiver.recipient(), address=receiver.address(f"status/{code}"))
    with pytest.raises(error, match=str(code)) as caught:
        await notifier.send(MESSAGE, recipient)
    assert type(caught.value) is error
    assert getattr(caught.value, "retry_after", None) == retry_after


async def test_an_endpoint_that_is_not_there_is_retried_later(
    receiver: WebhookReceiver, new: type[WebhookNotifier], session: aiohttp.ClientSession
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    recipient = Recipient("webhook", f"http://127.0.0.1:{port}/hooks", secrets=(new_secret(),))
    with pytest.raises(DeliveryRetryLater, match="could not reach"):
        await notifier_for(new, session, allow_private="true").send(MESSAGE, recipient)


@pytest.mark.parametrize(
    ("secrets", "match"),
    [((), "no signing secret"), (("whsec_not base64!",), "not whsec_<base64>")],
)
async def test_without_a_usable_secret_nothing_is_sent(
    receiver: WebhookReceiver,
    new: type[WebhookNotifier],
    session: aiohttp.ClientSession,
    secrets: tuple[str, ...],
    match: str,
) -> None:
    notifier = notifier_for(new, session, allow_private="true")
    with pytest.raises(DeliveryGaveUp, match=match):
        await notifier.send(MESSAGE, replace(receiver.recipient(), secrets=secrets))
    assert receiver.requests == []


@pytest.mark.parametrize(
    "address",
    ["ftp://hooks.example/x", "https://user:pw@hooks.example/x", "http://169.254.169.254/latest"],
)
async def test_unusable_urls_are_invalid_recipients(
    new: type[WebhookNotifier], session: aiohttp.ClientSession, address: str
) -> None:
    recipient = Recipient("webhook", address, secrets=(new_secret(),))
    with pytest.raises(RecipientInvalid) as caught:
        await notifier_for(new, session).send(MESSAGE, recipient)
    assert address not in str(caught.value)


@pytest.mark.parametrize(
    "settings", [{"allow_private": "yes"}, {"timeout_s": "soon"}, {"timeout_s": "0"}]
)
def test_settings_that_cannot_work_are_refused_at_start(settings: dict[str, str]) -> None:
    with pytest.raises(NotifierError, match="FITHUB_NOTIFIER_WEBHOOK_"):
        notifier_for(WebhookNotifier, None, **settings)  # type: ignore[arg-type]
