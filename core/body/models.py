"""Tortoise model for body measurements (stored metric)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from fithub.core.accounts.models import User


class MetricKind(StrEnum):
    WEIGHT = "weight"  # kg
    BODY_FAT = "body_fat"  # percent
    WAIST = "waist"  # cm
    CHEST = "chest"  # cm
    HIPS = "hips"  # cm
    ARM = "arm"  # cm
    THIGH = "thigh"  # cm
    NECK = "neck"  # cm
    RESTING_HR = "resting_hr"  # beats per minute
    BLOOD_PRESSURE = "blood_pressure"  # value = systolic, value2 = diastolic, mmHg
    SLEEP_HOURS = "sleep_hours"  # hours
    HYDRATION = "hydration"  # litres


class BodyMetric(Model):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="body_metrics", on_delete=fields.CASCADE
    )
    user_id: int
    kind = fields.CharEnumField(MetricKind, max_length=16)
    value = fields.FloatField()
    value2 = fields.FloatField(null=True)
    measured_at = fields.DatetimeField()
    note = fields.CharField(max_length=200, default="")
    source = fields.CharField(max_length=32, default="manual")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "body_metrics"
        indexes = (("user_id", "kind", "measured_at"),)
