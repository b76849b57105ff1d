"""WHOOP items -> records, and WHOOP webhook verification: pure functions, no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
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
from fithub.plugins.records import BodyKind, BodyMeasurement
from fithub.plugins.testing.fakes.whoop import FakeWhoop
from fithub.plugins.types import PushRequest
from fithub.plugins.whoop import WhoopProvider

DAY = date(2024, 3, 5)
EST = timezone(timedelta(hours=-5))

# The examples of WHOOP's v2 OpenAPI description, as WHOOP sends them.
WORKOUT = {
    "id": "ecfc6a15-4661-442f-a9a4-f160dd7afae8", "v1_id": 1043, "user_id": 9012,
    "created_at": "2022-04-24T11:25:44.774Z", "updated_at": "2022-04-24T14:25:44.774Z",
    "start": "2022-04-24T02:25:44.774Z", "end": "2022-04-24T10:25:44.774Z",
    "timezone_offset": "-05:00", "sport_name": "Running", "score_state": "SCORED",
    "score": {"strain": 8.2463, "average_heart_rate": 123, "max_heart_rate": 146,
              "kilojoule": 1569.34033203125, "percent_recorded": 100.0,
              "distance_meter": 1772.77035916, "altitude_gain_meter": 46.64384460449,
              "altitude_change_meter": -0.781372010707855,
              "zone_durations": {"zone_zero_milli": 300000, "zone_one_milli": 600000,
                                 "zone_two_milli": 900000, "zone_three_milli": 900000,
                                 "zone_four_milli": 600000, "zone_five_milli": 300000}},
    "sport_id": 0,
}  # fmt: skip
RECOVERY = {
    "cycle_id": 93845, "sleep_id": "123e4567-e89b-12d3-a456-426614174000", "user_id": 10129,
    "created_at": "2022-04-24T11:25:44.774Z", "updated_at": "2022-04-24T14:25:44.774Z",
    "score_state": "SCORED",
    "score": {"user_calibrating": False, "recovery_score": 44.0, "resting_heart_rate": 64.0,
              "hrv_rmssd_milli": 31.813562, "spo2_percentage": 95.6875, "skin_temp_celsius": 33.7},
}  # fmt: skip
CYCLE = {
    "id": 93845, "user_id": 10129, "created_at": "2022-04-24T11:25:44.774Z",
    "updated_at": "2022-04-24T14:25:44.774Z", "start": "2022-04-24T02:25:44.774Z",
    "end": "2022-04-25T03:10:00.000Z", "timezone_offset": "-05:00", "score_state": "SCORED",
    "score": {"strain": 5.2951527, "kilojoule": 8288.297, "average_heart_rate": 68,
              "max_heart_rate": 141},
}  # fmt: skip


def provider(**options: str) -> WhoopProvider:
    credentials = AppCredentials("id", "shh", "http://x/cb", options=options)
    return WhoopProvider(ProviderContext(None, credentials, logging.getLogger("t")))  # type: ignore[arg-type]


def test_a_workout_becomes_an_activity_in_kcal_and_local_time() -> None:
    (activity,) = provider().normalise(DataType.ACTIVITIES, WORKOUT)
    assert isinstance(activity, Activity)
    validate_record(activity, "whoop")
    assert activity.source.external_id == WORKOUT["id"]
    assert activity.sport == "running"
    assert activity.start == datetime(2022, 4, 24, 2, 25, 44, 774000, tzinfo=UTC)
    assert activity.start.utcoffset() == timedelta(hours=-5)  # shown in the person's zone
    assert activity.calories_kcal == pytest.approx(1569.34033203125 / 4.184)
    assert activity.distance_m == pytest.approx(1772.77035916)
    assert (activity.avg_heart_rate_bpm, activity.max_heart_rate_bpm) == (123, 146)
    assert activity.raw == WORKOUT


def test_an_unscored_workout_keeps_its_times_and_a_v1_one_its_sport_from_the_id() -> None:
    pending = {k: v for k, v in WORKOUT.items() if k not in ("score", "sport_name")}
    (activity,) = provider().normalise(
        DataType.ACTIVITIES, {**pending, "score_state": "PENDING_SCORE"}
    )
    assert isinstance(activity, Activity) and activity.sport == "running"
    assert activity.calories_kcal is None and activity.avg_heart_rate_bpm is None
    unknown = {**pending, "sport_id": 999, "score_state": "UNSCORABLE"}
    assert provider().normalise(DataType.ACTIVITIES, unknown)[0].sport == "whoop_sport_999"  # type: ignore[union-attr]
    no_distance = {**WORKOUT, "score": {**WORKOUT["score"], "distance_meter": None}}  # type: ignore[dict-item]
    assert provider().normalise(DataType.ACTIVITIES, no_distance)[0].distance_m is None  # type: ignore[union-attr]


def test_a_sleep_becomes_a_session_in_seconds_with_its_breathing_rate() -> None:
    item = FakeWhoop().sleep("a1", DAY)
    session, breathing = provider().normalise(DataType.SLEEP, item)
    assert isinstance(session, SleepSession) and isinstance(breathing, Sample)
    stages = item["score"]["stage_summary"]
    assert session.deep_s == stages["total_slow_wave_sleep_time_milli"] / 1000
    assert session.rem_s == stages["total_rem_sleep_time_milli"] / 1000
    assert session.awake_s == stages["total_awake_time_milli"] / 1000
    assert session.asleep_s == pytest.approx(
        (stages["total_in_bed_time_milli"] - stages["total_awake_time_milli"]) / 1000
    )
    assert session.efficiency == item["score"]["sleep_efficiency_percentage"]
    assert not session.is_nap and session.day == DAY + timedelta(days=1)  # the wake-up day
    assert session.start.utcoffset() == timedelta(hours=-5)
    assert breathing.kind is SampleKind.RESPIRATORY_RATE and breathing.time == session.end
    assert breathing.source.external_id == session.source.external_id == item["id"]
    for record in (session, breathing):
        validate_record(record, "whoop")


def test_an_unscorable_nap_is_a_nap_without_stages() -> None:
    nap = FakeWhoop().nap("a1", DAY)
    (session,) = provider().normalise(DataType.SLEEP, nap)
    assert isinstance(session, SleepSession) and session.is_nap
    assert session.asleep_s is None and session.deep_s is None and session.efficiency is None
    assert session.end - session.start == timedelta(minutes=25)


def test_a_cycle_is_the_day_its_waking_hours_fall_on() -> None:
    (day,) = provider().normalise(DataType.DAILY, CYCLE)
    assert isinstance(day, DailySummary) and day.source.external_id == "93845"
    assert day.day == date(2022, 4, 24)  # began 21:25 local on the 23rd: the 24th's cycle
    assert day.total_calories_kcal == pytest.approx(8288.297 / 4.184)
    evening = {**CYCLE, "start": "2024-03-05T04:00:00.000Z"}  # 23:00 local on the 4th
    assert provider().normalise(DataType.DAILY, evening)[0].day == DAY  # type: ignore[union-attr]
    small_hours = {**CYCLE, "start": "2024-03-05T06:30:00.000Z"}  # 01:30 local on the 5th
    assert provider().normalise(DataType.DAILY, small_hours)[0].day == DAY  # type: ignore[union-attr]
    current = {**CYCLE, "end": None}  # the cycle under way
    assert provider().normalise(DataType.DAILY, current)[0].day == date(2022, 4, 24)  # type: ignore[union-attr]
    assert provider().normalise(DataType.DAILY, {**CYCLE, "score_state": "PENDING_SCORE"}) == []


def test_a_recovery_gives_hrv_resting_heart_rate_and_spo2_keyed_by_its_sleep() -> None:
    hrv, resting = provider().normalise(DataType.HRV, RECOVERY)
    (spo2,) = provider().normalise(DataType.SPO2, RECOVERY)
    assert isinstance(hrv, Sample) and isinstance(resting, Sample) and isinstance(spo2, Sample)
    assert (hrv.kind, hrv.value) == (SampleKind.HRV_RMSSD, 31.813562)
    assert (resting.kind, resting.value, resting.context) == (SampleKind.HEART_RATE, 64.0, "rest")
    assert (spo2.kind, spo2.value) == (SampleKind.SPO2, 95.6875)
    for sample in (hrv, resting, spo2):
        validate_record(sample, "whoop")
        assert sample.source.external_id == RECOVERY["sleep_id"]
        assert sample.time == datetime(2022, 4, 24, 11, 25, 44, 774000, tzinfo=UTC)


def test_recoveries_without_a_score_or_spo2_give_nothing_for_it() -> None:
    unscored = {k: v for k, v in RECOVERY.items() if k != "score"}
    for data_type in (DataType.HRV, DataType.SPO2):
        assert provider().normalise(data_type, {**unscored, "score_state": "UNSCORABLE"}) == []
    older_strap = {**RECOVERY, "score": {**RECOVERY["score"], "spo2_percentage": None}}  # type: ignore[dict-item]
    assert provider().normalise(DataType.SPO2, older_strap) == []
    assert len(provider().normalise(DataType.HRV, older_strap)) == 2


def test_the_body_measurement_is_filed_under_the_day_it_was_seen() -> None:
    item = {"height_meter": 1.8288, "weight_kilogram": 90.7185, "max_heart_rate": 200,
            "fithub_observed_on": "2024-03-05"}  # fmt: skip
    weight, height = provider().normalise(DataType.BODY, item)
    assert isinstance(weight, BodyMeasurement) and isinstance(height, BodyMeasurement)
    assert (weight.kind, weight.value, height.kind, height.value) == (
        BodyKind.WEIGHT, 90.7185, BodyKind.HEIGHT, 1.8288)  # fmt: skip
    assert weight.time == datetime(2024, 3, 5, tzinfo=UTC)
    assert weight.source.external_id == height.source.external_id == "body-2024-03-05"


@pytest.mark.parametrize(
    ("data_type", "item"),
    [
        (DataType.ACTIVITIES, {**WORKOUT, "start": "yesterday"}),
        (DataType.ACTIVITIES, {**WORKOUT, "score": {**WORKOUT["score"], "kilojoule": "lots"}}),  # type: ignore[dict-item]
        (
            DataType.ACTIVITIES,
            {k: v for k, v in WORKOUT.items() if k not in ("sport_name", "sport_id")},
        ),
        (DataType.SLEEP, {**FakeWhoop().sleep("a1", DAY), "nap": None}),
        (DataType.SLEEP, {**FakeWhoop().sleep("a1", DAY), "score": "great"}),
        (DataType.DAILY, {k: v for k, v in CYCLE.items() if k != "start"}),
        (DataType.HRV, {k: v for k, v in RECOVERY.items() if k != "sleep_id"}),
        (DataType.HRV, {**RECOVERY, "score": {"resting_heart_rate": 60}}),
        (DataType.SPO2, {**RECOVERY, "score_state": None}),
        (DataType.BODY, {"height_meter": 1.8}),
        (DataType.BODY, {"fithub_observed_on": "2024-03-05", "max_heart_rate": 190}),
    ],
)
def test_an_unreadable_item_is_a_malformed_response(data_type: DataType, item: dict) -> None:
    with pytest.raises(ProviderMalformedResponse, match=str(data_type)):
        provider().normalise(data_type, item)


def test_heart_rate_is_not_offered() -> None:
    assert DataType.HEART_RATE not in WhoopProvider.data_types
    with pytest.raises(ProviderError):
        provider().normalise(DataType.HEART_RATE, {})


# -- webhooks -------------------------------------------------------------------------------------


def _push(body: bytes, *, secret: str = "shh", stamp: int | None = None,
          headers: dict[str, str] | None = None) -> PushRequest:  # fmt: skip
    stamp = int(time.time() * 1000) if stamp is None else stamp
    digest = hmac.new(secret.encode(), str(stamp).encode() + body, hashlib.sha256).digest()
    sent = {"x-whoop-signature": base64.b64encode(digest).decode(),
            "x-whoop-signature-timestamp": str(stamp), "content-type": "application/json"}  # fmt: skip
    return PushRequest("POST", {**sent, **(headers or {})}, {}, body)


def _event(kind: str, object_id: object = "ecfc6a15-4661-442f-a9a4-f160dd7afae8") -> bytes:
    return json.dumps({"user_id": 10129, "id": object_id, "type": kind,
                       "trace_id": "e369c784-5100-49e8-8098-75d35c47b31b"}).encode()  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("workout.updated", [(DataType.ACTIVITIES, "upsert")]),
        ("workout.deleted", [(DataType.ACTIVITIES, "delete")]),
        ("sleep.updated", [(DataType.SLEEP, "upsert")]),
        ("sleep.deleted", [(DataType.SLEEP, "delete")]),
        ("recovery.updated", [(DataType.HRV, "upsert"), (DataType.SPO2, "upsert")]),
        ("recovery.deleted", [(DataType.HRV, "delete"), (DataType.SPO2, "delete")]),
        ("user.profile.updated", []),  # not one fithub knows: acknowledged, nothing to do
    ],
)
async def test_a_signed_webhook_becomes_events(
    kind: str, expected: list[tuple[DataType, str]]
) -> None:
    result = await provider().handle_push(_push(_event(kind)))
    assert 200 <= result.status < 300
    assert [(e.data_type, e.action) for e in result.events] == expected
    for event in result.events:
        assert event.external_user_id == "10129"
        assert event.object_id == "ecfc6a15-4661-442f-a9a4-f160dd7afae8"


async def test_a_v1_webhook_with_an_integer_id_is_read_too() -> None:
    (event,) = (await provider().handle_push(_push(_event("workout.updated", 10235)))).events
    assert event.object_id == "10235"


async def test_the_fakes_webhooks_verify() -> None:
    fake = FakeWhoop()
    headers, body = fake.webhook("a1", "sleep.updated", "s-1")
    whoop = WhoopProvider(ProviderContext(None, fake.credentials(), logging.getLogger("t")))  # type: ignore[arg-type]
    lowered = {k.lower(): v for k, v in headers.items()}
    (event,) = (await whoop.handle_push(PushRequest("POST", lowered, {}, body))).events
    assert event.external_user_id == str(FakeWhoop.user_id("a1")) and event.object_id == "s-1"


@pytest.mark.parametrize(
    ("make_request", "complaint"),
    [  # made when the test runs: the timestamps are relative to that moment
        (lambda: _push(_event("sleep.updated"), secret="wrong"), "does not match"),
        (
            lambda: _push(_event("sleep.updated"), headers={"x-whoop-signature": "bm90IGl0"}),
            "does not match",
        ),
        (lambda: _push(_event("sleep.updated"), headers={"x-whoop-signature": "%%%"}), "base64"),
        (lambda: _push(_event("sleep.updated"), headers={"x-whoop-signature": ""}), "headers"),
        (lambda: _push(_event("sleep.updated"), stamp=int(time.time() * 1000) - 400_000),
         "too old"),  # fmt: skip
        (lambda: _push(_event("sleep.updated"), stamp=int(time.time() * 1000) + 400_000),
         "too old"),  # fmt: skip
        (lambda: _push(_event("sleep.updated"), stamp=int(time.time())), "too old"),  # seconds
        (lambda: PushRequest("GET", {}, {"challenge": "c"}, b""), "POST"),
    ],
)
async def test_a_forged_stale_or_unsigned_webhook_is_refused(
    make_request: Callable[[], PushRequest], complaint: str
) -> None:
    with pytest.raises(ProviderError, match=complaint):
        await provider().handle_push(make_request())


async def test_a_body_signed_then_changed_is_refused() -> None:
    signed = _push(_event("sleep.updated"))
    tampered = PushRequest("POST", dict(signed.headers), {}, _event("sleep.deleted"))
    with pytest.raises(ProviderError, match="does not match"):
        await provider().handle_push(tampered)


async def test_the_tolerance_is_an_option() -> None:
    old = _push(_event("sleep.updated"), stamp=int(time.time() * 1000) - 600_000)
    assert (await provider(webhook_tolerance_s="900").handle_push(old)).events


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", json.dumps({"id": "x", "type": "sleep.updated"}).encode(),
     json.dumps({"user_id": 1, "id": None, "type": "sleep.updated"}).encode(),
     json.dumps({"user_id": 1, "id": "x", "type": 7}).encode()],
)  # fmt: skip
async def test_a_signed_body_of_the_wrong_shape_is_malformed(body: bytes) -> None:
    with pytest.raises(ProviderMalformedResponse):
        await provider().handle_push(_push(body))
