"""Body metrics over HTTP: recording, units, plausibility, batches, listing, series, deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import sign_up
from tests.integration.helpers import assert_problem, error_fields
from tests.integration.readonly_db import select

METRICS = "/api/v1/body-metrics"
KG_PER_LB = 0.45359237


async def post_metric(api, account, **body):
    response = await api.post(METRICS, json=body, headers=account.auth)
    assert response.status_code == 201, response.text
    return response.json()


async def list_metrics(api, account, **params):
    response = await api.get(METRICS, params=params, headers=account.auth)
    assert response.status_code == 200, response.text
    return response.json()


async def series(api, account, **params):
    response = await api.get(f"{METRICS}/series", params=params, headers=account.auth)
    assert response.status_code == 200, response.text
    return response.json()


# -- recording and units ----------------------------------------------------------------------------


async def test_record_a_measurement_and_read_it_back(api, user):
    made = await post_metric(
        api, user, kind="weight", value=72.5, measured_at="2024-05-01T07:30:00Z", note=" morning "
    )
    assert isinstance(made["id"], int)
    assert (made["kind"], made["value"], made["value2"], made["unit"]) == (
        "weight",
        72.5,
        None,
        "kg",
    )
    assert made["measured_at"].startswith("2024-05-01T07:30:00")
    assert (made["note"], made["source"]) == ("morning", "manual")

    page = await list_metrics(api, user)
    assert page["items"] == [made]
    assert page["next_cursor"] is None

    audit = await api.get(
        "/api/v1/audit-events", params={"action": "body_metric.created"}, headers=user.auth
    )
    [event] = audit.json()["items"]
    assert (event["target_type"], event["target_id"]) == ("body_metric", str(made["id"]))


async def test_measured_at_defaults_to_now(api, shared_user):
    before = datetime.now(UTC) - timedelta(seconds=5)
    made = await post_metric(api, shared_user, kind="resting_hr", value=52)
    moment = datetime.fromisoformat(made["measured_at"].replace("Z", "+00:00"))
    assert before <= moment <= datetime.now(UTC) + timedelta(seconds=5)
    assert made["unit"] == "bpm"


async def test_imperial_user_posts_and_reads_pounds_while_kilograms_are_stored(api, server):
    imperial = await sign_up(api, unit_system="imperial")
    made = await post_metric(
        api, imperial, kind="weight", value=150, measured_at="2024-05-01T07:00:00Z"
    )
    assert (made["value"], made["unit"]) == (150.0, "lb")
    assert [(m["value"], m["unit"]) for m in (await list_metrics(api, imperial))["items"]] == [
        (150.0, "lb")
    ]

    [row] = await select(server, "SELECT value FROM body_metrics WHERE id = $1", made["id"])
    assert row["value"] == pytest.approx(150 * KG_PER_LB, abs=1e-9)

    # The same row read by a metric user: kilograms.
    switched = await api.patch(
        "/api/v1/users/me", json={"unit_system": "metric"}, headers=imperial.auth
    )
    assert switched.status_code == 200, switched.text
    [item] = (await list_metrics(api, imperial))["items"]
    assert (item["id"], item["value"], item["unit"]) == (made["id"], 68.04, "kg")


async def test_an_explicit_unit_wins_over_the_profile(api, server, shared_user):
    made = await post_metric(api, shared_user, kind="weight", value=150, unit="lb")
    assert (made["value"], made["unit"]) == (68.04, "kg")
    waist = await post_metric(api, shared_user, kind="waist", value=32, unit="in")
    assert (waist["value"], waist["unit"]) == (81.3, "cm")
    [row] = await select(server, "SELECT value FROM body_metrics WHERE id = $1", waist["id"])
    assert row["value"] == pytest.approx(81.28)


async def test_imperial_circumferences_are_inches(api):
    imperial = await sign_up(api, unit_system="imperial")
    made = await post_metric(api, imperial, kind="waist", value=32)
    assert (made["value"], made["unit"]) == (32.0, "in")
    cm = await post_metric(api, imperial, kind="neck", value=38, unit="cm")
    assert (cm["value"], cm["unit"]) == (15.0, "in")


async def test_a_unit_must_fit_the_kind(api, shared_user):
    for body in (
        {"kind": "weight", "value": 70, "unit": "cm"},
        {"kind": "body_fat", "value": 20, "unit": "kg"},
        {"kind": "waist", "value": 80, "unit": "parsec"},
    ):
        response = await api.post(METRICS, json=body, headers=shared_user.auth)
        problem = assert_problem(response, 422, "validation_failed")
        assert error_fields(problem) == {"unit"}, body


async def test_blood_pressure_has_two_values(api, shared_user):
    made = await post_metric(api, shared_user, kind="blood_pressure", value=121, value2=79)
    assert (made["value"], made["value2"], made["unit"]) == (121.0, 79.0, "mmHg")


# -- plausibility ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "weight", "value": 5}, "value"),
        ({"kind": "weight", "value": 401}, "value"),
        ({"kind": "body_fat", "value": 1}, "value"),
        ({"kind": "body_fat", "value": 75}, "value"),
        ({"kind": "resting_hr", "value": 10}, "value"),
        ({"kind": "resting_hr", "value": 230}, "value"),
        ({"kind": "sleep_hours", "value": 25}, "value"),
        ({"kind": "sleep_hours", "value": -1}, "value"),
        ({"kind": "blood_pressure", "value": 120}, "value2"),
        ({"kind": "blood_pressure", "value": 80, "value2": 120}, "value2"),
        ({"kind": "blood_pressure", "value": 300, "value2": 80}, "value"),
        ({"kind": "weight", "value": 70, "value2": 60}, "value2"),
    ],
)
async def test_implausible_values_are_422_naming_the_field(api, shared_user, body, field):
    response = await api.post(METRICS, json=body, headers=shared_user.auth)
    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) == {field}, problem


async def test_the_range_is_told_in_the_unit_used(api, shared_user):
    response = await api.post(
        METRICS, json={"kind": "weight", "value": 1000, "unit": "lb"}, headers=shared_user.auth
    )
    [error] = assert_problem(response, 422)["errors"]
    assert error == {
        "field": "value",
        "message": "must be between 44.09 and 881.85 lb",
        "type": "range",
    }


async def test_a_measurement_from_the_future_is_422_but_a_clock_skew_is_fine(api, shared_user):
    later = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    response = await api.post(
        METRICS,
        json={"kind": "weight", "value": 70, "measured_at": later},
        headers=shared_user.auth,
    )
    assert error_fields(assert_problem(response, 422)) == {"measured_at"}
    skewed = (datetime.now(UTC) + timedelta(seconds=20)).isoformat()
    await post_metric(api, shared_user, kind="weight", value=70, measured_at=skewed)


async def test_schema_errors_are_422(api, shared_user):
    for body in (
        {"kind": "height", "value": 180},
        {"kind": "weight"},
        {"kind": "weight", "value": "heavy"},
        {"kind": "weight", "value": 70, "note": "x" * 201},
        {"kind": "weight", "value": 70, "colour": "blue"},
    ):
        response = await api.post(METRICS, json=body, headers=shared_user.auth)
        assert_problem(response, 422, "validation_failed")


async def test_a_token_is_required(api):
    assert_problem(await api.get(METRICS), 401)
    assert_problem(await api.post(METRICS, json={"kind": "weight", "value": 70}), 401)


# -- batches --------------------------------------------------------------------------------------


async def test_a_batch_is_stored_whole(api, user):
    items = [
        {"kind": "weight", "value": 80 - i, "measured_at": f"2024-01-0{i + 1}T07:00:00Z"}
        for i in range(3)
    ]
    response = await api.post(f"{METRICS}/batch", json={"items": items}, headers=user.auth)
    assert response.status_code == 201, response.text
    assert response.json() == {"created": 3}
    page = await list_metrics(api, user)
    assert [m["value"] for m in page["items"]] == [78.0, 79.0, 80.0]


async def test_one_bad_item_fails_the_whole_batch(api, user):
    items = [
        {"kind": "weight", "value": 80, "measured_at": "2024-01-01T07:00:00Z"},
        {"kind": "weight", "value": 3, "measured_at": "2024-01-02T07:00:00Z"},
        {"kind": "body_fat", "value": 20, "measured_at": "2024-01-03T07:00:00Z"},
        {"kind": "blood_pressure", "value": 120, "measured_at": "2024-01-03T07:00:00Z"},
    ]
    response = await api.post(f"{METRICS}/batch", json={"items": items}, headers=user.auth)
    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) == {"items.1.value", "items.3.value2"}
    assert (await list_metrics(api, user))["items"] == []

    schema_bad = [*items[:1], {"kind": "weight"}]
    response = await api.post(f"{METRICS}/batch", json={"items": schema_bad}, headers=user.auth)
    assert error_fields(assert_problem(response, 422)) == {"items.1.value"}
    assert (await list_metrics(api, user))["items"] == []


async def test_a_batch_holds_one_to_five_hundred_items(api, user):
    item = {"kind": "hydration", "value": 2, "measured_at": "2024-01-01T00:00:00Z"}
    for count in (0, 501):
        response = await api.post(
            f"{METRICS}/batch", json={"items": [item] * count}, headers=user.auth
        )
        assert error_fields(assert_problem(response, 422)) == {"items"}
    response = await api.post(f"{METRICS}/batch", json={"items": [item] * 500}, headers=user.auth)
    assert response.status_code == 201, response.text
    assert response.json() == {"created": 500}
    audit = await api.get(
        "/api/v1/audit-events", params={"action": "body_metric.batch_created"}, headers=user.auth
    )
    [event] = audit.json()["items"]
    assert event["details"] == {"count": 500, "kinds": ["hydration"]}


# -- listing ----------------------------------------------------------------------------------------


async def test_listing_is_newest_measurement_first_in_stable_pages(api, user):
    days = [5, 1, 4, 2, 3, 3]  # entered out of order; two on the 3rd
    made = [
        await post_metric(
            api, user, kind="weight", value=70 + n, measured_at=f"2024-03-0{day}T08:00:00Z"
        )
        for n, day in enumerate(days)
    ]
    expected = sorted(made, key=lambda m: (m["measured_at"], m["id"]), reverse=True)
    seen, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = await list_metrics(api, user, **params)
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [m["id"] for m in seen] == [m["id"] for m in expected]


async def test_filters_by_kind_and_time(api, user):
    await post_metric(api, user, kind="weight", value=70, measured_at="2024-03-01T08:00:00Z")
    await post_metric(api, user, kind="weight", value=71, measured_at="2024-03-02T23:59:00Z")
    await post_metric(api, user, kind="weight", value=72, measured_at="2024-03-03T00:00:00Z")
    await post_metric(api, user, kind="body_fat", value=20, measured_at="2024-03-02T08:00:00Z")

    def values(page):
        return [m["value"] for m in page["items"]]

    assert values(await list_metrics(api, user, kind="weight")) == [72.0, 71.0, 70.0]
    assert values(await list_metrics(api, user, kind="body_fat")) == [20.0]
    # A date means the whole day; a date-time is exact (both bounds inclusive).
    assert values(await list_metrics(api, user, kind="weight", **{"from": "2024-03-02"})) == [
        72.0,
        71.0,
    ]
    assert values(await list_metrics(api, user, kind="weight", to="2024-03-02")) == [71.0, 70.0]
    assert values(
        await list_metrics(
            api, user, **{"from": "2024-03-01T08:00:00Z", "to": "2024-03-03T00:00:00Z"}
        )
    ) == [72.0, 71.0, 20.0, 70.0]


async def test_bad_list_queries_are_422(api, shared_user):
    for params in (
        {"from": "2024-03-05", "to": "2024-03-01"},
        {"from": "2024-03-05T10:00:00Z", "to": "2024-03-05T09:00:00Z"},
        {"from": "yesterday"},
        {"kind": "height"},
        {"cursor": "not-a-cursor"},
        {"limit": 0},
    ):
        response = await api.get(METRICS, params=params, headers=shared_user.auth)
        assert_problem(response, 422, "validation_failed")


async def test_naive_times_are_in_the_users_time_zone(api):
    account = await sign_up(api, timezone="America/New_York")
    made = await post_metric(
        api, account, kind="weight", value=70, measured_at="2024-03-01T20:00:00"
    )
    assert made["measured_at"].startswith("2024-03-02T01:00:00")
    # The whole local day of March 1st holds it.
    page = await list_metrics(api, account, **{"from": "2024-03-01", "to": "2024-03-01"})
    assert [m["id"] for m in page["items"]] == [made["id"]]


# -- series -----------------------------------------------------------------------------------------

WEIGHTS = [  # (when, kg): Monday 1 Jan 2024 has two, the later one entered first
    ("2024-01-01T20:00:00Z", 82),
    ("2024-01-01T07:00:00Z", 80),
    ("2024-01-03T07:00:00Z", 81),
    ("2024-01-08T07:00:00Z", 79),
    ("2024-02-01T07:00:00Z", 78),
]


async def _log_weights(api, account):
    items = [{"kind": "weight", "value": kg, "measured_at": at} for at, kg in WEIGHTS]
    items.append({"kind": "body_fat", "value": 20, "measured_at": "2024-01-01T07:00:00Z"})
    response = await api.post(f"{METRICS}/batch", json={"items": items}, headers=account.auth)
    assert response.status_code == 201, response.text


def _points(body):
    return [
        (p["start"], p["count"], p["avg"], p["min"], p["max"], p["last"]) for p in body["points"]
    ]


async def test_series_by_day_week_and_month(api, user):
    await _log_weights(api, user)
    day = await series(api, user, kind="weight", bucket="day")
    assert (day["kind"], day["unit"], day["bucket"]) == ("weight", "kg", "day")
    assert _points(day) == [
        ("2024-01-01", 2, 81.0, 80.0, 82.0, 82.0),
        ("2024-01-03", 1, 81.0, 81.0, 81.0, 81.0),
        ("2024-01-08", 1, 79.0, 79.0, 79.0, 79.0),
        ("2024-02-01", 1, 78.0, 78.0, 78.0, 78.0),
    ]
    assert _points(await series(api, user, kind="weight", bucket="week")) == [
        ("2024-01-01", 3, 81.0, 80.0, 82.0, 81.0),
        ("2024-01-08", 1, 79.0, 79.0, 79.0, 79.0),
        ("2024-01-29", 1, 78.0, 78.0, 78.0, 78.0),  # Thursday 1 Feb is in the week of Monday 29 Jan
    ]
    assert _points(await series(api, user, kind="weight", bucket="month")) == [
        ("2024-01-01", 4, 80.5, 79.0, 82.0, 79.0),
        ("2024-02-01", 1, 78.0, 78.0, 78.0, 78.0),
    ]
    window = await series(
        api, user, kind="weight", bucket="month", **{"from": "2024-01-02", "to": "2024-01-31"}
    )
    assert _points(window) == [("2024-01-01", 2, 80.0, 79.0, 81.0, 79.0)]
    assert _points(await series(api, user, kind="waist")) == []


async def test_series_in_pounds_and_for_blood_pressure(api):
    imperial = await sign_up(api, unit_system="imperial")
    for at, value in (("2024-01-01T07:00:00Z", 150), ("2024-01-02T07:00:00Z", 160)):
        await post_metric(api, imperial, kind="weight", value=value, measured_at=at)
    for at, (high, low) in (
        ("2024-01-01T07:00:00Z", (120, 80)),
        ("2024-01-01T19:00:00Z", (130, 84)),
    ):
        await post_metric(
            api, imperial, kind="blood_pressure", value=high, value2=low, measured_at=at
        )

    weekly = await series(api, imperial, kind="weight", bucket="week")
    assert weekly["unit"] == "lb"
    assert _points(weekly) == [("2024-01-01", 2, 155.0, 150.0, 160.0, 160.0)]

    [point] = (await series(api, imperial, kind="blood_pressure"))["points"]
    assert (point["avg"], point["min"], point["max"], point["last"]) == (125.0, 120.0, 130.0, 130.0)
    assert (point["avg2"], point["min2"], point["max2"], point["last2"]) == (82.0, 80.0, 84.0, 84.0)


async def test_bad_series_queries_are_422(api, shared_user):
    for params in (
        {},
        {"kind": "weight", "bucket": "year"},
        {"kind": "weight", "from": "2024-02-01", "to": "2024-01-01"},
    ):
        response = await api.get(f"{METRICS}/series", params=params, headers=shared_user.auth)
        assert_problem(response, 422, "validation_failed")


# -- deletion and isolation -------------------------------------------------------------------------


async def test_delete_a_measurement(api, user):
    made = await post_metric(api, user, kind="weight", value=70)
    response = await api.delete(f"{METRICS}/{made['id']}", headers=user.auth)
    assert response.status_code == 204, response.text
    assert (await list_metrics(api, user))["items"] == []
    assert_problem(await api.delete(f"{METRICS}/{made['id']}", headers=user.auth), 404)
    assert_problem(await api.delete(f"{METRICS}/{2**70}", headers=user.auth), 404)
    audit = await api.get(
        "/api/v1/audit-events", params={"action": "body_metric.deleted"}, headers=user.auth
    )
    assert [e["target_id"] for e in audit.json()["items"]] == [str(made["id"])]


async def test_nobody_else_reads_or_deletes_your_measurements(api, user, other_user):
    made = await post_metric(api, user, kind="weight", value=70, measured_at="2024-01-01T07:00:00Z")
    assert_problem(await api.delete(f"{METRICS}/{made['id']}", headers=other_user.auth), 404)
    assert (await list_metrics(api, other_user))["items"] == []
    assert (await series(api, other_user, kind="weight"))["points"] == []
    assert [m["id"] for m in (await list_metrics(api, user))["items"]] == [made["id"]]
