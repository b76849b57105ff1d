"""A server's webhook inbox read and shaped directly: SQL on either backend, waiting for rows to be
acted on, and the proof that a recovery sweep (or the job queue) has passed a point."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.devices.world import query_db
from tests.support import FithubServer

WAIT_S = 30


def execute(server: FithubServer, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """``query_db`` with any number of ``$n`` parameters (in textual order)."""
    if not server.env.get("FITHUB_DATABASE_URL"):
        sql = re.sub(r"\$\d+", "?", sql)
    return query_db(server, sql, *args)


def moment(server: FithubServer, ago_s: float) -> Any:
    """A time ``ago_s`` seconds ago as the server's database takes it."""
    at = datetime.now(UTC) - timedelta(seconds=ago_s)
    return at if server.env.get("FITHUB_DATABASE_URL") else at.isoformat(" ")


def jsonb(server: FithubServer) -> str:
    """The cast a JSON parameter needs in SQL (PostgreSQL's jsonb; nothing on SQLite)."""
    return "::jsonb" if server.env.get("FITHUB_DATABASE_URL") else ""


def outcome_of(value: Any) -> dict[str, Any]:
    """A row's ``outcome`` column as a dict (text on SQLite, already decoded on PostgreSQL)."""
    return dict(json.loads(value) if isinstance(value, str) else value or {})


async def settled_row(server: FithubServer, where: str, *args: Any,
                      count: int | None = None) -> tuple[str, dict[str, Any]]:  # fmt: skip
    """The newest inbox row matching ``where`` once it is no longer queued: (status, outcome).

    With ``count``, wait also until that many rows match (a new delivery is stored first).
    """
    sql = f"SELECT status, outcome FROM device_webhook_events WHERE {where} ORDER BY id DESC"
    deadline = time.monotonic() + WAIT_S
    while True:
        rows = execute(server, sql, *args)
        if rows and rows[0][0] != "queued" and (count is None or len(rows) == count):
            return str(rows[0][0]), outcome_of(rows[0][1])
        assert time.monotonic() < deadline, rows
        await asyncio.sleep(0.1)


def insert_stuck_row(server: FithubServer, *, backed_off: bool = True,
                     lease_ago_s: float | None = None) -> int:  # fmt: skip
    """An inbox row of a vendor user nobody connected whose job was lost ten minutes ago.

    ``backed_off``: the sweep re-drove it a moment ago, so it leaves the row alone for minutes;
    ``lease_ago_s``: held by a job whose lease lapsed that long ago (its worker died).
    """
    outcome = {"redrives": 10, "redriven_at": datetime.now(UTC).isoformat()} if backed_off else {}
    lease = None if lease_ago_s is None else moment(server, lease_ago_s)
    (row,) = execute(
        server,
        "INSERT INTO device_webhook_events (provider, external_user_id, action, data_type, "
        "dedup_key, status, outcome, error, received_at, processed_at) VALUES ('oura', $1, "
        f"'upsert', 'activities', $2, 'queued', $3{jsonb(server)}, '', $4, $5) RETURNING id",
        f"nobody-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex, json.dumps(outcome),
        moment(server, 600), lease,
    )  # fmt: skip
    return int(row[0])


def status_of(server: FithubServer, row_id: int) -> str:
    (row,) = execute(server, "SELECT status FROM device_webhook_events WHERE id = $1", row_id)
    return str(row[0])


async def a_sweep_passed(server: FithubServer) -> None:
    """Return once a recovery sweep that started after this call has re-driven a due row.

    The row (a user nobody connected) is inserted now and is due at once; its job then marks it
    ignored. Rows written before this call were seen by that sweep too, so what it left alone
    (backed-off rows) it would have re-driven by now; and jobs enqueued before this call were
    taken from the queue before that row's job.
    """
    row_id = insert_stuck_row(server, backed_off=False)
    deadline = time.monotonic() + WAIT_S
    while (status := status_of(server, row_id)) == "queued":
        assert time.monotonic() < deadline, f"no recovery sweep within {WAIT_S} s"
        await asyncio.sleep(0.1)
    assert status == "ignored", status
