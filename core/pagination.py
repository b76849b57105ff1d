"""Keyset pagination over ids, newest first: stable under inserts, cheap at any depth."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from tortoise.models import Model
from tortoise.queryset import QuerySet

from fithub.core.errors import ValidationFailed

MAX_LIMIT = 100
T = TypeVar("T")
M = TypeVar("M", bound=Model)


class PageQuery(BaseModel):
    """``?limit=&cursor=`` on every list endpoint."""

    limit: int = Field(20, ge=1, le=MAX_LIMIT, description=f"items per page, 1 to {MAX_LIMIT}")
    cursor: str | None = Field(None, description="the next_cursor of the previous page")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="pass as ?cursor= for the next page; null at the end"
    )


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = int(base64.urlsafe_b64decode(padded.encode()).decode())
        if not 0 < value < 2**63:
            raise ValueError("out of range")
        return value
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            "The cursor is not valid.",
            errors=[{"field": "cursor", "message": "not a cursor from this API"}],
        ) from exc


def columns_of(item: type[BaseModel]) -> tuple[str, ...]:
    """The columns a page of ``item`` needs: its fields, named as the table's columns."""
    return tuple(item.model_fields)


async def paginate_rows(
    query: QuerySet[M],
    page: PageQuery,
    columns: Sequence[str],
    shape: Callable[[dict[str, Any]], Any] | None = None,
    *,
    key: str = "id",
) -> dict[str, Any]:
    """One page as plain rows: only ``columns`` are read, no model object is built.

    Each row is a ``dict`` of ``columns`` (optionally reshaped by ``shape``), ready to be
    encoded as is: the route's declared schema is checked by the tests, not per request
    (see :mod:`fithub.core.responses`). One query per page.
    """
    if page.cursor:
        query = query.filter(**{f"{key}__lt": decode_cursor(page.cursor)})
    wanted = tuple(dict.fromkeys((*columns, key)))
    rows: list[dict[str, Any]] = (
        await query.order_by(f"-{key}").limit(page.limit + 1).values(*wanted)
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_cursor = encode_cursor(rows[-1][key]) if more and rows else None
    if key not in columns:
        for row in rows:
            del row[key]
    items = rows if shape is None else [shape(row) for row in rows]
    return {"items": items, "next_cursor": next_cursor}


async def paginate(
    query: QuerySet[M], page: PageQuery, serialize: Callable[[M], Any], *, key: str = "id"
) -> dict[str, Any]:
    """Fetch one page of ``query`` ordered by ``key`` descending and shape it as a Page."""
    if page.cursor:
        query = query.filter(**{f"{key}__lt": decode_cursor(page.cursor)})
    rows: Sequence[M] = await query.order_by(f"-{key}").limit(page.limit + 1)
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_cursor = encode_cursor(getattr(rows[-1], key)) if more and rows else None
    return {"items": [serialize(row) for row in rows], "next_cursor": next_cursor}
