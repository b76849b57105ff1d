"""Notifications: the inbox, one delivery per channel, preferences, reminders, outbound webhooks.

Journey 5 (../DESIGN.md): an event consumer turns domain events into :class:`Notification` rows
(one per person, kept once thanks to ``dedup_key``); each gets one :class:`Delivery` per channel,
retried on its own with backoff (:class:`DeliveryAttempt` logs every try). Outbound webhooks are
deliveries too, to a :class:`WebhookEndpoint`, carrying the event's versioned payload.
"""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from fithub.core.accounts.models import User
    from fithub.core.workouts.models import WorkoutPlan


class WallClockField(fields.CharField):  # type: ignore[type-arg]
    """A wall-clock time of day without a zone (quiet hours, a reminder's time), stored ``HH:MM``.

    Text, not a SQL TIME: SQLite has no time type, and PostgreSQL's would come back zone-aware
    from some drivers; a person's 07:00 is the same string everywhere.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=5, **kwargs)

    def to_db_value(self, value: Any, instance: Any) -> Any:
        if isinstance(value, time):
            return value.strftime("%H:%M")
        return super().to_db_value(value, instance)

    def to_python_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return time.fromisoformat(value)
        return value


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # a worker holds it until lease_expires_at
    SENT = "sent"  # the channel accepted it
    DELIVERED = "delivered"  # the channel reported it delivered (an SMS status callback)
    FAILED = "failed"  # every attempt failed, or the channel refused for good
    SKIPPED = "skipped"  # nothing to send to (no address on the channel, a removed token)


FINAL_STATUSES = (
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.FAILED,
    DeliveryStatus.SKIPPED,
)


class Notification(Model):
    """Something to tell one person: an inbox item (unless ``inbox`` is false, as for account mails)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="notifications", on_delete=fields.CASCADE
    )
    user_id: int
    kind = fields.CharField(max_length=64)
    title = fields.CharField(max_length=200)
    text = fields.TextField()
    context: fields.Field[dict[str, Any]] = fields.JSONField(
        default=dict, description="what the templates are rendered from"
    )
    sealed_context = fields.TextField(
        null=True, description="secret template values (a reset link), sealed, wiped once sent"
    )
    dedup_key = fields.CharField(max_length=128, description="one notification per cause")
    event_id = fields.BigIntField(null=True)
    inbox = fields.BooleanField(default=True)
    urgent = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)
    dismissed_at = fields.DatetimeField(null=True)

    deliveries: fields.ReverseRelation[Delivery]

    class Meta:
        table = "notifications"
        unique_together = (("user_id", "dedup_key"),)
        indexes = (("user_id", "inbox", "dismissed_at", "id"),)


class WebhookEndpoint(Model):
    """Where an app builder receives events: a user's own, or an admin's for every user."""

    id = fields.BigIntField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="webhook_endpoints", on_delete=fields.CASCADE
    )
    owner_id: int
    all_users = fields.BooleanField(default=False, description="an admin's: events of every user")
    url = fields.CharField(max_length=2048)
    description = fields.CharField(max_length=200, default="")
    event_types: fields.Field[list[str]] = fields.JSONField(default=list)
    secrets = fields.TextField(description="sealed signing secrets, newest first")
    rotation_ends_at = fields.DatetimeField(
        null=True, description="the older secret signs until then"
    )
    enabled = fields.BooleanField(default=True)
    disabled_reason = fields.CharField(max_length=200, null=True)
    failing_since = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhook_endpoints"
        indexes = (("enabled", "all_users"),)


