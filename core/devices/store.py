"""Idempotent writes of normalised records: upsert on (user, provider, [kind,] external id).

Each row keeps a digest of its values; a record whose digest did not change is not written again,
so a re-run of the same sync writes nothing and reports every record as unchanged. Samples (one
object each or a :class:`SampleSeries` in columns) go through core/devices/sample_store.py, which
compares their few columns instead and writes a page in one set-based statement. After writing
activities, sleep or days, the overlap-merge links of the user's rows around them are refreshed
(core/devices/merge.py). Everything runs inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

import orjson
from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields.data import CharEnumFieldInstance
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from fithub.core.devices import merge
from fithub.core.devices.models import (
    DeviceActivity,
    DeviceBodyMeasurement,
    DeviceDailySummary,
    DeviceSample,
    DeviceSleepSession,
)
from fithub.core.devices.sample_store import SampleColumns, announced, upsert_samples
from fithub.core.events import services as events
from fithub.plugins.records import (
    Activity,
    BodyMeasurement,
    DailySummary,
    Record,
    Sample,
    SampleKind,
    SampleSeries,
    SleepSession,
)
from fithub.plugins.types import DataType

CHUNK = 400
LINK_PAD = timedelta(days=1)


@dataclass
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: Counts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


def _activity(r: Activity) -> dict[str, Any]:
    return {
        "start_time": r.start, "end_time": r.end, "sport": r.sport[:64],
        "name": r.name[:200] if r.name else None, "detected": r.detected,
        "calories_kcal": r.calories_kcal, "distance_m": r.distance_m, "steps": r.steps,
        "avg_heart_rate_bpm": r.avg_heart_rate_bpm, "max_heart_rate_bpm": r.max_heart_rate_bpm,
        "intensity": r.intensity[:32] if r.intensity else None,
    }  # fmt: skip


def _daily(r: DailySummary) -> dict[str, Any]:
    return {
        "day": r.day, "steps": r.steps, "active_calories_kcal": r.active_calories_kcal,
        "total_calories_kcal": r.total_calories_kcal, "distance_m": r.distance_m,
        "active_minutes": r.active_minutes, "resting_heart_rate_bpm": r.resting_heart_rate_bpm,
        "score": r.score,
    }  # fmt: skip


def _sleep(r: SleepSession) -> dict[str, Any]:
    stages = [
        {"stage": s.stage.value, "start": s.start.isoformat(), "end": s.end.isoformat()}
        for s in r.stages
    ]
    return {
        "start_time": r.start, "end_time": r.end, "day": r.day, "is_nap": r.is_nap,
        "stages": stages, "asleep_s": r.asleep_s, "deep_s": r.deep_s, "light_s": r.light_s,
        "rem_s": r.rem_s, "awake_s": r.awake_s, "latency_s": r.latency_s,
        "efficiency": r.efficiency, "avg_heart_rate_bpm": r.avg_heart_rate_bpm,
        "lowest_heart_rate_bpm": r.lowest_heart_rate_bpm, "avg_hrv_ms": r.avg_hrv_ms,
    }  # fmt: skip


def _body(r: BodyMeasurement) -> dict[str, Any]:
    return {"kind": r.kind, "time": r.time, "value": r.value}


@dataclass(frozen=True)
class Table:
    model: type[Model]
    columns: Callable[[Any], dict[str, Any]]
    keyed_by_kind: bool


TABLES: dict[type[Any], Table] = {  # samples: core/devices/sample_store.py
    Activity: Table(DeviceActivity, _activity, False),
    DailySummary: Table(DeviceDailySummary, _daily, False),
    SleepSession: Table(DeviceSleepSession, _sleep, False),
    BodyMeasurement: Table(DeviceBodyMeasurement, _body, True),
}

# The tables a data type's records land in (a deleted vendor object is looked for there: a sleep
# or a recovery may have brought samples under the same id), and the sample kinds it measures.
DATA_TYPE_MODELS: dict[DataType, tuple[type[Model], ...]] = {
    DataType.ACTIVITIES: (DeviceActivity,),
    DataType.DAILY: (DeviceDailySummary,),
    DataType.SLEEP: (DeviceSleepSession, DeviceSample),
    DataType.BODY: (DeviceBodyMeasurement,),
    DataType.HEART_RATE: (DeviceSample,),
    DataType.HRV: (DeviceSample,),
    DataType.SPO2: (DeviceSample,),
}
SAMPLE_KINDS: dict[DataType, tuple[SampleKind, ...]] = {
    DataType.HEART_RATE: (SampleKind.HEART_RATE,),
    DataType.HRV: (SampleKind.HRV_RMSSD,),
    DataType.SPO2: (SampleKind.SPO2,),
}
RELINKED: tuple[type[Model], ...] = (DeviceActivity, DeviceSleepSession, DeviceDailySummary)


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def json_text(value: Any) -> str:
    """Compact JSON, as stored in the JSON columns (orjson; the standard library as a fallback)."""
    try:
        return orjson.dumps(value, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
        return json.dumps(value, separators=(",", ":"), default=_json_default)


def digest(values: dict[str, Any], payload: str) -> str:
    """A fingerprint of a row's values and its vendor payload (the JSON text as stored)."""
    text = "\x1f".join([str(v) for v in values.values()]) + "\x1e" + payload  # fixed column order
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _row(user_id: int, provider: str, record: Record, table: Table) -> dict[str, Any]:
    values = table.columns(record)
    payload = json_text(record.raw)
    return {
        "user_id": user_id,
        "provider": provider,
        "external_id": record.source.external_id,
        **values,
        "payload": payload,
        "digest": digest(values, payload),
    }


