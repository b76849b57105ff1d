"""Idempotent writes of normalised records: upsert on (user, provider, [kind,] external id).

Each row keeps a digest of its values; a record whose digest did not change is not written again,
so a re-run of the same sync writes nothing and reports every record as unchanged. After writing
activities, sleep or days, the overlap-merge links of the user's rows around them are refreshed
(core/devices/merge.py). Everything runs inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
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
from fithub.plugins.records import (
    Activity,
    BodyMeasurement,
    DailySummary,
    Record,
    Sample,
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


def _sample(r: Sample) -> dict[str, Any]:
    return {"kind": r.kind, "time": r.time, "value": r.value, "context": r.context}


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


TABLES: dict[type[Any], Table] = {
    Activity: Table(DeviceActivity, _activity, False),
    DailySummary: Table(DeviceDailySummary, _daily, False),
    Sample: Table(DeviceSample, _sample, True),
    SleepSession: Table(DeviceSleepSession, _sleep, False),
    BodyMeasurement: Table(DeviceBodyMeasurement, _body, True),
}

# The tables a data type's records land in (a deleted vendor object is looked for there).
DATA_TYPE_MODELS: dict[DataType, tuple[type[Model], ...]] = {
    DataType.ACTIVITIES: (DeviceActivity,),
    DataType.DAILY: (DeviceDailySummary,),
    DataType.SLEEP: (DeviceSleepSession,),
    DataType.BODY: (DeviceBodyMeasurement,),
    DataType.HEART_RATE: (DeviceSample,),
    DataType.HRV: (DeviceSample,),
    DataType.SPO2: (DeviceSample,),
}
RELINKED: tuple[type[Model], ...] = (DeviceActivity, DeviceSleepSession, DeviceDailySummary)


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def digest(values: dict[str, Any]) -> str:
    text = json.dumps(values, sort_keys=True, default=_json_default, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _row(user_id: int, provider: str, record: Record, table: Table) -> dict[str, Any]:
    values = table.columns(record)
    values["payload"] = dict(record.raw)
    return {
        "user_id": user_id,
        "provider": provider,
        "external_id": record.source.external_id,
        **values,
        "digest": digest(values),
    }


def _key(row: dict[str, Any], keyed_by_kind: bool) -> tuple[str, str]:
    return (str(row["kind"]) if keyed_by_kind else "", row["external_id"])


async def _upsert_table(
    conn: BaseDBAsyncClient, table: Table, rows: list[dict[str, Any]]
) -> Counts:
    counts = Counts()
    unique = {_key(row, table.keyed_by_kind): row for row in rows}  # the last of repeats wins
    rows = list(unique.values())
    model = table.model
    for offset in range(0, len(rows), CHUNK):
        chunk = rows[offset : offset + CHUNK]
        sample = chunk[0]
        columns = ["kind", "external_id", "digest"] if table.keyed_by_kind else [
            "external_id", "digest"]  # fmt: skip
        existing = (
            await model.filter(
                user_id=sample["user_id"],
                provider=sample["provider"],
                external_id__in=[row["external_id"] for row in chunk],
            )
            .using_db(conn)
            .values(*columns)
        )
        known = {
            (str(e["kind"]) if table.keyed_by_kind else "", e["external_id"]): e["digest"]
            for e in existing
        }
        writes = []
        for row in chunk:
            old = known.get(_key(row, table.keyed_by_kind))
            if old is None:
                counts.inserted += 1
                writes.append(row)
            elif old != row["digest"]:
                counts.updated += 1
                writes.append(row)
            else:
                counts.unchanged += 1
        if writes:
            conflict = ["user_id", "provider", "external_id"]
            if table.keyed_by_kind:
                conflict.insert(2, "kind")
            update = [name for name in writes[0] if name not in conflict]
            await model.bulk_create(
                [model(**row) for row in writes],
                on_conflict=conflict,
                update_fields=[*update, "updated_at"],
                using_db=conn,
            )
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


async def upsert_records(
    conn: BaseDBAsyncClient, user_id: int, provider: str, records: Sequence[Record]
) -> Counts:
    """Write ``records`` of one user and provider; return what was inserted, updated, unchanged."""
    grouped: dict[type[Any], list[dict[str, Any]]] = {}
    for record in records:
        table = TABLES[type(record)]
        grouped.setdefault(type(record), []).append(_row(user_id, provider, record, table))
    total = Counts()
    for record_type, rows in grouped.items():
        table = TABLES[record_type]
        counts = await _upsert_table(conn, table, rows)
        total.add(counts)
        if counts.inserted + counts.updated and table.model in RELINKED:
            await _relink(conn, table.model, user_id, rows)
    return total


async def delete_record(user_id: int, provider: str, data_type: DataType, external_id: str) -> int:
    """Delete what the vendor deleted (by its id); rows that repeated it are linked again."""
    deleted = 0
    async with in_transaction() as conn:
        for model in DATA_TYPE_MODELS[data_type]:
            scope = model.filter(user_id=user_id, provider=provider, external_id=external_id)
            rows = await scope.using_db(conn).values()
            if not rows:
                continue
            ids = [row["id"] for row in rows]
            deleted += await model.filter(id__in=ids).using_db(conn).delete()
            await model.filter(duplicate_of__in=ids).using_db(conn).update(duplicate_of=None)
            if model in RELINKED:
                await _relink(conn, model, user_id, rows)
    return deleted
