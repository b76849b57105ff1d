"""Delivering: one attempt at one delivery, claimed by one worker, recorded, and retried with backoff.

A worker *claims* a delivery with a conditional UPDATE (pending and due, or sending under a lease
that lapsed), so two workers never send it at once; a worker killed mid-send leaves a lease that
lapses after :data:`LEASE_S`, and the sweeper sends again with the same idempotency key, which the
channel (or the receiver) uses to show one message. Each attempt is a :class:`DeliveryAttempt`
row. A failing channel only reschedules its own delivery: the others of the same notification go
on. Retries follow :data:`RETRY_SCHEDULE_S` (about 17 hours in all) or the channel's Retry-After
when that is longer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import orjson
from tortoise.expressions import F, Q

from fithub.core.accounts.models import User
from fithub.core.jobs import configured, enqueue
from fithub.core.leases import worker_id
from fithub.core.notifications import preferences
from fithub.core.notifications.inbox import sealed_aad
from fithub.core.notifications.kinds import KINDS
from fithub.core.notifications.models import (
    FINAL_STATUSES,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    PushToken,
    WebhookEndpoint,
)
from fithub.core.notifications.rendering import render
from fithub.core.notifications.service import NotificationService
from fithub.plugins import DeliveryGaveUp, DeliveryRetryLater, Recipient, RenderedMessage
from fithub.plugins.errors import NotifierError, RecipientInvalid

log = logging.getLogger("fithub.notifications.delivery")

#: Seconds to wait after failed attempt 1, 2, ...; after the last, the delivery has failed.
RETRY_SCHEDULE_S: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000)
MAX_ATTEMPTS = len(RETRY_SCHEDULE_S) + 1
LEASE_S = 60.0  # longer than any channel's timeout
SWEEP_BATCH = 500
SWEEP_CONCURRENCY = 16


class Skip(Exception):
    """Nothing to send to (no verified address, a removed token, a channel not configured)."""


@dataclass(frozen=True)
class Outcome:
    status: DeliveryStatus
    error: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def retry_delay(attempts: int, retry_after: float | None = None) -> float | None:
    """Seconds before the next attempt after ``attempts`` failed ones; None: no more attempts."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return max(float(RETRY_SCHEDULE_S[attempts - 1]), retry_after or 0.0)


async def claim(
    delivery_id: int, now: datetime | None = None, lease_s: float = LEASE_S
) -> Delivery | None:
    """Take ``delivery_id`` for this worker if it is due and nobody holds it (for ``lease_s``)."""
    now = now or _now()
    me = worker_id()
    taken = await Delivery.filter(
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, lease_expires_at__lt=now),
        id=delivery_id,
    ).update(
        status=DeliveryStatus.SENDING,
        worker=me,
        lease_expires_at=now + timedelta(seconds=lease_s),
        attempts=F("attempts") + 1,
    )
    if not taken:
        return None
    return await Delivery.get_or_none(id=delivery_id, worker=me)


async def _message_for_person(
    service: NotificationService, delivery: Delivery
) -> tuple[RenderedMessage, Recipient]:
    notification = await Notification.get(id=delivery.notification_id)
    user = await User.get(id=notification.user_id)
    kind = KINDS[notification.kind]
    context: dict[str, Any] = {
        "display_name": user.display_name,  # the greeting; a cause may name someone else
        "app_url": service.public_url,
        **notification.context,
    }
    if notification.sealed_context:
        context.update(
            service.vault.open(
                notification.sealed_context, sealed_aad(user.id, notification.dedup_key)
            )
        )
    settings = await preferences.settings_of(user.id)
    data: dict[str, Any] = {
        "notification_id": notification.id,
        "kind": notification.kind,
        "created_at": notification.created_at.astimezone(UTC).isoformat(),
    }
    if context.get("action_url"):
        data["action_url"] = context["action_url"]
    if delivery.channel == "email" and not kind.urgent and not context.get("to_address"):
        data["unsubscribe_url"] = (
            f"{service.public_url}/api/v1/notifications/unsubscribe/"
            f"{settings.unsubscribe_token}?kind={notification.kind}"
        )
        context["unsubscribe_url"] = data["unsubscribe_url"]
    rendered = render(
        kind.name,
        context,
        locale=user.locale,
        timezone=user.timezone,
        unit_system=user.unit_system.value,
    )
    message = RenderedMessage(
        title=rendered.title,
        text=rendered.text,
        html=rendered.html,
        data=data,
        locale=user.locale,
        idempotency_key=delivery.idempotency_key,
    )
    return message, await _recipient(delivery, user, settings.phone_number, context, kind.urgent)


