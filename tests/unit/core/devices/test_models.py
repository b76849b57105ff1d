"""The device record tables share their columns through one abstract model, in the migrated order."""

from __future__ import annotations

import pytest
from tortoise.models import Model

from fithub.core.devices.models import (
    DeduplicatedDeviceRecord,
    DeviceActivity,
    DeviceBodyMeasurement,
    DeviceDailySummary,
    DeviceRecord,
    DeviceSample,
    DeviceSleepSession,
)

RECORDS = [DeviceActivity, DeviceDailySummary, DeviceSample, DeviceSleepSession,
           DeviceBodyMeasurement]  # fmt: skip


def test_the_bases_have_no_table() -> None:
    assert DeviceRecord._meta.abstract and DeduplicatedDeviceRecord._meta.abstract
    assert {m._meta.db_table for m in RECORDS} == {
        "device_activities", "device_daily_summaries", "device_samples", "device_sleep_sessions",
        "device_body_measurements",
    }  # fmt: skip


@pytest.mark.parametrize("model", RECORDS, ids=lambda m: m.__name__)
def test_shared_columns_keep_the_migrated_order(model: type[Model]) -> None:
    """The identity first, the bookkeeping last, the table's own columns between (as 0001_initial
    created them): Tortoise would otherwise put every inherited column first."""
    assert issubclass(model, DeviceRecord)
    columns = [c for c in model._meta.fields_db_projection if c != "user_id"]  # added at init
    assert columns[:3] == ["id", "provider", "external_id"]
    tail = ["payload", "digest", "created_at", "updated_at"]
    if issubclass(model, DeduplicatedDeviceRecord):
        tail.insert(0, "duplicate_of")
    assert columns[-len(tail):] == tail
    assert model._meta.fields_map["user"].related_name == f"device_{model._meta.db_table[7:]}"
