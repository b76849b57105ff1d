"""Models -> response bodies for the devices API (never a token, never a page token)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fithub.core.devices.gateway import BreakerState
from fithub.core.devices.models import (
    DeviceActivity,
    DeviceBodyMeasurement,
    DeviceConnection,
    DeviceDailySummary,
    DeviceSample,
    DeviceSleepSession,
    SyncLog,
)
from fithub.core.devices.schemas import (
    ActivityOut,
    BodyOut,
    BreakerOut,
    ConnectionOut,
    DailyOut,
    SampleOut,
    SleepOut,
    SleepStageOut,
    SyncOut,
)
from fithub.plugins.records import SAMPLE_UNITS


def breaker_out(state: BreakerState) -> BreakerOut:
    return BreakerOut(state=state.state, failures=state.failures, opened_at=state.opened_at,
                      retry_at=state.retry_at)  # fmt: skip


def connection_out(connection: DeviceConnection) -> ConnectionOut:
    until: dict[str, datetime | None] = {}
    for data_type, cursor in (connection.cursors or {}).items():
        since = cursor.get("since") if isinstance(cursor, dict) else None
        until[data_type] = datetime.fromisoformat(since) if since else None
    return ConnectionOut(
        provider=connection.provider,
        status=connection.status,
        scopes=list(connection.scopes or []),
        external_user_id=connection.external_user_id,
        connected_at=connection.connected_at,
        disconnected_at=connection.disconnected_at,
        access_expires_at=connection.access_expires_at,
        next_sync_at=connection.next_sync_at,
        last_sync_at=connection.last_sync_at,
        last_sync_status=connection.last_sync_status,
        last_error=connection.last_error,
        synced_until=until,
    )


def sync_out(row: SyncLog, provider: str) -> SyncOut:
    return SyncOut(
        id=row.id, provider=provider, trigger=row.trigger, status=row.status,
        data_types=list(row.data_types or []), window_start=row.window_start,
        window_end=row.window_end, pages=row.pages, fetched=row.fetched, inserted=row.inserted,
        updated=row.updated, unchanged=row.unchanged, errors=row.errors, error=row.error,
        details=dict(row.details or {}), retry_at=row.retry_at, queued_at=row.queued_at,
        started_at=row.started_at, finished_at=row.finished_at, worker=row.worker,
        lease_expires_at=row.lease_expires_at, superseded_by=row.superseded_by,
    )  # fmt: skip


def _base(row: Any, include_raw: bool) -> dict[str, Any]:
    return {"id": row.id, "provider": row.provider, "external_id": row.external_id,
            "raw": dict(row.payload) if include_raw else None}  # fmt: skip


def activity_out(row: DeviceActivity, include_raw: bool) -> ActivityOut:
    return ActivityOut(
        **_base(row, include_raw), start_time=row.start_time, end_time=row.end_time,
        sport=row.sport, name=row.name, detected=row.detected, calories_kcal=row.calories_kcal,
        distance_m=row.distance_m, steps=row.steps, avg_heart_rate_bpm=row.avg_heart_rate_bpm,
        max_heart_rate_bpm=row.max_heart_rate_bpm, intensity=row.intensity,
        duplicate_of=row.duplicate_of,
    )  # fmt: skip


def daily_out(row: DeviceDailySummary, include_raw: bool) -> DailyOut:
    return DailyOut(
        **_base(row, include_raw), day=row.day, steps=row.steps,
        active_calories_kcal=row.active_calories_kcal, total_calories_kcal=row.total_calories_kcal,
        distance_m=row.distance_m, active_minutes=row.active_minutes,
        resting_heart_rate_bpm=row.resting_heart_rate_bpm, score=row.score,
        duplicate_of=row.duplicate_of,
    )  # fmt: skip


def sample_out(row: DeviceSample, include_raw: bool) -> SampleOut:
    return SampleOut(**_base(row, include_raw), kind=row.kind, time=row.time, value=row.value,
                     unit=SAMPLE_UNITS[row.kind], context=row.context)  # fmt: skip


def sleep_out(row: DeviceSleepSession, include_raw: bool) -> SleepOut:
    stages = [SleepStageOut.model_validate(stage) for stage in row.stages or []]
    return SleepOut(
        **_base(row, include_raw), start_time=row.start_time, end_time=row.end_time, day=row.day,
        is_nap=row.is_nap, stages=stages, asleep_s=row.asleep_s, deep_s=row.deep_s,
        light_s=row.light_s, rem_s=row.rem_s, awake_s=row.awake_s, latency_s=row.latency_s,
        efficiency=row.efficiency, avg_heart_rate_bpm=row.avg_heart_rate_bpm,
        lowest_heart_rate_bpm=row.lowest_heart_rate_bpm, avg_hrv_ms=row.avg_hrv_ms,
        duplicate_of=row.duplicate_of,
    )  # fmt: skip


def body_out(row: DeviceBodyMeasurement, include_raw: bool) -> BodyOut:
    return BodyOut(**_base(row, include_raw), kind=row.kind, time=row.time, value=row.value)
