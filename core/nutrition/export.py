"""The food diary as CSV: one row per entry, oldest day first, free text defused."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

from fithub.core.csv_text import safe_text
from fithub.core.nutrition.models import DiaryEntry
from fithub.plugins.nutrition import NUTRIENT_FIELDS

CSV_COLUMNS = (
    "day", "meal", "name", "quantity", "unit", "serving_name", "amount",
    *NUTRIENT_FIELDS, "note",
)  # fmt: skip
CHUNK_DAYS = 31  # days read per query


def _cells(entry: DiaryEntry) -> list[Any]:
    nutrients = [getattr(entry, name) for name in NUTRIENT_FIELDS]
    cells = [
        entry.day.isoformat(), safe_text(entry.meal), safe_text(entry.name), entry.quantity,
        entry.unit.value, safe_text(entry.serving_name), entry.amount, *nutrients,
        safe_text(entry.note),
    ]  # fmt: skip
    return ["" if cell is None else cell for cell in cells]


async def diary_csv(user_id: int, first: date, last: date) -> AsyncIterator[bytes]:
    """The user's diary entries from ``first`` to ``last`` (inclusive) as CSV, a month at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> bytes:
        data = buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        return data

    writer.writerow(CSV_COLUMNS)
    yield flush()
    start = first
    while start <= last:
        end = min(last, start + timedelta(days=CHUNK_DAYS - 1))
        entries = await DiaryEntry.filter(user_id=user_id, day__gte=start, day__lte=end).order_by(
            "day", "id"
        )
        for entry in entries:
            writer.writerow(_cells(entry))
        yield flush()
        start = end + timedelta(days=1)


async def diary_entries(user_id: int, first: date, last: date) -> list[DiaryEntry]:
    """The user's entries from ``first`` to ``last`` (inclusive), by day, in the order logged."""
    return await DiaryEntry.filter(user_id=user_id, day__gte=first, day__lte=last).order_by(
        "day", "meal", "position", "id"
    )
