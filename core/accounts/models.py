"""Tortoise models for users, their sign-in sessions, and who coaches whom."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    USER = "user"
    TRAINER = "trainer"
    ADMIN = "admin"


class UnitSystem(StrEnum):
    METRIC = "metric"
    IMPERIAL = "imperial"


class Privacy(StrEnum):
    PRIVATE = "private"
    TRAINERS = "trainers"
    PUBLIC = "public"


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    OTHER = "other"
    UNDISCLOSED = "undisclosed"


class User(Model):
    """A person with an account. Body measures are stored metric whatever the unit preference."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    display_name = fields.CharField(max_length=100)
    birth_date = fields.DateField(null=True)
    gender = fields.CharEnumField(Gender, max_length=16, null=True)
    height_cm = fields.FloatField(null=True)
    weight_kg = fields.FloatField(null=True)
    timezone = fields.CharField(max_length=64, default="UTC")
    locale = fields.CharField(max_length=35, default="en")
    unit_system = fields.CharEnumField(UnitSystem, max_length=8, default=UnitSystem.METRIC)
    privacy = fields.CharEnumField(Privacy, max_length=8, default=Privacy.PRIVATE)
    role = fields.CharEnumField(Role, max_length=8, default=Role.USER)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    password_changed_at = fields.DatetimeField(null=True)
    email_verified_at = fields.DatetimeField(null=True)

    class Meta:
        table = "users"


class AuthSession(Model):
    """One signed-in device: a family of rotating refresh tokens."""

    id = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="sessions", on_delete=fields.CASCADE
    )
    user_id: int
    device_name = fields.CharField(max_length=100, null=True)
    user_agent = fields.CharField(max_length=255, null=True)
    ip_address = fields.CharField(max_length=45, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    revoke_reason = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "auth_sessions"
        indexes = (("user_id", "revoked_at"),)


class RefreshToken(Model):
    """A refresh token, stored as its SHA-256. Once used it is spent, and reuse revokes its session."""

    id = fields.BigIntField(primary_key=True)
    session: fields.ForeignKeyRelation[AuthSession] = fields.ForeignKeyField(
        "fithub.AuthSession", related_name="tokens", on_delete=fields.CASCADE
    )
    session_id: UUID
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refresh_tokens"


class RelationStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DECLINED = "declined"
    ENDED = "ended"


class CoachingRelation(Model):
    """An invitation from a trainer to a person (by e-mail) and, once accepted, the relation."""

    id = fields.BigIntField(primary_key=True)
    trainer: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="coached", on_delete=fields.CASCADE
    )
    trainer_id: int
    client: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="coaches", null=True, on_delete=fields.CASCADE
    )
    client_id: int | None
    invite_email = fields.CharField(max_length=254)
    status = fields.CharEnumField(RelationStatus, max_length=8, default=RelationStatus.PENDING)
    share_workouts = fields.BooleanField(default=True)
    share_body_metrics = fields.BooleanField(default=False)
    share_goals = fields.BooleanField(default=True)
    share_live = fields.BooleanField(default=False, description="live telemetry while streaming")
    share_nutrition = fields.BooleanField(default=False, description="the food diary")
    message = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    responded_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    ended_by_id = fields.IntField(null=True)

    class Meta:
        table = "coaching_relations"
        indexes = (("trainer_id", "status"), ("client_id", "status"), ("invite_email", "status"))


class AccountToken(Model):
    """A single-use, expiring token mailed to a person: verify an address, reset a password."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="account_tokens", on_delete=fields.CASCADE
    )
    user_id: int
    purpose = fields.CharField(max_length=16, description="verify_email, reset, email_change")
    token_hash = fields.CharField(max_length=64, unique=True)
    email = fields.CharField(max_length=254, description="the address it was mailed to")
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_tokens"
        indexes = (("user_id", "purpose"),)
