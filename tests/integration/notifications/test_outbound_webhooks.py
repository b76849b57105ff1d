"""Outbound webhooks end to end: a running server signs events to a real local receiver, which
checks every signature with the official ``standardwebhooks`` package.

The server may send to loopback (``FITHUB_NOTIFIER_WEBHOOK_ALLOW_PRIVATE=true``: the receiver is
on 127.0.0.1); the refusal of private addresses without it is checked on the service itself.
Events settle for a few seconds before the consumer sends them: every wait is a poll with a
deadline.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from tests.conftest import Account, create_admin, sign_up
from tests.integration.conftest import Catalog
from tests.integration.helpers import assert_problem, bearer, login_ok
from tests.integration.notifiers.webhook_receiver import Received, WebhookReceiver
from tests.integration.training import create_workout, log_set, patch_workout
from tests.support import FithubServer, in_process_database, running_server

ENDPOINTS = "/api/v1/webhooks/endpoints"
EVENT_WAIT_S = 30.0  # events settle ~5 s, the consumer runs every 2 s
T = TypeVar("T")


@pytest.fixture(scope="module")
def server() -> Iterator[FithubServer]:
    """This module's server: it may call the receiver on loopback."""
    with running_server({"FITHUB_NOTIFIER_WEBHOOK_ALLOW_PRIVATE": "true"}) as srv:
        yield srv


@pytest.fixture(scope="module")
def catalog(server: FithubServer) -> Catalog:
    return Catalog(server)


@pytest.fixture(scope="module")
def admin(server: FithubServer) -> dict[str, str]:
    return create_admin(server)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as found:
        yield found


