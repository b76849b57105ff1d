"""Tortoise models of live telemetry: streams, heart-rate profiles and alert rules.

Samples themselves are device records (``device_samples``, ``device_positions``, provider
``live``). Model docstrings and field descriptions become SQL comments: no semicolons or
apostrophes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from fithub.core.accounts.models import User


class StreamStatus(StrEnum):
    ACTIVE = "active"  # a socket is sending, or may resume
    ENDED = "ended"  # the client said stop, or it stayed away past the resume window


class TelemetryStream(Model):
    """One live stream of one user from one source device (a chest strap, a watch, a bike)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="telemetry_streams", on_delete=fields.CASCADE
    )
    user_id: int
    device_id = fields.CharField(max_length=64, description="the client id of the source device")
    device_name = fields.CharField(max_length=100, default="")
    sport = fields.CharField(max_length=64, default="workout")
    status = fields.CharEnumField(StreamStatus, max_length=8, default=StreamStatus.ACTIVE)
    last_seq = fields.BigIntField(default=-1, description="the last batch number processed")
    batches = fields.IntField(default=0)
    batches_rejected = fields.IntField(default=0)
    samples = fields.IntField(default=0)
    first_sample_at = fields.DatetimeField(null=True)
    last_sample_at = fields.DatetimeField(null=True)
    summary: fields.Field[dict[str, Any]] = fields.JSONField(
        default=dict, description="derived values at the last batch"
    )
    started_at = fields.DatetimeField(auto_now_add=True)
    last_batch_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "telemetry_streams"
        indexes = (("user_id", "status"), ("status", "last_batch_at"))


class HeartRateProfile(Model):
    """What heart-rate zones and energy estimates are computed from, per user."""

    id = fields.BigIntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "fithub.User", related_name="heart_rate_profile", on_delete=fields.CASCADE
    )
    user_id: int
    max_bpm = fields.SmallIntField(null=True, description="measured maximum heart rate")
    resting_bpm = fields.SmallIntField(null=True, description="resting heart rate")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "telemetry_heart_rate_profiles"


class AlertCondition(StrEnum):
    ABOVE_ZONE = "above_zone"  # in a zone above ``zone`` for ``duration_s``
    BELOW_RATE = "below_rate"  # under ``bpm`` for ``duration_s``
    ABOVE_RATE = "above_rate"  # over ``bpm`` for ``duration_s``
    SIGNAL_LOST = "signal_lost"  # no heart rate for ``duration_s`` while streaming


class TelemetryAlertRule(Model):
    """A condition on a live stream the user wants to be told about, with a quiet period."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="telemetry_alert_rules", on_delete=fields.CASCADE
    )
    user_id: int
    name = fields.CharField(max_length=100, default="")
    condition = fields.CharEnumField(AlertCondition, max_length=16)
    zone = fields.SmallIntField(null=True)
    bpm = fields.SmallIntField(null=True)
    duration_s = fields.IntField(default=30)
    quiet_s = fields.IntField(default=300, description="no repeat for this long after firing")
    enabled = fields.BooleanField(default=True)
    last_fired_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "telemetry_alert_rules"
        indexes = (("user_id", "enabled"),)
