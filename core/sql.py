"""Small helpers for the few queries written in SQL: placeholders and dialect-specific expressions."""

from __future__ import annotations

from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient


def connection() -> BaseDBAsyncClient:
    conn: BaseDBAsyncClient = connections.get("default")
    return conn


def dialect(conn: BaseDBAsyncClient | None = None) -> str:
    """``sqlite`` or ``postgres``."""
    return str((conn or connection()).capabilities.dialect)


class Params:
    """Collects values and hands out the right placeholder (``?`` or ``$n``) for each."""

    def __init__(self, conn: BaseDBAsyncClient | None = None) -> None:
        self._postgres = dialect(conn) == "postgres"
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        n = len(self.values)
        return f"${n}" if self._postgres else f"?{n}"  # numbered, so a value can be reused


def bucket_expr(
    column: str, bucket: str, offset_minutes: int, conn: BaseDBAsyncClient | None = None
) -> str:
    """SQL for the start date of the day/week/month bucket of ``column``, shifted to local time."""
    if dialect(conn) == "postgres":
        # AT TIME ZONE 'UTC' first: date_trunc on a timestamptz would use the session's zone.
        shifted = f"(({column} AT TIME ZONE 'UTC') + interval '{int(offset_minutes)} minutes')"
        unit = {"day": "day", "week": "week", "month": "month"}[bucket]
        return f"date_trunc('{unit}', {shifted})::date"
    shifted = f"datetime({column}, '{int(offset_minutes):+d} minutes')"
    if bucket == "day":
        return f"date({shifted})"
    if bucket == "week":  # Monday on or before the day
        return f"date({shifted}, '-6 days', 'weekday 1')"
    return f"strftime('%Y-%m-01', {shifted})"
