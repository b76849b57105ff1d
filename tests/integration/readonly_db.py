"""Read-only SQL on the live server's database, for facts the API does not show (stored units, the
event outbox). Tests never write to the database: they change it through the API."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from tests.support import FithubServer


async def select(server: FithubServer, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run one SELECT with ``$1``-style parameters on SQLite or PostgreSQL, whichever serves."""
    url = server.env.get("FITHUB_DATABASE_URL")
    if url:
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute("SET default_transaction_read_only = on")
            return [dict(row) for row in await conn.fetch(sql, *args)]
        finally:
            await conn.close()
    path = server.data_dir / "fithub.sqlite3"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        numbered = sql
        for index in range(len(args), 0, -1):
            numbered = numbered.replace(f"${index}", f"?{index}")
        return [dict(row) for row in conn.execute(numbered, args)]
