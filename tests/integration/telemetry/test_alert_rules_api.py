"""``/api/v1/telemetry/alerts`` and ``/streams`` on a running server: CRUD, the checks per condition,
the limit of 20 rules, and isolation between two people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Account
from tests.integration.helpers import assert_problem, error_fields
from tests.integration.telemetry.server_db import server_db
from tests.support import FithubServer

ALERTS = "/api/v1/telemetry/alerts"
STREAMS = "/api/v1/telemetry/streams"


async def create(api: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    answer = await api.post(ALERTS, json=body, headers=account.auth)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_alert_rules_are_created_read_changed_and_deleted(
    api: httpx.AsyncClient, user: Account
) -> None:
    zone = await create(api, user, name="Too hard", condition="above_zone", zone=4, duration_s=60)
    assert {k: zone[k] for k in ("name", "condition", "zone", "bpm", "duration_s", "quiet_s",
                                 "enabled", "last_fired_at")} == {
        "name": "Too hard", "condition": "above_zone", "zone": 4, "bpm": None, "duration_s": 60,
        "quiet_s": 300, "enabled": True, "last_fired_at": None}  # fmt: skip
    low = await create(api, user, condition="below_rate", bpm=45)
    high = await create(api, user, condition="above_rate", bpm=180, quiet_s=30, enabled=False)
    lost = await create(api, user, condition="signal_lost", duration_s=20)
    assert (low["duration_s"], low["name"], high["enabled"], lost["zone"], lost["bpm"]) == (
        30, "", False, None, None)  # fmt: skip

    listed = await api.get(ALERTS, headers=user.auth)
    assert [r["id"] for r in listed.json()["items"]] == [
        lost["id"],
        high["id"],
        low["id"],
        zone["id"],
    ]
    first = (await api.get(ALERTS, params={"limit": 3}, headers=user.auth)).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    rest = await api.get(ALERTS, params={"limit": 3, "cursor": first["next_cursor"]},
                         headers=user.auth)  # fmt: skip
    assert [r["id"] for r in rest.json()["items"]] == [zone["id"]]
    assert rest.json()["next_cursor"] is None

    got = await api.get(f"{ALERTS}/{zone['id']}", headers=user.auth)
    assert got.status_code == 200 and got.json() == zone
    renamed = await api.patch(f"{ALERTS}/{zone['id']}", json={"name": "Easy now", "quiet_s": 600},
                              headers=user.auth)  # fmt: skip
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["quiet_s"], renamed.json()["zone"]) == (
        "Easy now", 600, 4)  # fmt: skip
    # a new condition drops the threshold it does not use
    switched = await api.patch(f"{ALERTS}/{zone['id']}",
                               json={"condition": "above_rate", "bpm": 170}, headers=user.auth)  # fmt: skip
    assert switched.status_code == 200, switched.text
    assert (switched.json()["condition"], switched.json()["bpm"], switched.json()["zone"]) == (
        "above_rate", 170, None)  # fmt: skip

    gone = await api.delete(f"{ALERTS}/{zone['id']}", headers=user.auth)
    assert gone.status_code == 204
    assert_problem(await api.get(f"{ALERTS}/{zone['id']}", headers=user.auth), 404)
    assert_problem(await api.delete(f"{ALERTS}/{zone['id']}", headers=user.auth), 404)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"condition": "above_zone"}, {"zone"}),
        ({"condition": "above_zone", "zone": 0}, {"zone"}),
        ({"condition": "above_zone", "zone": 6}, {"zone"}),
        ({"condition": "above_zone", "zone": 5}, {"zone"}),  # nothing is above zone 5
        ({"condition": "above_zone", "zone": 3, "bpm": 150}, {"bpm"}),
        ({"condition": "below_rate"}, {"bpm"}),
        ({"condition": "above_rate", "bpm": 19}, {"bpm"}),
        ({"condition": "above_rate", "bpm": 251}, {"bpm"}),
        ({"condition": "below_rate", "bpm": 50, "zone": 2}, {"zone"}),
        ({"condition": "signal_lost", "bpm": 60}, {"bpm"}),
        ({"condition": "signal_lost", "duration_s": 4}, {"duration_s"}),
        ({"condition": "signal_lost", "duration_s": 3601}, {"duration_s"}),
        ({"condition": "signal_lost", "quiet_s": 29}, {"quiet_s"}),
        ({"condition": "signal_lost", "quiet_s": 86401}, {"quiet_s"}),
        ({"condition": "signal_lost", "name": "x" * 101}, {"name"}),
        ({"condition": "too_slow"}, {"condition"}),
        ({"zone": 3}, {"condition"}),
        ({"condition": "signal_lost", "colour": "red"}, {"colour"}),
    ],
)
async def test_rules_that_do_not_fit_their_condition_are_refused(
    api: httpx.AsyncClient, shared_user: Account, body: dict[str, Any], fields: set[str]
) -> None:
    problem = assert_problem(await api.post(ALERTS, json=body, headers=shared_user.auth), 422)
    assert {f.rsplit(".", 1)[-1] for f in error_fields(problem)} == fields
    assert (await api.get(ALERTS, headers=shared_user.auth)).json()["items"] == []


async def test_a_change_must_still_fit_the_condition(api: httpx.AsyncClient, user: Account) -> None:
    rule = await create(api, user, condition="above_zone", zone=3)
    url = f"{ALERTS}/{rule['id']}"
    for body, field in (
        ({"condition": "below_rate"}, "bpm"),  # needs a bpm it was not given
        ({"zone": None}, "zone"),  # above_zone without a zone
        ({"bpm": 150}, "bpm"),  # above_zone does not use a bpm
        ({"condition": "signal_lost", "zone": 2}, "zone"),
        ({"duration_s": None}, "duration_s"),
        ({"name": None}, "name"),
        ({"enabled": "maybe"}, "enabled"),
    ):
        problem = assert_problem(await api.patch(url, json=body, headers=user.auth), 422)
        assert field in {f.rsplit(".", 1)[-1] for f in error_fields(problem)}, (body, problem)
    assert (await api.get(url, headers=user.auth)).json() == rule  # nothing changed


async def test_twenty_rules_at_most(api: httpx.AsyncClient, user: Account) -> None:
    for index in range(20):
        await create(api, user, name=f"rule {index}", condition="above_rate", bpm=150 + index)
    refused = await api.post(ALERTS, json={"condition": "signal_lost"}, headers=user.auth)
    assert_problem(refused, 409, "too_many_alert_rules")
    page = (await api.get(ALERTS, params={"limit": 100}, headers=user.auth)).json()
    assert len(page["items"]) == 20
    await api.delete(f"{ALERTS}/{page['items'][0]['id']}", headers=user.auth)
    await create(api, user, condition="signal_lost")  # room again


async def test_another_persons_rules_are_not_found(
    api: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    rule = await create(api, user, condition="below_rate", bpm=40)
    url = f"{ALERTS}/{rule['id']}"
    assert_problem(await api.get(url, headers=other_user.auth), 404)
    assert_problem(await api.patch(url, json={"name": "mine"}, headers=other_user.auth), 404)
    assert_problem(await api.delete(url, headers=other_user.auth), 404)
    assert (await api.get(ALERTS, headers=other_user.auth)).json()["items"] == []
    assert (await api.get(url, headers=user.auth)).json() == rule  # untouched
    assert_problem(await api.get(ALERTS), 401)
    assert_problem(await api.get(f"{ALERTS}/{2**63}", headers=user.auth), 404)


# -- streams --------------------------------------------------------------------------------------


async def test_streams_are_listed_newest_first_and_only_ones_own(
    api: httpx.AsyncClient, server: FithubServer, user: Account, other_user: Account
) -> None:
    empty = await api.get(STREAMS, headers=user.auth)
    assert empty.status_code == 200 and empty.json() == {"items": [], "next_cursor": None}

    from fithub.core.telemetry.models import StreamStatus, TelemetryStream

    first_at = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    async with server_db(server):
        ended = await TelemetryStream.create(
            user_id=user.id, device_id="strap-1", device_name="Polar H10", sport="running",
            status=StreamStatus.ENDED, last_seq=41, batches=42, batches_rejected=1, samples=2100,
            first_sample_at=first_at, last_sample_at=first_at + timedelta(minutes=35),
            ended_at=first_at + timedelta(minutes=36),
            summary={"bpm": 151, "zone": 3, "trimp_edwards": 88.5},
        )  # fmt: skip
        active = await TelemetryStream.create(user_id=user.id, device_id="watch-2")
        theirs = await TelemetryStream.create(user_id=other_user.id, device_id="strap-9")

    listed = (await api.get(STREAMS, headers=user.auth)).json()
    assert [s["id"] for s in listed["items"]] == [active.id, ended.id]
    only_ended = (await api.get(STREAMS, params={"status": "ended"}, headers=user.auth)).json()
    assert [s["id"] for s in only_ended["items"]] == [ended.id]
    only_active = (await api.get(STREAMS, params={"status": "active"}, headers=user.auth)).json()
    assert [s["id"] for s in only_active["items"]] == [active.id]
    assert_problem(await api.get(STREAMS, params={"status": "paused"}, headers=user.auth), 422)

    one = (await api.get(f"{STREAMS}/{ended.id}", headers=user.auth)).json()
    assert {k: one[k] for k in ("device_id", "device_name", "sport", "status", "last_seq",
                                "batches", "batches_rejected", "samples", "summary")} == {
        "device_id": "strap-1", "device_name": "Polar H10", "sport": "running", "status": "ended",
        "last_seq": 41, "batches": 42, "batches_rejected": 1, "samples": 2100,
        "summary": {"bpm": 151, "zone": 3, "trimp_edwards": 88.5}}  # fmt: skip
    assert datetime.fromisoformat(one["first_sample_at"]) == first_at
    assert datetime.fromisoformat(one["last_sample_at"]) == first_at + timedelta(minutes=35)
    assert datetime.fromisoformat(one["ended_at"]) == first_at + timedelta(minutes=36)
    fresh = (await api.get(f"{STREAMS}/{active.id}", headers=user.auth)).json()
    assert (fresh["status"], fresh["last_seq"], fresh["samples"], fresh["ended_at"]) == (
        "active", -1, 0, None)  # fmt: skip

    assert_problem(await api.get(f"{STREAMS}/{theirs.id}", headers=user.auth), 404)
    assert [s["id"] for s in (await api.get(STREAMS, headers=other_user.auth)).json()["items"]] == [
        theirs.id]  # fmt: skip
