"""Garmin summaries -> records, and Garmin webhook parsing: pure functions, no I/O."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from fithub.plugins import (
    Activity,
    AppCredentials,
    BodyMeasurement,
    DailySummary,
    DataType,
    ProviderContext,
    Sample,
    SampleKind,
    SleepSession,
    validate_record,
)
from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.garmin import GarminProvider
from fithub.plugins.records import BodyKind, SleepStageKind
from fithub.plugins.testing.fakes.garmin import OFFSET_S, UPLOAD, FakeGarmin
from fithub.plugins.types import PushRequest

DAY = date(2024, 1, 15)
CLIENT = "consumer-key-1"


TOKEN = "cb-0123456789abcdef"  # the secret ?token= of the registered callback URLs


def provider(**options: str) -> GarminProvider:
    options = {"callback_token": TOKEN} if not options else options
    credentials = AppCredentials(CLIENT, "shh", "http://x/cb", options=options)
    return GarminProvider(ProviderContext(None, credentials, logging.getLogger("t")))  # type: ignore[arg-type]


def public(item: dict[str, Any]) -> dict[str, Any]:
    return FakeGarmin._public(item)


def records(data_type: DataType, item: dict[str, Any]) -> list[Any]:
    produced = provider().normalise(data_type, item)
    for record in produced:
        validate_record(record, "garmin")
    return produced


def test_a_daily_is_filed_under_its_calendar_date() -> None:
    item = public(FakeGarmin.daily("u1", DAY))
    (day,) = records(DataType.DAILY, item)
    assert isinstance(day, DailySummary) and day.day == DAY
    assert day.source.external_id == "2024-01-15"  # stable whatever the summaryId
    assert day.steps == item["steps"] and day.distance_m == item["distanceInMeters"]
    assert day.active_calories_kcal == item["activeKilocalories"]
    assert day.total_calories_kcal == item["activeKilocalories"] + item["bmrKilocalories"]
    assert day.active_minutes == pytest.approx(item["activeTimeInSeconds"] / 60)
    assert day.resting_heart_rate_bpm == item["restingHeartRateInBeatsPerMinute"]
    assert day.raw == item


def test_a_sparse_daily_keeps_none_for_what_garmin_did_not_say() -> None:
    item = {"summaryId": "s", "calendarDate": "2024-01-15", "startTimeInSeconds": 1705294800,
            "moderateIntensityDurationInSeconds": 600, "vigorousIntensityDurationInSeconds": 300,
            "activeKilocalories": 120}  # fmt: skip
    (day,) = records(DataType.DAILY, item)
    assert day.steps is None and day.distance_m is None and day.total_calories_kcal is None
    assert day.active_minutes == 15  # moderate + vigorous when activeTime is absent
    assert records(DataType.HEART_RATE, item) == []  # no samples, no records


def test_heart_rate_samples_come_from_the_daily_offsets() -> None:
    item = public(FakeGarmin.daily("u1", DAY))
    samples = records(DataType.HEART_RATE, item)
    given = {k: v for k, v in item["timeOffsetHeartRateSamples"].items() if v is not None}
    assert len(samples) == len(given) and all(isinstance(s, Sample) for s in samples)
    first = samples[0]
    assert first.kind is SampleKind.HEART_RATE and first.value == given["0"]
    # startTimeInSeconds is the user's local midnight (UTC-5) as an epoch: 05:00 UTC.
    assert first.time == datetime(2024, 1, 15, 5, 0, tzinfo=UTC)
    assert first.source.external_id == "2024-01-15T05:00:00+00:00"
    assert samples[1].time - first.time == timedelta(minutes=15)
    assert [s.time for s in samples] == sorted(s.time for s in samples)


def test_an_activity_keeps_the_wearers_offset_and_units() -> None:
    item = public(FakeGarmin.activity("u1", DAY))
    (run,) = records(DataType.ACTIVITIES, item)
    assert isinstance(run, Activity)
    assert run.source.external_id == item["summaryId"] and run.source.device == "forerunner265"
    assert run.start.utcoffset() == timedelta(seconds=OFFSET_S)
    assert (run.start.hour, run.start.date()) == (18, DAY)  # 18:00 local
    assert run.end - run.start == timedelta(seconds=2700)
    assert run.sport == item["activityType"].lower() and run.name == item["activityName"]
    assert run.distance_m == item["distanceInMeters"]
    assert run.calories_kcal == item["activeKilocalories"]
    assert run.avg_heart_rate_bpm == item["averageHeartRateInBeatsPerMinute"]


def test_an_activity_without_an_offset_is_in_utc() -> None:
    item = {"summaryId": "7", "activityType": "STREET_RUNNING", "startTimeInSeconds": 1705341600,
            "durationInSeconds": 60}  # fmt: skip
    (run,) = records(DataType.ACTIVITIES, item)
    assert run.start == datetime(2024, 1, 15, 18, 0, tzinfo=UTC) and run.sport == "street_running"
    assert run.steps is None and run.name is None and run.source.device is None


def test_a_night_of_sleep_has_its_stages_in_order() -> None:
    item = public(FakeGarmin.sleep("u1", DAY))
    (night,) = records(DataType.SLEEP, item)
    assert isinstance(night, SleepSession)
    assert night.source.external_id == "2024-01-15" and night.day == DAY
    assert night.end - night.start == timedelta(hours=8)
    assert night.start.utcoffset() == timedelta(seconds=OFFSET_S) and night.start.hour == 23
    assert night.deep_s == item["deepSleepDurationInSeconds"]
    assert night.asleep_s == (item["deepSleepDurationInSeconds"]
                              + item["lightSleepDurationInSeconds"] + item["remSleepInSeconds"])  # fmt: skip
    assert night.awake_s == item["awakeDurationInSeconds"]
    kinds = {stage.stage for stage in night.stages}
    assert kinds == {SleepStageKind.DEEP, SleepStageKind.LIGHT, SleepStageKind.REM,
                     SleepStageKind.AWAKE}  # fmt: skip
    assert [s.start for s in night.stages] == sorted(s.start for s in night.stages)
    assert night.stages[0].start == night.start and night.stages[-1].end == night.end


def test_unknown_sleep_levels_are_skipped() -> None:
    item = {"calendarDate": "2024-01-15", "startTimeInSeconds": 1705291200,
            "durationInSeconds": 600, "sleepLevelsMap": {
                "unmeasurable": [{"startTimeInSeconds": 1705291200, "endTimeInSeconds": 1705291500}],
                "light": [{"startTimeInSeconds": 1705291500, "endTimeInSeconds": 1705291800}]}}  # fmt: skip
    (night,) = records(DataType.SLEEP, item)
    assert [s.stage for s in night.stages] == [SleepStageKind.LIGHT]
    assert night.asleep_s is None


def test_a_body_composition_becomes_one_measurement_per_value_in_kilograms() -> None:
    item = public(FakeGarmin.body_composition("u1", DAY))
    measured = records(DataType.BODY, item)
    assert all(isinstance(m, BodyMeasurement) for m in measured)
    by_kind = {m.kind: m for m in measured}
    assert set(by_kind) == {BodyKind.WEIGHT, BodyKind.BODY_FAT, BodyKind.MUSCLE_MASS,
                            BodyKind.BONE_MASS, BodyKind.BMI}  # fmt: skip
    assert by_kind[BodyKind.WEIGHT].value == pytest.approx(item["weightInGrams"] / 1000)
    assert by_kind[BodyKind.BONE_MASS].value == pytest.approx(3.1)
    assert by_kind[BodyKind.BODY_FAT].value == item["bodyFatInPercent"]
    assert {m.source.external_id for m in measured} == {item["summaryId"]}
    assert by_kind[BodyKind.WEIGHT].time.timestamp() == item["measurementTimeInSeconds"]


def test_hrv_and_spo2_offsets_become_samples() -> None:
    hrv_item = public(FakeGarmin.hrv("u1", DAY))
    hrv = records(DataType.HRV, hrv_item)
    assert len(hrv) == len(hrv_item["hrvValues"])
    assert all(s.kind is SampleKind.HRV_RMSSD and s.context == "sleep" for s in hrv)
    first = min(hrv_item["hrvValues"], key=int)
    assert hrv[0].time.timestamp() == hrv_item["startTimeInSeconds"] + int(first)
    spo2_item = public(FakeGarmin.pulse_ox("u1", DAY))
    spo2 = records(DataType.SPO2, spo2_item)
    assert len(spo2) == 8 and all(s.kind is SampleKind.SPO2 and 90 <= s.value <= 100 for s in spo2)
    spot = records(DataType.SPO2, {**spo2_item, "onDemand": True})
    assert {s.context for s in spot} == {"on_demand"}


@pytest.mark.parametrize(
    ("data_type", "item"),
    [
        (DataType.DAILY, {"summaryId": "x", "steps": 5}),  # no calendarDate
        (DataType.DAILY, {"calendarDate": "15/01/2024"}),
        (DataType.ACTIVITIES, {"summaryId": "1", "activityType": "RUNNING",
                               "startTimeInSeconds": "noon", "durationInSeconds": 60}),
        (DataType.ACTIVITIES, {"summaryId": "1", "startTimeInSeconds": 1, "durationInSeconds": 1}),
        (DataType.SLEEP, {"calendarDate": "2024-01-15", "startTimeInSeconds": 1}),
        (DataType.SLEEP, {"calendarDate": "2024-01-15", "startTimeInSeconds": 1,
                          "durationInSeconds": 9, "sleepLevelsMap": {"deep": ["x"]}}),
        (DataType.BODY, {"summaryId": "b", "weightInGrams": 70000}),
        (DataType.HEART_RATE, {"calendarDate": "2024-01-15", "startTimeInSeconds": 1,
                               "timeOffsetHeartRateSamples": {"0": "sixty"}}),
        (DataType.SPO2, {"timeOffsetSpo2Values": {"0": 97}}),  # no startTimeInSeconds
        (DataType.HRV, {"calendarDate": "2024-01-15", "hrvValues": [1, 2]}),
    ],
)  # fmt: skip
def test_unreadable_items_are_malformed(data_type: DataType, item: dict[str, Any]) -> None:
    with pytest.raises(ProviderMalformedResponse):
        provider().normalise(data_type, item)


def test_the_fake_never_serves_its_upload_bookkeeping() -> None:
    assert UPLOAD in FakeGarmin.daily("u1", DAY) and UPLOAD not in public(
        FakeGarmin.daily("u1", DAY)
    )


# -- webhooks -------------------------------------------------------------------------------------


def push(body: Any, client_id: str | None = CLIENT, method: str = "POST",
         token: str | None = TOKEN) -> PushRequest:  # fmt: skip
    headers = {"content-type": "application/json"}
    if client_id is not None:
        headers["garmin-client-id"] = client_id
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return PushRequest(method, headers, {"token": token} if token is not None else {}, raw)


async def test_a_ping_asks_for_the_window_in_its_callback_url() -> None:
    url = ("https://apis.garmin.com/wellness-api/rest/sleeps?uploadStartTimeInSeconds=1705291200"
           "&uploadEndTimeInSeconds=1705294800&token=CPT123")  # fmt: skip
    body = {"sleeps": [{"userId": "u1", "callbackURL": url}, {"userId": "u1", "callbackURL": url}],
            "dailies": [{"userId": "u2", "callbackURL": url.replace("sleeps", "dailies")}]}  # fmt: skip
    result = await provider().handle_push(push(body))
    assert result.status == 200
    events = {(e.external_user_id, e.data_type): e for e in result.events}
    assert len(result.events) == 3  # the repeated sleep ping is one event
    sleep = events[("u1", DataType.SLEEP)]
    assert sleep.action == "upsert" and not sleep.items
    assert sleep.start == datetime(2024, 1, 15, 4, 0, tzinfo=UTC)
    assert sleep.end == datetime(2024, 1, 15, 5, 0, tzinfo=UTC)
    assert {("u2", DataType.DAILY), ("u2", DataType.HEART_RATE)} <= set(events)


async def test_a_ping_without_a_window_leaves_it_to_the_look_back() -> None:
    body = {"hrv": [{"userId": "u1", "callbackURL": "https://apis.garmin.com/x?token=1"}]}
    (event,) = (await provider().handle_push(push(body))).events
    assert event.data_type is DataType.HRV and event.start is None and event.end is None


async def test_a_push_carries_the_summaries_grouped_per_user_and_type() -> None:
    first, second = FakeGarmin.activity("u1", DAY), FakeGarmin.activity("u1", DAY + timedelta(1))
    body = {"activities": [{**public(first), "userId": "u1"}, {**public(second), "userId": "u1"}],
            "bodyComps": [{**public(FakeGarmin.body_composition("u2", DAY)), "userId": "u2"}]}  # fmt: skip
    result = await provider().handle_push(push(body))
    events = {(e.external_user_id, e.data_type): e for e in result.events}
    assert set(events) == {("u1", DataType.ACTIVITIES), ("u2", DataType.BODY)}
    activities = events[("u1", DataType.ACTIVITIES)]
    assert [i["summaryId"] for i in activities.items] == [first["summaryId"], second["summaryId"]]
    assert provider().normalise(DataType.ACTIVITIES, activities.items[0])  # as fetch_page's


async def test_a_pushed_daily_feeds_daily_summaries_and_heart_rate() -> None:
    body = {"dailies": [{**public(FakeGarmin.daily("u1", DAY)), "userId": "u1"}]}
    result = await provider().handle_push(push(body))
    assert {e.data_type for e in result.events} == {DataType.DAILY, DataType.HEART_RATE}
    assert all(len(e.items) == 1 for e in result.events)


async def test_deregistrations_and_withdrawn_permissions_deauthorize() -> None:
    body = {"deregistrations": [{"userId": "u1"}],
            "userPermissionsChange": [
                {"userId": "u2", "permissions": [], "changeTimeInSeconds": 1705291200},
                {"userId": "u3", "permissions": ["ACTIVITY_EXPORT"]}]}  # fmt: skip
    result = await provider().handle_push(push(body))
    assert {(e.external_user_id, e.action, e.data_type) for e in result.events} == {
        ("u1", "deauthorize", None), ("u2", "deauthorize", None)}  # fmt: skip


async def test_unsynced_summaries_and_entries_without_a_user_are_acknowledged() -> None:
    body = {"epochs": [{"userId": "u1", "callbackURL": "https://x"}], "stressDetails": [],
            "sleeps": [{"callbackURL": "https://x"}]}  # fmt: skip
    result = await provider().handle_push(push(body))
    assert result.status == 200 and result.events == ()


@pytest.mark.parametrize(
    "request_",
    [
        push({"dailies": []}, client_id=None),
        push({"dailies": []}, client_id="someone-else"),
        push({"dailies": []}, client_id=CLIENT + "x"),
        push({"dailies": []}, method="GET"),
        push({"deregistrations": [{"userId": "u1"}]}, token=None),
        push({"deregistrations": [{"userId": "u1"}]}, token=""),
        push({"deregistrations": [{"userId": "u1"}]}, token=TOKEN + "x"),
        push({"deregistrations": [{"userId": "u1"}]}, token="cb-é"),
    ],
)
async def test_a_push_not_from_garmin_for_this_app_is_refused(request_: PushRequest) -> None:
    with pytest.raises(ProviderError):
        await provider().handle_push(request_)


@pytest.mark.parametrize("configured", ["", "too-short"])
async def test_without_a_long_enough_callback_token_every_push_is_refused(configured: str) -> None:
    """The garmin-client-id header names the app but proves nothing: it is no secret."""
    garmin = provider(callback_token=configured)
    with pytest.raises(ProviderError, match="no callback_token"):
        await garmin.handle_push(push({"deregistrations": [{"userId": "u1"}]}, token=configured))


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'{"dailies": {"userId": "u1"}}'])
async def test_an_unreadable_push_body_is_malformed(raw: bytes) -> None:
    with pytest.raises(ProviderMalformedResponse):
        await provider().handle_push(push(raw))
