"""Tortoise models of the devices domain: connections, OAuth states, sync logs, normalised records.

Model docstrings and field descriptions become SQL comments: no semicolons or apostrophes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from fithub.plugins.records import BodyKind, SampleKind

if TYPE_CHECKING:
    from fithub.core.accounts.models import User


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    REAUTH_REQUIRED = "reauth_required"
    DISCONNECTED = "disconnected"


class SyncStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # some data types failed, the others were stored
    FAILED = "failed"
    DEFERRED = "deferred"  # rate limited for longer than a job waits: queued again later
    SKIPPED = "skipped"  # not connected any more, or another sync was already running
    SUPERSEDED = "superseded"  # its worker stopped renewing its lease: superseded_by took over


class DeviceConnection(Model):
    """A link between a user and their account at a device vendor."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="device_connections", on_delete=fields.CASCADE
    )
    user_id: int
    provider = fields.CharField(max_length=32)
    status = fields.CharEnumField(
        ConnectionStatus, max_length=16, default=ConnectionStatus.CONNECTED
    )
    scopes: fields.Field[list[str]] = fields.JSONField(default=list)
    credentials = fields.TextField(null=True, description="sealed vendor tokens, AES-GCM")
    credentials_key_id = fields.CharField(max_length=16, null=True)
    credentials_version = fields.IntField(default=0, description="bumped on every token change")
    access_expires_at = fields.DatetimeField(null=True)
    external_user_id = fields.CharField(max_length=128, null=True)
    cursors: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    next_sync_at = fields.DatetimeField(null=True)
    last_sync_at = fields.DatetimeField(null=True)
    last_sync_status = fields.CharField(max_length=16, null=True)
    last_error = fields.CharField(max_length=500, default="")
    connected_at = fields.DatetimeField(null=True)
    disconnected_at = fields.DatetimeField(null=True)
    running_sync_id = fields.BigIntField(null=True, description="the sync log holding the lease")
    sync_lease_expires_at = fields.DatetimeField(
        null=True, description="until when that sync holds the connection unless renewed"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "device_connections"
        unique_together = (("user", "provider"),)
        indexes = (("status", "next_sync_at"), ("provider", "external_user_id"))


class OAuthState(Model):
    """A connection being made: the state sent to the vendor, bound to one user, short lived."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="device_oauth_states", on_delete=fields.CASCADE
    )
    user_id: int
    provider = fields.CharField(max_length=32)
    state_hash = fields.CharField(max_length=64, unique=True, description="SHA-256 of the state")
    sealed = fields.TextField(description="sealed PKCE verifier and provider stash")
    redirect_uri = fields.CharField(max_length=500)
    expires_at = fields.DatetimeField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "device_oauth_states"


class SyncLog(Model):
    """One sync run of one connection, with what it fetched and stored."""

    id = fields.BigIntField(primary_key=True)
    connection: fields.ForeignKeyRelation[DeviceConnection] = fields.ForeignKeyField(
        "fithub.DeviceConnection", related_name="sync_logs", on_delete=fields.CASCADE
    )
    connection_id: int
    trigger = fields.CharField(max_length=16, description="manual, scheduled, backfill or push")
    data_types: fields.Field[list[str]] = fields.JSONField(default=list)
    status = fields.CharEnumField(SyncStatus, max_length=16, default=SyncStatus.QUEUED)
    window_start = fields.DatetimeField(null=True)
    window_end = fields.DatetimeField(null=True)
    pages = fields.IntField(default=0)
    fetched = fields.IntField(default=0)
    inserted = fields.IntField(default=0)
    updated = fields.IntField(default=0)
    unchanged = fields.IntField(default=0)
    errors = fields.IntField(default=0)
    details: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    error = fields.CharField(max_length=500, default="")
    retry_at = fields.DatetimeField(null=True)
    queued_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    worker = fields.CharField(max_length=80, null=True, description="the worker running it")
    lease_expires_at = fields.DatetimeField(null=True, description="renewed while it runs")
    superseded_by = fields.BigIntField(null=True, description="the run that took this one over")

    class Meta:
        table = "device_sync_logs"
        indexes = (("connection_id", "status"), ("status", "lease_expires_at"))


_TRAILING_COLUMNS = ("duplicate_of", "payload", "digest", "created_at", "updated_at")


class DeviceRecord(Model):
    """The columns every normalised device record shares (an abstract model, no table of its own).

    Each record table adds its ``user`` (with its own reverse name) and its own columns. Tortoise
    puts inherited columns first, so ``__init_subclass__`` moves the bookkeeping ones back to the
    end: every table keeps, column for column, the layout its migration created.
    """

    id = fields.BigIntField(primary_key=True)
    user_id: int
    provider = fields.CharField(max_length=32)
    external_id = fields.CharField(max_length=128)
    payload: fields.Field[dict[str, Any]] = fields.JSONField(
        default=dict, description="as the vendor sent it"
    )
    digest = fields.CharField(max_length=32)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        abstract = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        meta = cls._meta
        for name in _TRAILING_COLUMNS:
            if name in meta.fields_map:
                meta.fields_map[name] = meta.fields_map.pop(name)
                meta.fields_db_projection[name] = meta.fields_db_projection.pop(name)


class DeduplicatedDeviceRecord(DeviceRecord):
    """A device record another vendor may also report: ``duplicate_of`` marks the repeat."""

    duplicate_of = fields.BigIntField(null=True, description="the row this one repeats")

    class Meta:
        abstract = True


class DeviceActivity(DeduplicatedDeviceRecord):
    """A workout or activity session from a device vendor."""

    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="device_activities", on_delete=fields.CASCADE
    )
    start_time = fields.DatetimeField()
    end_time = fields.DatetimeField()
    sport = fields.CharField(max_length=64)
    name = fields.CharField(max_length=200, null=True)
    detected = fields.BooleanField(default=False)
    calories_kcal = fields.FloatField(null=True)
    distance_m = fields.FloatField(null=True)
    steps = fields.IntField(null=True)
    avg_heart_rate_bpm = fields.FloatField(null=True)
    max_heart_rate_bpm = fields.FloatField(null=True)
    intensity = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "device_activities"
        unique_together = (("user", "provider", "external_id"),)
        indexes = (("user_id", "start_time"),)


class DeviceDailySummary(DeduplicatedDeviceRecord):
    """One day of activity totals from a device vendor."""

    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="device_daily_summaries", on_delete=fields.CASCADE
    )
    day = fields.DateField()
    steps = fields.IntField(null=True)
    active_calories_kcal = fields.FloatField(null=True)
    total_calories_kcal = fields.FloatField(null=True)
    distance_m = fields.FloatField(null=True)
    active_minutes = fields.FloatField(null=True)
    resting_heart_rate_bpm = fields.FloatField(null=True)
    score = fields.FloatField(null=True)

    class Meta:
        table = "device_daily_summaries"
        unique_together = (("user", "provider", "external_id"),)
        indexes = (("user_id", "day"),)


class DeviceSample(DeviceRecord):
    """One measurement at one instant from a device vendor (heart rate, HRV, SpO2 and so on)."""

    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="device_samples", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(SampleKind, max_length=32)
    time = fields.DatetimeField()
    value = fields.FloatField()
    context = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "device_samples"
        unique_together = (("user", "provider", "kind", "external_id"),)
        indexes = (("user_id", "kind", "time"),)


class DevicePosition(DeviceRecord):
    """A position fix (GPS) at one instant, from a phone streaming live or a device vendor."""

    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="device_positions", on_delete=fields.CASCADE
    )
    time = fields.DatetimeField()
    latitude = fields.FloatField(description="degrees north, WGS 84")
    longitude = fields.FloatField(description="degrees east, WGS 84")
    altitude_m = fields.FloatField(null=True)
    accuracy_m = fields.FloatField(null=True, description="horizontal accuracy radius")

    class Meta:
        table = "device_positions"
        unique_together = (("user", "provider", "external_id"),)
        indexes = (("user_id", "time"),)


class DeviceSleepSession(DeduplicatedDeviceRecord):
    """A night or a nap from a device vendor, with its sleep stages."""

    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="device_sleep_sessions", on_delete=fields.CASCADE
    )
    start_time = fields.DatetimeField()
    end_time = fields.DatetimeField()
    day = fields.DateField(null=True)
    is_nap = fields.BooleanField(default=False)
    stages: fields.Field[list[dict[str, Any]]] = fields.JSONField(default=list)
    asleep_s = fields.FloatField(null=True)
    deep_s = fields.FloatField(null=True)
    light_s = fields.FloatField(null=True)
    rem_s = fields.FloatField(null=True)
    awake_s = fields.FloatField(null=True)
    latency_s = fields.FloatField(null=True)
    efficiency = fields.FloatField(null=True)
    avg_heart_rate_bpm = fields.FloatField(null=True)
    lowest_heart_rate_bpm = fields.FloatField(null=True)
    avg_hrv_ms = fields.FloatField(null=True)

    class Meta:
        table = "device_sleep_sessions"
        unique_together = (("user", "provider", "external_id"),)
        indexes = (("user_id", "start_time"),)


class DeviceBodyMeasurement(DeviceRecord):
    """A body measurement from a device vendor (weight, body fat, blood pressure and so on)."""

    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="device_body_measurements", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(BodyKind, max_length=32)
    time = fields.DatetimeField()
    value = fields.FloatField()

    class Meta:
        table = "device_body_measurements"
        unique_together = (("user", "provider", "kind", "external_id"),)
        indexes = (("user_id", "kind", "time"),)


class PushStatus(StrEnum):
    QUEUED = "queued"
    PROCESSED = "processed"
    IGNORED = "ignored"  # no connection of that vendor user, or nothing to do
    FAILED = "failed"


class WebhookEvent(Model):
    """One change a vendor pushed to a webhook (the inbox of journey 3), kept until processed.

    ``dedup_key`` is a digest of the provider and the event, so a vendor delivering the same push
    twice stores it once.
    """

    id = fields.BigIntField(primary_key=True)
    provider = fields.CharField(max_length=32)
    external_user_id = fields.CharField(max_length=128)
    action = fields.CharField(max_length=16, description="upsert, delete or deauthorize")
    data_type = fields.CharField(max_length=32, null=True)
    object_id = fields.CharField(max_length=255, null=True)
    window_start = fields.DatetimeField(null=True)
    window_end = fields.DatetimeField(null=True)
    items: fields.Field[list[Any] | None] = fields.JSONField(
        null=True, description="vendor items carried by the push itself"
    )
    dedup_key = fields.CharField(max_length=64, unique=True)
    status = fields.CharEnumField(PushStatus, max_length=16, default=PushStatus.QUEUED)
    connection: fields.ForeignKeyNullableRelation[DeviceConnection] = fields.ForeignKeyField(
        "fithub.DeviceConnection", related_name="webhook_events", null=True,
        on_delete=fields.CASCADE,
    )  # fmt: skip
    connection_id: int | None
    sync_log_id = fields.BigIntField(null=True, description="the sync the push started")
    outcome: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    error = fields.CharField(max_length=500, default="")
    received_at = fields.DatetimeField(auto_now_add=True)
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "device_webhook_events"
        indexes = (("provider", "external_user_id"), ("status", "received_at"))
