"""WHOOP through the whole connection journey shared by every built-in provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fithub.plugins.testing.fakes.whoop import FakeWhoop
from fithub.plugins.types import DataType
from tests.conftest import Account
from tests.integration.devices.journey import run_journey
from tests.integration.devices.world import device_server
from tests.support import FithubServer


@pytest.fixture(scope="module")
def whoop() -> Iterator[FakeWhoop]:
    with FakeWhoop() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(whoop: FakeWhoop) -> Iterator[FithubServer]:
    """Replaces the package's server here: this one knows the fake WHOOP."""
    with device_server(whoop) as srv:
        yield srv


async def test_whoop_connect_backfill_sync_reconnect_disconnect(
    api, user: Account, whoop: FakeWhoop, server: FithubServer
):
    report = await run_journey(api, user, whoop, server)
    account = report.account
    assert report.backfill["details"]["types"]["body"]["fetched"] == 1

    # Workouts: kilojoules came back as kcal, sport names as words, unscored ones without numbers.
    workouts = {w["id"]: w for w in whoop.items(account, "workout")}
    activities = report.read[DataType.ACTIVITIES]
    assert {a["external_id"] for a in activities} <= set(workouts)
    for activity in activities:
        vendor = workouts[activity["external_id"]]
        assert activity["sport"] == vendor["sport_name"]
        if "score" in vendor:
            kcal = vendor["score"]["kilojoule"] / 4.184
            assert abs(activity["calories_kcal"] - kcal) < 1e-6
            assert activity["avg_heart_rate_bpm"] == vendor["score"]["average_heart_rate"]
        else:
            assert activity["calories_kcal"] is None

    # Sleep: stage totals in seconds; naps are naps.
    sleeps = {s["id"]: s for s in whoop.items(account, "sleep")}
    for session in report.read[DataType.SLEEP]:
        vendor = sleeps[session["external_id"]]
        assert session["is_nap"] is vendor["nap"]
        if "score" in vendor:
            deep = vendor["score"]["stage_summary"]["total_slow_wave_sleep_time_milli"]
            assert session["deep_s"] == deep / 1000

    # Recovery: HRV and SpO2 samples keyed by their sleep, in ms and percent.
    recoveries = {r["sleep_id"]: r for r in whoop.items(account, "recovery")}
    for kind, key, data_type in (("hrv_rmssd", "hrv_rmssd_milli", DataType.HRV),
                                 ("spo2", "spo2_percentage", DataType.SPO2)):  # fmt: skip
        rows = report.read[data_type]
        assert rows and all(r["kind"] == kind for r in rows)
        for row in rows:
            assert row["value"] == recoveries[row["external_id"]]["score"][key]

    # Cycles: one day each, total energy in kcal; the body measurement: today's weight and height.
    cycles = {str(c["id"]): c for c in whoop.items(account, "cycle")}
    for day in report.read[DataType.DAILY]:
        kcal = cycles[day["external_id"]]["score"]["kilojoule"] / 4.184
        assert abs(day["total_calories_kcal"] - kcal) < 1e-6
    (body,) = whoop.items(account, "body")
    measured = {row["kind"]: row["value"] for row in report.read[DataType.BODY]}
    assert measured == {"weight": body["weight_kilogram"], "height": body["height_meter"]}
