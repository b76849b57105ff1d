"""Oura items -> records, and Oura webhook verification: pure functions, no I/O."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, date, datetime, timedelta

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
from fithub.plugins.oura import OuraProvider
from fithub.plugins.oura.const import WEBHOOK_TOLERANCE
from fithub.plugins.oura.webhook import sent_at
from fithub.plugins.testing.fakes.oura import PHASES, FakeOura
from fithub.plugins.types import PushRequest

DAY = date(2024, 3, 5)


def provider(**options: str) -> OuraProvider:
    credentials = AppCredentials("id", "shh", "http://x/cb", options=options)
    return OuraProvider(ProviderContext(None, credentials, logging.getLogger("t")))  # type: ignore[arg-type]


def test_a_workout_becomes_an_activity() -> None:
    item = FakeOura.workout("a1", DAY)
    (activity,) = provider().normalise(DataType.ACTIVITIES, item)
    assert isinstance(activity, Activity)
    validate_record(activity, "oura")
    assert activity.source.external_id == item["id"]
    assert activity.end - activity.start == timedelta(minutes=45)
    assert activity.calories_kcal == item["calories"] and activity.distance_m == item["distance"]
    assert activity.detected is (item["source"] == "autodetected")
    assert activity.raw == item


def test_a_day_becomes_a_daily_summary_with_active_minutes() -> None:
    item = FakeOura.daily_activity("a1", DAY)
    (day,) = provider().normalise(DataType.DAILY, item)
    assert isinstance(day, DailySummary) and day.day == DAY
    assert day.steps == item["steps"] and day.total_calories_kcal == item["total_calories"]
    seconds = item["high_activity_time"] + item["medium_activity_time"] + item["low_activity_time"]
    assert day.active_minutes == pytest.approx(seconds / 60)


def test_a_heart_rate_row_is_a_sample_identified_by_its_instant() -> None:
    row = {"bpm": 61, "source": "rest", "timestamp": "2024-03-05T10:00:00+02:00"}
    (sample,) = provider().normalise(DataType.HEART_RATE, row)
    assert isinstance(sample, Sample) and sample.kind is SampleKind.HEART_RATE
    assert sample.time == datetime(2024, 3, 5, 8, tzinfo=UTC)
    assert sample.source.external_id == "2024-03-05T08:00:00+00:00"
    assert sample.value == 61 and sample.context == "rest"


def test_a_sleep_has_stages_from_the_five_minute_phases_and_hrv_samples() -> None:
    item = FakeOura.sleep("a1", DAY)
    records = provider().normalise(DataType.SLEEP, item)
    session = records[0]
    assert isinstance(session, SleepSession) and not session.is_nap and session.day == DAY
    assert session.stages[0].stage == "awake" and session.stages[0].start == session.start
    assert session.stages[-1].end == session.end
    covered = sum((s.end - s.start).total_seconds() for s in session.stages)
    assert covered == len(PHASES) * 300
    assert sum(1 for a, b in zip(session.stages, session.stages[1:], strict=False)
               if a.stage == b.stage) == 0  # runs are merged  # fmt: skip
    hrv = [r for r in records[1:] if isinstance(r, Sample)]
    assert hrv and all(r.kind is SampleKind.HRV_RMSSD for r in hrv)
    assert len(hrv) == sum(v is not None for v in item["hrv"]["items"])
    for record in records:
        validate_record(record, "oura")


def test_deleted_sleeps_give_nothing_and_naps_are_naps() -> None:
    item = FakeOura.sleep("a1", DAY)
    assert provider().normalise(DataType.SLEEP, {**item, "type": "deleted"}) == []
    (nap, *_) = provider().normalise(DataType.SLEEP, {**item, "type": "late_nap"})
    assert isinstance(nap, SleepSession) and nap.is_nap


@pytest.mark.parametrize(
    ("data_type", "item"),
    [
        (DataType.ACTIVITIES, {"id": "w1", "activity": "run", "start_datetime": "yesterday"}),
        (DataType.DAILY, {"id": "d1", "day": "2024-03-05", "steps": "many"}),
        (DataType.HEART_RATE, {"timestamp": "2024-03-05T10:00:00+00:00"}),
        (DataType.SLEEP, {"id": "s1", "bedtime_start": "2024-03-05T01:00:00+00:00"}),
    ],
)
def test_an_unreadable_item_is_a_malformed_response(data_type: DataType, item: dict) -> None:
    with pytest.raises(ProviderMalformedResponse, match=str(data_type)):
        provider().normalise(data_type, item)


SIGNED_AT = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)  # 1700000000, the pushes' timestamp


def _signed(body: bytes, secret: str = "shh", timestamp: str = "1700000000") -> PushRequest:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()
    headers = {"x-oura-signature": digest.upper(), "x-oura-timestamp": timestamp}
    return PushRequest("POST", headers, {}, body)


def _pinned(now: datetime) -> OuraProvider:
    """A provider whose clock stands at ``now``."""
    oura = provider()
    oura.clock = lambda: now
    return oura


PUSH = json.dumps({"event_type": "delete", "data_type": "workout", "object_id": "w1",
                   "user_id": "u9", "event_time": "2023-11-14T22:13:00+00:00"}).encode()  # fmt: skip


async def test_a_signed_webhook_is_parsed_and_a_forged_one_refused() -> None:
    body = json.dumps({"event_type": "update", "data_type": "sleep", "object_id": "s1",
                       "user_id": "u9", "event_time": "2024-03-05T08:00:00+00:00"}).encode()  # fmt: skip
    result = await _pinned(SIGNED_AT).handle_push(_signed(body))
    (event,) = result.events
    assert (event.external_user_id, event.data_type, event.object_id, event.action) == (
        "u9", DataType.SLEEP, "s1", "upsert")  # fmt: skip
    with pytest.raises(ProviderError, match="signature"):
        await _pinned(SIGNED_AT).handle_push(_signed(body, secret="wrong"))


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(timedelta(0), True), (WEBHOOK_TOLERANCE, True), (-WEBHOOK_TOLERANCE, True),
     (WEBHOOK_TOLERANCE + timedelta(seconds=1), False),
     (-WEBHOOK_TOLERANCE - timedelta(seconds=1), False), (timedelta(days=30), False)],
)  # fmt: skip
async def test_a_signed_push_is_taken_only_within_the_tolerance(
    offset: timedelta, accepted: bool
) -> None:
    """Boundary at an injected instant: fithub's clock ``offset`` after the push was signed."""
    oura = _pinned(SIGNED_AT + offset)
    if accepted:
        assert (await oura.handle_push(_signed(PUSH))).events
    else:
        with pytest.raises(ProviderError, match="too old"):
            await oura.handle_push(_signed(PUSH))


