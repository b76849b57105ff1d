"""Reading stored device data: time windows in the user's zone, keyset pages on (time, id)."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Any, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model

from fithub.core.accounts.models import User
from fithub.core.body.services import resolve_span, user_zone
from fithub.core.devices.models import DeviceConnection, SyncLog
from fithub.core.devices.schemas import DataQuery, MergedQuery
from fithub.core.errors import NotFound, ValidationFailed
from fithub.core.pagination import decode_cursor, encode_cursor

M = TypeVar("M", bound=Model)


def _encode(position: date | datetime, row_id: int) -> str:
    return (
        base64.urlsafe_b64encode(f"{position.isoformat()}|{row_id}".encode()).decode().rstrip("=")
    )


def _decode(cursor: str, by_day: bool) -> tuple[date | datetime, int]:
    try:
        text = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
        position, _, row_id = text.rpartition("|")
        moment: date | datetime = (
            date.fromisoformat(position) if by_day else datetime.fromisoformat(position)
        )
        return moment, int(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            "The cursor is not valid.",
            errors=[{"field": "cursor", "message": "not a cursor from this API", "type": "cursor"}],
        ) from exc


def _day_bound(user: User, bound: date | datetime) -> date:
    if isinstance(bound, datetime):
        aware = bound if bound.tzinfo else bound.replace(tzinfo=user_zone(user))
        return aware.astimezone(user_zone(user)).date()
    return bound


async def list_records(
    model: type[M], user: User, query: DataQuery, key: str, **filters: Any
) -> tuple[list[M], str | None]:
    """One page of the user's rows of ``model`` in the query's window, ordered by ``key``, id."""
    rows = model.filter(user_id=user.id, **filters)
    if query.provider:
        rows = rows.filter(provider=query.provider)
    if isinstance(query, MergedQuery) and not query.include_duplicates:
        rows = rows.filter(duplicate_of__isnull=True)
    by_day = key == "day"
    if by_day:
        if query.start is not None:
            rows = rows.filter(day__gte=_day_bound(user, query.start))
        if query.end is not None:
            rows = rows.filter(day__lte=_day_bound(user, query.end))
    else:
        span = resolve_span(user, query.start, query.end)
        if span.start is not None:
            rows = rows.filter(**{f"{key}__gte": span.start})
        if span.end is not None:
            rows = rows.filter(**{f"{key}__lt": span.end})
    descending = query.order == "desc"
    if query.cursor:
        position, row_id = _decode(query.cursor, by_day)
        op = "lt" if descending else "gt"
        before: dict[str, Any] = {f"{key}__{op}": position}
        tie: dict[str, Any] = {key: position, f"id__{op}": row_id}
        rows = rows.filter(Q(**before) | Q(**tie))
    sign = "-" if descending else ""
    found = await rows.order_by(f"{sign}{key}", f"{sign}id").limit(query.limit + 1)
    more = len(found) > query.limit
    found = found[: query.limit]
    last = found[-1] if found else None
    following = _encode(getattr(last, key), last.pk) if more and last is not None else None
    return list(found), following


async def connection_of(user: User, provider: str) -> DeviceConnection:
    connection = await DeviceConnection.get_or_none(user_id=user.id, provider=provider)
    if connection is None:
        raise NotFound(f"You have no {provider} connection.", code="connection_not_found")
    return connection


async def sync_logs(
    connection: DeviceConnection, limit: int, cursor: str | None
) -> tuple[list[SyncLog], str | None]:
    """A connection's sync logs, newest first."""
    rows = SyncLog.filter(connection_id=connection.id)
    if cursor:
        rows = rows.filter(id__lt=decode_cursor(cursor))
    found = await rows.order_by("-id").limit(limit + 1)
    more = len(found) > limit
    found = found[:limit]
    return list(found), encode_cursor(found[-1].id) if more and found else None


async def sync_log(connection: DeviceConnection, log_id: int) -> SyncLog:
    row = await SyncLog.get_or_none(id=log_id, connection_id=connection.id)
    if row is None:
        raise NotFound("No such sync.", code="sync_not_found")
    return row
