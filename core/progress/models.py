"""Tortoise models for personal records and goals."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from fithub.core.accounts.models import User
    from fithub.core.exercises.models import Exercise


class RecordKind(StrEnum):
    MAX_WEIGHT = "max_weight"  # heaviest weight lifted for at least one rep
    MAX_REPS_AT_WEIGHT = "max_reps_at_weight"  # most reps at a given weight
    BEST_E1RM = "best_e1rm"  # best estimated one-repetition maximum (Epley)
    MAX_SESSION_VOLUME = "max_session_volume"  # most reps x weight for the exercise in one workout
    LONGEST_DISTANCE = "longest_distance"
    LONGEST_DURATION = "longest_duration"
    FASTEST_PACE = "fastest_pace"  # seconds per km, lower is better


class PersonalRecord(Model):
    """A record as it stood when set: superseded records stay as history."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="records", on_delete=fields.CASCADE
    )
    user_id: int
    exercise: fields.ForeignKeyRelation[Exercise] = fields.ForeignKeyField(
        "fithub.Exercise", related_name="records", on_delete=fields.CASCADE
    )
    exercise_id: int
    kind = fields.CharEnumField(RecordKind, max_length=24)
    value = fields.FloatField()
    weight_kg = fields.FloatField(null=True, description="the weight, for max_reps_at_weight")
    previous_value = fields.FloatField(null=True)
    workout_id = fields.BigIntField()
    set_id = fields.BigIntField(null=True)
    achieved_at = fields.DatetimeField()

    class Meta:
        table = "personal_records"
        indexes = (("user_id", "exercise_id", "kind"), ("user_id", "achieved_at"))


class GoalKind(StrEnum):
    WEIGHT = "weight"  # lift weight_kg on an exercise
    REPS = "reps"  # do N reps in one set of an exercise
    ONE_RM = "one_rm"  # estimated 1RM on an exercise
    DISTANCE = "distance"  # total distance (m) in the goal window
    CALORIES = "calories"  # total workout calories in the goal window
    STREAK = "streak"  # consecutive days with a completed workout
    BODY_METRIC = "body_metric"  # reach a body metric value (e.g. weight down to 70 kg)


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
    start_value = fields.FloatField(null=True)
    starts_on = fields.DateField()
    due_on = fields.DateField(null=True)
    achieved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "goals"
        indexes = (("user_id", "id"),)