async def _recipient(
    delivery: Delivery, user: User, phone: str | None, context: dict[str, Any], urgent: bool
) -> Recipient:
    channel = delivery.channel
    if channel == "email":
        if context.get("to_address"):  # another address than the account's (sealed)
            name = context.get("display_name") or None
            return Recipient(channel="email", address=str(context["to_address"]), display_name=name)
        if not urgent and user.email_verified_at is None:
            raise Skip("the e-mail address is not verified yet")
        return Recipient(channel="email", address=user.email, display_name=user.display_name)
    if channel == "sms":
        if not phone:
            raise Skip("no phone number is set")
        return Recipient(channel="sms", address=phone)
    if channel == "push":
        token = await PushToken.get_or_none(token_digest=delivery.target, user_id=user.id)
        if token is None:
            raise Skip("the device's push token was removed")
        return Recipient(channel="push", address=token.token)
    if channel == "inapp":
        return Recipient(channel="inapp", address=str(user.id))
    raise Skip(f"the {channel} channel has no personal address")


async def _message_for_endpoint(
    service: NotificationService, delivery: Delivery
) -> tuple[RenderedMessage, Recipient]:
    endpoint = await WebhookEndpoint.get_or_none(id=delivery.endpoint_id)
    if endpoint is None or not endpoint.enabled:
        raise Skip("the webhook endpoint is disabled")
    secrets = service.vault.open(endpoint.secrets, f"webhook-endpoint:{endpoint.id}")["secrets"]
    if endpoint.rotation_ends_at is not None and endpoint.rotation_ends_at < _now():
        secrets = secrets[:1]
    payload = delivery.payload or {}
    message = RenderedMessage(
        title=delivery.event_type or "event",
        text=orjson.dumps(payload).decode(),
        data=payload,
        idempotency_key=f"msg_{delivery.idempotency_key}",
    )
    return message, Recipient(channel="webhook", address=endpoint.url, secrets=tuple(secrets))


async def _finish(delivery: Delivery, values: dict[str, Any]) -> bool:
    """Write the attempt's result if this worker still holds the delivery."""
    updated = await Delivery.filter(
        id=delivery.id, worker=delivery.worker, status=DeliveryStatus.SENDING
    ).update(**values)
    return bool(updated)


async def deliver(service: NotificationService, delivery_id: int) -> DeliveryStatus | None:
    """Make one attempt at ``delivery_id`` if it is due and free; its status after, or None."""
    delivery = await claim(delivery_id, lease_s=service.settings.notifications_lease_s)
    if delivery is None:
        return None
    started, clock = _now(), time.perf_counter()
    retry_after: float | None = None
    provider_id: str | None = None
    try:
        if delivery.endpoint_id is not None:
            message, recipient = await _message_for_endpoint(service, delivery)
        else:
            message, recipient = await _message_for_person(service, delivery)
        notifier = service.channels.get(delivery.channel)
        if notifier is None:
            raise Skip(service.channels.problem(delivery.channel) or "channel not configured")
        result = await notifier.send(message, recipient)
        provider_id = result.provider_message_id[:255]
        outcome = Outcome(DeliveryStatus.SENT)
    except Skip as exc:
        outcome = Outcome(DeliveryStatus.SKIPPED, str(exc))
    except RecipientInvalid as exc:
        outcome = Outcome(DeliveryStatus.FAILED, f"recipient invalid: {exc}")
        await _recipient_gone(delivery)
    except DeliveryGaveUp as exc:
        outcome = Outcome(DeliveryStatus.FAILED, f"gave up: {exc}")
    except DeliveryRetryLater as exc:
        retry_after = exc.retry_after
        outcome = Outcome(DeliveryStatus.PENDING, str(exc))
    except NotifierError as exc:
        outcome = Outcome(DeliveryStatus.PENDING, str(exc) or type(exc).__name__)
    except Exception as exc:  # a notifier broke its contract: keep the delivery, retry later
        log.exception("notifier %s raised unexpectedly", delivery.channel)
        outcome = Outcome(DeliveryStatus.PENDING, f"internal error: {type(exc).__name__}")
    return await _record(service, delivery, outcome, started, clock, provider_id, retry_after)


