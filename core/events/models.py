"""The outbox of domain events: committed with the change that caused them, dispatched later."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class DomainEvent(Model):
    id = fields.BigIntField(primary_key=True)
    user_id = fields.IntField(null=True)
    type = fields.CharField(max_length=64)
    payload: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    dispatched_at = fields.DatetimeField(null=True)

    class Meta:
        table = "domain_events"
        indexes = (("dispatched_at", "id"), ("user_id", "type", "id"))
