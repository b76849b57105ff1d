"""Google Health through the whole connection journey shared by every built-in provider."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest

from fithub.plugins.testing.fakes.google import FakeGoogle
from fithub.plugins.types import DataType
from tests.conftest import Account
from tests.integration.devices.journey import run_journey
from tests.integration.devices.world import device_server
from tests.support import FithubServer


@pytest.fixture(scope="module")
def server(google: FakeGoogle) -> Iterator[FithubServer]:
    """Replaces the package's server: this one knows the fake Google Health."""
    with device_server(google) as srv:
        yield srv


def _local_day(point: dict) -> date:
    civil = point["interval"]["civilStartTime"]["date"]
    return date(civil["year"], civil["month"], civil["day"])


async def test_google_connect_backfill_sync_reconnect_disconnect(
    api, user: Account, google: FakeGoogle, server: FithubServer
):
    report = await run_journey(api, user, google, server)
    account = report.account
    assert report.backfill["details"]["types"]["heart_rate"]["pages"] > 1

    # Daily summaries are the rollups of the hourly steps, per local day of the account.
    days = {row["day"]: row for row in report.read[DataType.DAILY]}
    steps: dict[date, int] = {}
    for point in google.items(account, "steps"):
        day = _local_day(point["steps"])
        steps[day] = steps.get(day, 0) + int(point["steps"]["count"])
    assert len(days) >= 3 and {date.fromisoformat(d) for d in days} <= set(steps)
    for key, row in days.items():  # days at the window's edges count what was seeded there
        total = steps[date.fromisoformat(key)]
        assert row["steps"] == total and row["external_id"] == key
        assert row["distance_m"] == pytest.approx(total * 0.76)

    # Workouts in metres, sleep with its stages, weight in kilograms.
    workouts = {p["name"].rsplit("/", 1)[1]: p for p in google.items(account, "exercise")}
    for row in report.read[DataType.ACTIVITIES]:
        summary = workouts[row["external_id"]]["exercise"]["metricsSummary"]
        assert row["distance_m"] == pytest.approx(summary["distanceMillimeters"] / 1000)
    assert all(len(row["stages"]) > 5 and row["day"] for row in report.read[DataType.SLEEP])
    kinds = {row["kind"] for row in report.read[DataType.BODY]}
    assert kinds == {"weight", "body_fat"}
    assert all(60 < row["value"] < 80 for row in report.read[DataType.BODY]
               if row["kind"] == "weight")  # fmt: skip

    # Heart rate: one sample per instant, the vendor's value.
    beats = {datetime.fromisoformat(p["heartRate"]["sampleTime"]["physicalTime"].replace(
        "Z", "+00:00")): int(p["heartRate"]["beatsPerMinute"])
        for p in google.items(account, "heart-rate")}  # fmt: skip
    rows = report.read[DataType.HEART_RATE]
    assert len(rows) > 3 * 24 * 12 - 12 and len({row["external_id"] for row in rows}) == len(rows)
    for row in rows:
        assert row["value"] == beats[datetime.fromisoformat(row["time"].replace("Z", "+00:00"))]
    assert {row["kind"] for row in report.read[DataType.HRV]} == {"hrv_rmssd"}
    assert all(90 < row["value"] <= 100 for row in report.read[DataType.SPO2])
