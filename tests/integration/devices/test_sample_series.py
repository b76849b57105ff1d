"""Samples in columns (``SampleSeries``) are stored as the same rows as one ``Sample`` each, once.

The store is called as a sync calls it (one transaction per page) on the server's own database
(SQLite, or PostgreSQL when ``FITHUB_DATABASE_URL`` is set).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from fithub.core.devices.models import DeviceSample
from fithub.core.devices.store import Counts, upsert_records
from fithub.plugins.records import Record, SampleKind, SampleSeries
from tests.conftest import Account
from tests.integration.telemetry.server_db import server_db
from tests.support import FithubServer

START = datetime(2026, 2, 1, tzinfo=UTC)
COUNT = 1500  # more than one read-back chunk
COLUMNS = ("provider", "external_id", "kind", "time", "value", "context", "payload", "digest")


def _series(offset: int = 0, count: int = COUNT) -> SampleSeries:
    times = [START + timedelta(minutes=offset + i) for i in range(count)]
    return SampleSeries(
        provider="oura", kind=SampleKind.HEART_RATE, times=times,
        values=[55.0 + (offset + i) % 40 for i in range(count)],
        contexts=["rest" if (offset + i) % 3 else None for i in range(count)],
        raws=[{"bpm": 55 + (offset + i) % 40, "timestamp": t.isoformat()}
              for i, t in enumerate(times)],
    )  # fmt: skip


async def _store(user_id: int, records: list[Record | SampleSeries]) -> Counts:
    async with in_transaction() as conn:
        return await upsert_records(conn, user_id, "oura", records)


async def _rows(user_id: int) -> list[tuple[Any, ...]]:
    found = await DeviceSample.filter(user_id=user_id, provider="oura").order_by(
        "external_id").values_list(*COLUMNS)  # fmt: skip
    return [tuple(row) for row in found]


async def test_columns_store_what_objects_store_and_nothing_twice(
    server: FithubServer, user: Account, other_user: Account
) -> None:
    series = _series()
    async with server_db(server):
        assert await _store(user.id, [series]) == Counts(COUNT, 0, 0)
        assert await _store(other_user.id, list(series.samples())) == Counts(COUNT, 0, 0)
        by_columns = await _rows(user.id)
        assert len(by_columns) == COUNT
        assert by_columns == await _rows(other_user.id)
        first = by_columns[0]
        assert first[1] == START.isoformat() and first[4] == 55.0 and first[5] is None

        # The same window again, either form, stores nothing and says so.
        assert await _store(user.id, [series]) == Counts(0, 0, COUNT)
        assert await _store(user.id, list(series.samples())) == Counts(0, 0, COUNT)
        assert await _store(other_user.id, [series]) == Counts(0, 0, COUNT)
        assert await _rows(user.id) == by_columns

        # A revised value is updated, an overlapping later window adds only what is new.
        values = list(series.values)
        values[700] = 180.0
        assert await _store(user.id, [replace(series, values=values)]) == Counts(0, 1, COUNT - 1)
        assert await _store(user.id, [_series(offset=COUNT - 100, count=300)]) == Counts(
            200, 0, 100
        )
        rows = await _rows(user.id)
        assert len(rows) == COUNT + 200
        assert [r[4] for r in rows if r[1] == (START + timedelta(minutes=700)).isoformat()] == [
            180.0
        ]


async def test_a_repeated_instant_in_a_page_is_stored_once_the_last_winning(
    server: FithubServer, user: Account
) -> None:
    series = SampleSeries(provider="oura", kind=SampleKind.HEART_RATE,
                          times=[START, START + timedelta(minutes=1), START],
                          values=[60.0, 61.0, 62.0])  # fmt: skip
    async with server_db(server):
        assert await _store(user.id, [series]) == Counts(2, 0, 0)
        rows = await _rows(user.id)
        assert [(r[1], r[4], r[6]) for r in rows] == [
            (START.isoformat(), 62.0, {}), ((START + timedelta(minutes=1)).isoformat(), 61.0, {})]  # fmt: skip
