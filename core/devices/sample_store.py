"""Idempotent writes of device samples, in columns: one set-based statement per page.

Samples come one object each (:class:`~fithub.plugins.records.Sample`) or as dense series in
columns (:class:`~fithub.plugins.records.SampleSeries`); both become the same rows. A sample row
is small, so it is compared column by column (time, value, context, payload) instead of through a
digest: nothing is hashed, and a row whose columns did not change is not written again.

- SQLite: ``INSERT ... ON CONFLICT DO NOTHING`` for the whole page (one prepared statement run by
  ``executemany``); the rows it did not insert existed already, and only then are they read back
  (by key, in chunks) and the changed ones updated (``executemany`` again).
- PostgreSQL: one ``INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO UPDATE ... WHERE the
  columns differ``, which answers with the counts only.

Everything runs inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from fithub.plugins.records import Sample, SampleSeries

TABLE = "device_samples"
# Sample rows are compared column by column, so their digest column holds this constant.
SAMPLE_DIGEST = "columns"
LOOKUP_CHUNK = 900  # keys per read-back (SQLite's oldest limit is 999 variables a statement)
KEY = "user_id, provider, kind, external_id"
INSERT_COLUMNS = ("user_id", "provider", "external_id", "kind", "time", "value", "context",
                  "payload", "digest", "created_at", "updated_at")  # fmt: skip


@dataclass
class SampleColumns:
    """Sample rows of one user and provider, column by column, in the order they came."""

    kinds: list[str] = field(default_factory=list)
    external_ids: list[str] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    contexts: list[str | None] = field(default_factory=list)
    payloads: list[str] = field(default_factory=list)
    # The UTC text of each time (as Tortoise stores it on SQLite), where already known.
    texts: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.external_ids)

    def add_sample(self, sample: Sample, payload: str) -> None:
        """Append one sample object (``payload``: its ``raw`` as JSON text)."""
        self.kinds.append(sample.kind.value)
        self.external_ids.append(sample.source.external_id)
        self.times.append(sample.time)
        self.values.append(float(sample.value))
        self.contexts.append(sample.context)
        self.payloads.append(payload)
        self.texts.append(None)

    def add_series(self, series: SampleSeries, payloads: list[str]) -> None:
        """Append a series (``payloads``: each sample's ``raw`` as JSON text)."""
        size = len(series.times)
        self.kinds.extend([series.kind.value] * size)
        if series.external_ids is None:  # the ids are the UTC times: one conversion for both
            texts = [(t if t.tzinfo is UTC else t.astimezone(UTC)).isoformat(" ")
                     for t in series.times]  # fmt: skip
            self.texts.extend(texts)
            self.external_ids.extend([text.replace(" ", "T", 1) for text in texts])
        else:
            self.external_ids.extend(series.external_ids)
            self.texts.extend([None] * size)
        self.times.extend(series.times)
        self.values.extend([float(v) for v in series.values])
        self.contexts.extend(series.context_column())
        self.payloads.extend(payloads)

    def unique(self) -> SampleColumns:
        """The rows with one row per (kind, external id): the last of repeats wins."""
        if len(set(self.kinds)) == 1 and len(set(self.external_ids)) == len(self.external_ids):
            return self
        keys = list(zip(self.kinds, self.external_ids, strict=True))
        last = {key: i for i, key in enumerate(keys)}
        if len(last) == len(keys):
            return self
        first: dict[tuple[str, str], int] = {}
        for i, key in enumerate(keys):
            first.setdefault(key, i)
        picked = [last[key] for key in first]  # in the order keys first came, as a dict keeps
        out = SampleColumns()
        for name in ("kinds", "external_ids", "times", "values", "contexts", "payloads", "texts"):
            column = getattr(self, name)
            setattr(out, name, [column[i] for i in picked])
        return out

    def utc_texts(self) -> list[str]:
        """Each time in UTC as text, the way Tortoise stores it on SQLite."""
        return [
            text if text is not None else t.astimezone(UTC).isoformat(" ")
            for text, t in zip(self.texts, self.times, strict=True)
        ]


def _sqlite_insert_sql() -> str:
    marks = ", ".join("?" for _ in INSERT_COLUMNS)
    return (f"INSERT INTO {TABLE} ({', '.join(INSERT_COLUMNS)}) VALUES ({marks}) "
            f"ON CONFLICT ({KEY}) DO NOTHING")  # fmt: skip


SQLITE_INSERT = _sqlite_insert_sql()
SQLITE_UPDATE = (
    f"UPDATE {TABLE} SET time = ?, value = ?, context = ?, payload = ?, digest = ?, "
    "updated_at = ? WHERE user_id = ? AND provider = ? AND kind = ? AND external_id = ?"
)
PG_UPSERT = f"""
WITH written AS (
    INSERT INTO {TABLE} AS t ({", ".join(INSERT_COLUMNS)})
    SELECT $1::bigint, $2::text, u.external_id, u.kind, u.time, u.value, u.context,
           u.payload::jsonb, $3::text, $4::timestamptz, $4::timestamptz
    FROM unnest($5::text[], $6::text[], $7::timestamptz[], $8::double precision[], $9::text[],
                $10::text[]) AS u(kind, external_id, time, value, context, payload)
    ON CONFLICT ({KEY}) DO UPDATE SET time = excluded.time, value = excluded.value,
        context = excluded.context, payload = excluded.payload, digest = excluded.digest,
        updated_at = excluded.updated_at
    WHERE (t.time, t.value, t.context, t.payload)
          IS DISTINCT FROM (excluded.time, excluded.value, excluded.context, excluded.payload)
    RETURNING (t.xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) AS written FROM written
"""


async def _pg_upsert(
    conn: BaseDBAsyncClient, user_id: int, provider: str, rows: SampleColumns
) -> tuple[int, int, int]:
    now = datetime.now(UTC)
    args: list[Any] = [user_id, provider, SAMPLE_DIGEST, now, rows.kinds, rows.external_ids,
                       rows.times, rows.values, rows.contexts, rows.payloads]  # fmt: skip
    found = await conn.execute_query_dict(PG_UPSERT, args)
    inserted, written = int(found[0]["inserted"]), int(found[0]["written"])
    return inserted, written - inserted, len(rows) - written


async def _sqlite_stored(
    conn: BaseDBAsyncClient, user_id: int, provider: str, rows: SampleColumns
) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(kind, external id) -> (time, value, context, payload) of the rows stored under the keys."""
    stored: dict[tuple[str, str], tuple[Any, ...]] = {}
    kinds = sorted(set(rows.kinds))
    for at in range(0, len(rows), LOOKUP_CHUNK):
        ids = rows.external_ids[at : at + LOOKUP_CHUNK]
        sql = (f"SELECT kind, external_id, time, value, context, payload FROM {TABLE} "
               f"WHERE user_id = ? AND provider = ? AND kind IN ({', '.join('?' * len(kinds))}) "
               f"AND external_id IN ({', '.join('?' * len(ids))})")  # fmt: skip
        for row in await conn.execute_query_dict(sql, [user_id, provider, *kinds, *ids]):
            stored[(row["kind"], row["external_id"])] = (
                row["time"], row["value"], row["context"], row["payload"])  # fmt: skip
    return stored


async def _sqlite_upsert(
    conn: BaseDBAsyncClient, user_id: int, provider: str, rows: SampleColumns
) -> tuple[int, int, int]:
    now = datetime.now(UTC).isoformat(" ")
    texts = rows.utc_texts()
    values = zip(
        repeat(user_id),
        repeat(provider),
        rows.external_ids,
        rows.kinds,
        texts,
        rows.values,
        rows.contexts,
        rows.payloads,
        repeat(SAMPLE_DIGEST),
        repeat(now),
        repeat(now),
    )  # fmt: skip  (tuples made in C, as the driver reads them)
    async with conn.acquire_connection() as raw:
        before = raw.total_changes
        await raw.executemany(SQLITE_INSERT, values)
        inserted = raw.total_changes - before
    if inserted == len(rows):
        return inserted, 0, 0
    # Some keys existed: the rows just inserted read back as written; the others may differ.
    stored = await _sqlite_stored(conn, user_id, provider, rows)
    changed = [
        (text, value, context, payload, SAMPLE_DIGEST, now, user_id, provider, kind, ident)
        for ident, kind, text, value, context, payload in zip(
            rows.external_ids, rows.kinds, texts, rows.values, rows.contexts, rows.payloads,
            strict=True)
        if stored.get((kind, ident)) != (text, value, context, payload)
    ]  # fmt: skip
    if changed:
        await conn.execute_many(SQLITE_UPDATE, [list(row) for row in changed])
    return inserted, len(changed), len(rows) - inserted - len(changed)


async def upsert_samples(
    conn: BaseDBAsyncClient, user_id: int, provider: str, rows: SampleColumns
) -> tuple[int, int, int]:
    """Write sample ``rows`` (unique per kind and external id); (inserted, updated, unchanged)."""
    if not len(rows):
        return 0, 0, 0
    if str(conn.capabilities.dialect) == "postgres":
        return await _pg_upsert(conn, user_id, provider, rows)
    return await _sqlite_upsert(conn, user_id, provider, rows)


def announced(rows: SampleColumns, start: int, stop: int) -> tuple[list[str], str, str]:
    """The sorted external ids and the first and last time (ISO 8601) of rows [start, stop)."""
    times = rows.times[start:stop]
    return (
        sorted(set(rows.external_ids[start:stop])),
        min(times).isoformat(),
        max(times).isoformat(),
    )
