"""Google Health data points -> records, and Google Health webhook parsing: no I/O."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta

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
    validate_record,
)
from fithub.plugins.errors import ProviderError, ProviderMalformedResponse, ProviderRateLimited
from fithub.plugins.google import GoogleHealthProvider, daily_range, list_filter
from fithub.plugins.google.client import GoogleHTTP
from fithub.plugins.google.const import LISTS
from fithub.plugins.google.mapping import merge_rollups, moment
from fithub.plugins.testing.fakes.google import NIGHT, FakeGoogle
from fithub.plugins.types import PushRequest

DAY = date(2024, 3, 5)
SECRET = "Bearer s3cret"
T0 = datetime(2024, 3, 5, 8, 0, tzinfo=UTC)


def provider(**options: str) -> GoogleHealthProvider:
    credentials = AppCredentials("id", "shh", "http://x/cb", options=options)
    return GoogleHealthProvider(ProviderContext(None, credentials, logging.getLogger("t")))  # type: ignore[arg-type]


def test_timestamps_with_nanoseconds_and_z_are_read_as_utc() -> None:
    assert moment("2024-03-05T08:00:00.123456789Z") == datetime(2024, 3, 5, 8, 0, 0, 123456,
                                                                tzinfo=UTC)  # fmt: skip
    assert moment("2024-03-05T09:00:00+01:00") == T0
    assert moment("2024-03-05T08:00:00.5Z").microsecond == 500000
    with pytest.raises(ValueError):
        moment("")


def test_an_exercise_becomes_an_activity_in_metres_with_int64_strings_read() -> None:
    item = FakeGoogle.exercise("a1", DAY)
    (activity,) = provider().normalise(DataType.ACTIVITIES, item)
    assert isinstance(activity, Activity)
    validate_record(activity, "google")
    summary = item["exercise"]["metricsSummary"]
    assert activity.source.external_id == item["name"].rsplit("/", 1)[1]
    assert activity.source.device == "Pixel Watch 3"
    assert activity.sport == item["exercise"]["exerciseType"].lower()
    assert activity.distance_m == pytest.approx(summary["distanceMillimeters"] / 1000)
    assert activity.steps == int(summary["steps"]) and isinstance(activity.steps, int)
    assert activity.avg_heart_rate_bpm == float(summary["averageHeartRateBeatsPerMinute"])
    assert activity.start == datetime(2024, 3, 5, 17, tzinfo=UTC)
    assert activity.detected is (item["dataSource"]["recordingMethod"] == "PASSIVELY_MEASURED")
    assert activity.raw == item


def test_an_exercise_without_a_name_or_summary_is_identified_by_its_start() -> None:
    item = FakeGoogle.exercise("a1", DAY)
    del item["name"], item["exercise"]["metricsSummary"]
    item["exercise"]["exerciseType"] = "EXERCISE_TYPE_UNSPECIFIED"
    (activity,) = provider().normalise(DataType.ACTIVITIES, item)
    assert isinstance(activity, Activity)
    assert activity.source.external_id == "2024-03-05T17:00:00+00:00"
    assert activity.sport == "other" and activity.calories_kcal is None
    assert activity.distance_m is None and activity.steps is None


def test_a_night_has_its_stages_summary_in_seconds_and_the_wake_up_day() -> None:
    item = FakeGoogle.sleep("a1", DAY, offset=-18000)  # UTC-5: woke at 01:00 local on DAY
    (session,) = provider().normalise(DataType.SLEEP, item)
    assert isinstance(session, SleepSession)
    validate_record(session, "google")
    assert session.day == DAY and not session.is_nap
    assert len(session.stages) == len(NIGHT)
    assert session.stages[0].stage == "awake" and session.stages[0].start == session.start
    assert session.stages[-1].end == session.end
    total_min = sum(m for _, m in NIGHT)
    awake_min = sum(m for kind, m in NIGHT if kind == "AWAKE")
    assert session.asleep_s == (total_min - awake_min) * 60
    assert session.deep_s == sum(m for kind, m in NIGHT if kind == "DEEP") * 60
    assert session.latency_s == NIGHT[0][1] * 60
    assert session.efficiency == pytest.approx(100 * (total_min - awake_min) / total_min)


def test_a_classic_nap_maps_restless_to_awake_and_skips_unknown_stages() -> None:
    item = FakeGoogle.sleep("a1", DAY)
    value = item["sleep"]
    value["metadata"] = {"nap": True}
    value["type"] = "CLASSIC"
    value["stages"][1]["type"] = "RESTLESS"
    value["stages"][2]["type"] = "SLEEP_STAGE_TYPE_UNSPECIFIED"
    del value["summary"]
    (nap,) = provider().normalise(DataType.SLEEP, item)
    assert isinstance(nap, SleepSession) and nap.is_nap
    assert nap.stages[1].stage == "awake" and len(nap.stages) == len(NIGHT) - 1
    assert nap.asleep_s is None and nap.efficiency is None  # not said, not zero


def test_heart_rate_is_a_sample_identified_by_its_instant_with_its_motion_context() -> None:
    item = FakeGoogle.heart_rate("a1", datetime(2024, 3, 5, 3, 0, tzinfo=UTC), offset=3600)
    (sample,) = provider().normalise(DataType.HEART_RATE, item)
    assert isinstance(sample, Sample) and sample.kind is SampleKind.HEART_RATE
    assert sample.source.external_id == "2024-03-05T03:00:00+00:00"
    assert sample.value == float(item["heartRate"]["beatsPerMinute"])
    assert sample.context == "rest"


def test_weight_in_grams_becomes_kilograms_and_body_fat_stays_percent() -> None:
    weight = FakeGoogle.weight("a1", T0)
    fat = FakeGoogle.body_fat("a1", T0)
    (kg,) = provider().normalise(DataType.BODY, weight)
    (percent,) = provider().normalise(DataType.BODY, fat)
    assert isinstance(kg, BodyMeasurement) and isinstance(percent, BodyMeasurement)
    assert kg.kind is BodyKind.WEIGHT and kg.value == weight["weight"]["weightGrams"] / 1000
    assert percent.kind is BodyKind.BODY_FAT and percent.value == fat["bodyFat"]["percentage"]
    assert kg.source.external_id == percent.source.external_id  # told apart by kind
    assert kg.source.device == "Aria Air"


def test_hrv_and_spo2_samples_and_an_sdnn_only_hrv_gives_nothing() -> None:
    hrv = FakeGoogle.hrv("a1", T0)
    (rmssd,) = provider().normalise(DataType.HRV, hrv)
    assert isinstance(rmssd, Sample) and rmssd.kind is SampleKind.HRV_RMSSD
    assert rmssd.value == hrv["heartRateVariability"][
        "rootMeanSquareOfSuccessiveDifferencesMilliseconds"]  # fmt: skip
    del hrv["heartRateVariability"]["rootMeanSquareOfSuccessiveDifferencesMilliseconds"]
    assert provider().normalise(DataType.HRV, hrv) == []
    (spo2,) = provider().normalise(DataType.SPO2, FakeGoogle.spo2("a1", T0))
    assert isinstance(spo2, Sample) and spo2.kind is SampleKind.SPO2 and 94 <= spo2.value <= 99


def _rollup(day: date, **member: object) -> dict[str, object]:
    civil = {"date": {"year": day.year, "month": day.month, "day": day.day}}
    return {"civilStartTime": civil, "civilEndTime": civil, **member}


def test_rollups_of_several_metrics_merge_into_one_summary_per_local_day() -> None:
    other = DAY + timedelta(days=1)
    points = [
        _rollup(DAY, steps={"countSum": "8123"}),
        _rollup(other, steps={"countSum": "10"}),
        _rollup(DAY, distance={"millimetersSum": "6100500"}),
        _rollup(DAY, totalCalories={"kcalSum": 2301.5}),
        _rollup(DAY, activeEnergyBurned={"kcalSum": 412.25}),
        _rollup(DAY, activeMinutes={"activeMinutesRollupByActivityLevel": [
            {"activityLevel": "LIGHT", "activeMinutesSum": "120"},
            {"activityLevel": "VIGOROUS", "activeMinutesSum": "15"}]}),
    ]  # fmt: skip
    first, second = merge_rollups(points)
    (day,) = provider().normalise(DataType.DAILY, first)
    assert isinstance(day, DailySummary)
    assert (day.day, day.source.external_id) == (DAY, "2024-03-05")
    assert day.steps == 8123 and day.distance_m == pytest.approx(6100.5)
    assert day.total_calories_kcal == 2301.5 and day.active_calories_kcal == 412.25
    assert day.active_minutes == 135
    (partial,) = provider().normalise(DataType.DAILY, second)
    assert isinstance(partial, DailySummary)
    assert partial.steps == 10 and partial.distance_m is None and partial.active_minutes is None
    assert provider().normalise(DataType.DAILY, _rollup(DAY)) == []  # nothing measured


@pytest.mark.parametrize(
    ("data_type", "item"),
    [
        (DataType.ACTIVITIES, {"exercise": {"exerciseType": "RUNNING",
                                            "interval": {"startTime": "yesterday"}}}),
        (DataType.SLEEP, {"sleep": {"interval": {"startTime": "2024-03-05T01:00:00Z"}}}),
        (DataType.HEART_RATE, {"heartRate": {"beatsPerMinute": "many",
                                             "sampleTime": {"physicalTime": "2024-03-05T01:00:00Z"}}}),
        (DataType.BODY, {"steps": {}}),
        (DataType.SPO2, {"oxygenSaturation": {"sampleTime": {}}}),
        (DataType.DAILY, {"steps": {"countSum": "1"}}),
        (DataType.DAILY, {**_rollup(DAY), "activeMinutes": {
            "activeMinutesRollupByActivityLevel": "lots"}}),
    ],
)  # fmt: skip
def test_an_unreadable_item_is_a_malformed_response(data_type: DataType, item: dict) -> None:
    with pytest.raises(ProviderMalformedResponse, match=str(data_type)):
        provider().normalise(data_type, item)


def test_filters_use_the_documented_field_of_each_kind_of_type() -> None:
    start, end = T0, T0 + timedelta(days=1)
    exercise, sleep, heart = LISTS[DataType.ACTIVITIES][0], LISTS[DataType.SLEEP][0], LISTS[
        DataType.HEART_RATE][0]  # fmt: skip
    assert list_filter(heart, start, end) == (
        'heart_rate.sample_time.physical_time >= "2024-03-05T08:00:00Z" AND '
        'heart_rate.sample_time.physical_time < "2024-03-06T08:00:00Z"')  # fmt: skip
    assert list_filter(sleep, start, end).startswith('sleep.interval.end_time >= "2024-03-05T08')
    # exercise can only be filtered by local start time: widen by the extreme UTC offsets
    assert list_filter(exercise, start, end) == (
        'exercise.interval.civil_start_time >= "2024-03-04T20:00:00" AND '
        'exercise.interval.civil_start_time < "2024-03-06T22:00:00"')  # fmt: skip
    assert daily_range(start, end) == (date(2024, 3, 4), date(2024, 3, 7))


def test_a_429_without_retry_after_takes_the_retry_info_delay() -> None:
    http = GoogleHTTP(None, "Google Health")  # type: ignore[arg-type]
    body = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded",
                      "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                   "retryDelay": "12.5s"}]}}  # fmt: skip
    with pytest.raises(ProviderRateLimited) as raised:
        http.check_status("GET", "https://h/v4/x", 429, {}, json.dumps(body))
    assert raised.value.retry_after == 12.5
    with pytest.raises(ProviderRateLimited) as header_wins:
        http.check_status("GET", "https://h/v4/x", 429, {"Retry-After": "3"}, json.dumps(body))
    assert header_wins.value.retry_after == 3
    del body["error"]["details"]
    with pytest.raises(ProviderRateLimited) as bare:
        http.check_status("GET", "https://h/v4/x", 429, {}, json.dumps(body))
    assert bare.value.retry_after is None


def test_the_error_envelope_names_the_status_in_the_message() -> None:
    http = GoogleHTTP(None, "Google Health")  # type: ignore[arg-type]
    body = {"error": {"code": 403, "status": "PERMISSION_DENIED",
                      "message": "Request had insufficient authentication scopes."}}  # fmt: skip
    with pytest.raises(ProviderError, match="403 .*PERMISSION_DENIED: Request had insuff") as e:
        http.check_status("GET", "https://h/v4/x?filter=secret", 403, {}, json.dumps(body))
    assert type(e.value) is ProviderError and "secret" not in str(e.value)


# -- webhooks ------------------------------------------------------------------------------------


def push(body: object, authorization: str | None = SECRET) -> PushRequest:
    headers = {"content-type": "application/json", "x-healthapi-signature": "MEUCIQ=="}
    if authorization is not None:
        headers["authorization"] = authorization
    return PushRequest("POST", headers, {}, json.dumps(body).encode())


def note(kind: str, operation: str = "UPSERT", user: str = "hu-1",
         start: str = "2024-03-05T01:29:00Z", end: str = "2024-03-05T01:34:00Z") -> dict:  # fmt: skip
    return {"data": {"version": "1", "healthUserId": user, "operation": operation,
                     "dataType": kind, "intervals": [{"physicalTimeInterval": {
                         "startTime": start, "endTime": end}}]}}  # fmt: skip


async def test_the_verification_handshake_wants_201_with_the_secret_and_401_without() -> None:
    google = provider(webhook_secret=SECRET)
    ok = await google.handle_push(push({"type": "verification"}))
    assert ok.status == 201 and not ok.events
    missing = await google.handle_push(push({"type": "verification"}, authorization=None))
    assert missing.status == 401 and not missing.events
    wrong = await google.handle_push(push({"type": "verification"}, authorization="Bearer no"))
    assert wrong.status == 403 and not wrong.events


async def test_a_notification_with_the_secret_becomes_windowed_events() -> None:
    body = [note("sleep", start="2024-03-04T23:00:00Z", end="2024-03-05T06:00:00Z"),
            note("steps"), note("distance", start="2024-03-05T01:00:00Z"),
            note("heart-rate", "DELETE"), note("floors"), note("total_calories", "DELETE")]  # fmt: skip
    result = await provider(webhook_secret=SECRET).handle_push(push(body))
    assert result.status == 204
    events = {(e.data_type, e.action): e for e in result.events}
    assert set(events) == {(DataType.SLEEP, "upsert"), (DataType.DAILY, "upsert"),
                           (DataType.HEART_RATE, "delete")}  # floors: not synced  # fmt: skip
    daily = events[DataType.DAILY, "upsert"]  # steps, distance and a deleted total merged
    assert daily.external_user_id == "hu-1" and daily.object_id is None
    assert (daily.start, daily.end) == (datetime(2024, 3, 5, 1, 0, tzinfo=UTC),
                                        datetime(2024, 3, 5, 1, 34, tzinfo=UTC))  # fmt: skip
    deleted = events[DataType.HEART_RATE, "delete"]
    assert deleted.start == datetime(2024, 3, 5, 1, 29, tzinfo=UTC)


async def test_a_single_notification_object_and_one_without_intervals_are_read() -> None:
    body = note("weight")
    del body["data"]["intervals"]
    (event,) = (await provider(webhook_secret=SECRET).handle_push(push(body))).events
    assert (event.data_type, event.action, event.start, event.end) == (
        DataType.BODY, "upsert", None, None)  # fmt: skip


@pytest.mark.parametrize("authorization", [None, "Bearer s3cre", "bearer s3cret", ""])
async def test_a_notification_without_the_secret_is_refused(authorization: str | None) -> None:
    with pytest.raises(ProviderError, match="Authorization"):
        await provider(webhook_secret=SECRET).handle_push(push([note("steps")], authorization))


async def test_without_a_configured_secret_nothing_is_accepted() -> None:
    with pytest.raises(ProviderError, match="webhook_secret"):
        await provider().handle_push(push({"type": "verification"}))


@pytest.mark.parametrize(
    "body",
    [
        [{"nodata": True}],
        [note("steps", operation="MERGE")],
        [{"data": {"operation": "UPSERT", "dataType": "steps"}}],
        [note("steps", start="noon")],
        [{"data": {**note("steps")["data"], "intervals": "all"}}],
    ],
)
async def test_an_unreadable_notification_is_malformed(body: object) -> None:
    with pytest.raises(ProviderMalformedResponse):
        await provider(webhook_secret=SECRET).handle_push(push(body))


async def test_a_body_that_is_not_json_is_malformed_only_when_authorised() -> None:
    google = provider(webhook_secret=SECRET)
    garbage = PushRequest("POST", {"authorization": SECRET}, {}, b"<html>")
    with pytest.raises(ProviderMalformedResponse):
        await google.handle_push(garbage)
    with pytest.raises(ProviderError, match="Authorization"):
        await google.handle_push(PushRequest("POST", {}, {}, b"<html>"))


async def test_the_fake_builds_pushes_the_provider_accepts() -> None:
    fake = FakeGoogle()
    google = provider(webhook_secret=fake.webhook_secret)
    start = datetime(2024, 3, 5, tzinfo=UTC)
    request = fake.push_request(fake.notification("acc", "exercise", start, start + timedelta(1)))
    (event,) = (await google.handle_push(request)).events
    assert (event.external_user_id, event.data_type) == ("acc", DataType.ACTIVITIES)
    assert (await google.handle_push(fake.push_request(verification=True))).status == 201
    assert (await google.handle_push(fake.push_request(verification=True, secret=""))).status == 401
