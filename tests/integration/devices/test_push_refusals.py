"""Vendor pushes through a real server: what is not the vendor's is refused with 401 and stores
nothing; an unsigned vendor's delete is acted on only once the vendor confirms it; and a webhook
to an unconfigured provider names no setting."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from fithub.plugins.testing.fakes.garmin import FakeGarmin
from fithub.plugins.testing.fakes.oura import FakeOura
from fithub.plugins.testing.fakes.strava import FakeStrava
from tests.conftest import Account
from tests.integration.devices.inbox import settled_row
from tests.integration.devices.world import (
    connect_and_backfill,
    device_server,
    devices,
    query_db,
    read_all,
    seed,
)
from tests.integration.helpers import assert_problem
from tests.support import FithubServer

STRAVA, GARMIN, OURA = "/api/v1/webhooks/strava", "/api/v1/webhooks/garmin", "/api/v1/webhooks/oura"


@pytest.fixture(scope="module")
def strava() -> Iterator[FakeStrava]:
    with FakeStrava() as fake:
        yield fake


@pytest.fixture(scope="module")
def garmin() -> Iterator[FakeGarmin]:
    with FakeGarmin() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(strava: FakeStrava, garmin: FakeGarmin, oura: FakeOura) -> Iterator[FithubServer]:
    """Knows the fake Strava, Garmin and Oura; WHOOP is left unconfigured."""
    with device_server(strava, garmin, oura) as srv:
        yield srv


def _stored(server: FithubServer, provider: str) -> int:
    (row,) = query_db(server, "SELECT count(*) FROM device_webhook_events WHERE provider = $1",
                      provider)  # fmt: skip
    return int(row[0])


async def _refused(api: httpx.AsyncClient, server: FithubServer, provider: str,
                   path: str, **request: Any) -> dict[str, Any]:  # fmt: skip
    before = _stored(server, provider)
    body = assert_problem(await api.post(path, **request), 401, "push_unverified")
    assert _stored(server, provider) == before
    return body


def _strava_delete(account: int = 1, object_id: int = 2) -> dict[str, Any]:
    """The report's reproduction: an unsigned delete anyone can post."""
    return {"object_type": "activity", "aspect_type": "delete", "owner_id": account,
            "object_id": object_id, "subscription_id": FakeStrava.subscription_id,
            "event_time": int(time.time()), "updates": {}}  # fmt: skip


async def test_strava_pushes_without_the_callback_secret_are_refused(
    api: httpx.AsyncClient, strava: FakeStrava, server: FithubServer
) -> None:
    assert _stored(server, "strava") == 0
    await _refused(api, server, "strava", STRAVA, json=_strava_delete())
    await _refused(api, server, "strava", STRAVA, json=_strava_delete(),
                   params={"token": "fake-strava-callback-token-5c1e9b"})  # fmt: skip
    await _refused(api, server, "strava", STRAVA, json=_strava_delete(), params={"token": ""})
    # The secret is right but the event is for another subscription.
    other = {**_strava_delete(), "subscription_id": 1}
    await _refused(api, server, "strava", STRAVA, json=other, params=strava.webhook_query())

    accepted = await api.post(STRAVA, json=_strava_delete(), params=strava.webhook_query())
    assert accepted.status_code == 200, accepted.text
    assert _stored(server, "strava") == 1


def test_strava_configured_without_a_callback_token_refuses_every_push(
    strava: FakeStrava,
) -> None:
    """The report: with only verify_token and subscription_id set (enough before), the unsigned
    delete was answered 200 and stored. (Not async: the server is made outside the test's loop.)"""
    options = {"verify_token": strava.verify_token, "subscription_id": str(strava.subscription_id)}
    with device_server(strava, FITHUB_STRAVA_OPTIONS=json.dumps(options)) as srv:
        with httpx.Client(base_url=srv.base_url, timeout=30) as client:
            answer = client.post(STRAVA, json=_strava_delete())
            assert_problem(answer, 401, "push_unverified")
            guessed = client.post(STRAVA, json=_strava_delete(), params={"token": ""})
            assert_problem(guessed, 401, "push_unverified")
        assert _stored(srv, "strava") == 0


async def test_the_strava_handshake_needs_the_secret_and_the_verify_token(
    api: httpx.AsyncClient, strava: FakeStrava
) -> None:
    hub = {
        "hub.mode": "subscribe",
        "hub.challenge": "ch-1",
        "hub.verify_token": strava.verify_token,
    }
    ok = await api.get(STRAVA, params={**hub, **strava.webhook_query()})
    assert ok.status_code == 200 and ok.json() == {"hub.challenge": "ch-1"}
    assert_problem(await api.get(STRAVA, params=hub), 401, "push_unverified")
    wrong = {**hub, **strava.webhook_query(), "hub.verify_token": "guess"}
    assert_problem(await api.get(STRAVA, params=wrong), 401, "push_unverified")


