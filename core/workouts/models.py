"""Tortoise models for workouts, sets, records, templates and plans. Quantities are stored metric."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from fithub.core.exercises.models import Visibility

if TYPE_CHECKING:
    from fithub.core.accounts.models import User
    from fithub.core.exercises.models import Exercise


class WorkoutStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    SKIPPED = "skipped"


class Workout(Model):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="workouts", on_delete=fields.CASCADE
    )
    user_id: int
    name = fields.CharField(max_length=120)
    notes = fields.TextField(default="")
    tags: fields.Field[list[str]] = fields.JSONField(default=list)
    status = fields.CharEnumField(WorkoutStatus, max_length=12, default=WorkoutStatus.PLANNED)
    scheduled_at = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    duration_s = fields.IntField(null=True)
    perceived_exertion = fields.SmallIntField(null=True)
    location = fields.CharField(max_length=120, null=True)
    calories = fields.FloatField(null=True)
    source = fields.CharField(
        max_length=32, default="manual", description="manual, template, live, import"
    )
    template_version: fields.ForeignKeyNullableRelation[TemplateVersion] = fields.ForeignKeyField(
        "fithub.TemplateVersion", related_name="workouts", null=True, on_delete=fields.SET_NULL
    )
    template_version_id: int | None
    assignment_id = fields.BigIntField(null=True)
    client_ref = fields.CharField(
        max_length=80, null=True, description="idempotency key of the client that made it"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    entries: fields.ReverseRelation[WorkoutExercise]

    class Meta:
        table = "workouts"
        unique_together = (("user_id", "client_ref"),)
        indexes = (
            ("user_id", "id"),
            ("user_id", "status", "completed_at"),
            ("user_id", "scheduled_at"),
        )


class WorkoutExercise(Model):
    """An exercise in a workout, in order. Entries sharing ``superset`` are done back to back."""

    id = fields.BigIntField(primary_key=True)
    workout: fields.ForeignKeyRelation[Workout] = fields.ForeignKeyField(
        "fithub.Workout", related_name="entries", on_delete=fields.CASCADE
    )
    workout_id: int
    exercise: fields.ForeignKeyRelation[Exercise] = fields.ForeignKeyField(
        "fithub.Exercise", related_name="workout_entries", on_delete=fields.RESTRICT
    )
    exercise_id: int
    position = fields.SmallIntField()
    superset = fields.CharField(max_length=16, null=True)
    notes = fields.TextField(default="")

    sets: fields.ReverseRelation[WorkoutSet]

    class Meta:
        table = "workout_exercises"
        indexes = (("workout_id", "position"),)


class WorkoutSet(Model):
    """One set. ``user_id``, ``workout_id`` and ``exercise_id`` are copied here for fast analytics."""

    id = fields.BigIntField(primary_key=True)
    entry: fields.ForeignKeyRelation[WorkoutExercise] = fields.ForeignKeyField(
        "fithub.WorkoutExercise", related_name="sets", on_delete=fields.CASCADE
    )
    entry_id: int
    user_id = fields.IntField()
    workout_id = fields.BigIntField()
    exercise_id = fields.IntField()
    set_number = fields.SmallIntField()
    reps = fields.SmallIntField(null=True)
    weight_kg = fields.FloatField(null=True)
    duration_s = fields.IntField(null=True)
    distance_m = fields.FloatField(null=True)
    rpe = fields.FloatField(null=True)
    heart_rate = fields.SmallIntField(null=True)
    heart_rate_peak = fields.SmallIntField(null=True)
    heart_rate_recovery_bpm = fields.SmallIntField(
        null=True, description="drop from the sets end to the end of the rest after it"
    )
    time_under_tension_s = fields.FloatField(null=True)
    rest_s = fields.IntField(null=True)
    is_warmup = fields.BooleanField(default=False)
    is_failure = fields.BooleanField(default=False)
    completed = fields.BooleanField(default=True)
    form_score = fields.FloatField(null=True)
    custom: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    e1rm_kg = fields.FloatField(null=True, description="Epley estimate, stored for analytics")
    volume_kg = fields.FloatField(null=True, description="reps x weight")
    performed_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "workout_sets"
        indexes = (
            ("user_id", "exercise_id", "performed_at"),
            ("workout_id",),
            ("user_id", "performed_at"),
        )


class WorkoutTemplate(Model):
    """A reusable workout whose content lives in immutable versions."""

    id = fields.BigIntField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="templates", on_delete=fields.CASCADE
    )
    owner_id: int
    name = fields.CharField(max_length=120)
    description = fields.TextField(default="")
    visibility = fields.CharEnumField(Visibility, max_length=8, default=Visibility.PRIVATE)
    current_version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    versions: fields.ReverseRelation[TemplateVersion]

    class Meta:
        table = "workout_templates"
        indexes = (("owner_id", "id"), ("visibility",))


class TemplateVersion(Model):
    """One immutable version of a template: ``items`` is the validated list of exercises and blocks."""

    id = fields.BigIntField(primary_key=True)
    template: fields.ForeignKeyRelation[WorkoutTemplate] = fields.ForeignKeyField(
        "fithub.WorkoutTemplate", related_name="versions", on_delete=fields.CASCADE
    )
    template_id: int
    version = fields.IntField()
    name = fields.CharField(max_length=120)
    items: fields.Field[list[dict[str, Any]]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "template_versions"
        unique_together = (("template_id", "version"),)


class WorkoutPlan(Model):
    """A weekly plan: templates placed on weekdays, repeated for ``weeks`` weeks."""

    id = fields.BigIntField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="plans", on_delete=fields.CASCADE
    )
    owner_id: int
    name = fields.CharField(max_length=120)
    description = fields.TextField(default="")
    weeks = fields.SmallIntField(default=1)
    visibility = fields.CharEnumField(Visibility, max_length=8, default=Visibility.PRIVATE)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    entries: fields.ReverseRelation[PlanEntry]

    class Meta:
        table = "workout_plans"


class PlanEntry(Model):
    id = fields.BigIntField(primary_key=True)
    plan: fields.ForeignKeyRelation[WorkoutPlan] = fields.ForeignKeyField(
        "fithub.WorkoutPlan", related_name="entries", on_delete=fields.CASCADE
    )
    plan_id: int
    template: fields.ForeignKeyRelation[WorkoutTemplate] = fields.ForeignKeyField(
        "fithub.WorkoutTemplate", related_name="plan_entries", on_delete=fields.CASCADE
    )
    template_id: int
    week = fields.SmallIntField(default=1)
    weekday = fields.SmallIntField(description="0 = Monday")

    class Meta:
        table = "plan_entries"


class RecordKind(StrEnum):
    MAX_WEIGHT = "max_weight"  # heaviest weight lifted for at least one rep
    MAX_REPS_AT_WEIGHT = "max_reps_at_weight"  # most reps at a given weight
    BEST_E1RM = "best_e1rm"  # best estimated one-repetition maximum (Epley)
    MAX_SESSION_VOLUME = "max_session_volume"  # most reps x weight for the exercise in one workout
    LONGEST_DISTANCE = "longest_distance"
    LONGEST_DURATION = "longest_duration"
    FASTEST_PACE = "fastest_pace"  # seconds per km, lower is better
    MAX_REPS = "max_reps"  # most reps in one set of a bodyweight exercise (no added weight)


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