class Delivery(Model):
    """One message on one channel: a notification's (to a person) or an event's (to an endpoint)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="deliveries", on_delete=fields.CASCADE
    )
    user_id: int
    notification: fields.ForeignKeyNullableRelation[Notification] = fields.ForeignKeyField(
        "fithub.Notification", related_name="deliveries", on_delete=fields.CASCADE, null=True
    )
    notification_id: int | None
    endpoint: fields.ForeignKeyNullableRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "fithub.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE, null=True
    )
    endpoint_id: int | None
    channel = fields.CharField(max_length=32, description="the notifier plugin's name")
    target = fields.CharField(max_length=64, null=True, description="a push token's digest")
    event_type = fields.CharField(max_length=64, null=True, description="a webhook's event type")
    event_id = fields.BigIntField(null=True)
    payload: fields.Field[dict[str, Any] | None] = fields.JSONField(
        null=True, description="a webhook's body: the event's versioned payload"
    )
    idempotency_key = fields.CharField(max_length=64, unique=True)
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField()
    lease_expires_at = fields.DatetimeField(null=True)
    worker = fields.CharField(max_length=80, null=True)
    last_error = fields.CharField(max_length=500, null=True)
    provider_message_id = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notification_deliveries"
        indexes = (
            ("status", "next_attempt_at"),
            ("channel", "provider_message_id"),
            ("endpoint_id", "id"),
            ("user_id", "id"),
        )


class DeliveryAttempt(Model):
    """One try of a delivery: when, how long, and what came of it."""

    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[Delivery] = fields.ForeignKeyField(
        "fithub.Delivery", related_name="attempt_log", on_delete=fields.CASCADE
    )
    delivery_id: int
    number = fields.SmallIntField()
    started_at = fields.DatetimeField()
    duration_ms = fields.IntField()
    outcome = fields.CharField(max_length=16, description="sent, retry, gave_up, invalid")
    error = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "notification_delivery_attempts"
        indexes = (("delivery_id", "number"),)


class NotificationPreference(Model):
    """A person's choice for one kind on one channel (absent: the kind's default)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="notification_preferences", on_delete=fields.CASCADE
    )
    user_id: int
    kind = fields.CharField(max_length=64)
    channel = fields.CharField(max_length=32)
    enabled = fields.BooleanField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notification_preferences"
        unique_together = (("user_id", "kind", "channel"),)


class NotificationSettings(Model):
    """A person's quiet hours (in their time zone) and addresses on channels other than e-mail."""

    id = fields.BigIntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "fithub.User", related_name="notification_settings", on_delete=fields.CASCADE
    )
    user_id: int
    quiet_start: Any = WallClockField(null=True)
    quiet_end: Any = WallClockField(null=True)
    phone_number = fields.CharField(max_length=20, null=True, description="E.164, for SMS")
    unsubscribe_token = fields.CharField(max_length=64, unique=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notification_settings"


class PushToken(Model):
    """A device registered for push notifications (an FCM registration token)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="push_tokens", on_delete=fields.CASCADE
    )
    user_id: int
    token = fields.CharField(max_length=4096)
    token_digest = fields.CharField(max_length=64, unique=True)
    platform = fields.CharField(max_length=16)
    device_name = fields.CharField(max_length=100, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField()

    class Meta:
        table = "push_tokens"
        indexes = (("user_id", "id"),)


class Reminder(Model):
    """A recurring workout reminder at a local time on chosen weekdays (optionally for a plan)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="reminders", on_delete=fields.CASCADE
    )
    user_id: int
    plan: fields.ForeignKeyNullableRelation[WorkoutPlan] = fields.ForeignKeyField(
        "fithub.WorkoutPlan", related_name="reminders", on_delete=fields.CASCADE, null=True
    )
    plan_id: int | None
    title = fields.CharField(max_length=120)
    local_time: Any = WallClockField()
    weekdays = fields.SmallIntField(description="bit 0 = Monday ... bit 6 = Sunday")
    active = fields.BooleanField(default=True)
    next_due_at = fields.DatetimeField(null=True, description="UTC, null when inactive")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reminders"
        indexes = (("active", "next_due_at"), ("user_id", "id"))


class EventConsumer(Model):
    """A consumer's position in the event outbox, and which worker holds it."""

    name = fields.CharField(max_length=64, primary_key=True)
    position = fields.BigIntField(default=0)
    lease_expires_at = fields.DatetimeField(null=True)
    worker = fields.CharField(max_length=80, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "event_consumers"
