"""The event consumer: reads the outbox in order and turns events into notifications and webhooks.

At least once, processed once: the consumer's position (the last event id handled) is advanced
in the same transaction as the notifications and deliveries it made, with a compare-and-set on
the old position. A lease on the consumer row lets one worker read at a time; should two ever
overlap (a lease lapsed mid-batch), the loser's transaction updates no position and rolls back,
and the notification's ``dedup_key`` and the delivery's ``idempotency_key`` stop doubles anyway.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import cast

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.events.models import DomainEvent
from fithub.core.events.services import mark_dispatched, read_after
from fithub.core.leases import worker_id
from fithub.core.notifications import handlers, inbox, webhook_events
from fithub.core.notifications.delivery import enqueue_deliveries
from fithub.core.notifications.models import Delivery, EventConsumer, Notification
from fithub.core.notifications.service import NotificationService

log = logging.getLogger("fithub.notifications.consumer")

NAME = "notifications"
LEASE = timedelta(seconds=60)
BATCH = 200


class _LostPosition(Exception):
    """Another worker moved the position: this batch is rolled back."""


async def _take(me: str, now: datetime) -> bool:
    if not await EventConsumer.exists(name=NAME):
        try:
            await EventConsumer.create(name=NAME, position=0)
        except IntegrityError:
            pass  # made concurrently
    taken = await EventConsumer.filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now) | Q(worker=me), name=NAME
    ).update(worker=me, lease_expires_at=now + LEASE)
    return bool(taken)


async def _handle_batch(
    service: NotificationService, events: list[DomainEvent], me: str
) -> list[int]:
    position = await EventConsumer.get(name=NAME)
    if position.worker != me:
        raise _LostPosition
    new: list[int] = []
    async with in_transaction() as conn:
        users: dict[int, User] = {}
        for event in events:
            for user_id, cause in await handlers.causes(conn, event):
                user = users.get(user_id) or await User.get_or_none(id=user_id, using_db=conn)
                if user is None or not user.is_active:
                    continue
                users[user_id] = user
                made = await inbox.create(
                    conn, user, cause, channels=service.channels, vault=service.vault
                )
                new += made
                if made:
                    new += await _announce(conn, user_id, cause)
            hooks = await webhook_events.for_event(conn, event)
            if hooks:
                await Delivery.bulk_create(hooks, ignore_conflicts=True, using_db=conn)
                keys = [h.idempotency_key for h in hooks]
                new += cast(
                    "list[int]",
                    await Delivery.filter(idempotency_key__in=keys)
                    .using_db(conn)
                    .values_list("id", flat=True),
                )
        moved = (
            await EventConsumer.filter(name=NAME, worker=me, position=position.position)
            .using_db(conn)
            .update(position=events[-1].id, lease_expires_at=datetime.now(UTC) + LEASE)
        )
        if not moved:
            raise _LostPosition
    return new


async def _announce(conn: BaseDBAsyncClient, user_id: int, cause: inbox.Cause) -> list[int]:
    """``notification.created`` webhooks for a notification just made."""
    made = await Notification.get(user_id=user_id, dedup_key=cause.dedup_key, using_db=conn)
    if not made.inbox:
        return []  # account mails are not announced: they carry nothing an app should act on
    hooks = await webhook_events.fan_out(
        conn,
        "notification.created",
        user_id,
        {"notification_id": made.id, "kind": made.kind, "title": made.title},
        event_id=cause.event_id,
        cause=f"notification:{made.id}",
        at=made.created_at,
    )
    if not hooks:
        return []
    await Delivery.bulk_create(hooks, ignore_conflicts=True, using_db=conn)
    return cast(
        "list[int]",
        await Delivery.filter(idempotency_key__in=[h.idempotency_key for h in hooks])
        .using_db(conn)
        .values_list("id", flat=True),
    )


async def consume(service: NotificationService, *, budget_s: float = 20.0) -> int:
    """Handle events after the consumer's position until none are left or ``budget_s`` passed;
    how many were handled (0 when another worker holds the consumer)."""
    me, started = worker_id(), time.monotonic()
    if not await _take(me, datetime.now(UTC)):
        return 0
    handled = 0
    try:
        while time.monotonic() - started < budget_s:
            position = await EventConsumer.get(name=NAME)
            events = await read_after(position.position, limit=BATCH)
            if not events:
                break
            try:
                new = await _handle_batch(service, events, me)
            except _LostPosition:
                log.warning("the notification consumer was taken over; stopping")
                return handled
            await mark_dispatched([e.id for e in events])
            await enqueue_deliveries(new)
            handled += len(events)
    finally:
        await EventConsumer.filter(name=NAME, worker=me).update(lease_expires_at=None)
    return handled
