"""Request and response bodies of the devices API and of the device-data read endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fithub.core.body.schemas import Window
from fithub.core.devices.models import ConnectionStatus, SyncStatus
from fithub.core.pagination import PageQuery
from fithub.plugins.records import BodyKind, SampleKind


class BreakerOut(BaseModel):
    state: str = Field(description="closed, open (calls paused) or half-open (trying again)")
    failures: int = Field(description="vendor failures in a row")
    opened_at: datetime | None
    retry_at: datetime | None = Field(description="when an open breaker lets a trial call through")


class ProviderOut(BaseModel):
    name: str
    display_name: str
    auth_kind: str | None
    data_types: list[str]
    scopes: list[str]
    supported: bool = Field(description="implements the provider contract")
    configured: bool = Field(description="this server has app credentials for it")
    breaker: BreakerOut


class ConnectionOut(BaseModel):
    provider: str
    status: ConnectionStatus
    scopes: list[str]
    external_user_id: str | None
    connected_at: datetime | None
    disconnected_at: datetime | None
    access_expires_at: datetime | None
    next_sync_at: datetime | None
    last_sync_at: datetime | None
    last_sync_status: str | None
    last_error: str
    synced_until: dict[str, datetime | None] = Field(
        description="per data type, the end of the last window fully stored"
    )


class DevicesOut(BaseModel):
    providers: list[ProviderOut]
    connections: list[ConnectionOut]


class ConnectOut(BaseModel):
    provider: str
    authorization_url: str = Field(description="send the user here to grant access")
    state: str
    expires_at: datetime


class CallbackIn(BaseModel):
    """The query parameters the vendor sent the browser back with (for apps that catch them)."""

    model_config = ConfigDict(extra="forbid")

    params: dict[str, str] = Field(max_length=50)


class SyncOut(BaseModel):
    id: int
    provider: str
    trigger: str
    status: SyncStatus
    data_types: list[str]
    window_start: datetime | None
    window_end: datetime | None
    pages: int
    fetched: int
    inserted: int
    updated: int
    unchanged: int
    errors: int
    error: str
    details: dict[str, Any]
    retry_at: datetime | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    worker: str | None = Field(None, description="the worker running it (host:pid:random)")
    lease_expires_at: datetime | None = Field(
        None,
        description="running: another worker takes the run over after this; queued: the "
        "recovery sweep does not queue it again before this",
    )
    superseded_by: int | None = Field(
        None, description="status superseded: the sync that took this run over and resumed it"
    )


class SyncAccepted(SyncOut):
    created: bool = Field(description="false: a sync was already queued or running")


class SyncPage(BaseModel):
    items: list[SyncOut]
    next_cursor: str | None = None


class CallbackOut(BaseModel):
    connection: ConnectionOut
    sync: SyncOut | None


class SyncQuery(BaseModel):
    data_types: str | None = Field(None, description="comma-separated; default every data type")


# -- read endpoints -------------------------------------------------------------------------------


class DataQuery(PageQuery, Window):
    provider: str | None = Field(None, max_length=32)
    order: Literal["asc", "desc"] = "desc"
    include_raw: bool = Field(False, description="add each record's vendor payload")


class MergedQuery(DataQuery):
    include_duplicates: bool = Field(
        False, description="also the records another provider already reported (see ADR 0005)"
    )


class SampleQuery(DataQuery):
    kind: SampleKind = SampleKind.HEART_RATE


class BodyQuery(DataQuery):
    kind: BodyKind | None = None


class DeviceRecordOut(BaseModel):
    id: int
    provider: str
    external_id: str
    raw: dict[str, Any] | None = None


class ActivityOut(DeviceRecordOut):
    start_time: datetime
    end_time: datetime
    sport: str
    name: str | None
    detected: bool
    calories_kcal: float | None
    distance_m: float | None
    steps: int | None
    avg_heart_rate_bpm: float | None
    max_heart_rate_bpm: float | None
    intensity: str | None
    duplicate_of: int | None


class DailyOut(DeviceRecordOut):
    day: date
    steps: int | None
    active_calories_kcal: float | None
    total_calories_kcal: float | None
    distance_m: float | None
    active_minutes: float | None
    resting_heart_rate_bpm: float | None
    score: float | None
    duplicate_of: int | None


class SampleOut(DeviceRecordOut):
    kind: SampleKind
    time: datetime
    value: float
    unit: str
    context: str | None


class SleepStageOut(BaseModel):
    stage: str
    start: datetime
    end: datetime


class SleepOut(DeviceRecordOut):
    start_time: datetime
    end_time: datetime
    day: date | None
    is_nap: bool
    stages: list[SleepStageOut]
    asleep_s: float | None
    deep_s: float | None
    light_s: float | None
    rem_s: float | None
    awake_s: float | None
    latency_s: float | None
    efficiency: float | None
    avg_heart_rate_bpm: float | None
    lowest_heart_rate_bpm: float | None
    avg_hrv_ms: float | None
    duplicate_of: int | None


class BodyOut(DeviceRecordOut):
    kind: BodyKind
    time: datetime
    value: float


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    next_cursor: str | None = None


class DailyPage(BaseModel):
    items: list[DailyOut]
    next_cursor: str | None = None


class SamplePage(BaseModel):
    items: list[SampleOut]
    next_cursor: str | None = None


class SleepPage(BaseModel):
    items: list[SleepOut]
    next_cursor: str | None = None


class BodyPage(BaseModel):
    items: list[BodyOut]
    next_cursor: str | None = None
