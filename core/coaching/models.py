"""Tortoise models for trainers, their clients and what they assign."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

# The trainer-client relation (CoachingRelation) is declared with the accounts, where lower layers
# can ask who coaches whom; RelationStatus stays importable here for migrations/0002.
from fithub.core.accounts.models import RelationStatus as RelationStatus

if TYPE_CHECKING:
    from fithub.core.accounts.models import CoachingRelation, User
    from fithub.core.exercises.models import Exercise
    from fithub.core.workouts.models import WorkoutTemplate


class AssignmentStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    MISSED = "missed"


class TrainerProfile(Model):
    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "fithub.User", related_name="trainer_profile", on_delete=fields.CASCADE
    )
    user_id: int
    business_name = fields.CharField(max_length=120, default="")
    bio = fields.TextField(default="")
    certifications: fields.Field[list[str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "trainer_profiles"


class Assignment(Model):
    """Work a trainer gives a client: a template or a single exercise, due on a date."""

    id = fields.BigIntField(primary_key=True)
    relation: fields.ForeignKeyRelation[CoachingRelation] = fields.ForeignKeyField(
        "fithub.CoachingRelation", related_name="assignments", on_delete=fields.CASCADE
    )
    relation_id: int
    trainer_id = fields.IntField()
    client_id = fields.IntField()
    template: fields.ForeignKeyNullableRelation[WorkoutTemplate] = fields.ForeignKeyField(
        "fithub.WorkoutTemplate", related_name="assignments", null=True, on_delete=fields.SET_NULL
    )
    template_id: int | None
    exercise: fields.ForeignKeyNullableRelation[Exercise] = fields.ForeignKeyField(
        "fithub.Exercise", related_name="assignments", null=True, on_delete=fields.SET_NULL
    )
    exercise_id: int | None
    title = fields.CharField(max_length=120)
    notes = fields.TextField(default="")
    due_on = fields.DateField()
    status = fields.CharEnumField(AssignmentStatus, max_length=10, default=AssignmentStatus.PENDING)
    completed_workout_id = fields.BigIntField(null=True)
    completed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "assignments"
        indexes = (("client_id", "status", "due_on"), ("trainer_id", "id"))
