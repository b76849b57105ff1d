"""Outbound webhook endpoints: register, change, rotate secrets, test, replay and recover deliveries.

An endpoint belongs to one user (an admin's may take every user's events: ``all_users``); every
look-up is by owner, so another user's endpoint is a 404. Its signing secrets are sealed with the
notifications vault, bound to the row (aad ``webhook-endpoint:{id}``), newest first: a rotation
keeps the previous secret signing until ``rotation_ends_at`` (core/notifications/delivery.py sends
both signatures meanwhile). A secret is returned once, when made, and never logged.

URLs pass :func:`fithub.plugins.outbound.check_url`: https in production, and no loopback or
private address unless ``FITHUB_NOTIFIER_WEBHOOK_ALLOW_PRIVATE`` is true (the webhook notifier's
own setting, so registering and sending agree). Bad input is a 422 and stores nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import Role, User
from fithub.core.config import Settings
from fithub.core.devices.crypto import CredentialVault
from fithub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from fithub.core.notifications.channels import notifier_settings
from fithub.core.notifications.delivery import enqueue_deliveries
from fithub.core.notifications.inbox import idempotency_key
from fithub.core.notifications.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookEndpoint,
)
from fithub.core.notifications.webhook_events import CATALOGUE, envelope
from fithub.plugins.outbound import check_url
from fithub.plugins.signing import new_secret

ALL_TYPES = "*"
TEST_EVENT = "endpoint.test"
#: Deliveries handed to a worker at once by a recovery (the sweeper finds the rest).
RECOVER_ENQUEUE_MAX = 500
_REPLAYABLE = (
    DeliveryStatus.PENDING,
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.FAILED,
    DeliveryStatus.SKIPPED,
)


@dataclass(frozen=True)
class UrlPolicy:
    """Which endpoint URLs are accepted: private addresses (an admin's choice), plain http."""

    allow_private: bool
    require_https: bool

    @classmethod
    def of(cls, settings: Settings, environ: Mapping[str, str]) -> UrlPolicy:
        """The policy of a process: https in production; private only when the admin allows it."""
        allow = notifier_settings("webhook", environ).get("allow_private", "false")
        return cls(
            allow_private=allow.strip().lower() == "true",
            require_https=settings.env == "production",
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _aad(endpoint_id: int) -> str:
    return f"webhook-endpoint:{endpoint_id}"


def check_endpoint_url(url: str, policy: UrlPolicy) -> str:
    """``url`` when fithub may send to it; else a 422 saying why (without repeating the URL)."""
    try:
        return check_url(
            url, allow_private=policy.allow_private, require_https=policy.require_https
        )
    except ValueError as exc:
        raise ValidationFailed(
            f"The endpoint URL is refused: {exc}.",
            errors=[{"field": "url", "message": str(exc), "type": "url_refused"}],
        ) from None


def check_event_types(names: list[str]) -> list[str]:
    """The event types as stored (``["*"]`` for all, else sorted, unique); 422 for unknown ones."""
    unknown = sorted({n for n in names if n != ALL_TYPES and n not in CATALOGUE})
    if unknown:
        valid = ", ".join([ALL_TYPES, *sorted(CATALOGUE)])
        raise ValidationFailed(
            f"Unknown event type{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
            f"Valid: {valid}.",
            errors=[
                {
                    "field": "event_types",
                    "message": f"unknown event type {name!r} (valid: {valid})",
                    "type": "unknown_event_type",
                }
                for name in unknown[:20]
            ],
        )
    if ALL_TYPES in names:
        return [ALL_TYPES]
    return sorted(set(names))


async def create_endpoint(
    vault: CredentialVault,
    policy: UrlPolicy,
    owner: User,
    *,
    url: str,
    event_types: list[str],
    description: str = "",
    all_users: bool = False,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for ``owner``; the endpoint and its new secret (show it once)."""
    if all_users and owner.role != Role.ADMIN:
        raise Forbidden("Only an administrator may receive the events of all users.")
    url = check_endpoint_url(url, policy)
    types = check_event_types(event_types)
    secret = new_secret()
    async with in_transaction() as conn:
        endpoint = await WebhookEndpoint.create(
            owner_id=owner.id,
            url=url,
            description=description,
            event_types=types,
            all_users=all_users,
            secrets="",
            using_db=conn,
        )
        endpoint.secrets = vault.seal({"secrets": [secret]}, _aad(endpoint.id))
        await endpoint.save(using_db=conn, update_fields=["secrets"])
    return endpoint, secret


def endpoints_of(owner: User) -> QuerySet[WebhookEndpoint]:
    """``owner``'s endpoints (for a page of them)."""
    return WebhookEndpoint.filter(owner_id=owner.id)


async def owned_endpoint(owner: User, endpoint_id: int) -> WebhookEndpoint:
    """``owner``'s endpoint ``endpoint_id``; 404 when there is none (or it is someone else's)."""
    endpoint = await WebhookEndpoint.get_or_none(id=endpoint_id, owner_id=owner.id)
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


async def update_endpoint(
    policy: UrlPolicy, owner: User, endpoint_id: int, changes: dict[str, Any]
) -> WebhookEndpoint:
    """Change an endpoint's URL, event types, description or enabled state (all checked first).

    Enabling clears the failure record (``failing_since``, ``disabled_reason``); disabling notes
    that the owner did it.
    """
    endpoint = await owned_endpoint(owner, endpoint_id)
    values: dict[str, Any] = {}
    if "url" in changes:
        values["url"] = check_endpoint_url(changes["url"], policy)
    if "event_types" in changes:
        values["event_types"] = check_event_types(changes["event_types"])
    if "description" in changes:
        values["description"] = changes["description"]
    if changes.get("enabled") is True:
        values.update(enabled=True, failing_since=None, disabled_reason=None)
    elif changes.get("enabled") is False and endpoint.enabled:
        values.update(enabled=False, disabled_reason="disabled by its owner")
    if values:
        for name, value in values.items():
            setattr(endpoint, name, value)
        await endpoint.save(update_fields=[*values, "updated_at"])
    return endpoint


async def delete_endpoint(owner: User, endpoint_id: int) -> None:
    """Remove an endpoint and its deliveries."""
    endpoint = await owned_endpoint(owner, endpoint_id)
    await endpoint.delete()


async def rotate_secret(
    vault: CredentialVault, owner: User, endpoint_id: int, overlap_s: int
) -> tuple[WebhookEndpoint, str]:
    """Make a new signing secret; the current one keeps signing for ``overlap_s`` seconds.

    A secret older than the current one is dropped. 409 when another rotation won the race.
    """
    endpoint = await owned_endpoint(owner, endpoint_id)
    current = vault.open(endpoint.secrets, _aad(endpoint.id))["secrets"][0]
    secret = new_secret()
    kept = [secret, current] if overlap_s > 0 else [secret]
    ends = _now() + timedelta(seconds=overlap_s) if overlap_s > 0 else None
    sealed = vault.seal({"secrets": kept}, _aad(endpoint.id))
    changed = await WebhookEndpoint.filter(id=endpoint.id, secrets=endpoint.secrets).update(
        secrets=sealed, rotation_ends_at=ends, updated_at=_now()
    )
    if not changed:
        raise Conflict("The secret was rotated at the same time; try again.")
    endpoint.secrets, endpoint.rotation_ends_at = sealed, ends
    return endpoint, secret


def _require_enabled(endpoint: WebhookEndpoint) -> None:
    if not endpoint.enabled:
        raise Conflict(
            "The endpoint is disabled; enable it first (PATCH enabled=true).",
            code="endpoint_disabled",
        )


async def send_test(owner: User, endpoint_id: int) -> Delivery:
    """Send an ``endpoint.test`` event to the endpoint now; the new delivery."""
    endpoint = await owned_endpoint(owner, endpoint_id)
    _require_enabled(endpoint)
    now = _now()
    data = {
        "user_id": endpoint.owner_id,
        "endpoint_id": endpoint.id,
        "message": "A test event from fithub.",
    }
    delivery = await Delivery.create(
        user_id=endpoint.owner_id,
        endpoint_id=endpoint.id,
        channel="webhook",
        event_type=TEST_EVENT,
        event_id=None,
        payload=envelope(TEST_EVENT, data, None, now),
        idempotency_key=idempotency_key("w", endpoint.id, f"test:{uuid.uuid4().hex}"),
        next_attempt_at=now,
    )
    await enqueue_deliveries([delivery.id])
    return delivery


async def deliveries_of(
    owner: User, endpoint_id: int, status: DeliveryStatus | None = None
) -> QuerySet[Delivery]:
    """The endpoint's deliveries (for a page of them), only those in ``status`` when given."""
    endpoint = await owned_endpoint(owner, endpoint_id)
    query = Delivery.filter(endpoint_id=endpoint.id)
    if status is not None:
        query = query.filter(status=status)
    return query


async def delivery_of(
    owner: User, endpoint_id: int, delivery_id: int
) -> tuple[Delivery, list[DeliveryAttempt]]:
    """One delivery of the endpoint and its attempts, oldest first; 404 when not the endpoint's."""
    endpoint = await owned_endpoint(owner, endpoint_id)
    delivery = await Delivery.get_or_none(id=delivery_id, endpoint_id=endpoint.id)
    if delivery is None:
        raise NotFound("No such delivery of this endpoint.")
    attempts = await DeliveryAttempt.filter(delivery_id=delivery.id).order_by("number", "id")
    return delivery, list(attempts)


async def replay(owner: User, endpoint_id: int, delivery_id: int) -> Delivery:
    """Send a delivery again now, with the same ``webhook-id``; its attempts count on.

    409 while a worker is sending it, or when the endpoint is disabled.
    """
    endpoint = await owned_endpoint(owner, endpoint_id)
    _require_enabled(endpoint)
    if not await Delivery.filter(id=delivery_id, endpoint_id=endpoint.id).exists():
        raise NotFound("No such delivery of this endpoint.")
    reset = await Delivery.filter(
        id=delivery_id, endpoint_id=endpoint.id, status__in=_REPLAYABLE
    ).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=_now(),
        lease_expires_at=None,
        worker=None,
        updated_at=_now(),
    )
    if not reset:
        raise Conflict("The delivery is being sent right now; try again in a moment.")
    await enqueue_deliveries([delivery_id])
    return await Delivery.get(id=delivery_id)


async def recover(owner: User, endpoint_id: int, since: datetime) -> int:
    """Every failed delivery of the endpoint made since ``since`` is pending again; how many."""
    endpoint = await owned_endpoint(owner, endpoint_id)
    _require_enabled(endpoint)
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    failed = Delivery.filter(
        endpoint_id=endpoint.id, status=DeliveryStatus.FAILED, created_at__gte=since
    )
    ids = [int(i) for i in cast("list[int]", await failed.values_list("id", flat=True))]
    if not ids:
        return 0
    now = _now()
    count = await Delivery.filter(id__in=ids, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        lease_expires_at=None,
        worker=None,
        updated_at=now,
    )
    await enqueue_deliveries(ids[:RECOVER_ENQUEUE_MAX])
    return int(count)
