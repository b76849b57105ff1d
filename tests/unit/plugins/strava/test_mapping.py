"""Strava activities -> records, the 429 wait, and Strava webhooks: pure functions, no I/O."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from fithub.plugins import Activity, AppCredentials, DataType, ProviderContext, validate_record
from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.strava import StravaProvider
from fithub.plugins.strava.client import rate_limit_wait
from fithub.plugins.testing.fakes.strava import FakeStrava
from fithub.plugins.types import AuthorizationRequest, PushRequest

WINTER = date(2024, 1, 15)
SUMMER = date(2024, 7, 15)
TOKEN = "cb-0123456789abcdef"  # the secret ?token= of the callback URL
OPTIONS = {"verify_token": "vt-1", "subscription_id": "120475", "callback_token": TOKEN}


def provider(**options: str) -> StravaProvider:
    credentials = AppCredentials("48213", "shh", "http://x/cb", options=options)
    return StravaProvider(ProviderContext(None, credentials, logging.getLogger("t")))  # type: ignore[arg-type]


def one(item: dict[str, Any]) -> Activity:
    (record,) = provider().normalise(DataType.ACTIVITIES, item)
    assert isinstance(record, Activity)
    validate_record(record, "strava")
    return record


def test_a_summer_run_becomes_an_activity_in_the_athletes_zone() -> None:
    item = FakeStrava.activity("4242", SUMMER, 0)
    run = one(item)
    assert run.source.external_id == str(item["id"]) and run.sport == "running"
    assert run.start == datetime.fromisoformat(item["start_date"].replace("Z", "+00:00"))
    assert run.start.utcoffset() == timedelta(hours=2)  # Berlin in July
    assert run.start.replace(tzinfo=None).isoformat() + "Z" == item["start_date_local"]
    assert run.end - run.start == timedelta(seconds=item["elapsed_time"])  # pauses included
    assert run.distance_m == item["distance"]
    assert (run.avg_heart_rate_bpm, run.max_heart_rate_bpm) == (
        item["average_heartrate"], item["max_heartrate"])  # fmt: skip
    assert run.calories_kcal is None  # the list has none; kilojoules are not turned into kcal
    assert run.name == "Morning Run" and not run.detected and run.raw == item


def test_a_winter_ride_is_one_hour_east_and_keeps_its_kilojoules_raw() -> None:
    item = FakeStrava.activity("4242", WINTER, 1)
    ride = one(item)
    assert ride.sport == "cycling" and ride.start.utcoffset() == timedelta(hours=1)
    assert ride.calories_kcal is None and ride.raw["kilojoules"] == item["kilojoules"]


def test_a_walk_without_heart_rate_has_none_even_if_numbers_are_sent() -> None:
    item = {**FakeStrava.activity("4242", WINTER, 2), "average_heartrate": 0.0}
    walk = one(item)
    assert walk.sport == "walking" and item["has_heartrate"] is False
    assert walk.avg_heart_rate_bpm is None and walk.max_heart_rate_bpm is None


def test_a_detailed_activity_brings_calories_and_its_device() -> None:
    item = {**FakeStrava.activity("4242", SUMMER, 0), "resource_state": 3, "calories": 612.4,
            "device_name": "Garmin Forerunner 255"}  # fmt: skip
    run = one(item)
    assert run.calories_kcal == 612.4 and run.source.device == "Garmin Forerunner 255"
    assert one({**item, "calories": 0}).calories_kcal is None  # Strava's 0 means "not computed"


@pytest.mark.parametrize(
    ("zone", "local", "offset"),
    [
        ("(GMT-08:00) America/Los_Angeles", "2024-01-15T06:00:00Z", timedelta(hours=-8)),
        ("(GMT+05:30) Nowhere/Atlantis", "2024-01-15T19:30:00Z", timedelta(hours=5, minutes=30)),
        (None, "2024-01-15T15:00:00Z", timedelta(hours=1)),
        (None, None, timedelta(0)),
        (None, "garbage", timedelta(0)),
    ],
)
def test_the_zone_comes_from_the_name_else_from_the_local_wall_time(
    zone: str | None, local: str | None, offset: timedelta
) -> None:
    item = {"id": 1, "sport_type": "Run", "start_date": "2024-01-15T14:00:00Z",
            "elapsed_time": 60, "timezone": zone, "start_date_local": local}  # fmt: skip
    run = one(item)
    assert run.start == datetime(2024, 1, 15, 14, tzinfo=UTC) and run.start.utcoffset() == offset


@pytest.mark.parametrize(
    ("fields", "sport"),
    [
        ({"sport_type": "MountainBikeRide", "type": "Ride"}, "mountain_biking"),
        ({"sport_type": "VirtualRide"}, "indoor_cycling"),
        ({"sport_type": "WeightTraining"}, "strength_training"),
        ({"sport_type": "Pickleball"}, "pickleball"),
        ({"sport_type": "TableTennis"}, "table_tennis"),
        ({"sport_type": "HIITBoxing"}, "hiit_boxing"),
        ({"type": "Hike"}, "hiking"),
        ({}, "other"),
    ],
)
def test_sport_types_map_to_fithub_words(fields: dict[str, str], sport: str) -> None:
    item = {"id": 7, "start_date": "2024-01-15T14:00:00Z", "elapsed_time": 60, **fields}
    assert one(item).sport == sport


@pytest.mark.parametrize(
    "change",
    [
        {"start_date": None},
        {"start_date": "last tuesday"},
        {"elapsed_time": "long"},
        {"elapsed_time": -5},
        {"distance": "far"},
        {"id": None},
        {"average_heartrate": "high"},
    ],
)
def test_an_unreadable_activity_is_a_malformed_response(change: dict[str, Any]) -> None:
    item = {**FakeStrava.activity("4242", SUMMER, 0), **change}
    with pytest.raises(ProviderMalformedResponse, match="activities"):
        provider().normalise(DataType.ACTIVITIES, item)


def test_other_data_types_are_refused() -> None:
    with pytest.raises(ProviderError, match="does not offer"):
        provider().normalise(DataType.SLEEP, {})


async def test_the_consent_url_asks_comma_separated_scopes_with_auto_approval() -> None:
    start = await provider().authorization_url(
        AuthorizationRequest("st", "http://x/cb", StravaProvider.scopes)
    )
    query = parse_qs(urlsplit(start.url).query)
    assert start.url.startswith("https://www.strava.com/oauth/authorize?")
    assert query["scope"] == ["read,activity:read_all"] and query["state"] == ["st"]
    assert query["approval_prompt"] == ["auto"] and query["response_type"] == ["code"]


# -- the wait after a 429 ---------------------------------------------------------------------


def headers(usage: str, read_usage: str = "0,0") -> dict[str, str]:
    return {"X-RateLimit-Limit": "200,2000", "X-RateLimit-Usage": usage,
            "X-ReadRateLimit-Limit": "100,1000", "X-ReadRateLimit-Usage": read_usage}  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "now", "wait"),
    [
        (headers("201,300"), datetime(2024, 3, 5, 10, 7, 30, tzinfo=UTC), 450.0),
        (headers("34,300", "100,300"), datetime(2024, 3, 5, 10, 59, 59, tzinfo=UTC), 1.0),
        (headers("34,300", "101,300"), datetime(2024, 3, 5, 10, 45, tzinfo=UTC), 900.0),
        (headers("34,2001"), datetime(2024, 3, 5, 23, 0, tzinfo=UTC), 3600.0),
        (headers("34,300", "100,1000"), datetime(2024, 3, 5, 12, tzinfo=UTC), 12 * 3600.0),
        (headers("34,300"), datetime(2024, 3, 5, 10, 14, tzinfo=UTC), 60.0),
        ({}, datetime(2024, 3, 5, 10, tzinfo=UTC), None),
        ({"X-RateLimit-Limit": "200,2000", "X-RateLimit-Usage": "lots"}, None, None),
    ],
)
def test_the_wait_after_a_429_runs_to_the_quarter_hour_or_to_midnight(
    answer: dict[str, str], now: datetime | None, wait: float | None
) -> None:
    assert rate_limit_wait(answer, now) == wait


def test_the_wait_is_measured_by_stravas_clock_when_it_sends_a_date() -> None:
    answer = {**headers("200,400"), "Date": "Tue, 05 Mar 2024 10:29:00 GMT"}
    assert rate_limit_wait(answer) == 60.0


def test_header_names_are_read_in_any_case() -> None:
    # Strava's own example writes "X-Ratelimit-Usage"; aiohttp's headers would not care, dicts do
    answer = {"x-ratelimit-limit": "600,30000", "X-Ratelimit-Usage": "692,29300",
              "date": "Tue, 10 Oct 2023 20:11:05 GMT"}  # fmt: skip
    assert rate_limit_wait(answer) == 4 * 60 - 5


# -- webhooks ---------------------------------------------------------------------------------


def push(body: Any, **query: str) -> PushRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    query = {"token": TOKEN, **query}
    return PushRequest("POST", {"content-type": "application/json"}, query, raw)


def event(**fields: Any) -> dict[str, Any]:
    return {"aspect_type": "create", "event_time": 1709632800, "object_id": 1360128428,
            "object_type": "activity", "owner_id": 134815, "subscription_id": 120475,
            "updates": {}, **fields}  # fmt: skip


async def test_the_handshake_echoes_the_challenge_for_the_right_verify_token() -> None:
    strava = provider(**OPTIONS)
    query = {"hub.mode": "subscribe", "hub.challenge": "15f7d1a91c1f40", "hub.verify_token": "vt-1",
             "token": TOKEN}  # fmt: skip
    ok = await strava.handle_push(PushRequest("GET", {}, query, b""))
    assert ok.status == 200 and ok.body == {"hub.challenge": "15f7d1a91c1f40"} and not ok.events
    for wrong in ({"hub.verify_token": "vt-2"}, {"hub.mode": "unsubscribe"},
                  {"hub.challenge": ""}):  # fmt: skip
        with pytest.raises(ProviderError):
            await strava.handle_push(PushRequest("GET", {}, {**query, **wrong}, b""))
    with pytest.raises(ProviderError, match="no verify_token"):  # not configured: refuse all
        await provider(callback_token=TOKEN).handle_push(PushRequest("GET", {}, query, b""))
    # The handshake needs no subscription_id: Strava sends it before the subscription exists.
    fresh = provider(verify_token="vt-1", callback_token=TOKEN)
    assert (await fresh.handle_push(PushRequest("GET", {}, query, b""))).status == 200


@pytest.mark.parametrize(
    ("fields", "action"),
    [({"aspect_type": "create"}, "upsert"),
     ({"aspect_type": "update", "updates": {"title": "Messy"}}, "upsert"),
     ({"aspect_type": "update", "updates": {"private": "true"}}, "upsert"),
     ({"aspect_type": "delete"}, "delete")],
)  # fmt: skip
async def test_activity_events_become_upserts_and_deletes(
    fields: dict[str, Any], action: str
) -> None:
    result = await provider(**OPTIONS).handle_push(push(event(**fields)))
    (pushed,) = result.events
    assert result.status == 200
    assert (pushed.external_user_id, pushed.data_type, pushed.action, pushed.object_id) == (
        "134815", DataType.ACTIVITIES, action, "1360128428")  # fmt: skip


async def test_a_withdrawn_athlete_is_a_deauthorize_and_other_athlete_news_nothing() -> None:
    strava = provider(**OPTIONS)
    gone = event(object_type="athlete", aspect_type="update", object_id=134815,
                 updates={"authorized": "false"})  # fmt: skip
    (pushed,) = (await strava.handle_push(push(gone))).events
    assert (pushed.external_user_id, pushed.action, pushed.data_type) == (
        "134815", "deauthorize", None)  # fmt: skip
    renamed = {**gone, "updates": {"firstname": "Jo"}}
    assert (await strava.handle_push(push(renamed))).events == ()


async def test_events_of_another_subscription_or_with_none_configured_are_refused() -> None:
    with pytest.raises(ProviderError, match="another subscription"):
        await provider(**OPTIONS).handle_push(push(event(subscription_id=999)))
    unsubscribed = provider(verify_token="vt-1", callback_token=TOKEN)
    with pytest.raises(ProviderError, match="no subscription_id"):
        await unsubscribed.handle_push(push(event()))


async def test_the_callback_token_is_required_on_both_calls() -> None:
    strava = provider(**OPTIONS)
    assert (await strava.handle_push(push(event()))).events
    handshake = {"hub.mode": "subscribe", "hub.challenge": "c", "hub.verify_token": "vt-1"}
    for query in ({"token": "cb-0123456789abcdeF"}, {"token": ""}, {"token": "cb-é"}):
        with pytest.raises(ProviderError, match="callback token"):
            await strava.handle_push(push(event(), **query))
        with pytest.raises(ProviderError, match="callback token"):
            await strava.handle_push(PushRequest("GET", {}, {**handshake, **query}, b""))
    bare = PushRequest("POST", {}, {}, json.dumps(event()).encode())
    with pytest.raises(ProviderError, match="callback token"):
        await strava.handle_push(bare)


@pytest.mark.parametrize("configured", ["", "short-secret"])
async def test_without_a_long_enough_callback_token_every_call_is_refused(configured: str) -> None:
    strava = provider(**{**OPTIONS, "callback_token": configured})
    with pytest.raises(ProviderError, match="no callback_token"):
        await strava.handle_push(push(event(), token=configured))


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b"\xff\xfe", event(owner_id=None), event(object_type="segment"),
     event(aspect_type="rename"), event(object_id=True)],
)  # fmt: skip
async def test_unreadable_events_are_malformed(body: Any) -> None:
    with pytest.raises(ProviderMalformedResponse):
        await provider(**OPTIONS).handle_push(push(body))


async def test_other_methods_are_not_strava() -> None:
    with pytest.raises(ProviderError, match="PUT"):
        await provider(**OPTIONS).handle_push(PushRequest("PUT", {}, {"token": TOKEN}, b"{}"))
