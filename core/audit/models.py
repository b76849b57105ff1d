"""Tortoise model for audit events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from fithub.core.accounts.models import User


class AuditEvent(Model):
    """One recorded authentication event or change to user data."""

    id = fields.BigIntField(primary_key=True)
    subject: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="audit_events", null=True, on_delete=fields.SET_NULL
    )
    subject_id: int | None
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="audit_actions", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    action = fields.CharField(max_length=64)
    target_type = fields.CharField(max_length=32, null=True)
    target_id = fields.CharField(max_length=64, null=True)
    ip_address = fields.CharField(max_length=45, null=True)
    user_agent = fields.CharField(max_length=255, null=True)
    request_id = fields.CharField(max_length=64, null=True)
    details: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_events"
        indexes = (("subject_id", "id"), ("action", "id"))