def _key(row: dict[str, Any], keyed_by_kind: bool) -> tuple[str, str]:
    return (str(row["kind"]) if keyed_by_kind else "", row["external_id"])


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(" ")  # what Tortoise stores on SQLite


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _converter(field: Any, name: str, dialect: str) -> Callable[[Any], Any] | None:
    """How a column's value is passed to the driver (what Tortoise would do, minus the models)."""
    if name == "payload":
        return None  # already JSON text
    if isinstance(field, fields.JSONField):
        return json_text
    if isinstance(field, fields.DatetimeField):
        return _utc if dialect == "postgres" else _utc_text
    if isinstance(field, CharEnumFieldInstance):
        return _enum_value
    return None


@dataclass(frozen=True)
class _Statement:
    sql: str
    columns: tuple[str, ...]
    converters: tuple[Callable[[Any], Any] | None, ...]


_STATEMENTS: dict[tuple[type[Model], str, tuple[str, ...]], _Statement] = {}


def _upsert_statement(conn: BaseDBAsyncClient, table: Table, names: tuple[str, ...]) -> _Statement:
    """``INSERT ... ON CONFLICT DO UPDATE`` for rows with the columns ``names`` (cached)."""
    dialect = str(conn.capabilities.dialect)
    key = (table.model, dialect, names)
    found = _STATEMENTS.get(key)
    if found is not None:
        return found
    meta = table.model._meta
    columns = (*names, "created_at", "updated_at")
    conflict = ["user_id", "provider", "external_id"]
    if table.keyed_by_kind:
        conflict.insert(2, "kind")
    marks = ", ".join(f"${n}" if dialect == "postgres" else "?" for n in range(1, len(columns) + 1))
    updates = ", ".join(
        f"{c} = excluded.{c}" for c in columns if c not in conflict and c != "created_at"
    )
    sql = (
        f"INSERT INTO {meta.db_table} ({', '.join(columns)}) VALUES ({marks}) "
        f"ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {updates}"
    )
    converters = tuple(
        _converter(
            meta.fields_map.get(name.removesuffix("_id")) or meta.fields_map.get(name),
            name,
            dialect,
        )
        for name in names
    )
    found = _STATEMENTS[key] = _Statement(sql, columns, converters)
    return found


