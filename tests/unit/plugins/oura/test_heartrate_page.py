"""Oura heart rate a page at a time: one SampleSeries in columns, the same samples as per item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fithub.plugins.oura import mapping
from fithub.plugins.records import SampleKind, SampleSeries, sample_problems, series_problems
from fithub.plugins.testing.contract import check_page_normaliser
from fithub.plugins.types import DataType, NormalisedPage

START = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def _items(count: int) -> list[dict[str, object]]:
    return [{"bpm": 50 + i % 40, "source": "awake" if i % 2 else "rest",
             "timestamp": (START + timedelta(minutes=i)).isoformat()} for i in range(count)]  # fmt: skip


def test_a_page_is_one_series_standing_for_the_per_item_samples() -> None:
    items = _items(30)
    items.append({"bpm": 61, "timestamp": "2026-03-01T08:00:00.500+02:00"})  # another offset
    page = mapping.heartrate_page(items)
    assert page.errors == [] and page.records == [] and len(page.series) == 1
    series = page.series[0]
    assert series.kind is SampleKind.HEART_RATE and len(series) == 31
    per_item = [r for item in items for r in mapping.heartrate(item)]
    assert series.samples() == per_item
    assert [dict(s.raw) for s in series.samples()] == [dict(r.raw) for r in per_item]
    assert series.ids()[-1] == "2026-03-01T06:00:00.500000+00:00"


def test_an_unreadable_item_is_named_and_the_rest_kept() -> None:
    items = _items(3)
    items[1] = {"timestamp": items[1]["timestamp"]}  # no bpm
    page = mapping.heartrate_page(items)
    assert len(page.series[0]) == 2
    assert len(page.errors) == 1 and "bpm is missing" in page.errors[0]
    assert str(items[1]["timestamp"]) in page.errors[0]


def test_the_contract_kit_catches_a_page_normaliser_that_differs() -> None:
    class Drifting:
        name = "oura"

        def normalise_page(self, data_type: DataType, items: list[dict[str, object]]) -> NormalisedPage:
            page = mapping.heartrate_page(items)
            series = page.series[0]
            return NormalisedPage(series=[SampleSeries(
                provider="oura", kind=series.kind, times=series.times,
                values=[v + 1 for v in series.values], contexts=series.contexts, raws=series.raws)])  # fmt: skip

    items = _items(5)
    records = [r for item in items for r in mapping.heartrate(item)]
    with pytest.raises(AssertionError, match="normalise_page does not give"):
        check_page_normaliser(Drifting(), DataType.HEART_RATE, items, records)  # type: ignore[arg-type]


def test_series_rules() -> None:
    naive = datetime(2026, 3, 1, 6, 0)
    good = SampleSeries(provider="oura", kind=SampleKind.HEART_RATE, times=[START], values=[60.0])
    assert series_problems(good, "oura") == [] and list(sample_problems(good)) == []
    assert series_problems(good, "whoop") == ["provider is 'oura', expected 'whoop'"]
    short = SampleSeries(provider="oura", kind=SampleKind.HEART_RATE, times=[START, START],
                         values=[60.0])  # fmt: skip
    assert series_problems(short) == ["values has 1 entries for 2 times"]
    bad = SampleSeries(provider="oura", kind=SampleKind.HEART_RATE,
                       times=[START, naive, START + timedelta(minutes=1)],
                       values=[60.0, 61.0, float("nan")])  # fmt: skip
    assert list(sample_problems(bad)) == [
        (1, "time must be a timezone-aware datetime"), (2, "value must be a number")]  # fmt: skip
