"""Storing a source's food when another request stored it first: the unique (source, source_id)
refusal is read as "update that one", on SQLite and on PostgreSQL (FITHUB_DATABASE_URL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from fithub.core.nutrition import foods
from fithub.core.nutrition.models import Food
from fithub.plugins.nutrition import FoodFacts, Nutrients
from tests.support import in_process_database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[None]:
    async with in_process_database(tmp_path):
        yield


def facts(energy: float) -> FoodFacts:
    return FoodFacts(source_id="42", name="Oats", per_100=Nutrients(energy_kcal=energy))


async def test_a_food_stored_meanwhile_is_updated_not_duplicated(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await foods.store_facts("scripted", facts(380))
    real = Food.get_or_none

    async def missed(*args: Any, **kwargs: Any) -> Food | None:
        # The race: this request looked before the other one inserted the row.
        monkeypatch.setattr(Food, "get_or_none", real)
        return None

    monkeypatch.setattr(Food, "get_or_none", missed)
    again = await foods.store_facts("scripted", facts(389))
    assert again.id == first.id  # the insert was refused and the stored row updated
    rows = await Food.filter(source="scripted", source_id="42")
    assert [(row.id, row.energy_kcal) for row in rows] == [(first.id, 389)]