async def _write(conn: BaseDBAsyncClient, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert or update ``rows`` with one prepared statement run for all of them."""
    statement = _upsert_statement(conn, table, tuple(rows[0]))
    moment = datetime.now(UTC)
    now: datetime | str = moment if str(conn.capabilities.dialect) == "postgres" else (
        _utc_text(moment))  # fmt: skip
    pairs = list(zip(statement.columns, statement.converters, strict=False))
    values = [
        [row[name] if convert is None or row[name] is None else convert(row[name])
         for name, convert in pairs] + [now, now]
        for row in rows
    ]  # fmt: skip
    await conn.execute_many(statement.sql, values)


_PG_ARRAY_TYPES: tuple[tuple[type[Any], str], ...] = (
    (fields.BigIntField, "bigint"),
    (fields.IntField, "integer"),
    (fields.SmallIntField, "smallint"),
    (fields.FloatField, "double precision"),
    (fields.BooleanField, "boolean"),
    (fields.DatetimeField, "timestamptz"),
    (fields.DateField, "date"),
    (fields.JSONField, "text"),  # sent as text, cast to jsonb in the SELECT
)
_PG_STATEMENTS: dict[tuple[type[Model], tuple[str, ...]], str] = {}


def _pg_type(model: type[Model], name: str) -> str:
    meta = model._meta
    field = meta.fields_map.get(name)
    if field is None and name.endswith("_id"):
        return "bigint" if isinstance(meta.fields_map[name[:-3]], fields.BigIntField) else "integer"
    for kind, sql_type in _PG_ARRAY_TYPES:
        if isinstance(field, kind):
            return sql_type
    return "text"


def _pg_upsert_sql(table: Table, names: tuple[str, ...]) -> str:
    """One ``INSERT ... SELECT FROM unnest(...)`` for a whole page, returning what it changed.

    Rows whose digest did not change are left alone (and not returned); ``xmax = 0`` tells a new
    row from an updated one.
    """
    key = (table.model, names)
    found = _PG_STATEMENTS.get(key)
    if found is not None:
        return found
    meta = table.model._meta
    conflict = ["user_id", "provider", "external_id"]
    if table.keyed_by_kind:
        conflict.insert(2, "kind")
    types = [_pg_type(table.model, name) for name in names]
    arrays = ", ".join(f"${n}::{t}[]" for n, t in enumerate(types, start=1))
    now = f"${len(names) + 1}::timestamptz"
    picks = ", ".join(
        f"u.{name}::jsonb" if isinstance(meta.fields_map.get(name), fields.JSONField)
        else f"u.{name}" for name in names
    )  # fmt: skip
    updates = ", ".join(f"{c} = excluded.{c}" for c in (*names, "updated_at") if c not in conflict)
    found = _PG_STATEMENTS[key] = (
        f"INSERT INTO {meta.db_table} AS t ({', '.join(names)}, created_at, updated_at) "
        f"SELECT {picks}, {now}, {now} FROM unnest({arrays}) AS u({', '.join(names)}) "
        f"ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {updates} "
        f"WHERE t.digest IS DISTINCT FROM excluded.digest RETURNING (t.xmax = 0) AS inserted"
    )
    return found


async def _pg_upsert_table(
    conn: BaseDBAsyncClient, table: Table, rows: list[dict[str, Any]]
) -> Counts:
    """PostgreSQL: the page in one statement (arrays per column), no lookup before it."""
    statement = _upsert_statement(conn, table, tuple(rows[0]))
    names = statement.columns[:-2]
    columns: list[list[Any]] = [[] for _ in names]
    for row in rows:
        for i, (name, convert) in enumerate(zip(names, statement.converters, strict=True)):
            value = row[name]
            columns[i].append(value if convert is None or value is None else convert(value))
    changed = await conn.execute_query_dict(
        _pg_upsert_sql(table, names), [*columns, datetime.now(UTC)]
    )
    inserted = sum(1 for r in changed if r["inserted"])
    return Counts(inserted, len(changed) - inserted, len(rows) - len(changed))


async def _known_digests(
    conn: BaseDBAsyncClient, table: Table, user_id: int, provider: str, kind: str,
    external_ids: list[str],
) -> dict[str, str]:  # fmt: skip
    """The stored digest of each of ``external_ids`` that exists (one indexed lookup each)."""
    postgres = str(conn.capabilities.dialect) == "postgres"
    name = table.model._meta.db_table
    where, values = "user_id = {} AND provider = {}", [user_id, provider]
    if table.keyed_by_kind:
        where += " AND kind = {}"
        values.append(kind)
    if postgres:
        marks = [f"${n}" for n in range(1, len(values) + 1)]
        sql = f"SELECT external_id, digest FROM {name} WHERE {where.format(*marks)} "
        sql += f"AND external_id = ANY(${len(values) + 1}::text[])"
        rows = await conn.execute_query_dict(sql, [*values, external_ids])
    else:
        sql = f"SELECT external_id, digest FROM {name} WHERE {where.format(*'???')} "
        sql += f"AND external_id IN ({', '.join('?' * len(external_ids))})"
        rows = await conn.execute_query_dict(sql, [*values, *external_ids])
    return {row["external_id"]: row["digest"] for row in rows}


async def _upsert_table(
    conn: BaseDBAsyncClient, table: Table, rows: list[dict[str, Any]]
) -> Counts:
    unique = {_key(row, table.keyed_by_kind): row for row in rows}  # the last of repeats wins
    if str(conn.capabilities.dialect) == "postgres":
        return await _pg_upsert_table(conn, table, list(unique.values()))
    counts = Counts()
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for (kind, _), row in unique.items():
        by_kind.setdefault(kind, []).append(row)
    writes = []
    for kind, group in by_kind.items():
        for offset in range(0, len(group), CHUNK):
            chunk = group[offset : offset + CHUNK]
            known = await _known_digests(
                conn, table, chunk[0]["user_id"], chunk[0]["provider"],
                _enum_value(chunk[0]["kind"]) if table.keyed_by_kind else kind,
                [row["external_id"] for row in chunk],
            )  # fmt: skip
            for row in chunk:
                old = known.get(row["external_id"])
                if old is None:
                    counts.inserted += 1
                    writes.append(row)
                elif old != row["digest"]:
                    counts.updated += 1
                    writes.append(row)
                else:
                    counts.unchanged += 1
    if writes:
        await _write(conn, table, writes)
    return counts


async def _relink(
    conn: BaseDBAsyncClient, model: type[Model], user_id: int, rows: list[dict[str, Any]]
) -> None:
    """Refresh ``duplicate_of`` for the user's rows of ``model`` around the written ``rows``."""
    scope: QuerySet[Any]
    if model is DeviceDailySummary:
        days = [row["day"] for row in rows]
        scope = model.filter(user_id=user_id, day__gte=min(days), day__lte=max(days))
        same, rank = merge.same_day, merge.daily_rank
    else:
        start = min(row["start_time"] for row in rows) - LINK_PAD
        end = max(row["end_time"] for row in rows) + LINK_PAD
        scope = model.filter(user_id=user_id, start_time__lt=end, end_time__gt=start)
        if model is DeviceActivity:
            same, rank = merge.same_activity, merge.activity_rank
        else:
            same, rank = merge.same_sleep, merge.sleep_rank
    found = await scope.using_db(conn).values()
    if len({row["provider"] for row in found}) < 2 and not any(
        row["duplicate_of"] for row in found
    ):
        return  # one provider only: nothing can repeat
    for row_id, head in merge.duplicate_links(found, same, rank).items():
        current = next(r["duplicate_of"] for r in found if r["id"] == row_id)
        if current != head:
            await model.filter(id=row_id).using_db(conn).update(duplicate_of=head)


def _payloads(series: SampleSeries) -> list[str]:
    """Each sample's ``raw`` as JSON text, as :func:`json_text` writes it (plain orjson first)."""
    if series.raws is None:
        return ["{}"] * len(series.times)
    try:
        return [orjson.dumps(raw).decode() for raw in series.raws]
    except TypeError:  # a date, a non-text key, an integer beyond 64 bits: the careful way
        return [json_text(raw) for raw in series.raws]


def _sample_columns(records: Sequence[Record | SampleSeries]) -> SampleColumns:
    """The samples among ``records`` (objects and series), as columns in the order they came."""
    rows = SampleColumns()
    for record in records:
        if isinstance(record, SampleSeries):
            rows.add_series(record, _payloads(record))
        elif isinstance(record, Sample):
            rows.add_sample(record, json_text(record.raw))
    return rows


async def _upsert_samples(conn: BaseDBAsyncClient, user_id: int, provider: str,
                          records: Sequence[Record | SampleSeries]) -> Counts:  # fmt: skip
    rows = _sample_columns(records).unique()
    counts = Counts(*await upsert_samples(conn, user_id, provider, rows))
    if counts.inserted + counts.updated:
        for start in range(0, len(rows), ANNOUNCE_BATCH):
            ids, first, last = announced(rows, start, start + ANNOUNCE_BATCH)
            payload = {"provider": provider, "data_type": DATA_NAMES[Sample],
                       "external_ids": ids, "start": first, "end": last}  # fmt: skip
            await events.emit("data.stored", user_id, payload, using_db=conn)
    return counts


async def upsert_records(
    conn: BaseDBAsyncClient,
    user_id: int,
    provider: str,
    records: Sequence[Record | SampleSeries],
) -> Counts:
    """Write ``records`` of one user and provider; return what was inserted, updated, unchanged.

    Samples may come as :class:`SampleSeries` (columns) as well as one object each."""
    grouped: dict[type[Any], list[dict[str, Any]]] = {}
    total = Counts()
    for record in records:
        if isinstance(record, Sample | SampleSeries):
            grouped.setdefault(Sample, [])  # stored in columns, in this place among the types
            continue
        table = TABLES[type(record)]
        grouped.setdefault(type(record), []).append(_row(user_id, provider, record, table))
    for record_type, rows in grouped.items():
        if record_type is Sample:
            total.add(await _upsert_samples(conn, user_id, provider, records))
            continue
        table = TABLES[record_type]
        counts = await _upsert_table(conn, table, rows)
        total.add(counts)
        if counts.inserted + counts.updated and table.model in RELINKED:
            await _relink(conn, table.model, user_id, rows)
        if counts.inserted + counts.updated:
            await _announce(conn, user_id, provider, DATA_NAMES[record_type], rows)
    return total


#: The ``data_type`` of ``data.stored`` events, per record type.
DATA_NAMES: dict[type[Any], str] = {
    Activity: "activity",
    DailySummary: "daily",
    Sample: "samples",
    SleepSession: "sleep",
    BodyMeasurement: "body",
}
ANNOUNCE_BATCH = 500  # external ids per data.stored event (webhook bodies stay small)
_TIME_COLUMNS = ("start_time", "time", "day")


def _instant(row: dict[str, Any]) -> str | None:
    for column in _TIME_COLUMNS:
        value = row.get(column)
        if isinstance(value, datetime | date):
            return value.isoformat()
    return None


async def _announce(
    conn: BaseDBAsyncClient, user_id: int, provider: str, data_type: str, rows: list[dict[str, Any]]
) -> None:
    """``data.stored`` events (in the batch's transaction) naming what was written, in chunks."""
    for start in range(0, len(rows), ANNOUNCE_BATCH):
        chunk = rows[start : start + ANNOUNCE_BATCH]
        times = sorted(t for t in (_instant(r) for r in chunk) if t is not None)
        payload = {
            "provider": provider,
            "data_type": data_type,
            "external_ids": sorted({str(r["external_id"]) for r in chunk}),
            "start": times[0] if times else None,
            "end": times[-1] if times else None,
        }
        await events.emit("data.stored", user_id, payload, using_db=conn)


async def _delete_rows(
    conn: BaseDBAsyncClient, model: type[Model], user_id: int, scope: QuerySet[Any]
) -> int:
    """Delete the rows of ``scope``; rows that repeated one of them are linked again."""
    rows = await scope.using_db(conn).values()
    if not rows:
        return 0
    ids = [row["id"] for row in rows]
    deleted = await model.filter(id__in=ids).using_db(conn).delete()
    if model in RELINKED:
        await model.filter(duplicate_of__in=ids).using_db(conn).update(duplicate_of=None)
        await _relink(conn, model, user_id, rows)
    return int(deleted)


async def delete_record(user_id: int, provider: str, data_type: DataType, external_id: str) -> int:
    """Delete what the vendor deleted (by its id); rows that repeated it are linked again."""
    deleted = 0
    async with in_transaction() as conn:
        for model in DATA_TYPE_MODELS[data_type]:
            scope = model.filter(user_id=user_id, provider=provider, external_id=external_id)
            deleted += await _delete_rows(conn, model, user_id, scope)
    return deleted


async def delete_window(
    user_id: int,
    provider: str,
    data_type: DataType,
    start: datetime,
    end: datetime,
    keep: Collection[str] = (),
) -> int:
    """Delete the provider's records of ``data_type`` that start in [start, end), but those whose
    external id is in ``keep`` (what the vendor still has)."""
    deleted = 0
    async with in_transaction() as conn:
        for model in DATA_TYPE_MODELS[data_type]:
            scope = model.filter(user_id=user_id, provider=provider)
            if keep:
                scope = scope.exclude(external_id__in=sorted(keep))
            if model is DeviceSample:
                kinds = SAMPLE_KINDS.get(data_type)
                if kinds is None:
                    continue  # samples that came with sleep go with their session, by id
                scope = scope.filter(kind__in=[k.value for k in kinds], time__gte=start,
                                     time__lt=end)  # fmt: skip
            elif model is DeviceDailySummary:
                scope = scope.filter(day__gte=start.date(), day__lt=end.date() + timedelta(1))
            elif model is DeviceBodyMeasurement:
                scope = scope.filter(time__gte=start, time__lt=end)
            else:
                scope = scope.filter(start_time__gte=start, start_time__lt=end)
            deleted += await _delete_rows(conn, model, user_id, scope)
    return deleted