def test_the_tolerance_is_five_minutes_either_way() -> None:
    assert WEBHOOK_TOLERANCE == timedelta(minutes=5)


async def test_a_month_old_push_is_refused_by_the_real_clock() -> None:
    """The report: a correctly signed push stamped 30 days ago was accepted."""
    old = datetime.now(UTC) - timedelta(days=30)
    with pytest.raises(ProviderError, match="too old"):
        await provider().handle_push(_signed(PUSH, timestamp=str(int(old.timestamp()))))
    fresh = str(int(datetime.now(UTC).timestamp()))
    assert (await provider().handle_push(_signed(PUSH, timestamp=fresh))).events


@pytest.mark.parametrize("stamp", ["1700000000", "1700000000000", "2023-11-14T22:13:20Z",
                                   "2023-11-14T22:13:20+00:00"])  # fmt: skip
def test_the_timestamp_is_read_in_seconds_milliseconds_or_iso(stamp: str) -> None:
    assert sent_at(stamp) == SIGNED_AT


@pytest.mark.parametrize("stamp", ["", "yesterday", "1e9", "99999999999999999999999", "١٧٠٠"])
async def test_an_unreadable_or_missing_timestamp_is_refused(stamp: str) -> None:
    with pytest.raises(ProviderError):
        await _pinned(SIGNED_AT).handle_push(_signed(PUSH, timestamp=stamp))


async def test_the_webhook_handshake_echoes_the_challenge_for_the_right_token() -> None:
    oura = provider(webhook_verification_token="tok")
    ok = await oura.handle_push(PushRequest("GET", {}, {"verification_token": "tok",
                                                        "challenge": "c1"}, b""))  # fmt: skip
    assert ok.status == 200 and ok.body == {"challenge": "c1"}
    with pytest.raises(ProviderError):
        await oura.handle_push(PushRequest("GET", {}, {"verification_token": "no"}, b""))
