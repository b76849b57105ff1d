"""Emitting and reading domain events.

The outbox follows the inbox's rule (core/devices/inbox.py): the committed row is the source of
truth, never a message about it. An event is written in the transaction of the change it
describes and handed to consumers afterwards, at least once, so consumers must be idempotent
(keyed by the event id). A consumer keeps its own position, the id of the last event it handled,
advanced in the same transaction as the effects of handling it; it reads on with
:func:`read_after`. That skips events committed less than :data:`SETTLE` ago, since ids are
taken before commit: a slow transaction can commit a lower id after a higher one, and a cursor
that had moved past it would never see it. Whatever sweeps for consumers that fell behind uses
:func:`undispatched`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from fithub.core.events.models import DomainEvent

SETTLE = timedelta(seconds=5)  # longer than a transaction that emits events stays open


async def emit(
    event_type: str,
    user_id: int | None,
    payload: dict[str, Any],
    *,
    using_db: BaseDBAsyncClient | None = None,
) -> DomainEvent:
    """Write an event to the outbox; call inside the transaction of the change it describes."""
    return await DomainEvent.create(
        type=event_type, user_id=user_id, payload=payload, using_db=using_db
    )


async def read_after(
    position: int, *, types: tuple[str, ...] = (), limit: int = 100, settle: timedelta = SETTLE
) -> list[DomainEvent]:
    """Events after ``position`` (an event id) in id order, of ``types`` when given, committed at
    least ``settle`` ago: what a consumer handles next before advancing its position."""
    query = DomainEvent.filter(id__gt=position, created_at__lte=datetime.now(UTC) - settle)
    if types:
        query = query.filter(type__in=types)
    return list(await query.order_by("id").limit(limit))


async def undispatched(older_than: timedelta, *, limit: int = 500) -> list[DomainEvent]:
    """Events not marked dispatched although committed ``older_than`` ago, oldest first."""
    cutoff = datetime.now(UTC) - older_than
    return list(
        await DomainEvent.filter(dispatched_at__isnull=True, created_at__lt=cutoff)
        .order_by("id")
        .limit(limit)
    )


async def mark_dispatched(event_ids: list[int]) -> int:
    """Note that every consumer has handled ``event_ids``; return how many were still pending."""
    return await DomainEvent.filter(id__in=event_ids, dispatched_at__isnull=True).update(
        dispatched_at=datetime.now(UTC)
    )