async def until(what: str, check: Callable[[], Awaitable[T | None]], within_s: float) -> T:
    """Await ``check()`` until it returns something truthy; fail after ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {within_s:.0f} s"
        await asyncio.sleep(0.2)


async def register(
    api: httpx.AsyncClient,
    account: Account,
    receiver: WebhookReceiver,
    *types: str,
    route: str = "ok",
) -> dict[str, Any]:
    """Register an endpoint on the receiver's ``route``; the receiver accepts its secret."""
    response = await api.post(
        ENDPOINTS,
        headers=account.auth,
        json={"url": receiver.address(route), "event_types": list(types)},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_")
    receiver.signing_secrets = (created["secret"],)
    return created


def verified(receiver: WebhookReceiver, type_name: str | None = None) -> list[dict[str, Any]]:
    """The bodies the receiver accepted (signature verified), of ``type_name`` when given."""
    bodies = [json.loads(d.raw) for d in receiver.delivered()]
    return [b for b in bodies if type_name is None or b["type"] == type_name]


def requests_with_id(receiver: WebhookReceiver, webhook_id: str) -> list[Received]:
    with receiver._lock:
        return [r for r in receiver.requests if r.headers.get("webhook-id") == webhook_id]


async def delivery(
    api: httpx.AsyncClient, account: Account, endpoint_id: int, delivery_id: int
) -> dict[str, Any]:
    response = await api.get(
        f"{ENDPOINTS}/{endpoint_id}/deliveries/{delivery_id}", headers=account.auth
    )
    assert response.status_code == 200, response.text
    return response.json()


async def send_test(api: httpx.AsyncClient, account: Account, endpoint_id: int) -> int:
    response = await api.post(f"{ENDPOINTS}/{endpoint_id}/test", headers=account.auth)
    assert response.status_code == 202, response.text
    return int(response.json()["delivery_id"])


async def settled(
    api: httpx.AsyncClient,
    account: Account,
    endpoint_id: int,
    delivery_id: int,
    status: str,
    attempts: int = 1,
) -> dict[str, Any]:
    """The delivery once it is in ``status`` with at least ``attempts`` attempts logged."""

    async def check() -> dict[str, Any] | None:
        found = await delivery(api, account, endpoint_id, delivery_id)
        done = found["status"] == status and len(found["attempt_log"]) >= attempts
        return found if done else None

    return await until(f"delivery {delivery_id} {status}", check, EVENT_WAIT_S)


async def test_a_personal_record_reaches_the_endpoint_signed(api, user, catalog):
    with WebhookReceiver() as records_only, WebhookReceiver() as everything:
        only = await register(api, user, records_only, "record.achieved")
        await register(api, user, everything, "*")
        workout = (await create_workout(api, user, status="in_progress"))["id"]
        logged = await log_set(
            api, user, workout, exercise_id=catalog.id("Squat"), reps=5, weight=100
        )
        assert logged["records"]
        await patch_workout(api, user, workout, status="completed")

        async def both_arrived() -> bool:
            return bool(
                verified(everything, "record.achieved")
                and verified(everything, "workout.completed")
            )

        await until("record and workout at the * endpoint", both_arrived, EVENT_WAIT_S)
        records = await until(
            "a record at the record endpoint",
            lambda: _now_or_none(verified(records_only, "record.achieved")),
            EVENT_WAIT_S,
        )

    body = records[0]
    assert body["version"] == 1 and isinstance(body["event_id"], int)
    assert body["data"]["user_id"] == user.id
    assert body["data"]["kind"] in {r["kind"] for r in logged["records"]}
    assert body["data"]["value"] > 0
    completed = verified(everything, "workout.completed")[0]
    assert completed["data"] == {"user_id": user.id, "workout_id": workout, "assignments": []}
    assert not verified(records_only, "workout.completed")

    listed = await api.get(f"{ENDPOINTS}/{only['id']}/deliveries", headers=user.auth)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert items and {d["event_type"] for d in items} == {"record.achieved"}
    sent = [d for d in items if d["status"] == "sent"]
    ids = {d.provider_message_id for d in records_only.delivered()}
    assert sent and {d["webhook_id"] for d in sent} <= ids
    filtered = await api.get(
        f"{ENDPOINTS}/{only['id']}/deliveries", headers=user.auth, params={"status": "failed"}
    )
    assert filtered.status_code == 200 and filtered.json()["items"] == []


async def _now_or_none(found: list[T]) -> list[T] | None:
    return found or None


async def test_rotation_signs_with_both_secrets_until_the_overlap_ends(api, user, receiver):
    created = await register(api, user, receiver, "record.achieved")
    old = created["secret"]
    rotated = await api.post(
        f"{ENDPOINTS}/{created['id']}/rotate-secret", json={}, headers=user.auth
    )
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != old
    ends = datetime.fromisoformat(rotated.json()["rotation_ends_at"])
    assert timedelta(hours=23) < ends - datetime.now(UTC) <= timedelta(hours=24)

    receiver.signing_secrets = (new,)
    delivery_id = await send_test(api, user, created["id"])
    done = await settled(api, user, created["id"], delivery_id, "sent")
    [request] = requests_with_id(receiver, done["webhook_id"])
    assert len(request.headers["webhook-signature"].split()) == 2
    for secret in (old, new):  # either secret verifies the same request
        payload = Webhook(secret).verify(request.body, dict(request.headers))
        assert payload["type"] == "endpoint.test"
        assert payload["data"] == {
            "user_id": user.id,
            "endpoint_id": created["id"],
            "message": "A test event from fithub.",
        }

    cut = await api.post(
        f"{ENDPOINTS}/{created['id']}/rotate-secret", json={"overlap_s": 0}, headers=user.auth
    )
    assert cut.status_code == 200 and cut.json()["rotation_ends_at"] is None
    newest = cut.json()["secret"]
    receiver.signing_secrets = (newest,)
    delivery_id = await send_test(api, user, created["id"])
    done = await settled(api, user, created["id"], delivery_id, "sent")
    [request] = requests_with_id(receiver, done["webhook_id"])
    assert len(request.headers["webhook-signature"].split()) == 1
    Webhook(newest).verify(request.body, dict(request.headers))
    for retired in (old, new):
        with pytest.raises(WebhookVerificationError):
            Webhook(retired).verify(request.body, dict(request.headers))

    too_long = await api.post(
        f"{ENDPOINTS}/{created['id']}/rotate-secret", json={"overlap_s": 86_401}, headers=user.auth
    )
    assert_problem(too_long, 422, "validation_failed")


async def test_a_failed_attempt_is_logged_and_a_replay_sends_the_same_webhook_id(
    api, user, receiver
):
    created = await register(api, user, receiver, "goal.achieved")
    receiver.inject("unavailable")  # the first attempt gets a 503
    delivery_id = await send_test(api, user, created["id"])
    first = await settled(api, user, created["id"], delivery_id, "pending")
    assert [a["outcome"] for a in first["attempt_log"]] == ["retry"]
    assert "503" in first["attempt_log"][0]["error"]

    async def replayed() -> bool:  # 409 while a scheduled retry happens to be sending it
        response = await api.post(
            f"{ENDPOINTS}/{created['id']}/deliveries/{delivery_id}/replay", headers=user.auth
        )
        assert response.status_code in (202, 409), response.text
        return response.status_code == 202

    await until("the replay", replayed, 10)
    done = await settled(api, user, created["id"], delivery_id, "sent", attempts=2)
    outcomes = [a["outcome"] for a in done["attempt_log"]]
    assert outcomes[0] == "retry" and outcomes[-1] == "sent"
    assert [a["number"] for a in done["attempt_log"]] == list(range(1, len(outcomes) + 1))
    assert done["attempts"] == len(outcomes)
    assert len(verified(receiver)) == 1

    again = await api.post(
        f"{ENDPOINTS}/{created['id']}/deliveries/{delivery_id}/replay", headers=user.auth
    )
    assert again.status_code == 202, again.text
    after = await settled(api, user, created["id"], delivery_id, "sent", attempts=len(outcomes) + 1)
    assert after["attempt_log"][-1]["outcome"] == "sent"
    assert after["attempts"] == len(outcomes) + 1  # the counter goes on
    ids = [d.idempotency_key for d in receiver.delivered()]
    assert ids == [done["webhook_id"], done["webhook_id"]]  # receivers can drop the second
    assert len(requests_with_id(receiver, done["webhook_id"])) == len(outcomes) + 1


async def test_a_gone_endpoint_is_disabled_then_enabled_and_recovered(api, user, receiver):
    before = datetime.now(UTC) - timedelta(seconds=5)
    created = await register(api, user, receiver, "sync.failed", route="gone")
    delivery_id = await send_test(api, user, created["id"])
    failed = await settled(api, user, created["id"], delivery_id, "failed")
    assert "410" in failed["last_error"]
    endpoint = (await api.get(f"{ENDPOINTS}/{created['id']}", headers=user.auth)).json()
    assert endpoint["enabled"] is False and "410" in endpoint["disabled_reason"]
    refused = await api.post(
        f"{ENDPOINTS}/{created['id']}/recover",
        json={"since": before.isoformat()},
        headers=user.auth,
    )
    assert_problem(refused, 409, "endpoint_disabled")

    fixed = await api.patch(
        f"{ENDPOINTS}/{created['id']}",
        headers=user.auth,
        json={"url": receiver.address("ok"), "enabled": True},
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["enabled"] is True and fixed.json()["disabled_reason"] is None
    assert fixed.json()["failing_since"] is None

    recovered = await api.post(
        f"{ENDPOINTS}/{created['id']}/recover",
        json={"since": before.isoformat()},
        headers=user.auth,
    )
    assert recovered.status_code == 202, recovered.text
    assert recovered.json() == {"recovered": 1}
    done = await settled(api, user, created["id"], delivery_id, "sent", attempts=2)
    assert [a["outcome"] for a in done["attempt_log"]] == ["failed", "sent"]
    assert [b["type"] for b in verified(receiver)] == ["endpoint.test"]
    none_left = await api.post(
        f"{ENDPOINTS}/{created['id']}/recover",
        json={"since": before.isoformat()},
        headers=user.auth,
    )
    assert none_left.json() == {"recovered": 0}


async def test_unknown_event_types_are_a_422_listing_the_valid_ones_and_store_nothing(api, user):
    response = await api.post(
        ENDPOINTS,
        headers=user.auth,
        json={
            "url": "https://hooks.example.com/x",
            "event_types": ["record.achieved", "record.lost"],
        },
    )
    body = assert_problem(response, 422, "validation_failed")
    assert "record.lost" in body["detail"] and "workout.completed" in body["detail"]
    assert body["errors"][0]["field"] == "event_types"
    for bad in (
        {"url": "ftp://hooks.example.com/x", "event_types": ["*"]},
        {"url": "https://hooks.example.com/x", "event_types": []},
    ):
        assert_problem(await api.post(ENDPOINTS, headers=user.auth, json=bad), 422)
    listed = await api.get(ENDPOINTS, headers=user.auth)
    assert listed.status_code == 200 and listed.json() == {"items": [], "next_cursor": None}


async def test_endpoints_are_private_to_their_owner(api, user, receiver):
    created = await register(api, user, receiver, "*")
    delivery_id = await send_test(api, user, created["id"])
    other = await sign_up(api)
    base = f"{ENDPOINTS}/{created['id']}"
    for method, path, body in (
        ("GET", base, None),
        ("PATCH", base, {"description": "mine"}),
        ("DELETE", base, None),
        ("POST", f"{base}/test", None),
        ("POST", f"{base}/rotate-secret", {}),
        ("GET", f"{base}/deliveries", None),
        ("GET", f"{base}/deliveries/{delivery_id}", None),
        ("POST", f"{base}/deliveries/{delivery_id}/replay", None),
        ("POST", f"{base}/recover", {"since": "2020-01-01T00:00:00Z"}),
    ):
        response = await api.request(method, path, json=body, headers=other.auth)
        assert_problem(response, 404, "not_found")
    assert (await api.get(ENDPOINTS, headers=other.auth)).json()["items"] == []

    mine = await api.get(ENDPOINTS, headers=user.auth)
    assert [e["id"] for e in mine.json()["items"]] == [created["id"]]
    assert created["secret"] not in mine.text and "secret" not in mine.json()["items"][0]
    gone = await api.delete(base, headers=user.auth)
    assert gone.status_code == 204
    assert_problem(await api.get(base, headers=user.auth), 404)


async def test_only_admins_receive_every_users_events(api, user, admin):
    body = {"url": "https://hooks.example.com/all", "event_types": ["*"], "all_users": True}
    assert_problem(await api.post(ENDPOINTS, headers=user.auth, json=body), 403, "forbidden")
    tokens = await login_ok(api, admin["email"], admin["password"])
    made = await api.post(ENDPOINTS, headers=bearer(tokens["access_token"]), json=body)
    assert made.status_code == 201, made.text
    assert made.json()["all_users"] is True


async def test_the_catalogue_is_published(api, user):
    response = await api.get("/api/v1/webhooks/event-types", headers=user.auth)
    assert response.status_code == 200, response.text
    types = {t["name"]: t for t in response.json()["items"]}
    assert {
        "workout.completed",
        "record.achieved",
        "goal.achieved",
        "endpoint.test",
        "notification.created",
        "data.stored",
    } <= set(types)
    record = types["record.achieved"]
    assert record["version"] == 1 and record["description"]
    assert record["data_schema"]["type"] == "object"
    assert {"user_id", "record_id", "kind", "value"} <= set(record["data_schema"]["required"])


async def test_private_and_plain_http_urls_are_refused_by_the_service(tmp_path: Path):
    from fithub.core.accounts.models import User
    from fithub.core.config import Settings
    from fithub.core.devices.crypto import CredentialVault
    from fithub.core.errors import ValidationFailed
    from fithub.core.notifications import webhooks
    from fithub.core.notifications.models import WebhookEndpoint

    allowed = {"FITHUB_NOTIFIER_WEBHOOK_ALLOW_PRIVATE": "true"}
    in_test = Settings(env="test", data_dir=tmp_path)
    in_production = Settings(env="production", data_dir=tmp_path)
    assert webhooks.UrlPolicy.of(in_test, {}) == webhooks.UrlPolicy(False, require_https=False)
    assert webhooks.UrlPolicy.of(in_test, allowed) == webhooks.UrlPolicy(True, require_https=False)
    assert webhooks.UrlPolicy.of(in_production, {}) == webhooks.UrlPolicy(False, require_https=True)
    vault = CredentialVault(os.urandom(32))
    async with in_process_database(tmp_path):
        owner = await User.create(
            email="owner@example.com", password_hash="x", display_name="Owner"
        )
        strict = webhooks.UrlPolicy(allow_private=False, require_https=True)
        for url in (
            "https://127.0.0.1/hook",
            "https://10.0.0.7/hook",
            "https://169.254.169.254/latest",
            "https://localhost/hook",
            "https://[::1]/hook",
            "http://hooks.example.com/hook",
        ):
            with pytest.raises(ValidationFailed) as refused:
                await webhooks.create_endpoint(vault, strict, owner, url=url, event_types=["*"])
            assert refused.value.errors[0]["field"] == "url"
            assert url not in refused.value.detail
        assert await WebhookEndpoint.all().count() == 0
        endpoint, secret = await webhooks.create_endpoint(
            vault, strict, owner, url="https://hooks.example.com/hook", event_types=["*"]
        )
        assert secret not in endpoint.secrets
        assert vault.open(endpoint.secrets, f"webhook-endpoint:{endpoint.id}") == {
            "secrets": [secret]
        }
        with pytest.raises(ValidationFailed):
            await webhooks.update_endpoint(
                strict, owner, endpoint.id, {"url": "https://192.168.1.1/x"}
            )
        stored = await WebhookEndpoint.get(id=endpoint.id)
        assert stored.url == "https://hooks.example.com/hook"


def test_the_guide_documents_every_event_type_and_the_retry_schedule():
    from fithub.core.notifications.delivery import RETRY_SCHEDULE_S
    from fithub.core.notifications.webhook_events import CATALOGUE

    guide = (Path(__file__).resolve().parents[3] / "docs" / "webhooks-outbound.md").read_text()
    assert [name for name in CATALOGUE if f"| `{name}` |" not in guide] == []
    assert "version 1 of every type" in guide
    assert {t.version for t in CATALOGUE.values()} == {1}, "the guide says version 1 of all"
    assert RETRY_SCHEDULE_S == (5, 300, 1800, 7200, 18000, 36000), "update the guide's table"
