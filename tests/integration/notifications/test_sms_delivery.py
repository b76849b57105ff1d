"""SMS end to end: a phone number set through the API gets the personal-record SMS at a fake Twilio
(Messages API wire format); Twilio's signed status callback marks the delivery delivered, and a
forged one is refused (403) and changes nothing.

The server runs with ``FITHUB_NOTIFIER_SMS_*`` pointing the sms notifier at
tests/integration/notifiers/twilio_fake.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aiohttp
import httpx
import pytest

from tests.conftest import Account
from tests.integration.helpers import assert_problem
from tests.integration.notifications.inbox_helpers import (
    deliveries,
    exercise_id,
    log_personal_record,
    notifier_env,
    set_preferences,
    wait_for,
)
from tests.integration.notifiers.twilio_fake import ACCEPTED, AUTH_TOKEN, SENDER, TwilioFake, sign
from tests.support import FithubServer, running_server

CALLBACK = "/api/v1/notifications/channels/sms/status"


@pytest.fixture(scope="module")
def twilio() -> Iterator[TwilioFake]:
    with TwilioFake() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(twilio: TwilioFake) -> Iterator[FithubServer]:
    """A server of this module's own whose sms notifier talks to the fake Twilio."""
    with running_server(notifier_env("sms", twilio.settings())) as srv:
        yield srv


async def sms_delivery(api: httpx.AsyncClient, account: Account, sid: str) -> dict[str, Any] | None:
    """The sms delivery Twilio knows as ``sid``, from the inbox items' deliveries."""
    page = await api.get("/api/v1/notifications", params={"limit": 100}, headers=account.auth)
    for item in page.json()["items"]:
        for row in await deliveries(api, account, item["id"]):
            if row["channel"] == "sms" and row["provider_message_id"] == sid:
                return {**row, "notification_id": item["id"]}
    return None


async def test_a_personal_record_is_texted_and_the_status_callback_is_verified(
    api: httpx.AsyncClient, server: FithubServer, twilio: TwilioFake, user: Account
) -> None:
    phone = await api.put("/api/v1/notifications/settings", json={"phone_number": "+1 415 555 2671"},
                          headers=user.auth)  # fmt: skip
    assert phone.status_code == 200 and phone.json()["phone_number"] == ACCEPTED
    turned_on = await set_preferences(api, user, ("record.achieved", "sms", True))
    assert turned_on.status_code == 200, turned_on.text

    await log_personal_record(api, user, await exercise_id(api, user, "Squat"), weight=100)

    async def texted() -> list[Any] | None:
        return [d for d in twilio.delivered() if d.address == ACCEPTED] or None

    message = (await wait_for("the SMS at Twilio", texted))[0]
    request = next(s for s in twilio.seen if s.form.get("To") == ACCEPTED)
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.form["From"] == SENDER and request.form["Body"].strip()
    assert request.auth is not None and request.auth[1] == AUTH_TOKEN

    sid = message.provider_message_id

    async def sent() -> dict[str, Any] | None:
        row = await sms_delivery(api, user, sid)
        return row if row and row["status"] == "sent" else None

    row = await wait_for("the sms delivery marked sent", sent)
    assert row["attempts"] == 1 and row["sent_at"] is not None
    url = server.base_url + CALLBACK

    async with aiohttp.ClientSession() as session:
        # Forged: signed with another key, unsigned, or signed over other values.
        form = twilio.status_callback_form(sid, "failed", "30003")
        for headers in ({"X-Twilio-Signature": sign("not-the-auth-token", url, form)}, {},
                        {"X-Twilio-Signature": sign(AUTH_TOKEN, url, {**form, "To": "+1"})}):  # fmt: skip
            forged = await api.post(CALLBACK, data=form, headers=headers)
            assert_problem(forged, 403, "callback_unverified")
            assert "+1415" not in forged.text and AUTH_TOKEN not in forged.text
        assert (await sms_delivery(api, user, sid) or {})["status"] == "sent"  # unchanged

        # Genuine: Twilio reports the message delivered.
        assert await twilio.send_status_callback(session, url, sid, "sent") == 204  # interim
        assert (await sms_delivery(api, user, sid) or {})["status"] == "sent"
        assert await twilio.send_status_callback(session, url, sid, "delivered") == 204
    delivered = await sms_delivery(api, user, sid)
    assert delivered is not None and delivered["status"] == "delivered"


async def test_a_callback_through_a_trusted_proxy_is_checked_against_the_public_url(
    api: httpx.AsyncClient, twilio: TwilioFake
) -> None:
    """Twilio signs the URL it called (the proxy's); fithub rebuilds it from X-Forwarded-*."""
    public = "https://fithub.example.org" + CALLBACK
    form = twilio.status_callback_form("SM" + "0" * 32, "delivered")
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "fithub.example.org"}
    answer = await api.post(CALLBACK, data=form,
                            headers={**proxied, "X-Twilio-Signature": sign(AUTH_TOKEN, public, form)})  # fmt: skip
    assert answer.status_code == 204, answer.text  # verified (no delivery has that sid)
    other_host = {**proxied, "X-Forwarded-Host": "evil.example.org"}
    refused = await api.post(CALLBACK, data=form,
                             headers={**other_host, "X-Twilio-Signature": sign(AUTH_TOKEN, public, form)})  # fmt: skip
    assert_problem(refused, 403, "callback_unverified")


async def test_a_channel_without_status_callbacks_is_not_found(api: httpx.AsyncClient) -> None:
    for name in ("email", "push", "log", "no-such-channel"):
        answer = await api.post(f"/api/v1/notifications/channels/{name}/status",
                                data={"MessageSid": "SM1", "MessageStatus": "delivered"})  # fmt: skip
        assert_problem(answer, 404, "not_found")
