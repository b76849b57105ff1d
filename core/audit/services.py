"""Recording and reading audit events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tortoise.queryset import QuerySet

from fithub.core.accounts.models import User
from fithub.core.audit.models import AuditEvent
from fithub.core.context import ClientInfo
from fithub.core.sql import Params, connection

COLUMNS = (
    "action",
    "subject_id",
    "actor_id",
    "target_type",
    "target_id",
    "ip_address",
    "user_agent",
    "request_id",
    "details",
    "created_at",
)


def audit_values(
    action: str,
    client: ClientInfo,
    *,
    subject_id: int | None,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The column values of one audit row (see :data:`COLUMNS`)."""
    return {
        "action": action,
        "subject_id": subject_id,
        "actor_id": actor_id if actor_id is not None else subject_id,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id),
        "ip_address": client.ip_address,
        "user_agent": (client.user_agent or "")[:255] or None,
        "request_id": client.request_id,
        "details": json.dumps(details or {}, separators=(",", ":"), default=str),
        "created_at": datetime.now(UTC),
    }


async def record(
    action: str,
    client: ClientInfo,
    *,
    subject_id: int | None,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Store one audit event. ``subject_id`` is the account the event concerns; ``actor_id`` who did it.

    Runs on the caller's transaction when there is one. Written in SQL: it is on every write path.
    """
    values = audit_values(
        action,
        client,
        subject_id=subject_id,
        actor_id=actor_id,
        target_type=target_type,
        target_id=target_id,
        details=details,
    )
    conn = connection()
    p = Params(conn)
    placeholders = ", ".join(p(values[c]) for c in COLUMNS)
    await conn.execute_query(
        f"INSERT INTO audit_events ({', '.join(COLUMNS)}) VALUES ({placeholders})", p.values
    )


def events_for(user: User) -> QuerySet[AuditEvent]:
    """The events about one account, newest first."""
    return AuditEvent.filter(subject_id=user.id)


def all_events(*, subject_id: int | None = None, action: str | None = None) -> QuerySet[AuditEvent]:
    """Every event (administrators only), optionally filtered."""
    query = AuditEvent.all()
    if subject_id is not None:
        query = query.filter(subject_id=subject_id)
    if action:
        query = query.filter(action=action)
    return query
