"""The outbound webhook event catalogue, and fanning one domain event out to subscribed endpoints.

A webhook's body is the Standard Webhooks envelope ``{"type", "timestamp", "data"}`` plus
``version`` (of ``data``'s schema, per type) and ``event_id`` (fithub's outbox id, stable across
retries and replays). The catalogue is published at ``GET /api/v1/webhooks/event-types`` and in
docs/webhooks-outbound.md; a type's ``data`` gains fields within a version and changes shape only
with a new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from fithub.core.events.models import DomainEvent
from fithub.core.notifications.inbox import idempotency_key
from fithub.core.notifications.models import Delivery, WebhookEndpoint

_INT = {"type": "integer"}
_STR = {"type": "string"}
_NUM = {"type": "number"}
_TIME = {"type": "string", "format": "date-time"}


@dataclass(frozen=True)
class EventType:
    """One type of the catalogue: its name, what it means, and its data's schema."""

    name: str
    description: str
    properties: dict[str, Any]
    required: tuple[str, ...] = ("user_id",)
    version: int = 1
    sources: tuple[str, ...] = field(default=())  # the domain events it comes from

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of ``data`` for this type."""
        return {
            "type": "object",
            "properties": {"user_id": _INT, **self.properties},
            "required": list(self.required),
            "additionalProperties": True,
        }


CATALOGUE: dict[str, EventType] = {
    t.name: t
    for t in (
        EventType(
            "workout.completed",
            "A workout was completed.",
            {"workout_id": _INT, "assignments": {"type": "array", "items": _INT}},
            ("user_id", "workout_id"),
            sources=("workout.completed",),
        ),
        EventType(
            "record.achieved",
            "A personal record was set.",
            {
                "record_id": _INT,
                "exercise_id": _INT,
                "kind": _STR,
                "value": _NUM,
                "previous_value": {"type": ["number", "null"]},
                "workout_id": {"type": ["integer", "null"]},
            },
            ("user_id", "record_id", "kind", "value"),
            sources=("record.achieved",),
        ),
        EventType(
            "goal.achieved",
            "A goal was reached.",
            {"goal_id": _INT, "kind": _STR, "title": _STR, "achieved_at": _TIME},
            ("user_id", "goal_id"),
            sources=("goal.achieved",),
        ),
        EventType(
            "connection.created",
            "A device account was connected.",
            {"provider": _STR, "connection_id": _INT},
            ("user_id", "provider"),
            sources=("connection.connected",),
        ),
        EventType(
            "connection.revoked",
            "A device account was disconnected.",
            {"provider": _STR, "connection_id": _INT},
            ("user_id", "provider"),
            sources=("connection.disconnected",),
        ),
        EventType(
            "connection.reauth_required",
            "A device account must be connected again.",
            {"provider": _STR, "connection_id": _INT, "reason": _STR},
            ("user_id", "provider"),
            sources=("connection.reauth_required",),
        ),
        EventType(
            "sync.completed",
            "A device sync finished (fully or in part).",
            {"sync_id": _INT, "provider": _STR, "status": _STR, "inserted": _INT, "updated": _INT},
            ("user_id", "sync_id"),
            sources=("sync.completed",),
        ),
        EventType(
            "sync.failed",
            "A device sync failed.",
            {"sync_id": _INT, "provider": _STR, "error": _STR, "consecutive_failures": _INT},
            ("user_id", "sync_id"),
            sources=("sync.failed",),
        ),
        EventType(
            "data.stored",
            "Device data was written (activity, sleep, body, daily or samples): the vendor ids of "
            "the records in one stored batch, at most 500 per event; read them from "
            "/api/v1/devices/data.",
            {
                "provider": _STR,
                "data_type": {"enum": ["activity", "daily", "samples", "sleep", "body"]},
                "external_ids": {"type": "array", "items": _STR, "maxItems": 500},
                "start": {"type": ["string", "null"]},
                "end": {"type": ["string", "null"]},
            },
            ("user_id", "provider", "data_type", "external_ids"),
            sources=("data.stored",),
        ),
        EventType(
            "live.session.completed",
            "A live camera session ended and its workout was stored.",
            {
                "session_id": _STR,
                "workout_id": _INT,
                "exercise": _STR,
                "reps": _INT,
                "duration_s": _INT,
            },
            ("user_id", "session_id"),
            sources=("live.session.completed",),
        ),
        EventType(
            "telemetry.alert",
            "A live heart-rate alert rule of the user fired during a telemetry stream.",
            {
                "rule_id": _INT,
                "name": _STR,
                "condition": {"enum": ["above_zone", "below_rate", "above_rate", "signal_lost"]},
                "stream_id": _INT,
                "bpm": {"type": ["number", "null"]},
                "zone": {"type": ["integer", "null"]},
                "duration_s": _INT,
                "t": _TIME,
            },
            ("user_id", "rule_id", "condition", "stream_id"),
            sources=("telemetry.alert",),
        ),
        EventType(
            "notification.created",
            "A notification was made for the user.",
            {"notification_id": _INT, "kind": _STR, "title": _STR},
            ("user_id", "notification_id", "kind"),
            sources=(),  # made by the consumer itself
        ),
        EventType(
            "endpoint.test",
            "A test event, sent when the endpoint's owner asks for one.",
            {"endpoint_id": _INT, "message": _STR},
            ("user_id", "endpoint_id"),
            sources=(),  # sent by POST /api/v1/webhooks/endpoints/{id}/test
        ),
    )
}

#: Domain event type -> catalogue type.
FROM_DOMAIN: dict[str, str] = {src: t.name for t in CATALOGUE.values() for src in t.sources}


def envelope(
    type_name: str, data: dict[str, Any], event_id: int | None, at: datetime
) -> dict[str, Any]:
    """The body of one webhook."""
    return {
        "type": type_name,
        "timestamp": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "version": CATALOGUE[type_name].version,
        "event_id": event_id,
        "data": data,
    }


def subscribed(endpoint_types: list[str], type_name: str) -> bool:
    """Whether an endpoint listening to ``endpoint_types`` gets ``type_name`` (``*``: all)."""
    return "*" in endpoint_types or type_name in endpoint_types


async def fan_out(
    conn: BaseDBAsyncClient,
    type_name: str,
    user_id: int,
    data: dict[str, Any],
    *,
    event_id: int | None,
    cause: str,
    at: datetime,
) -> list[Delivery]:
    """Deliveries of ``type_name`` to every enabled endpoint listening for it for ``user_id``:
    the user's own, and admins' all-user endpoints. ``cause`` keys their idempotency."""
    endpoints = await WebhookEndpoint.filter(
        Q(owner_id=user_id) | Q(all_users=True), enabled=True
    ).using_db(conn)
    body = envelope(type_name, {"user_id": user_id, **data}, event_id, at)
    now = datetime.now(UTC)
    return [
        Delivery(
            user_id=endpoint.owner_id,
            endpoint_id=endpoint.id,
            channel="webhook",
            event_type=type_name,
            event_id=event_id,
            payload=body,
            idempotency_key=idempotency_key("w", endpoint.id, cause),
            next_attempt_at=now,
        )
        for endpoint in endpoints
        if subscribed(list(endpoint.event_types), type_name)
    ]


async def for_event(conn: BaseDBAsyncClient, event: DomainEvent) -> list[Delivery]:
    """The webhook deliveries a domain event makes (none when no endpoint listens)."""
    type_name = FROM_DOMAIN.get(event.type)
    if type_name is None or event.user_id is None:
        return []
    return await fan_out(
        conn,
        type_name,
        event.user_id,
        dict(event.payload),
        event_id=event.id,
        cause=f"event:{event.id}",
        at=event.created_at,
    )