async def _record(
    service: NotificationService,
    delivery: Delivery,
    outcome: Outcome,
    started: datetime,
    clock: float,
    provider_id: str | None,
    retry_after: float | None,
) -> DeliveryStatus | None:
    status = outcome.status
    values: dict[str, Any] = {"lease_expires_at": None, "last_error": (outcome.error or None)}
    if outcome.error:
        values["last_error"] = outcome.error[:500]
    if status == DeliveryStatus.PENDING:
        delay = retry_delay(delivery.attempts, retry_after)
        if delay is None:
            status = DeliveryStatus.FAILED
        else:
            values["next_attempt_at"] = _now() + timedelta(seconds=delay)
    values["status"] = status
    if status == DeliveryStatus.SENT:
        values["sent_at"] = _now()
        values["provider_message_id"] = provider_id
    if not await _finish(delivery, values):
        return None  # taken over after our lease lapsed: the successor records its own attempt
    await DeliveryAttempt.create(
        delivery_id=delivery.id,
        number=delivery.attempts,
        started_at=started,
        duration_ms=int((time.perf_counter() - clock) * 1000),
        outcome=_attempt_outcome(outcome.status, status),
        error=outcome.error[:500] if outcome.error else None,
    )
    if delivery.endpoint_id is not None:
        from fithub.core.notifications.endpoint_health import note_result

        await note_result(service, delivery.endpoint_id, status)
    elif status in FINAL_STATUSES and delivery.notification_id is not None:
        await _forget_secrets(delivery.notification_id)
    return status


def _attempt_outcome(raw: DeliveryStatus, final: DeliveryStatus) -> str:
    if raw == DeliveryStatus.PENDING:
        return "retry" if final == DeliveryStatus.PENDING else "gave_up"
    return {DeliveryStatus.SENT: "sent", DeliveryStatus.SKIPPED: "skipped"}.get(raw, "failed")


async def _recipient_gone(delivery: Delivery) -> None:
    """The channel says the address is dead: drop a push token, stop using an endpoint."""
    if delivery.channel == "push" and delivery.target:
        await PushToken.filter(token_digest=delivery.target).delete()
    if delivery.endpoint_id is not None:
        await WebhookEndpoint.filter(id=delivery.endpoint_id).update(
            enabled=False, disabled_reason="the receiver answered 410 Gone"
        )


async def _forget_secrets(notification_id: int) -> None:
    """Wipe a notification's sealed values (a reset link) once none of its deliveries can use them."""
    pending = await Delivery.filter(
        notification_id=notification_id,
        status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING),
    ).exists()
    if not pending:
        await Notification.filter(id=notification_id, sealed_context__not_isnull=True).update(
            sealed_context=None
        )


async def due_ids(now: datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    """Deliveries due now, or held under a lapsed lease, oldest first."""
    now = now or _now()
    rows = (
        await Delivery.filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, lease_expires_at__lt=now)
        )
        .order_by("next_attempt_at")
        .limit(limit)
        .values_list("id", flat=True)
    )
    return [int(i) for i in cast("list[int]", rows)]


async def deliver_many(service: NotificationService, ids: list[int]) -> int:
    """Attempt each of ``ids`` (a few at a time); how many this worker attempted."""
    gate = asyncio.Semaphore(SWEEP_CONCURRENCY)

    async def one(delivery_id: int) -> bool:
        async with gate:
            try:
                return await deliver(service, delivery_id) is not None
            except Exception:
                log.exception("delivery %s could not be attempted", delivery_id)
                return False

    results = await asyncio.gather(*(one(i) for i in ids))
    return sum(results)


async def enqueue_deliveries(ids: list[int]) -> None:
    """Hand new deliveries to a worker now (the sweeper finds them anyway if this is lost)."""
    if ids and configured():
        try:
            await enqueue("notifications.deliver", ids)
        except Exception:
            log.exception("could not enqueue %d deliveries; the sweeper will send them", len(ids))
