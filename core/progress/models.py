"""Tortoise models for goals (personal records are the workouts' own: core/workouts/models.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

# migrations/0002 imports RecordKind from here; the records moved to the workouts layer.
from fithub.core.workouts.models import RecordKind as RecordKind

if TYPE_CHECKING:
    from fithub.core.accounts.models import User
    from fithub.core.exercises.models import Exercise


class GoalKind(StrEnum):
    WEIGHT = "weight"  # lift weight_kg on an exercise
    REPS = "reps"  # do N reps in one set of an exercise
    ONE_RM = "one_rm"  # estimated 1RM on an exercise
    DISTANCE = "distance"  # total distance (m) in the goal window
    CALORIES = "calories"  # total workout calories in the goal window
    STREAK = "streak"  # consecutive days with a completed workout
    BODY_METRIC = "body_metric"  # reach a body metric value (e.g. weight down to 70 kg)
    NUTRITION = "nutrition"  # a daily average of a nutrient over window_days, at least or at most


class Goal(Model):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="goals", on_delete=fields.CASCADE
    )
    user_id: int
    kind = fields.CharEnumField(GoalKind, max_length=12)
    title = fields.CharField(max_length=120)
    exercise: fields.ForeignKeyNullableRelation[Exercise] = fields.ForeignKeyField(
        "fithub.Exercise", related_name="goals", null=True, on_delete=fields.CASCADE
    )
    exercise_id: int | None
    metric = fields.CharField(max_length=24, null=True, description="body metric kind")
    target_value = fields.FloatField()
    comparison = fields.CharField(max_length=8, null=True, description="at_least or at_most")
    window_days = fields.IntField(null=True, description="days a nutrition average runs over")
    start_value = fields.FloatField(null=True)
    starts_on = fields.DateField()
    due_on = fields.DateField(null=True)
    achieved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "goals"
        indexes = (("user_id", "id"),)
