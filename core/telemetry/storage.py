"""Durable storage of one checked batch: its rows and the stream's sequence number, in one commit.

Samples go to ``device_samples`` and fixes to ``device_positions`` with provider ``live`` and an
external id of ``<device id>:<ms>`` (an RR interval: ``<device id>:rr:<ms of its beat>``), so
storing the same sample twice (a resend after a reconnect) is a no-op: ``ON CONFLICT DO
NOTHING``. The stream's ``last_seq`` moves from ``seq - 1`` to ``seq`` by a compare-and-set in the
same transaction: two sockets of one stream (a reconnect racing the old socket) cannot both
store a batch, and an acknowledged batch is a committed one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from fithub.core.devices.store import json_text
from fithub.core.telemetry.batch import Checked, Fix, Point, instant
from fithub.core.telemetry.errors import SequenceConflict
from fithub.core.telemetry.models import StreamStatus, TelemetryStream

PROVIDER = "live"
EMPTY_PAYLOAD = "{}"
LIVE_DIGEST = "live"  # live rows are never re-synced: the digest is not used for them

SAMPLE_COLUMNS = ("user_id", "provider", "external_id", "kind", "time", "value", "context",
                  "payload", "digest", "created_at", "updated_at")  # fmt: skip
POSITION_COLUMNS = ("user_id", "provider", "external_id", "time", "latitude", "longitude",
                    "altitude_m", "accuracy_m", "payload", "digest", "created_at",
                    "updated_at")  # fmt: skip
PG_SAMPLE_TYPES = ("integer", "text", "text", "text", "timestamptz", "double precision", "text",
                   "jsonb", "text", "timestamptz", "timestamptz")  # fmt: skip
SAMPLE_CONFLICT = "user_id, provider, kind, external_id"
POSITION_CONFLICT = "user_id, provider, external_id"
PG_POSITION_TYPES = ("integer", "text", "text", "timestamptz", "double precision",
                     "double precision", "double precision", "double precision", "jsonb", "text",
                     "timestamptz", "timestamptz")  # fmt: skip


@dataclass(frozen=True)
class Stored:
    """What one stored batch wrote."""

    samples: int
    positions: int


def _sql(table: str, columns: Sequence[str], types: Sequence[str], conflict: str, pg: bool) -> str:
    names = ", ".join(columns)
    if pg:  # JSON travels as text and is cast in the SELECT
        arrays = ", ".join(
            f"${n}::{'text' if t == 'jsonb' else t}[]" for n, t in enumerate(types, start=1)
        )
        picks = ", ".join(
            f"c{n}::jsonb" if t == "jsonb" else f"c{n}" for n, t in enumerate(types, start=1)
        )
        aliases = ", ".join(f"c{n}" for n in range(1, len(types) + 1))
        return (
            f"INSERT INTO {table} ({names}) SELECT {picks} FROM unnest({arrays}) "
            f"AS u({aliases}) ON CONFLICT ({conflict}) DO NOTHING"
        )
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({conflict}) DO NOTHING"


def _time(value: datetime, pg: bool) -> datetime | str:
    return value if pg else value.isoformat(" ")  # what Tortoise stores on SQLite


def sample_rows(user_id: int, device: str, points: Sequence[Point], pg: bool) -> list[list[Any]]:
    """Rows of ``device_samples`` for ``points`` (RR intervals become ``rr_interval`` rows)."""
    now = _time(datetime.now(UTC), pg)
    rows: list[list[Any]] = []
    for point in points:
        if point.no_reading:
            continue  # contact lost: the socket reports it, there is no value to store
        ms = int(round(point.t_ms))
        context = None if point.contact is None else ("contact" if point.contact else "no_contact")
        rows.append([user_id, PROVIDER, f"{device}:{ms}", point.kind, _time(instant(ms), pg),
                     point.value, context, EMPTY_PAYLOAD, LIVE_DIGEST, now, now])  # fmt: skip
        beat = float(ms)  # the last interval ends at the notification; earlier ones before it
        for rr in reversed(point.rr_ms):
            at = int(round(beat))
            rows.append([user_id, PROVIDER, f"{device}:rr:{at}", "rr_interval",
                         _time(instant(at), pg), rr, None, EMPTY_PAYLOAD, LIVE_DIGEST, now,
                         now])  # fmt: skip
            beat -= rr
    return rows


def position_rows(user_id: int, device: str, fixes: Sequence[Fix], pg: bool) -> list[list[Any]]:
    """Rows of ``device_positions`` for ``fixes``."""
    now = _time(datetime.now(UTC), pg)
    return [
        [user_id, PROVIDER, f"{device}:{int(round(f.t_ms))}", _time(instant(f.t_ms), pg), f.lat,
         f.lon, f.altitude_m, f.accuracy_m, EMPTY_PAYLOAD, LIVE_DIGEST, now, now]
        for f in fixes
    ]  # fmt: skip


async def insert_rows(
    conn: BaseDBAsyncClient, table: str, columns: Sequence[str], types: Sequence[str],
    conflict: str, rows: list[list[Any]],
) -> None:  # fmt: skip
    """Insert ``rows`` (lists in ``columns`` order), skipping those already stored."""
    if not rows:
        return
    pg = str(conn.capabilities.dialect) == "postgres"
    sql = _sql(table, columns, types, conflict, pg)
    if pg:
        await conn.execute_query(sql, [list(column) for column in zip(*rows, strict=True)])
    else:
        await conn.execute_many(sql, rows)


async def store_batch(
    stream: TelemetryStream, seq: int, checked: Checked, summary: dict[str, Any]
) -> Stored:
    """Store ``checked`` as batch ``seq`` of ``stream`` (committed when this returns).

    Raises :class:`SequenceConflict` when ``seq`` is not the stream's next batch any more. On
    PostgreSQL the sequence step and both inserts are one statement (one round trip, atomic); on
    SQLite one transaction.
    """
    conn = connections.get("default")
    pg = str(conn.capabilities.dialect) == "postgres"
    samples = sample_rows(stream.user_id, stream.device_id, checked.points, pg)
    positions = position_rows(stream.user_id, stream.device_id, checked.fixes, pg)
    step = _step(stream, seq, len(samples) + len(positions), checked, summary)
    if pg:
        found = await conn.execute_query_dict(
            _pg_batch_sql(),
            [
                *step,
                *_columns(samples, SAMPLE_COLUMNS),
                *_columns(positions, POSITION_COLUMNS),
            ],  # fmt: skip
        )
        if not found or not found[0]["moved"]:
            raise SequenceConflict(f"stream {stream.id} is past batch {seq - 1}")
    else:
        async with in_transaction() as trx:
            moved, _ = await trx.execute_query(_sqlite_step_sql(), _sqlite_step_values(step))
            if moved != 1:
                raise SequenceConflict(f"stream {stream.id} is past batch {seq - 1}")
            await insert_rows(trx, "device_samples", SAMPLE_COLUMNS, PG_SAMPLE_TYPES,
                              SAMPLE_CONFLICT, samples)  # fmt: skip
            await insert_rows(trx, "device_positions", POSITION_COLUMNS, PG_POSITION_TYPES,
                              POSITION_CONFLICT, positions)  # fmt: skip
    stream.last_seq = seq
    stream.first_sample_at, stream.last_sample_at = step[3], step[4]
    return Stored(len(samples), len(positions))


def _step(
    stream: TelemetryStream, seq: int, count: int, checked: Checked, summary: dict[str, Any]
) -> list[Any]:
    """Values of the sequence step: seq, now, rows, first and last sample times, summary, id."""
    first, last = stream.first_sample_at, stream.last_sample_at
    span = checked.span()
    if span is not None:
        first = min(first, span[0]) if first else span[0]
        last = max(last, span[1]) if last else span[1]
    return [seq, datetime.now(UTC), count, first, last, json_text(summary), stream.id, seq - 1]


def _columns(rows: list[list[Any]], names: Sequence[str]) -> list[list[Any]]:
    if not rows:
        return [[] for _ in names]
    return [list(column) for column in zip(*rows, strict=True)]


_STEP = (
    "UPDATE telemetry_streams SET last_seq = {0}, last_batch_at = {1}, batches = batches + 1, "
    "samples = samples + {2}, first_sample_at = {3}, last_sample_at = {4}, summary = {5} "
    "WHERE id = {6} AND last_seq = {7} AND status = 'active'"
)


def _sqlite_step_sql() -> str:
    return _STEP.format(*"????????")


def _sqlite_step_values(step: list[Any]) -> list[Any]:
    values = list(step)
    for i in (1, 3, 4):
        if values[i] is not None:
            values[i] = _time(values[i], False)
    return values


@cache
def _pg_batch_sql() -> str:
    """The PostgreSQL statement: step the sequence, then insert samples and positions if it moved."""
    step = _STEP.format("$1", "$2", "$3", "$4", "$5", "($6::text)::jsonb", "$7", "$8")

    def insert(table: str, columns: Sequence[str], types: Sequence[str], conflict: str,
               first: int) -> str:  # fmt: skip
        arrays = ", ".join(
            f"${n}::{'text' if t == 'jsonb' else t}[]" for n, t in enumerate(types, start=first)
        )
        picks = ", ".join(f"c{n}::jsonb" if t == "jsonb" else f"c{n}" for n, t in enumerate(types))
        aliases = ", ".join(f"c{n}" for n in range(len(types)))
        return (
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {picks} FROM unnest({arrays}) "
            f"AS u({aliases}) WHERE EXISTS (SELECT 1 FROM moved) "
            f"ON CONFLICT ({conflict}) DO NOTHING"
        )

    samples = insert("device_samples", SAMPLE_COLUMNS, PG_SAMPLE_TYPES, SAMPLE_CONFLICT, 9)
    positions = insert("device_positions", POSITION_COLUMNS, PG_POSITION_TYPES,
                       POSITION_CONFLICT, 9 + len(SAMPLE_COLUMNS))  # fmt: skip
    return (
        f"WITH moved AS ({step} RETURNING id), samples_in AS ({samples}), "
        f"positions_in AS ({positions}) SELECT count(*) AS moved FROM moved"
    )


async def skip_batch(stream: TelemetryStream, seq: int) -> None:
    """Record batch ``seq`` as processed and refused (nothing of it stored)."""
    moved = await (
        TelemetryStream.filter(id=stream.id, last_seq=seq - 1, status=StreamStatus.ACTIVE).update(
            last_seq=seq, last_batch_at=datetime.now(UTC),
            batches_rejected=F("batches_rejected") + 1,
        )
    )  # fmt: skip
    if moved != 1:
        raise SequenceConflict(f"stream {stream.id} is past batch {seq - 1}")
    stream.last_seq = seq
