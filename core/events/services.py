"""Emitting and reading domain events."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from fithub.core.events.models import DomainEvent


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
