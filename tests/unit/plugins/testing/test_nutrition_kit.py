"""The nutrition-source test kit: the contract passes the built-in table and names each breach."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import ClassVar

import aiohttp
import pytest

from fithub.plugins.errors import FoodNotFound
from fithub.plugins.food_table import FoodTable
from fithub.plugins.nutrition import (
    FoodFacts,
    FoodPage,
    Nutrients,
    Serving,
    SourceCache,
    SourceContext,
)
from fithub.plugins.testing.nutrition import (
    MemoryCache,
    assert_food_facts,
    assert_nutrition_source_contract,
    memory_cache,
    source_context,
)
from fithub.plugins.types import RateLimit

CONTRACT = {"search_text": "apple", "known_id": "09040", "unknown_id": "99999"}


@pytest.fixture
async def context() -> AsyncIterator[SourceContext]:
    async with aiohttp.ClientSession() as session:
        yield source_context(session)


async def test_the_built_in_table_meets_the_contract(context: SourceContext) -> None:
    report = await assert_nutrition_source_contract(FoodTable(context), **CONTRACT)
    assert report.page is not None and report.page.items[0].name == "Apples, raw, with skin"
    assert report.food is not None and report.food.source_id == "09040"
    assert report.barcode_food is None
    assert set(report.not_found) == {"food(unknown_id)", "barcode() without barcodes"}


async def test_source_context_carries_the_settings(context: SourceContext) -> None:
    async with aiohttp.ClientSession() as session:
        made = source_context(session, api_key="k", base_url="http://127.0.0.1:1", timeout_s=2)
        assert (made.settings.api_key, made.settings.base_url, made.timeout_s) == (
            "k",
            "http://127.0.0.1:1",
            2,
        )
        assert made.session is session and isinstance(made.cache, MemoryCache)
        shared = memory_cache()
        assert source_context(session, cache=shared).cache is shared


async def test_the_memory_cache_keeps_values_until_they_expire() -> None:
    cache: SourceCache = memory_cache()
    assert await cache.get("a") is None
    await cache.set("a", b"1", ttl_s=3600)
    assert await cache.get("a") == b"1"
    await cache.set("b", b"2", ttl_s=0)  # expired as soon as it is stored
    assert await cache.get("b") is None


# Each class below breaks the contract in one way.


class _BadName(FoodTable):
    name: ClassVar[str] = "Built In"


class _BadLimits(FoodTable):
    limits: ClassVar = {"lookup": RateLimit(10, 60)}


class _ZeroBasedPages(FoodTable):
    async def search(self, text: str, *, page: int = 1, page_size: int = 20) -> FoodPage:
        return await super().search(text, page=page + 1, page_size=page_size)


class _WrongId(FoodTable):
    async def food(self, source_id: str) -> FoodFacts:
        return dataclasses.replace(await super().food(source_id), source_id="x" + source_id)


class _NegativeFat(FoodTable):
    async def food(self, source_id: str) -> FoodFacts:
        found = await super().food(source_id)
        return dataclasses.replace(found, per_100=dataclasses.replace(found.per_100, fat_g=-1.0))


class _FindsAnything(FoodTable):
    async def food(self, source_id: str) -> FoodFacts:
        return await super().food("09040")


class _ClaimsBarcodes(FoodTable):
    barcodes: ClassVar[bool] = True


@pytest.mark.parametrize(
    ("cls", "words"),
    [
        (_BadName, "is not [a-z0-9_]+"),
        (_BadLimits, "limits names 'lookup'"),
        (_ZeroBasedPages, "pages count from 1"),
        (_WrongId, "food('09040') answered 'x09040'"),
        (_NegativeFat, "fat_g is -1.0"),
        (_FindsAnything, "food(unknown_id): expected FoodNotFound"),
    ],
)
async def test_the_contract_names_each_breach(context: SourceContext, cls, words: str) -> None:
    with pytest.raises(AssertionError) as caught:
        await assert_nutrition_source_contract(cls(context), **CONTRACT)
    assert words in str(caught.value)


async def test_a_source_with_barcodes_must_find_one(context: SourceContext) -> None:
    with pytest.raises(AssertionError, match="give barcode and unknown_barcode"):
        await assert_nutrition_source_contract(_ClaimsBarcodes(context), **CONTRACT)
    with pytest.raises(FoodNotFound):  # the table finds no barcode: the error reaches the test
        await assert_nutrition_source_contract(
            _ClaimsBarcodes(context),
            **CONTRACT,
            barcode="3017620422003",
            unknown_barcode="4006381333931",
        )


def test_assert_food_facts_checks_servings_and_barcodes() -> None:
    good = FoodFacts("1", "Oats", Nutrients(389, protein_g=16.9))
    assert assert_food_facts(good) is good
    with pytest.raises(AssertionError, match="weighs nothing"):
        assert_food_facts(dataclasses.replace(good, servings=(Serving("1 cup", 0),)))
    with pytest.raises(AssertionError, match="not a valid GTIN-13"):
        assert_food_facts(dataclasses.replace(good, barcode="3017620422004"))
    with pytest.raises(AssertionError, match="is not a FoodFacts"):
        assert_food_facts({"name": "Oats"})
