"""Tortoise models for exercises and the muscles they work."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from fithub.core.accounts.models import User


class ExerciseType(StrEnum):
    STRENGTH = "strength"
    CARDIO = "cardio"
    MOBILITY = "mobility"
    BODYWEIGHT = "bodyweight"


class Visibility(StrEnum):
    """Who may see a user-made item: only its owner, the owner's clients, or everyone."""

    PRIVATE = "private"
    CLIENTS = "clients"
    PUBLIC = "public"


class Exercise(Model):
    """A catalog exercise (owner null) or a custom one made by a user."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=120, unique=True)
    name = fields.CharField(max_length=120)
    aliases: fields.Field[list[str]] = fields.JSONField(default=list)
    type = fields.CharEnumField(ExerciseType, max_length=12)
    primary_muscles: fields.Field[list[str]] = fields.JSONField(default=list)
    secondary_muscles: fields.Field[list[str]] = fields.JSONField(default=list)
    equipment = fields.CharField(max_length=40, default="none")
    instructions = fields.TextField(default="")
    search_text = fields.CharField(
        max_length=600, default="", description="name and aliases, normalised"
    )
    owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="custom_exercises", null=True, on_delete=fields.CASCADE
    )
    owner_id: int | None
    visibility = fields.CharEnumField(Visibility, max_length=8, default=Visibility.PUBLIC)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    muscles: fields.ReverseRelation[ExerciseMuscle]

    class Meta:
        table = "exercises"
        indexes = (("owner_id", "visibility"), ("type", "equipment"))

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type.value}


class ExerciseMuscle(Model):
    """One muscle group an exercise works (for filters and volume-by-muscle analytics)."""

    id = fields.IntField(primary_key=True)
    exercise: fields.ForeignKeyRelation[Exercise] = fields.ForeignKeyField(
        "fithub.Exercise", related_name="muscles", on_delete=fields.CASCADE
    )
    exercise_id: int
    muscle = fields.CharField(max_length=32)
    is_primary = fields.BooleanField(default=True)

    class Meta:
        table = "exercise_muscles"
        unique_together = (("exercise_id", "muscle"),)
        indexes = (("muscle", "is_primary"),)