async def test_garmin_pushes_need_the_callback_secret_not_only_the_client_id(
    api: httpx.AsyncClient, garmin: FakeGarmin, server: FithubServer
) -> None:
    body = json.dumps({"deregistrations": [{"userId": "someone"}]}).encode()
    headers = {"garmin-client-id": garmin.client_id, "content-type": "application/json"}
    await _refused(api, server, "garmin", GARMIN, content=body, headers=headers)
    await _refused(api, server, "garmin", GARMIN, content=body, headers=headers,
                   params={"token": garmin.callback_token[:-1]})  # fmt: skip
    await _refused(api, server, "garmin", GARMIN, content=body,
                   headers={"content-type": "application/json"}, params=garmin.webhook_query())  # fmt: skip
    accepted = await api.post(GARMIN, content=body, headers=headers, params=garmin.webhook_query())
    assert accepted.status_code == 200, accepted.text


async def test_a_stale_or_future_oura_push_is_refused(
    api: httpx.AsyncClient, oura: FakeOura, server: FithubServer
) -> None:
    event = {"event_type": "delete", "data_type": "workout", "object_id": "wo-x",
             "user_id": "nobody", "event_time": datetime.now(UTC).isoformat()}  # fmt: skip
    now = datetime.now(UTC)
    for at in (now - timedelta(days=30), now - timedelta(minutes=6), now + timedelta(minutes=6)):
        headers, body = oura.signed_push(event, at=at)
        await _refused(api, server, "oura", OURA, content=body, headers=headers)
    headers, body = oura.signed_push(event, at=now - timedelta(minutes=4))
    assert (await api.post(OURA, content=body, headers=headers)).status_code == 200


async def test_a_webhook_to_an_unconfigured_provider_names_no_setting(
    api: httpx.AsyncClient, user: Account, server: FithubServer
) -> None:
    answer = await api.post("/api/v1/webhooks/whoop", content=b"{}")
    body = assert_problem(answer, 503, "provider_not_configured")
    assert "FITHUB_" not in answer.text and "not available" in body["detail"]
    assert_problem(await api.get("/api/v1/webhooks/whoop"), 503, "provider_not_configured")
    assert "FITHUB_WHOOP_CLIENT_ID" in server.read_logs()
    # A signed-in user setting up a connection is told what to configure.
    setup = await api.post("/api/v1/devices/whoop/connect", headers=user.auth)
    assert (
        "FITHUB_WHOOP_CLIENT_ID" in assert_problem(setup, 503, "provider_not_configured")["detail"]
    )


# -- unsigned vendors: a delete is confirmed with the vendor before anything is deleted -------------


async def _outcome(server: FithubServer, account: str, object_id: str) -> tuple[str, Any]:
    return await settled_row(server, "external_user_id = $1 AND object_id = $2", account, object_id)


async def test_a_strava_delete_is_acted_on_only_when_strava_no_longer_has_the_activity(
    api: httpx.AsyncClient, user: Account, strava: FakeStrava, server: FithubServer
) -> None:
    account = seed(strava)
    await connect_and_backfill(api, user, strava, account)
    stored = await read_all(api, user, "/api/v1/activity")
    victim = stored[0]["external_id"]

    # The secret leaked (or a replay): the event is genuine-looking but Strava still has it.
    event = strava.webhook_event(account, aspect_type="delete", object_id=int(victim))
    answer = await api.post(STRAVA, json=event, params=strava.webhook_query())
    assert answer.status_code == 200, answer.text
    status, outcome = await _outcome(server, account, victim)
    assert (status, outcome["reason"]) == ("ignored", "the vendor still has it")
    assert victim in {a["external_id"] for a in await read_all(api, user, "/api/v1/activity")}

    # The athlete really deleted it at Strava: the same kind of event now deletes it.
    strava.delete_activity(account, int(victim))
    event["event_time"] += 60  # a later event, not a retry of the first
    answer = await api.post(STRAVA, json=event, params=strava.webhook_query())
    assert answer.status_code == 200, answer.text
    status, outcome = await _outcome(server, account, victim)
    assert status == "processed" and outcome["deleted"] == 1 and outcome["confirmed_with_vendor"]
    after = {a["external_id"] for a in await read_all(api, user, "/api/v1/activity")}
    assert victim not in after and len(after) == len(stored) - 1


async def test_a_garmin_deregistration_is_confirmed_with_garmin(
    api: httpx.AsyncClient, user: Account, garmin: FakeGarmin, server: FithubServer
) -> None:
    account = seed(garmin)
    await connect_and_backfill(api, user, garmin, account)

    async def deregistered(at: int) -> str:
        # Another key Garmin may add makes each delivery a new one (not a retry of the last).
        body = {"deregistrations": [{"userId": account}], "epochs": [{"at": at}]}
        answer = await api.post(GARMIN, json=body, headers=garmin.webhook_headers(),
                                params=garmin.webhook_query())  # fmt: skip
        assert answer.status_code == 200, answer.text
        status, _ = await settled_row(server, "external_user_id = $1 AND action = 'deauthorize'",
                                      account)  # fmt: skip
        return status

    assert await deregistered(1) == "ignored"  # the grant still works at Garmin
    connection = next(c for c in (await devices(api, user))["connections"]
                      if c["provider"] == "garmin")  # fmt: skip
    assert connection["status"] == "connected"
    garmin.deregister(account)
    assert await deregistered(2) == "processed"
    connection = next(c for c in (await devices(api, user))["connections"]
                      if c["provider"] == "garmin")  # fmt: skip
    assert connection["status"] == "disconnected"
