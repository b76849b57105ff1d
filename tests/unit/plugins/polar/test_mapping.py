"""Polar items -> records, Polar's rate-limit headers and webhook verification: no I/O."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from fithub.plugins import (
    Activity,
    AppCredentials,
    DailySummary,
    DataType,
    ProviderContext,
    Sample,
    SampleKind,
    SleepSession,
    validate_record,
)
from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.polar import PolarProvider
from fithub.plugins.polar.client import rate_limit_wait
from fithub.plugins.polar.mapping import duration_s
from fithub.plugins.testing.fakes.polar import SLEEP_MINUTES, FakePolar
from fithub.plugins.types import PushRequest

DAY = date(2024, 3, 5)
PLUS2 = timezone(timedelta(hours=2))
SECRET = "abe1f3ae-fd33-11e8-8eb2-f2801f1b9fd1"
FAKE = FakePolar()  # for its item builders; never started


def provider(**options: str) -> PolarProvider:
    credentials = AppCredentials("id", "shh", "http://x/cb", options=options)
    return PolarProvider(ProviderContext(None, credentials, logging.getLogger("t")))  # type: ignore[arg-type]


def one(data_type: DataType, item: dict) -> object:
    (record,) = provider().normalise(data_type, item)
    validate_record(record, "polar")  # type: ignore[arg-type]
    return record


# -- exercises ------------------------------------------------------------------------------------


def test_an_exercise_starts_at_its_local_time_and_offset_and_lasts_its_duration() -> None:
    item = FAKE.exercise("a1", DAY)
    activity = one(DataType.ACTIVITIES, item)
    assert isinstance(activity, Activity)
    assert activity.start == datetime(2024, 3, 5, 17, 0, tzinfo=UTC)
    assert activity.start.utcoffset() == timedelta(hours=2)  # the watch's local time is kept
    assert activity.end - activity.start == timedelta(seconds=duration_s(item["duration"]))
    assert activity.sport == item["detailed_sport_info"].lower()
    assert activity.calories_kcal == item["calories"] and activity.distance_m == item["distance"]
    assert activity.avg_heart_rate_bpm == item["heart_rate"]["average"]
    assert activity.max_heart_rate_bpm == item["heart_rate"]["maximum"]
    assert activity.source.external_id == item["id"] and activity.source.device == item["device"]
    assert activity.raw == item


def test_an_exercise_without_optional_fields_keeps_them_unknown() -> None:
    item = {"id": "aQlC83", "start_time": "2024-03-05T06:30:00", "start_time_utc_offset": -300,
            "duration": "PT1H5M30.5S", "sport": "OTHER INDOOR"}  # fmt: skip
    activity = one(DataType.ACTIVITIES, item)
    assert isinstance(activity, Activity)
    assert activity.start == datetime(2024, 3, 5, 11, 30, tzinfo=UTC)
    assert activity.end - activity.start == timedelta(hours=1, minutes=5, seconds=30.5)
    assert activity.sport == "other_indoor"
    assert activity.calories_kcal is None and activity.avg_heart_rate_bpm is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT2H44M", 9840), ("PT45S", 45), ("P1DT2H", 93600), ("PT0.5S", 0.5), ("PT1H0M0S", 3600)],
)
def test_iso_durations(text: str, seconds: float) -> None:
    assert duration_s(text) == seconds


@pytest.mark.parametrize(
    "item",
    [
        {"start_time": "2024-03-05T06:30:00", "duration": "PT1H", "sport": "RUNNING"},  # no id
        {"id": "x", "start_time": "2024-03-05T06:30:00", "duration": "1 hour", "sport": "RUNNING"},
        {"id": "x", "start_time": "yesterday", "duration": "PT1H", "sport": "RUNNING"},
        {"id": "x", "start_time": "2024-03-05T06:30:00", "duration": "PT", "sport": "RUNNING"},
        {"id": "x", "start_time": "2024-03-05T06:30:00", "duration": "PT1H", "sport": ""},
        {
            "id": "x",
            "start_time": "2024-03-05T06:30:00",
            "duration": "PT1H",
            "sport": "RUN",
            "calories": "many",
        },  # fmt: skip
    ],
)
def test_an_unreadable_exercise_is_malformed(item: dict) -> None:
    with pytest.raises(ProviderMalformedResponse, match="activities"):
        provider().normalise(DataType.ACTIVITIES, item)


# -- daily activity -------------------------------------------------------------------------------


def test_a_daily_activity_summary_is_filed_under_its_date() -> None:
    item = FAKE.activity("a1", DAY)
    del item["date_key"]  # the fake's own key, not on the wire
    day = one(DataType.DAILY, item)
    assert isinstance(day, DailySummary) and day.day == DAY
    assert day.source.external_id == "2024-03-05"
    assert day.steps == item["steps"] and day.total_calories_kcal == item["calories"]
    assert day.active_calories_kcal == item["active_calories"]
    assert day.distance_m == item["distance_from_steps"]
    assert day.active_minutes == duration_s(item["active_duration"]) / 60
    assert day.score is None  # daily_activity is a percentage of the goal, not a 0..100 score


def test_a_bare_daily_summary_needs_only_its_start_time() -> None:
    day = one(DataType.DAILY, {"start_time": "2024-03-05T08:15:30"})
    assert isinstance(day, DailySummary) and day.day == DAY and day.steps is None


# -- sleep ----------------------------------------------------------------------------------------


def test_a_night_has_stages_from_the_hypnogram_across_midnight() -> None:
    item = FAKE.sleep("a1", DAY)
    session = one(DataType.SLEEP, item)
    assert isinstance(session, SleepSession) and session.day == DAY and not session.is_nap
    assert session.start == datetime(2024, 3, 4, 23, 10, 7, tzinfo=PLUS2)
    assert session.end - session.start == timedelta(minutes=SLEEP_MINUTES)
    stages = session.stages
    assert stages[0].start == session.start and stages[-1].end == session.end
    assert all(a.end <= b.start for a, b in zip(stages, stages[1:], strict=False))
    assert all(a.stage != b.stage or a.end != b.start for a, b in zip(stages, stages[1:],
                                                                     strict=False))  # fmt: skip
    assert stages[0].stage == "light" and stages[0].end == datetime(
        2024, 3, 4, 23, 50, tzinfo=PLUS2
    )
    assert any(s.start.date() == DAY for s in stages)  # keys after midnight fall on the next day
    covered = sum((s.end - s.start).total_seconds() for s in stages)
    assert covered == SLEEP_MINUTES * 60 - item["unrecognized_sleep_stage"]  # code 5: a gap
    assert session.deep_s == item["deep_sleep"] and session.rem_s == item["rem_sleep"]
    assert session.light_s == item["light_sleep"]
    assert session.awake_s == item["total_interruption_duration"]
    assert session.asleep_s == sum(item[k] for k in ("light_sleep", "deep_sleep", "rem_sleep",
                                                     "unrecognized_sleep_stage"))  # fmt: skip
    beats = list(item["heart_rate_samples"].values())
    assert session.avg_heart_rate_bpm == pytest.approx(sum(beats) / len(beats))
    assert session.lowest_heart_rate_bpm == min(beats)
    assert session.source.external_id == "2024-03-05" and session.source.device == "1111AAAA"


def test_hypnogram_keys_in_any_order_give_the_same_stages() -> None:
    item = FAKE.sleep("a1", DAY)
    shuffled = dict(reversed(list(item["hypnogram"].items())))
    assert one(DataType.SLEEP, {**item, "hypnogram": shuffled}) == one(DataType.SLEEP, item)


def test_a_night_without_hypnogram_or_beats_has_no_stages() -> None:
    item = {"date": "2024-03-05", "sleep_start_time": "2024-03-05T00:39:07+03:00",
            "sleep_end_time": "2024-03-05T09:19:37+03:00", "light_sleep": 1000}  # fmt: skip
    session = one(DataType.SLEEP, item)
    assert isinstance(session, SleepSession) and session.stages == ()
    assert session.asleep_s == 1000 and session.deep_s is None
    assert session.avg_heart_rate_bpm is None


def test_a_night_with_a_bad_stage_code_is_malformed() -> None:
    item = {**FAKE.sleep("a1", DAY), "hypnogram": {"23:10": "deep"}}
    with pytest.raises(ProviderMalformedResponse, match="2024-03-05"):
        provider().normalise(DataType.SLEEP, item)


# -- nightly recharge and continuous heart rate ---------------------------------------------------


def test_nightly_recharge_gives_hrv_and_breathing_samples_of_the_night_before() -> None:
    item = FAKE.nightly_recharge("a1", DAY)
    records = provider().normalise(DataType.HRV, item)
    hrv = [r for r in records if isinstance(r, Sample) and r.kind is SampleKind.HRV_RMSSD]
    breathing = [r for r in records if isinstance(r, Sample)
                 and r.kind is SampleKind.RESPIRATORY_RATE]  # fmt: skip
    assert len(hrv) == len(item["hrv_samples"]) == len(breathing)
    first = hrv[0]
    assert first.time == datetime(2024, 3, 4, 21, 40, 7, tzinfo=UTC).replace(second=0)
    assert first.value == next(iter(item["hrv_samples"].values())) and first.context == "sleep"
    assert any(r.time.date() == DAY for r in hrv)  # past midnight: the date itself
    assert first.source.external_id == first.time.isoformat()
    for record in records:
        validate_record(record, "polar")


def test_nightly_recharge_without_samples_gives_nothing() -> None:
    assert provider().normalise(DataType.HRV, {"date": "2024-03-05", "ans_charge": 0.0}) == []


def test_continuous_heart_rate_samples_are_times_of_their_date() -> None:
    item = {"polar_user": "https://www.polaraccesslink.com/v3/users/627139", "date": "2022-09-12",
            "heart_rate_samples": [{"heart_rate": 63, "sample_time": "00:02:08"},
                                   {"heart_rate": None, "sample_time": "00:07:08"},
                                   {"heart_rate": 62, "sample_time": "23:57:08"}]}  # fmt: skip
    samples = provider().normalise(DataType.HEART_RATE, item)
    assert [s.time for s in samples] == [datetime(2022, 9, 12, 0, 2, 8, tzinfo=UTC),  # type: ignore[union-attr]
                                         datetime(2022, 9, 12, 23, 57, 8, tzinfo=UTC)]  # fmt: skip
    assert [s.value for s in samples] == [63, 62]  # type: ignore[union-attr]
    assert samples[0].source.external_id == "2022-09-12T00:02:08+00:00"


@pytest.mark.parametrize(
    "item",
    [
        {"date": "2022-09-12", "heart_rate_samples": "63,62"},
        {"date": "2022-09-12", "heart_rate_samples": [{"heart_rate": 63, "sample_time": "noon"}]},
        {"heart_rate_samples": []},
    ],
)
def test_unreadable_heart_rate_is_malformed(item: dict) -> None:
    with pytest.raises(ProviderMalformedResponse):
        provider().normalise(DataType.HEART_RATE, item)


# -- rate limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "7", "RateLimit-Reset": "100, 5000"}, 7.0),
        (
            {
                "RateLimit-Usage": "520, 900",
                "RateLimit-Limit": "520, 5100",
                "RateLimit-Reset": "300, 40000",
            },
            300.0,
        ),  # fmt: skip
        (
            {
                "RateLimit-Usage": "10, 5100",
                "RateLimit-Limit": "520, 5100",
                "RateLimit-Reset": "300, 40000",
            },
            40000.0,
        ),  # fmt: skip
        ({"RateLimit-Reset": "120, 9000"}, 120.0),
        ({"RateLimit-Reset": "soon"}, None),
        ({}, None),
    ],
)
def test_a_429_waits_for_the_window_that_is_spent(headers: dict, wait: float | None) -> None:
    assert rate_limit_wait(headers) == wait


# -- webhooks -------------------------------------------------------------------------------------


def push(body: dict | bytes, signature: str | None = None, method: str = "POST") -> PushRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["polar-webhook-signature"] = signature
    return PushRequest(method, headers, {}, raw)


def sign(body: dict, key: str = SECRET) -> tuple[dict, str]:
    return body, hmac.new(key.encode(), json.dumps(body).encode(), hashlib.sha256).hexdigest()


async def test_the_ping_is_answered_200_without_a_signature() -> None:
    result = await provider().handle_push(
        push({"event": "PING", "timestamp": "2018-05-15T14:22:24Z"})
    )
    assert result.status == 200 and result.events == ()


async def test_a_signed_exercise_event_names_the_user_and_the_exercise() -> None:
    body = {"event": "EXERCISE", "user_id": 475, "entity_id": "aQlC83",
            "timestamp": "2018-05-15T14:22:24Z",
            "url": "https://www.polaraccesslink.com/v3/exercises/aQlC83"}  # fmt: skip
    result = await provider(webhook_secret=SECRET).handle_push(push(*sign(body)))
    (event,) = result.events
    assert result.status == 200
    assert (event.external_user_id, event.data_type, event.action, event.object_id) == (
        "475", DataType.ACTIVITIES, "upsert", "aQlC83")  # fmt: skip
    assert event.start is None and event.end is None  # fithub syncs its look-back window


async def test_a_sleep_event_syncs_sleep_and_nightly_recharge_of_its_date() -> None:
    body, signature = sign({"event": "SLEEP", "user_id": 475, "date": "2019-12-31",
                            "timestamp": "2020-01-01T08:00:00Z"})  # fmt: skip
    result = await provider(webhook_secret=SECRET).handle_push(push(body, signature.upper()))
    assert [e.data_type for e in result.events] == [DataType.SLEEP, DataType.HRV]
    assert {(e.start, e.end) for e in result.events} == {
        (datetime(2019, 12, 31, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC))}  # fmt: skip


@pytest.mark.parametrize(
    ("event", "data_type"),
    [("CONTINUOUS_HEART_RATE", DataType.HEART_RATE), ("ACTIVITY_SUMMARY", DataType.DAILY)],
)
async def test_dated_events(event: str, data_type: DataType) -> None:
    body = {"event": event, "user_id": 475, "date": "2022-09-30"}
    (pushed,) = (await provider(webhook_secret=SECRET).handle_push(push(*sign(body)))).events
    assert pushed.data_type is data_type and pushed.start == datetime(2022, 9, 30, tzinfo=UTC)


async def test_events_fithub_does_not_read_are_acknowledged_and_ignored() -> None:
    body = {"event": "PHYSICAL_INFORMATION", "user_id": 475}
    result = await provider(webhook_secret=SECRET).handle_push(push(*sign(body)))
    assert result.status == 200 and result.events == ()


@pytest.mark.parametrize(
    ("signature", "options"),
    [
        (sign({"event": "EXERCISE", "user_id": 475}, key="guess")[1], {"webhook_secret": SECRET}),
        (None, {"webhook_secret": SECRET}),
        ("", {"webhook_secret": SECRET}),
        (sign({"event": "EXERCISE", "user_id": 475})[1], {}),  # no key configured: unverifiable
    ],
)
async def test_a_forged_or_unverifiable_event_is_refused(
    signature: str | None, options: dict
) -> None:
    with pytest.raises(ProviderError):
        await provider(**options).handle_push(push({"event": "EXERCISE", "user_id": 475},
                                                   signature))  # fmt: skip


async def test_a_body_changed_after_signing_is_refused() -> None:
    body, signature = sign({"event": "EXERCISE", "user_id": 475, "entity_id": "a"})
    tampered = {**body, "user_id": 476}
    with pytest.raises(ProviderError, match="signature"):
        await provider(webhook_secret=SECRET).handle_push(push(tampered, signature))


@pytest.mark.parametrize(
    "request_",
    [
        push(b"not json"),
        push({"no": "event"}),
        push(*sign({"event": "SLEEP", "date": "2019-12-31"})),  # no user
        push(*sign({"event": "SLEEP", "user_id": 475, "date": "31.12.2019"})),
    ],
)
async def test_unreadable_bodies_are_malformed(request_: PushRequest) -> None:
    with pytest.raises(ProviderMalformedResponse):
        await provider(webhook_secret=SECRET).handle_push(request_)


async def test_only_posts_are_webhooks() -> None:
    with pytest.raises(ProviderError):
        await provider(webhook_secret=SECRET).handle_push(push({"event": "PING"}, method="GET"))
