"""The push notifier against a fake FCM HTTP v1 API and token endpoint on loopback."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from fithub.notifiers.push import REFRESH_MARGIN_S, SCOPE, PushNotifier
from fithub.plugins import (
    DeliveryGaveUp,
    DeliveryRetryLater,
    NotifierContext,
    NotifierError,
    Recipient,
    RecipientInvalid,
    RenderedMessage,
)
from fithub.plugins.manager import BUILTIN_PLUGINS
from fithub.plugins.testing import assert_notifier_contract

from .fcm_fake import CLIENT_EMAIL, DEAD_TOKEN, LIVE_TOKEN, PROJECT_ID, Answer, FCMFake, fcm_error

MESSAGE = RenderedMessage(
    title="New record: squat 120 kg",
    text="You squatted 120 kg, a new record.",
    data={"workout_id": 42, "record": True, "link": "fithub://records/7", "extra": {"kg": 120}},
    locale="en",
    idempotency_key="delivery-42-push",
)


@pytest.fixture
def fcm() -> Iterator[FCMFake]:
    with FCMFake() as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def make(fcm: FCMFake, session: aiohttp.ClientSession, **settings: str) -> PushNotifier:
    logger = logging.getLogger("fithub.notifiers.test")
    merged = {**fcm.settings(), **settings}
    return PushNotifier(NotifierContext(merged, session, logger, timeout_s=1.0))


@pytest.fixture
def notifier(fcm: FCMFake, session: aiohttp.ClientSession) -> PushNotifier:
    return make(fcm, session)


async def test_the_push_notifier_meets_the_notifier_contract(fcm: FCMFake) -> None:
    report = await assert_notifier_contract(PushNotifier, fcm)
    assert report.result is not None
    assert report.result.provider_message_id.startswith(f"projects/{PROJECT_ID}/messages/")
    assert isinstance(report.errors["refused_recipient"], RecipientInvalid)


def test_the_push_notifier_is_a_builtin_plugin() -> None:
    assert "fithub.notifiers.push" in BUILTIN_PLUGINS
    text = (Path(__file__).parents[3] / "setup.cfg").read_text()
    assert "fithub-builtin-push-notifier = fithub.notifiers.push" in text


async def test_the_message_and_the_grant_on_the_wire(fcm: FCMFake, notifier: PushNotifier) -> None:
    result = await notifier.send(MESSAGE, Recipient("push", LIVE_TOKEN))
    [delivered] = fcm.delivered()
    assert delivered.provider_message_id == result.provider_message_id
    assert delivered.address == LIVE_TOKEN
    assert delivered.idempotency_key == MESSAGE.idempotency_key
    [seen] = fcm.received
    assert seen.project == PROJECT_ID
    assert seen.content_type.startswith("application/json")
    assert seen.authorization == f"Bearer {fcm.bearer_tokens()[0]}"
    assert seen.body == {
        "message": {
            "token": LIVE_TOKEN,
            "notification": {"title": MESSAGE.title, "body": MESSAGE.text},
            "data": {
                "workout_id": "42",
                "record": "true",
                "link": "fithub://records/7",
                "extra": '{"kg":120}',
                "idempotency_key": MESSAGE.idempotency_key,
            },
        }
    }
    [claims] = fcm.assertions  # the fake verified the signature, aud, iss and exp
    assert claims["iss"] == CLIENT_EMAIL
    assert claims["aud"] == f"{fcm.url}/token"
    assert claims["scope"] == SCOPE
    assert claims["exp"] - claims["iat"] == 3600


async def test_reserved_and_empty_data_keys_are_left_out(
    fcm: FCMFake, notifier: PushNotifier
) -> None:
    data = {"from": "x", "gcm.notification": "x", "google.c.a": "x", "gone": None, "ok": "1"}
    message = RenderedMessage(title="t", text="b", data=data, idempotency_key="k-reserved")
    await notifier.send(message, Recipient("push", LIVE_TOKEN))
    [seen] = fcm.received
    assert seen.body["message"]["data"] == {
        "gcm.notification": "x",
        "ok": "1",
        "idempotency_key": "k-reserved",
    }


async def test_a_service_account_file_and_a_project_override(
    fcm: FCMFake, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(fcm.service_account()))
    notifier = PushNotifier(
        NotifierContext(
            {"service_account_file": str(path), "base_url": fcm.url, "project_id": "other"},
            session,
            logging.getLogger("fithub.notifiers.test"),
        )
    )
    with pytest.raises(DeliveryGaveUp, match="403"):  # the fake serves PROJECT_ID only
        await notifier.send(MESSAGE, Recipient("push", LIVE_TOKEN))
    assert [r.project for r in fcm.received] == ["other"]
    assert fcm.token_requests == 1


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"service_account_json": "not json"},
        {"service_account_json": '{"client_email": "a@b"}'},
        {"service_account_json": '{"client_email": "a@b", "private_key": "-----BEGIN nope"}'},
        {"service_account_file": "/nonexistent/service-account.json"},
    ],
)
async def test_unusable_credentials_are_refused_at_start(
    session: aiohttp.ClientSession, settings: dict[str, str]
) -> None:
    logger = logging.getLogger("fithub.notifiers.test")
    with pytest.raises(NotifierError, match="push notifier"):
        PushNotifier(NotifierContext(settings, session, logger))


async def test_concurrent_sends_fetch_one_access_token(
    fcm: FCMFake, notifier: PushNotifier
) -> None:
    sends = [
        notifier.send(
            RenderedMessage(title="t", text="b", idempotency_key=f"k{i}"), fcm.recipient()
        )
        for i in range(20)
    ]
    results = await asyncio.gather(*sends)
    assert len({r.provider_message_id for r in results}) == 20
    assert len(fcm.delivered()) == 20
    assert fcm.token_requests == 1
    assert len(set(fcm.bearer_tokens())) == 1


async def test_an_access_token_is_renewed_shortly_before_it_expires(
    fcm: FCMFake, notifier: PushNotifier
) -> None:
    fcm.expires_in = int(REFRESH_MARGIN_S) - 1  # already inside the renewal margin when issued
    await notifier.send(MESSAGE, fcm.recipient())
    await notifier.send(MESSAGE, fcm.recipient())
    assert fcm.token_requests == 2
    fcm.expires_in = 3600
    await notifier.send(MESSAGE, fcm.recipient())
    await notifier.send(MESSAGE, fcm.recipient())
    assert fcm.token_requests == 3
    first, second, third, fourth = fcm.bearer_tokens()
    assert len({first, second, third}) == 3 and fourth == third
    assert len(fcm.delivered()) == 4


async def test_an_unregistered_token_is_an_invalid_recipient(
    fcm: FCMFake, notifier: PushNotifier
) -> None:
    with pytest.raises(RecipientInvalid, match="UNREGISTERED") as caught:
        await notifier.send(MESSAGE, Recipient("push", DEAD_TOKEN))
    assert DEAD_TOKEN not in str(caught.value)
    assert not fcm.delivered()


async def test_a_malformed_token_is_an_invalid_recipient(
    fcm: FCMFake, notifier: PushNotifier
) -> None:
    with pytest.raises(RecipientInvalid, match="not an FCM registration token"):
        await notifier.send(MESSAGE, Recipient("push", ""))
    assert not fcm.received  # refused before any request
    with pytest.raises(RecipientInvalid, match="400 INVALID_ARGUMENT"):
        await notifier.send(MESSAGE, Recipient("push", "not/a*token"))
    assert len(fcm.received) == 1
    fcm.answer_next(Answer(400, fcm_error(400, "INVALID_ARGUMENT"), {}, ("message.token",)))
    with pytest.raises(RecipientInvalid, match="400 INVALID_ARGUMENT"):
        await notifier.send(MESSAGE, fcm.recipient())
    assert not fcm.delivered()


async def test_a_401_refreshes_the_access_token_once(fcm: FCMFake, notifier: PushNotifier) -> None:
    await notifier.send(MESSAGE, fcm.recipient())
    fcm.revoke_access_tokens()
    result = await notifier.send(MESSAGE, fcm.recipient())
    assert fcm.token_requests == 2
    tokens = fcm.bearer_tokens()
    assert tokens[0] == tokens[1] != tokens[2]  # refused, then retried with the new token
    assert fcm.delivered()[-1].provider_message_id == result.provider_message_id

    fcm.reject_every_bearer = True
    with pytest.raises(DeliveryGaveUp, match="401"):
        await notifier.send(MESSAGE, fcm.recipient())
    assert fcm.token_requests == 3  # one refresh, not a loop
    assert len(fcm.received) == 5
    assert len(fcm.delivered()) == 2


@pytest.mark.parametrize(
    ("answer", "expected", "retry_after"),
    [
        (
            Answer(
                429, fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"), {"Retry-After": "17"}
            ),
            DeliveryRetryLater,
            17.0,
        ),
        (
            Answer(503, fcm_error(503, "UNAVAILABLE", "UNAVAILABLE"), {"Retry-After": "30"}),
            DeliveryRetryLater,
            30.0,
        ),
        (Answer(500, fcm_error(500, "INTERNAL", "INTERNAL")), DeliveryRetryLater, None),
        (
            Answer(403, fcm_error(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH")),
            DeliveryGaveUp,
            None,
        ),
        (
            Answer(401, fcm_error(401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR")),
            DeliveryGaveUp,
            None,
        ),
        (Answer(403, fcm_error(403, "PERMISSION_DENIED")), DeliveryGaveUp, None),
        (
            Answer(400, fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "Invalid data")),
            DeliveryGaveUp,
            None,
        ),
    ],
)
async def test_fcm_errors_map_to_delivery_errors(
    fcm: FCMFake,
    notifier: PushNotifier,
    answer: Answer,
    expected: type[NotifierError],
    retry_after: float | None,
) -> None:
    fcm.answer_next(answer)
    with pytest.raises(NotifierError) as caught:
        await notifier.send(MESSAGE, fcm.recipient())
    assert type(caught.value) is expected
    assert getattr(caught.value, "retry_after", None) == retry_after
    assert fcm.token_requests == 1  # none of these asks for a new access token
    assert not fcm.delivered()


async def test_a_refused_grant_gives_up_and_a_down_token_endpoint_retries(
    fcm: FCMFake, notifier: PushNotifier
) -> None:
    fcm.inject("auth")
    with pytest.raises(DeliveryGaveUp, match="service account"):
        await notifier.send(MESSAGE, fcm.recipient())
    fcm.inject("unavailable")
    with pytest.raises(DeliveryRetryLater, match="token endpoint"):
        await notifier.send(MESSAGE, fcm.recipient())
    assert not fcm.received
    await notifier.send(MESSAGE, fcm.recipient())
    assert len(fcm.delivered()) == 1
