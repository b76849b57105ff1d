"""Each built-in provider normalises exactly the data types it always did, with the same functions."""

from __future__ import annotations

import importlib

import pytest

from fithub.plugins.provider import ProviderBase
from fithub.plugins.types import DataType

# The tables as the providers wrote them out by hand before ``@normalises`` (issue 12).
EXPECTED: dict[str, dict[DataType, str]] = {
    "fitbit": {
        DataType.DAILY: "daily",
        DataType.ACTIVITIES: "activity",
        DataType.HEART_RATE: "heart_rate",
        DataType.SLEEP: "sleep",
        DataType.BODY: "body",
    },
    "garmin": {
        DataType.DAILY: "daily",
        DataType.HEART_RATE: "heart_rate",
        DataType.ACTIVITIES: "activity",
        DataType.SLEEP: "sleep",
        DataType.BODY: "body_composition",
        DataType.HRV: "hrv",
        DataType.SPO2: "pulse_ox",
    },
    "google": {
        DataType.DAILY: "daily",
        DataType.ACTIVITIES: "exercise",
        DataType.SLEEP: "sleep",
        DataType.HEART_RATE: "heart_rate",
        DataType.BODY: "body",
        DataType.HRV: "hrv",
        DataType.SPO2: "spo2",
    },
    "oura": {
        DataType.DAILY: "daily_activity",
        DataType.ACTIVITIES: "workout",
        DataType.SLEEP: "sleep",
        DataType.HEART_RATE: "heartrate",
    },
    "polar": {
        DataType.ACTIVITIES: "exercise",
        DataType.DAILY: "daily_activity",
        DataType.SLEEP: "sleep",
        DataType.HRV: "nightly_recharge",
        DataType.HEART_RATE: "continuous_heart_rate",
    },
    "strava": {DataType.ACTIVITIES: "activity"},
    "whoop": {
        DataType.ACTIVITIES: "workout",
        DataType.SLEEP: "sleep",
        DataType.DAILY: "cycle",
        DataType.HRV: "recovery_hrv",
        DataType.SPO2: "recovery_spo2",
        DataType.BODY: "body",
    },
    "withings": {
        DataType.BODY: "measure_group",
        DataType.DAILY: "activity",
        DataType.ACTIVITIES: "workout",
        DataType.SLEEP: "sleep_summary",
        DataType.HEART_RATE: "intraday_heart_rate",
    },
}


def _provider(vendor: str) -> type[ProviderBase]:
    package = importlib.import_module(f"fithub.plugins.{vendor}")
    (provider,) = package.register_device_providers(None)
    assert issubclass(provider, ProviderBase)
    return provider


@pytest.mark.parametrize("vendor", sorted(EXPECTED))
def test_normalisers_are_the_recorded_table(vendor: str) -> None:
    mapping = importlib.import_module(f"fithub.plugins.{vendor}.mapping")
    provider = _provider(vendor)
    expected = {data_type: getattr(mapping, name) for data_type, name in EXPECTED[vendor].items()}
    assert dict(provider.normalisers) == expected


@pytest.mark.parametrize("vendor", sorted(EXPECTED))
def test_normalisers_cover_the_declared_data_types(vendor: str) -> None:
    provider = _provider(vendor)
    assert set(provider.normalisers) == set(provider.data_types)
