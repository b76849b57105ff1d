"""Request and response bodies of the outbound webhooks API (endpoints, deliveries, event types)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fithub.core.notifications.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookEndpoint,
)
from fithub.core.pagination import PageQuery
from fithub.plugins.outbound import MAX_URL_LENGTH

EventTypeName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)
]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_URL_LENGTH)
]
MAX_OVERLAP_S = 86_400
DEFAULT_OVERLAP_S = 86_400
EVENT_TYPES_HELP = 'catalogue types (GET /api/v1/webhooks/event-types), or ["*"] for all'


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=MAX_URL_LENGTH)


class EndpointIn(Strict):
    """A new endpoint; its signing secret is made by fithub and shown once in the answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.example.com/fithub",
                    "event_types": ["record.achieved", "workout.completed"],
                    "description": "my training app",
                }
            ]
        }
    )

    url: Url = Field(description="https in production; never a private address unless allowed")
    event_types: list[EventTypeName] = Field(
        min_length=1, max_length=64, description=EVENT_TYPES_HELP
    )
    description: Description = ""
    all_users: bool = Field(False, description="admins only: receive the events of every user")


class EndpointUpdate(Strict):
    """Only the fields sent change; ``enabled: true`` re-enables an endpoint disabled for failing."""

    url: Url | None = None
    event_types: list[EventTypeName] | None = Field(
        None, min_length=1, max_length=64, description=EVENT_TYPES_HELP
    )
    description: Description | None = None
    enabled: bool | None = None

    def changes(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True)
        for required in data:
            if data[required] is None:
                raise ValueError(f"{required} cannot be null")
        return data


class EndpointOut(BaseModel):
    """An endpoint as its owner sees it (never its secrets)."""

    id: int
    url: str
    description: str
    event_types: list[str]
    all_users: bool
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    rotation_ends_at: datetime | None = Field(
        description="until then the previous secret signs too (both signatures are sent)"
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> EndpointOut:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            description=endpoint.description,
            event_types=list(endpoint.event_types),
            all_users=endpoint.all_users,
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            failing_since=endpoint.failing_since,
            rotation_ends_at=endpoint.rotation_ends_at,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
        )


class EndpointCreated(EndpointOut):
    """A new endpoint with its signing secret: store it now, it is never shown again."""

    secret: str = Field(description="whsec_<base64>, for Standard Webhooks verification")


class EndpointPage(BaseModel):
    items: list[EndpointOut]
    next_cursor: str | None = None


class RotateIn(Strict):
    """How long the previous secret keeps signing beside the new one (send ``{}`` for a day)."""

    overlap_s: int = Field(DEFAULT_OVERLAP_S, ge=0, le=MAX_OVERLAP_S)


class RotateOut(BaseModel):
    """The new signing secret, shown once; the previous one signs too until rotation_ends_at."""

    secret: str
    rotation_ends_at: datetime | None


class EventTypeOut(BaseModel):
    name: str
    description: str
    version: int
    data_schema: dict[str, Any] = Field(description="JSON Schema of the event's data")


class EventTypeList(BaseModel):
    items: list[EventTypeOut]


class TestSent(BaseModel):
    delivery_id: int


class WebhookDeliveryQuery(PageQuery):
    status: DeliveryStatus | None = Field(None, description="only deliveries in this status")


class WebhookDeliveryOut(BaseModel):
    """One event sent (or to send) to an endpoint."""

    id: int
    endpoint_id: int
    event_type: str | None
    event_id: int | None
    webhook_id: str = Field(description="the webhook-id header: the same on every attempt")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = Field(description="when pending: the next attempt")
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> WebhookDeliveryOut:
        return cls(
            id=delivery.id,
            endpoint_id=delivery.endpoint_id or 0,
            event_type=delivery.event_type,
            event_id=delivery.event_id,
            webhook_id=webhook_id(delivery),
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=(
                delivery.next_attempt_at if delivery.status == DeliveryStatus.PENDING else None
            ),
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            sent_at=delivery.sent_at,
        )


class WebhookAttemptOut(BaseModel):
    number: int
    started_at: datetime
    duration_ms: int
    outcome: str = Field(description="sent, retry, gave_up, failed or skipped")
    error: str | None

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> WebhookAttemptOut:
        return cls(
            number=attempt.number,
            started_at=attempt.started_at,
            duration_ms=attempt.duration_ms,
            outcome=attempt.outcome,
            error=attempt.error,
        )


class WebhookDeliveryDetail(WebhookDeliveryOut):
    """A delivery with its body and the log of its attempts, oldest first."""

    payload: dict[str, Any] | None
    attempt_log: list[WebhookAttemptOut]


class WebhookDeliveryPage(BaseModel):
    items: list[WebhookDeliveryOut]
    next_cursor: str | None = None


class RecoverIn(Strict):
    since: datetime = Field(description="failed deliveries created since then are sent again")


class RecoverOut(BaseModel):
    recovered: int = Field(description="how many failed deliveries are pending again")


def webhook_id(delivery: Delivery) -> str:
    """The ``webhook-id`` a delivery is sent with (core/notifications/delivery.py makes it so)."""
    return f"msg_{delivery.idempotency_key}"
