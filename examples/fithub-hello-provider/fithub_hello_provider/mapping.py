"""Hello's items as fithub records: one function per data type, marked ``@normalises``."""

from __future__ import annotations

from fithub.plugins import DailySummary, DataType, Record, Source
from fithub.plugins.coerce import Item, date_field, int_field
from fithub.plugins.provider import normalises

NAME = "hello"


@normalises(DataType.DAILY)
def day(item: Item) -> list[Record]:
    """``{"date": "2026-01-31", "steps": 8000}`` -> a DailySummary."""
    when = date_field(item, "date")
    return [DailySummary(source=Source(NAME, when.isoformat()), day=when,
                         steps=int_field(item, "steps"), raw=dict(item))]  # fmt: skip
