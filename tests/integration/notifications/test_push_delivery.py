"""Push end to end: a device token registered through the API gets the personal-record push at a fake
FCM (HTTP v1 wire format, a real OAuth2 JWT grant); FCM's UNREGISTERED answer removes the token.

The server runs with ``FITHUB_NOTIFIER_PUSH_*`` pointing the push notifier at
tests/integration/notifiers/fcm_fake.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Account
from tests.integration.helpers import assert_problem
from tests.integration.notifications.inbox_helpers import (
    deliveries,
    exercise_id,
    log_personal_record,
    notifier_env,
    wait_for,
    wait_for_record_items,
)
from tests.integration.notifiers.fcm_fake import DEAD_TOKEN, LIVE_TOKEN, PROJECT_ID, FCMFake
from tests.support import FithubServer, running_server

TOKENS = "/api/v1/notifications/push-tokens"


@pytest.fixture(scope="module")
def fcm() -> Iterator[FCMFake]:
    with FCMFake() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(fcm: FCMFake) -> Iterator[FithubServer]:
    """A server of this module's own whose push notifier talks to the fake FCM."""
    with running_server(notifier_env("push", fcm.settings())) as srv:
        yield srv


async def register(api: httpx.AsyncClient, account: Account, token: str,
                   **extra: str) -> httpx.Response:  # fmt: skip
    body = {"token": token, "platform": "android", **extra}
    return await api.post(TOKENS, json=body, headers=account.auth)


async def tokens(api: httpx.AsyncClient, account: Account) -> list[dict[str, object]]:
    answer = await api.get(TOKENS, headers=account.auth)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


async def test_the_push_channel_is_configured(api: httpx.AsyncClient, user: Account) -> None:
    answer = await api.get("/api/v1/notifications/channels", headers=user.auth)
    assert answer.status_code == 200, answer.text
    channels = {c["name"]: c for c in answer.json()["items"]}
    assert channels["push"] == {"name": "push", "configured": True, "reason": None}
    assert channels["sms"]["configured"] is False and "ACCOUNT_SID" in channels["sms"]["reason"]
    assert "BEGIN PRIVATE KEY" not in answer.text


async def test_a_personal_record_is_pushed_and_a_dead_token_is_removed(
    api: httpx.AsyncClient, fcm: FCMFake, user: Account
) -> None:
    made = await register(api, user, LIVE_TOKEN, device_name="Pixel 8")
    assert made.status_code == 201, made.text
    assert set(made.json()) == {"id", "platform", "device_name", "created_at", "last_seen_at"}
    assert LIVE_TOKEN not in made.text
    squat = await exercise_id(api, user, "Squat")

    await log_personal_record(api, user, squat, weight=100)
    items = await wait_for_record_items(api, user)

    async def pushed() -> list[dict[str, object]] | None:
        found = [r.body for r in fcm.received if r.body["message"]["token"] == LIVE_TOKEN]
        return found or None

    bodies = await wait_for("the push at FCM", pushed)
    message = bodies[0]["message"]  # FCM HTTP v1: {"message": {"token", "notification", "data"}}
    assert message["notification"]["title"] and message["notification"]["body"]
    assert message["data"]["kind"] == "record.achieved"
    assert int(message["data"]["notification_id"]) in {i["id"] for i in items}
    assert all(isinstance(v, str) for v in message["data"].values())
    assert fcm.received[0].project == PROJECT_ID
    assert fcm.received[0].authorization.startswith("Bearer ya29.fake-")
    assert fcm.assertions and fcm.assertions[0]["iss"].endswith(".iam.gserviceaccount.com")

    notification_id = int(message["data"]["notification_id"])

    async def sent() -> list[dict[str, object]] | None:
        rows = [d for d in await deliveries(api, user, notification_id) if d["channel"] == "push"]
        return rows if rows and rows[0]["status"] == "sent" else None

    push_row = (await wait_for("the push delivery marked sent", sent))[0]
    names = {d.provider_message_id for d in fcm.delivered()}
    assert push_row["provider_message_id"] in names and push_row["attempts"] == 1

    # The app was uninstalled from a second device: FCM answers 404 UNREGISTERED for its token.
    dead = await register(api, user, DEAD_TOKEN, device_name="Old phone")
    assert dead.status_code == 201
    assert len(await tokens(api, user)) == 2
    await log_personal_record(api, user, squat, weight=110)

    async def dead_gone() -> bool:
        return [t["id"] for t in await tokens(api, user)] == [made.json()["id"]]

    await wait_for("the unregistered token removed", dead_gone)
    refused = [r for r in fcm.received if r.body["message"]["token"] == DEAD_TOKEN]
    assert refused, "the dead token was never tried"


async def test_registering_a_token_is_idempotent_and_moves_it_between_accounts(
    api: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    token = "fcm-device-token-shared-7c2f"
    first = await register(api, user, token, device_name="Tablet")
    assert first.status_code == 201, first.text
    again = await register(api, user, token, device_name="Kitchen tablet")
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["device_name"] == "Kitchen tablet"
    assert len(await tokens(api, user)) == 1

    moved = await register(api, other_user, token)
    assert moved.status_code == 200 and moved.json()["id"] == first.json()["id"]
    assert await tokens(api, user) == []
    assert [t["id"] for t in await tokens(api, other_user)] == [first.json()["id"]]

    not_mine = await api.delete(f"{TOKENS}/{first.json()['id']}", headers=user.auth)
    assert_problem(not_mine, 404, "not_found")
    removed = await api.delete(f"{TOKENS}/{first.json()['id']}", headers=other_user.auth)
    assert removed.status_code == 204
    assert await tokens(api, other_user) == []

    for body in ({"token": token, "platform": "blackberry"}, {"token": "", "platform": "ios"},
                 {"platform": "ios"}):  # fmt: skip
        answer = await api.post(TOKENS, json=body, headers=user.auth)
        assert_problem(answer, 422, "validation_failed")
    assert await tokens(api, user) == []
