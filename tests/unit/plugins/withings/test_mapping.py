"""Withings items -> records, the status envelope, and notification verification: no I/O."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

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
from fithub.plugins.errors import (
    ProviderAuthFailed,
    ProviderError,
    ProviderMalformedResponse,
    ProviderRateLimited,
    ProviderUnavailable,
)
from fithub.plugins.testing.fakes.withings import FakeWithings
from fithub.plugins.types import FetchQuery, PushRequest, TokenSet
from fithub.plugins.withings import WithingsProvider
from fithub.plugins.withings.client import check_envelope, padded_dates, status_error

DAY = date(2024, 3, 5)
TOKEN = "s3cret-callback-token-0123"


def provider(**options: str) -> WithingsProvider:
    credentials = AppCredentials("id", "shh", "http://x/cb", options=options)
    return WithingsProvider(ProviderContext(None, credentials, logging.getLogger("t")))  # type: ignore[arg-type]


def test_a_weigh_in_gives_one_measurement_per_known_type_in_si_units() -> None:
    group = FakeWithings.weigh_in("a1", DAY)
    records = provider().normalise(DataType.BODY, group)
    by_kind = {r.kind: r for r in records if isinstance(r, BodyMeasurement)}
    assert set(by_kind) == {BodyKind.WEIGHT, BodyKind.BODY_FAT, BodyKind.MUSCLE_MASS,
                            BodyKind.BONE_MASS}  # fat mass (8) and hydration (77) are not read  # fmt: skip
    weight = group["measures"][0]
    assert by_kind[BodyKind.WEIGHT].value == pytest.approx(weight["value"] / 1000)
    assert 10 < by_kind[BodyKind.BODY_FAT].value < 30  # percent
    assert by_kind[BodyKind.MUSCLE_MASS].value == pytest.approx(group["measures"][3]["value"] / 100)
    for record in records:
        validate_record(record, "withings")
        assert record.source.external_id == str(group["grpid"])
        assert record.source.device == "Body Cardio"
        assert record.time == datetime(2024, 3, 5, 6, 50, tzinfo=UTC)
        assert len(record.raw["measures"]) == 1  # each keeps its own measure


def test_a_blood_pressure_reading_gives_both_pressures_and_a_pulse_sample() -> None:
    group = {"grpid": 77, "attrib": 0, "date": 1_709_625_600, "category": 1, "model": "BPM Core",
             "measures": [{"value": 121, "type": 10, "unit": 0}, {"value": 79, "type": 9, "unit": 0},
                          {"value": 640, "type": 11, "unit": -1}, {"value": 97, "type": 54, "unit": 0}]}  # fmt: skip
    records = provider().normalise(DataType.BODY, group)
    values = {(type(r).__name__, r.kind): r.value for r in records}
    assert values == {("BodyMeasurement", BodyKind.SYSTOLIC): 121,
                      ("BodyMeasurement", BodyKind.DIASTOLIC): 79,
                      ("Sample", SampleKind.HEART_RATE): 64.0,
                      ("Sample", SampleKind.SPO2): 97}  # fmt: skip
    pulse = next(r for r in records if isinstance(r, Sample) and r.kind is SampleKind.HEART_RATE)
    assert pulse.source.external_id == "grp-77" and pulse.context == "rest"


def test_ambiguous_groups_and_objectives_give_nothing() -> None:
    group = FakeWithings.weigh_in("a1", DAY)
    assert provider().normalise(DataType.BODY, {**group, "attrib": 1}) == []
    assert provider().normalise(DataType.BODY, {**group, "category": 2}) == []


def test_a_day_becomes_a_daily_summary_keyed_by_its_date() -> None:
    item = FakeWithings.activity("a1", DAY)
    (day,) = provider().normalise(DataType.DAILY, item)
    assert isinstance(day, DailySummary) and day.day == DAY
    assert day.source.external_id == "2024-03-05"
    assert day.steps == item["steps"] and day.distance_m == item["distance"]
    assert day.active_calories_kcal == item["calories"]
    assert day.total_calories_kcal == item["totalcalories"]
    assert day.active_minutes == pytest.approx((item["moderate"] + item["intense"]) / 60)
    bare = {"date": "2024-03-06", "moderate": 600, "intense": 300}  # fields not asked for
    (other,) = provider().normalise(DataType.DAILY, bare)
    assert other.steps is None and other.active_minutes == 15


def test_a_workout_becomes_an_activity_with_its_sport_and_manual_overrides() -> None:
    item = FakeWithings.workout("a1", DAY)
    (activity,) = provider().normalise(DataType.ACTIVITIES, item)
    assert isinstance(activity, Activity)
    validate_record(activity, "withings")
    assert activity.source.external_id == str(item["id"])
    assert activity.sport == {1: "walking", 2: "running", 6: "cycling"}[item["category"]]
    assert activity.end - activity.start == timedelta(minutes=45)
    assert activity.detected is (item["attrib"] == 7)
    assert activity.distance_m == item["data"]["distance"]  # manual_distance is 0: not entered
    manual = {**item, "category": 999, "data": {**item["data"], "manual_distance": 5000}}
    (edited,) = provider().normalise(DataType.ACTIVITIES, manual)
    assert edited.sport == "other" and edited.distance_m == 5000


def test_a_night_becomes_a_sleep_session_with_efficiency_in_percent() -> None:
    item = FakeWithings.sleep("a1", DAY)
    (night,) = provider().normalise(DataType.SLEEP, item)
    assert isinstance(night, SleepSession) and night.day == DAY
    assert night.start == datetime(2024, 3, 4, 22, 40, tzinfo=UTC)
    data = item["data"]
    assert night.asleep_s == data["total_sleep_time"] and night.deep_s == data["deepsleepduration"]
    assert night.efficiency == pytest.approx(data["sleep_efficiency"] * 100)
    assert night.lowest_heart_rate_bpm == data["hr_min"] and night.stages == ()
    imported = {**item, "data": {"asleepduration": 25_000}}  # from another app: no stages
    (other,) = provider().normalise(DataType.SLEEP, imported)
    assert other.asleep_s == 25_000 and other.deep_s is None and other.efficiency is None


def test_an_intraday_sample_is_a_heart_rate_identified_by_its_instant() -> None:
    item = {"timestamp": 1_709_625_600, "heart_rate": 61, "model": "ScanWatch"}
    (sample,) = provider().normalise(DataType.HEART_RATE, item)
    assert isinstance(sample, Sample) and sample.time == datetime(2024, 3, 5, 8, tzinfo=UTC)
    assert sample.source.external_id == "2024-03-05T08:00:00+00:00" and sample.value == 61
    assert provider().normalise(DataType.HEART_RATE, {"timestamp": 1_709_625_600, "steps": 3}) == []


@pytest.mark.parametrize(
    ("data_type", "item"),
    [
        (DataType.BODY, {"grpid": 1, "date": 1_709_625_600, "measures": [{"type": 1, "value": 5}]}),
        (DataType.BODY, {"grpid": 1, "date": "yesterday", "measures": []}),
        (DataType.DAILY, {"date": "2024-03-05", "steps": "many"}),
        (DataType.ACTIVITIES, {"id": 5, "startdate": 1_709_625_600, "data": []}),
        (DataType.SLEEP, {"id": 5, "startdate": 1_709_625_600}),
        (DataType.HEART_RATE, {"heart_rate": 60}),
    ],
)
def test_an_unreadable_item_is_a_malformed_response(data_type: DataType, item: dict) -> None:
    with pytest.raises(ProviderMalformedResponse, match=str(data_type)):
        provider().normalise(data_type, item)


def test_dates_are_padded_so_every_time_zone_is_covered() -> None:
    start, end = datetime(2024, 3, 5, 23, tzinfo=UTC), datetime(2024, 3, 6, 1, tzinfo=UTC)
    assert padded_dates(start, end) == {"startdateymd": "2024-03-04", "enddateymd": "2024-03-07"}


@pytest.mark.parametrize(
    ("status", "token_endpoint", "error"),
    [(401, False, ProviderAuthFailed), (100, False, ProviderAuthFailed),
     (601, False, ProviderRateLimited), (522, False, ProviderUnavailable),
     (503, False, ProviderError), (503, True, ProviderAuthFailed), (2555, False, ProviderError),
     (2554, False, ProviderError), (215, False, ProviderUnavailable)],
)  # fmt: skip
def test_the_status_families_map_to_provider_errors(
    status: int, token_endpoint: bool, error: type[ProviderError]
) -> None:
    raised = status_error(status, "Withings /x", "Invalid Params", token_endpoint=token_endpoint)
    assert type(raised) is error and f"status {status}" in str(raised)


def test_the_envelope_must_have_a_status_and_an_object_body() -> None:
    assert check_envelope({"status": 0, "body": {"a": 1}}, "w") == {"a": 1}
    assert check_envelope({"status": 0, "body": []}, "w") == {}
    for payload in ({"body": {}}, {"status": "0"}, {"status": 0, "body": [1]}, [1]):
        with pytest.raises(ProviderMalformedResponse):
            check_envelope(payload, "w")


async def test_a_page_token_from_elsewhere_is_refused() -> None:
    tokens = TokenSet("t", external_user_id="1")
    now = datetime.now(UTC)
    query = FetchQuery(DataType.BODY, now - timedelta(days=1), now, page_token="next-please")
    with pytest.raises(ProviderError, match="page token"):
        await provider().fetch_page(tokens, query)


# -- notifications -------------------------------------------------------------------------------


def _push(method: str = "POST", token: str | None = TOKEN, **form: object) -> PushRequest:
    query = {} if token is None else {"token": token}
    headers = {"content-type": "application/x-www-form-urlencoded"}
    return PushRequest(method, headers, query, urlencode(form).encode())


async def test_withings_checking_the_callback_url_gets_a_200() -> None:
    withings = provider(callback_token=TOKEN)
    for method in ("HEAD", "GET"):
        result = await withings.handle_push(_push(method))
        assert result.status == 200 and result.events == () and result.body is None


@pytest.mark.parametrize("token", ["guess", "", None])
async def test_a_call_without_the_callback_token_is_refused(token: str | None) -> None:
    withings = provider(callback_token=TOKEN)
    for method in ("HEAD", "POST"):
        with pytest.raises(ProviderError, match="callback token is missing or does not match"):
            await withings.handle_push(_push(method, token, userid=12, appli=1))


async def test_no_callback_token_configured_refuses_every_call() -> None:
    with pytest.raises(ProviderError, match="no callback_token"):
        await provider().handle_push(_push("POST", "", userid=12, appli=1))


async def test_a_weight_notification_asks_for_a_body_sync_of_its_window() -> None:
    result = await provider(callback_token=TOKEN).handle_push(
        _push(userid=12345, appli=1, startdate=1530576000, enddate=1530698753)
    )
    (event,) = result.events
    assert result.status == 200
    assert (event.external_user_id, event.data_type, event.action) == ("12345", DataType.BODY,
                                                                       "upsert")  # fmt: skip
    assert event.start == datetime.fromtimestamp(1530576000, UTC)
    assert event.end == datetime.fromtimestamp(1530698754, UTC)


async def test_an_activity_notification_with_a_date_syncs_days_workouts_and_heart_rate() -> None:
    result = await provider(callback_token=TOKEN).handle_push(
        _push(userid=7, appli=16, date="2024-03-05")
    )
    assert [e.data_type for e in result.events] == [DataType.DAILY, DataType.ACTIVITIES,
                                                     DataType.HEART_RATE]  # fmt: skip
    assert all(e.start is not None and e.start <= datetime(2024, 3, 5, tzinfo=UTC)
               for e in result.events)  # fmt: skip
    assert all(e.end == datetime(2024, 3, 7, tzinfo=UTC) for e in result.events)
    (sleep,) = (await provider(callback_token=TOKEN).handle_push(_push(userid=7, appli=44))).events
    assert sleep.data_type is DataType.SLEEP and sleep.start is None


async def test_an_unlink_is_a_deauthorization_and_other_categories_announce_nothing() -> None:
    withings = provider(callback_token=TOKEN)
    (event,) = (await withings.handle_push(_push(userid=7, appli=46, action="unlink"))).events
    assert event.action == "deauthorize" and event.data_type is None
    assert event.external_user_id == "7"
    for form in ({"appli": 46, "action": "update"}, {"appli": 50, "date": "2024-03-05"},
                 {"appli": 54, "startdate": 1, "enddate": 2}):  # fmt: skip
        result = await withings.handle_push(_push(userid=7, **form))
        assert result.status == 200 and result.events == ()


@pytest.mark.parametrize(
    "body",
    [b"", b"appli=1", b"userid=7&appli=weight", b"userid=7&appli=1&startdate=9&enddate=3",
     b"userid=7&appli=16&date=05/03/2024", b"\xff\xfe"],
)  # fmt: skip
async def test_an_unreadable_notification_is_malformed(body: bytes) -> None:
    request = PushRequest("POST", {}, {"token": TOKEN}, body)
    with pytest.raises(ProviderMalformedResponse):
        await provider(callback_token=TOKEN).handle_push(request)


async def test_the_fake_builds_notifications_the_provider_accepts() -> None:
    fake = FakeWithings()
    query, headers, body = fake.notification("12345", 4, startdate=1, enddate=2)
    withings = provider(callback_token=FakeWithings.callback_token)
    (event,) = (await withings.handle_push(PushRequest("POST", headers, query, body))).events
    assert event.data_type is DataType.BODY and event.external_user_id == "12345"
