"""Fitbit items -> records, and Fitbit webhook verification: pure functions, no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from fithub.plugins import (
    Activity,
    AppCredentials,
    BodyKind,
    BodyMeasurement,
    DailySummary,
    DataType,
    ProviderContext,
    Sample,
    SampleKind,
    SleepSession,
    SleepStageKind,
    validate_record,
)
from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.fitbit import FitbitProvider, push_window
from fithub.plugins.fitbit.client import error_types, local_days
from fithub.plugins.testing.fakes.fitbit import FakeFitbit
from fithub.plugins.types import PushRequest

DAY = date(2024, 3, 5)
LA = "America/Los_Angeles"
SECRET = "shh"


def provider(**options: str) -> FitbitProvider:
    credentials = AppCredentials("id", SECRET, "http://x/cb", options=options)
    return FitbitProvider(ProviderContext(None, credentials, logging.getLogger("t")))  # type: ignore[arg-type]


def normalise(data_type: DataType, item: dict) -> list:
    records = provider().normalise(data_type, item)
    for record in records:
        validate_record(record, "fitbit")
    return records


def fake() -> FakeFitbit:
    return FakeFitbit.__new__(FakeFitbit)  # the item builders need no server


# -- activities ------------------------------------------------------------------------------------


def test_an_activity_log_becomes_an_activity_in_metres() -> None:
    item = fake().activity("a1", DAY, "run")
    (activity,) = normalise(DataType.ACTIVITIES, item)
    assert isinstance(activity, Activity)
    assert activity.source.external_id == str(item["logId"])
    assert activity.start == datetime(2024, 3, 5, 17, 30, tzinfo=timezone(timedelta(hours=-8)))
    assert activity.end - activity.start == timedelta(milliseconds=item["duration"])
    assert activity.sport == "run" and activity.name == "Run"
    assert activity.distance_m == pytest.approx(item["distance"] * 1000)
    assert (
        activity.steps == item["steps"] and activity.avg_heart_rate_bpm == item["averageHeartRate"]
    )
    assert activity.raw == item


def test_an_auto_detected_walk_in_miles() -> None:
    item = {"logId": 7, "activityName": "Outdoor Bike", "startTime": "2024-03-05T08:00:00.000+01:00",
            "duration": 3_600_000, "distance": 10, "distanceUnit": "Mile", "logType": "auto_detected",
            "calories": 400}  # fmt: skip
    (activity,) = normalise(DataType.ACTIVITIES, item)
    assert activity.sport == "outdoor_bike" and activity.detected
    assert activity.distance_m == pytest.approx(16093.44)
    assert activity.start.astimezone(UTC).hour == 7
    assert activity.steps is None and activity.avg_heart_rate_bpm is None  # not said: None


def test_an_activity_without_an_offset_is_read_in_the_persons_zone() -> None:
    item = {"logId": 8, "activityName": "Yoga", "startTime": "2024-07-01T06:30:00.000",
            "activeDuration": 1_800_000, "fithub_timezone": LA}  # fmt: skip
    (activity,) = normalise(DataType.ACTIVITIES, item)
    assert activity.start.astimezone(UTC) == datetime(2024, 7, 1, 13, 30, tzinfo=UTC)  # PDT


@pytest.mark.parametrize(
    "broken",
    [
        {"startTime": "yesterday"},
        {"duration": None, "activeDuration": None},
        {"distanceUnit": "Furlong"},
        {"calories": "many"},
        {"logId": None},
    ],  # fmt: skip
)
def test_an_unreadable_activity_is_malformed(broken: dict) -> None:
    item = {**fake().activity("a1", DAY, "walk"), **broken}
    with pytest.raises(ProviderMalformedResponse, match="activities"):
        provider().normalise(DataType.ACTIVITIES, item)


# -- daily -----------------------------------------------------------------------------------------


def test_a_daily_summary_counts_fairly_and_very_active_minutes() -> None:
    stored = fake().daily_summary("a1", DAY)
    item = {
        **{k: v for k, v in stored.items() if k != "date"},
        "activities": [],
        "fithub_date": "2024-03-05",
    }
    (day,) = normalise(DataType.DAILY, item)
    summary = stored["summary"]
    assert isinstance(day, DailySummary) and day.day == DAY
    assert day.source.external_id == "2024-03-05"
    assert day.steps == summary["steps"] and day.total_calories_kcal == summary["caloriesOut"]
    assert day.active_calories_kcal == summary["activityCalories"]
    assert day.active_minutes == summary["fairlyActiveMinutes"] + summary["veryActiveMinutes"]
    assert day.distance_m == pytest.approx(summary["distances"][0]["distance"] * 1000)
    assert day.resting_heart_rate_bpm == summary["restingHeartRate"] and day.score is None


def test_a_daily_summary_without_optional_fields_says_none() -> None:
    item = {"summary": {"steps": 0, "caloriesOut": 1650}, "fithub_date": "2024-03-05"}
    (day,) = normalise(DataType.DAILY, item)
    assert day.steps == 0 and day.distance_m is None and day.active_minutes is None
    assert day.resting_heart_rate_bpm is None
    with pytest.raises(ProviderMalformedResponse):
        provider().normalise(DataType.DAILY, {"fithub_date": "2024-03-05"})
    with pytest.raises(ProviderMalformedResponse):
        provider().normalise(DataType.DAILY, {"summary": {"steps": 1}})


# -- heart rate ------------------------------------------------------------------------------------


def test_a_heart_rate_entry_is_a_sample_at_its_utc_instant() -> None:
    item = {"time": "23:59:00", "value": 64, "fithub_date": "2024-03-05", "fithub_timezone": "UTC"}
    (sample,) = normalise(DataType.HEART_RATE, item)
    assert isinstance(sample, Sample) and sample.kind is SampleKind.HEART_RATE
    assert sample.time == datetime(2024, 3, 5, 23, 59, tzinfo=UTC) and sample.value == 64
    assert sample.source.external_id == "2024-03-05T23:59:00+00:00"


def test_a_heart_rate_entry_in_local_time_is_moved_to_utc() -> None:
    item = {
        "time": "08:00:00",
        "value": 70,
        "fithub_date": "2024-03-05",
        "fithub_utc_offset_ms": "3600000",
    }
    (sample,) = normalise(DataType.HEART_RATE, item)
    assert sample.time == datetime(2024, 3, 5, 7, tzinfo=UTC)
    with pytest.raises(ProviderMalformedResponse):
        provider().normalise(DataType.HEART_RATE, {**item, "value": None})
    with pytest.raises(ProviderMalformedResponse):
        provider().normalise(DataType.HEART_RATE, {**item, "time": "25:00:00"})


# -- sleep -----------------------------------------------------------------------------------------


def test_a_stages_night_has_its_stages_in_local_time() -> None:
    item = {**fake().sleep_log("a1", DAY, nap=False), "fithub_timezone": LA}
    (session,) = normalise(DataType.SLEEP, item)
    assert isinstance(session, SleepSession) and not session.is_nap and session.day == DAY
    assert session.start.utcoffset() == timedelta(hours=-8)
    assert session.end - session.start == timedelta(milliseconds=item["duration"])
    assert (
        session.stages[0].stage is SleepStageKind.AWAKE and session.stages[0].start == session.start
    )
    assert session.stages[-1].end == session.end
    assert {s.stage for s in session.stages} == {SleepStageKind.AWAKE, SleepStageKind.LIGHT,
                                                  SleepStageKind.DEEP, SleepStageKind.REM}  # fmt: skip
    summary = item["levels"]["summary"]
    assert session.deep_s == summary["deep"]["minutes"] * 60
    assert session.rem_s == summary["rem"]["minutes"] * 60
    assert (
        session.asleep_s == item["minutesAsleep"] * 60
        and session.awake_s == item["minutesAwake"] * 60
    )
    assert session.efficiency == item["efficiency"]


def test_a_classic_nap_maps_restless_to_awake() -> None:
    item = {**fake().sleep_log("a1", DAY, nap=True), "fithub_timezone": LA}
    (session,) = normalise(DataType.SLEEP, item)
    assert session.is_nap and session.deep_s is None and session.rem_s is None
    kinds = {s.stage for s in session.stages}
    assert kinds == {SleepStageKind.ASLEEP, SleepStageKind.AWAKE}
    levels = [e["level"] for e in item["levels"]["data"]]
    assert "restless" in levels
    awake = [s for s in session.stages if s.stage is SleepStageKind.AWAKE]
    assert len(awake) == levels.count("restless") + levels.count("awake")


def test_a_sleep_without_end_time_uses_its_duration_and_unknown_levels_are_skipped() -> None:
    item = {"logId": 1, "startTime": "2024-03-04T23:00:00.000", "duration": 3_600_000,
            "type": "stages", "dateOfSleep": "2024-03-05",
            "levels": {"data": [{"dateTime": "2024-03-04T23:00:00.000", "level": "light", "seconds": 1800},
                                {"dateTime": "2024-03-04T23:30:00.000", "level": "dreaming", "seconds": 1800}],
                       "summary": {"wake": {"minutes": 3}}}}  # fmt: skip
    (session,) = normalise(DataType.SLEEP, item)
    assert session.start.tzinfo is UTC  # no zone known: UTC
    assert session.end == session.start + timedelta(hours=1)
    assert len(session.stages) == 1 and session.awake_s == 180 and session.is_nap is False


def test_an_unreadable_sleep_is_malformed() -> None:
    item = fake().sleep_log("a1", DAY, nap=False)
    for broken in ({"startTime": None}, {"endTime": None, "duration": None},
                   {"levels": {"data": ["light"]}}):  # fmt: skip
        with pytest.raises(ProviderMalformedResponse, match="sleep"):
            provider().normalise(DataType.SLEEP, {**item, **broken})


# -- body ------------------------------------------------------------------------------------------


def test_a_weigh_in_gives_weight_bmi_and_fat_under_one_id() -> None:
    item = {**fake().weight_log("a1", DAY), "fithub_timezone": LA}
    records = normalise(DataType.BODY, item)
    assert all(isinstance(r, BodyMeasurement) for r in records)
    by_kind = {r.kind: r for r in records}
    assert set(by_kind) == {BodyKind.WEIGHT, BodyKind.BMI, BodyKind.BODY_FAT}
    assert by_kind[BodyKind.WEIGHT].value == item["weight"]
    assert (
        by_kind[BodyKind.BODY_FAT].value == item["fat"]
        and by_kind[BodyKind.BMI].value == item["bmi"]
    )
    assert {r.source.external_id for r in records} == {str(item["logId"])}
    moment = by_kind[BodyKind.WEIGHT].time
    assert moment.astimezone(UTC) == datetime.fromtimestamp(item["logId"] / 1000, UTC)


def test_a_weight_without_time_or_fat_is_filed_at_the_days_end() -> None:
    item = {"logId": 5, "date": "2024-03-05", "weight": 80.5, "source": "API"}
    (weight,) = normalise(DataType.BODY, item)
    assert weight.kind is BodyKind.WEIGHT and weight.time == datetime(
        2024, 3, 5, 23, 59, 59, tzinfo=UTC
    )
    with pytest.raises(ProviderMalformedResponse):
        provider().normalise(DataType.BODY, {**item, "weight": None})


# -- windows and errors ----------------------------------------------------------------------------


def test_local_days_of_a_window() -> None:
    from zoneinfo import ZoneInfo

    start = datetime(2024, 3, 5, 6, tzinfo=UTC)  # 22:00 on the 4th in Los Angeles
    assert local_days(start, start + timedelta(hours=2), ZoneInfo(LA)) == (
        date(2024, 3, 4),
        date(2024, 3, 4),
    )  # ends at midnight, which is not part of it
    assert local_days(start, start + timedelta(hours=3), ZoneInfo(LA)) == (
        date(2024, 3, 4),
        date(2024, 3, 5),
    )
    assert local_days(start, start, UTC) is None
    midnight = datetime(2024, 3, 6, tzinfo=UTC)
    assert local_days(midnight - timedelta(days=1), midnight, UTC) == (
        date(2024, 3, 5),
        date(2024, 3, 5),
    )


def test_error_types_never_carry_the_message() -> None:
    body = {"errors": [{"errorType": "expired_token", "message": "Access token expired: eyJabc"}],
            "success": False}  # fmt: skip
    assert error_types(json.dumps(body)) == "expired_token"
    assert error_types("<html>oops eyJabc</html>") == "no error body"
    assert error_types("{}") == "no errorType"


def test_an_unknown_data_type_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="does not offer"):
        provider().normalise(DataType.SPO2, {})


# -- webhooks --------------------------------------------------------------------------------------


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(f"{secret}&".encode(), body, hashlib.sha1).digest()
    return {"x-fitbit-signature": base64.b64encode(digest).decode()}


def post(body: bytes, headers: dict[str, str]) -> PushRequest:
    return PushRequest("POST", headers, {}, body)


async def test_subscriber_verification_answers_204_or_404() -> None:
    fitbit = provider(verify_code="abc")
    good = await fitbit.handle_push(PushRequest("GET", {}, {"verify": "abc"}, b""))
    assert good.status == 204 and good.events == () and good.body is None
    wrong = await fitbit.handle_push(PushRequest("GET", {}, {"verify": "abd"}, b""))
    assert wrong.status == 404 and wrong.events == ()  # Fitbit sends a wrong code on purpose
    with pytest.raises(ProviderError, match="no verify code"):
        await fitbit.handle_push(PushRequest("GET", {}, {}, b""))
    with pytest.raises(ProviderError, match="no verify_code is configured"):
        await provider().handle_push(PushRequest("GET", {}, {"verify": "abc"}, b""))


async def test_a_signed_notification_becomes_events_for_its_day() -> None:
    notes = [FakeFitbit.notification("GGNJL9", "activities", "2024-03-05"),
             FakeFitbit.notification("GGNJL9", "sleep", "2024-03-05"),
             FakeFitbit.notification("GGNJL9", "body", "2024-03-04"),
             FakeFitbit.notification("GGNJL9", "foods", "2024-03-05")]  # fmt: skip
    body = json.dumps(notes).encode()
    result = await provider().handle_push(post(body, signed(body)))
    assert result.status == 204 and result.body is None
    kinds = [(e.data_type, e.action, e.external_user_id) for e in result.events]
    assert kinds == [(DataType.ACTIVITIES, "upsert", "GGNJL9"), (DataType.DAILY, "upsert", "GGNJL9"),
                     (DataType.HEART_RATE, "upsert", "GGNJL9"), (DataType.SLEEP, "upsert", "GGNJL9"),
                     (DataType.BODY, "upsert", "GGNJL9")]  # fmt: skip
    sleep = result.events[3]
    assert sleep.start == datetime(2024, 3, 4, 10, tzinfo=UTC)  # 2024-03-05 00:00 at UTC+14
    assert sleep.end == datetime(2024, 3, 6, 12, tzinfo=UTC)  # 2024-03-06 00:00 at UTC-12


async def test_the_fakes_signed_push_verifies() -> None:
    headers, body = FakeFitbit.__new__(FakeFitbit).signed_push(
        [FakeFitbit.notification("u1", "body", "2024-03-05")], secret=SECRET
    )
    result = await provider().handle_push(post(body, headers))
    assert [e.data_type for e in result.events] == [DataType.BODY]


def test_a_notification_of_today_ends_now() -> None:
    now = datetime(2024, 3, 5, 18, 30, 15, 123, tzinfo=UTC)
    start, end = push_window(date(2024, 3, 5), now)
    assert start == datetime(2024, 3, 4, 10, tzinfo=UTC) and end == now.replace(microsecond=0)
    later = push_window(date(2024, 3, 5), now + timedelta(hours=2))
    assert later[1] > end  # a later notification of the same day is not a duplicate
    ahead = push_window(date(2024, 3, 7), now)
    assert ahead[1] == ahead[0] + timedelta(seconds=1)


async def test_revoked_access_and_deleted_users_deauthorize() -> None:
    notes = [{"collectionType": "userRevokedAccess", "date": "2020-06", "ownerId": "A1",
              "ownerType": "user", "subscriptionId": "1"},
             {"collectionType": "deleteUser", "date": "2021-10-11", "ownerId": "B2",
              "ownerType": "user", "subscriptionId": "2"}]  # fmt: skip
    body = json.dumps(notes).encode()
    result = await provider().handle_push(post(body, signed(body)))
    assert [(e.external_user_id, e.action, e.data_type) for e in result.events] == [
        ("A1", "deauthorize", None),
        ("B2", "deauthorize", None),
    ]


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-fitbit-signature": ""}, {"x-fitbit-signature": "bm90IGl0"}],
)
async def test_an_unsigned_or_forged_notification_is_refused(headers: dict[str, str]) -> None:
    body = json.dumps([FakeFitbit.notification("u1", "sleep", "2024-03-05")]).encode()
    with pytest.raises(ProviderError, match="signature"):
        await provider().handle_push(post(body, headers))


async def test_a_notification_signed_with_another_secret_or_altered_is_refused() -> None:
    body = json.dumps([FakeFitbit.notification("u1", "sleep", "2024-03-05")]).encode()
    with pytest.raises(ProviderError, match="signature"):
        await provider().handle_push(post(body, signed(body, secret="other")))
    with pytest.raises(ProviderError, match="signature"):
        await provider().handle_push(post(body.replace(b"u1", b"u2"), signed(body)))
    with pytest.raises(ProviderError, match="signature"):  # Fitbit's key is the secret plus "&"
        digest = hmac.new(SECRET.encode(), body, hashlib.sha1).digest()
        await provider().handle_push(
            post(body, {"x-fitbit-signature": base64.b64encode(digest).decode()})
        )


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"collectionType": "sleep"}',
        b'["sleep"]',
        b'[{"collectionType": "sleep"}]',
        b'[{"collectionType": "sleep", "ownerId": "u1", "date": "yesterday"}]',
    ],  # fmt: skip
)
async def test_a_signed_but_unreadable_notification_is_malformed(body: bytes) -> None:
    with pytest.raises(ProviderMalformedResponse):
        await provider().handle_push(post(body, signed(body)))


async def test_other_methods_and_an_empty_batch() -> None:
    with pytest.raises(ProviderError):
        await provider().handle_push(PushRequest("PUT", {}, {}, b"[]"))
    empty = await provider().handle_push(post(b"[]", signed(b"[]")))
    assert empty.status == 204 and empty.events == ()
