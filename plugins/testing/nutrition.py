"""The nutrition-source test kit: a context to make a source with, and the contract check.

::

    async with aiohttp.ClientSession() as session:
        source = MySource(source_context(session, api_key="k", base_url=fake.url))
        await assert_nutrition_source_contract(
            source, search_text="banana", known_id="123", unknown_id="999999",
            barcode="3017620422003", unknown_barcode="0000000000000",
        )

:func:`assert_nutrition_source_contract` checks, in order:

- the declarations: ``name`` (``[a-z0-9_]+``), ``display_name``, ``attribution``, the flags, and
  ``limits`` (operations ``search``/``food``/``barcode``, each a positive ``RateLimit``);
- a search for ``search_text`` answers a :class:`FoodPage` of :class:`FoodFacts`, at most
  ``page_size`` of them, ``total`` counting them all, and pages that follow on: item 2 of page 1
  (``page_size=2``) is item 1 of page 2 (``page_size=1``);
- ``food(known_id)`` round-trips its ``source_id``; ``food(unknown_id)`` raises FoodNotFound;
- a source with ``barcodes`` finds ``barcode`` (its GTIN-13 as the food's ``barcode``) and
  raises FoodNotFound for ``unknown_barcode``; a source without raises FoodNotFound for any;
- every food it returns: a name, energy and every nutrient finite and not negative (``None`` for
  unknown), a basis of ``g`` or ``ml``, servings with names and positive amounts, a valid barcode.

An ``AssertionError`` names the breach.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

import aiohttp

from fithub.plugins.barcodes import InvalidBarcode, normalise_barcode
from fithub.plugins.errors import FoodNotFound
from fithub.plugins.nutrition import (
    NUTRIENT_FIELDS,
    FoodFacts,
    FoodPage,
    Nutrients,
    NutritionSource,
    Serving,
    SourceCache,
    SourceContext,
    SourceOperation,
    SourceSettings,
)
from fithub.plugins.types import RateLimit

__all__ = [
    "MemoryCache",
    "NutritionReport",
    "assert_food_facts",
    "assert_nutrition_source_contract",
    "memory_cache",
    "source_context",
]

_NAME = re.compile(r"[a-z0-9_]+")
ANY_BARCODE = "3017620422003"
"""A valid GTIN-13 asked of a source that declares no barcodes."""


class MemoryCache:
    """A :class:`SourceCache` in this process's memory, with expiry; ``values`` is inspectable."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[bytes, float]] = {}

    async def get(self, key: str) -> bytes | None:
        """The value under ``key`` unless it has expired."""
        found = self.values.get(key)
        if found is None:
            return None
        value, expires = found
        if time.monotonic() >= expires:
            del self.values[key]
            return None
        return value

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        """Keep ``value`` under ``key`` for ``ttl_s`` seconds."""
        self.values[key] = (value, time.monotonic() + ttl_s)


def memory_cache() -> MemoryCache:
    """A new empty in-memory source cache."""
    return MemoryCache()


def source_context(
    session: aiohttp.ClientSession,
    *,
    cache: SourceCache | None = None,
    timeout_s: float = 10.0,
    **settings: Any,
) -> SourceContext:
    """A :class:`SourceContext` for tests: ``settings`` are :class:`SourceSettings` fields
    (``api_key``, ``base_url``, ``user_agent``, ``options``); the cache is in memory unless given."""
    return SourceContext(
        session=session,
        settings=SourceSettings(**settings),
        cache=cache if cache is not None else memory_cache(),
        logger=logging.getLogger("fithub.plugins.testing.nutrition"),
        timeout_s=timeout_s,
    )


@dataclass
class NutritionReport:
    """What the contract saw: the first search page, the known food, the barcode's food."""

    page: FoodPage | None = None
    food: FoodFacts | None = None
    barcode_food: FoodFacts | None = None
    not_found: dict[str, FoodNotFound] = field(default_factory=dict)


def _check_declarations(cls: type[Any]) -> None:
    name = getattr(cls, "name", None)
    assert isinstance(name, str) and _NAME.fullmatch(name), f"name {name!r} is not [a-z0-9_]+"
    for attribute in ("display_name", "attribution"):
        value = getattr(cls, attribute, None)
        assert isinstance(value, str) and value.strip(), f"{name}: {attribute} must be a text"
    for flag in ("needs_network", "needs_api_key", "barcodes"):
        assert isinstance(getattr(cls, flag, None), bool), f"{name}: {flag} must be a bool"
    limits = getattr(cls, "limits", None)
    assert isinstance(limits, Mapping), f"{name}: limits must be a mapping"
    operations = set(get_args(SourceOperation))
    for operation, limit in limits.items():
        assert operation in operations, f"{name}: limits names {operation!r}, not {operations}"
        assert isinstance(limit, RateLimit), f"{name}: limits[{operation!r}] is not a RateLimit"
        assert limit.requests > 0 and limit.per_seconds > 0, f"{name}: {limit} is not positive"


def _amount(value: object, what: str) -> None:
    assert isinstance(value, int | float) and not isinstance(value, bool), f"{what} is not a number"
    assert math.isfinite(value) and value >= 0, f"{what} is {value}: must be finite and >= 0"


def assert_food_facts(food: object) -> FoodFacts:
    """``food`` is a well-formed :class:`FoodFacts`; returns it typed."""
    assert isinstance(food, FoodFacts), f"{food!r} is not a FoodFacts"
    label = f"food {food.source_id!r}"
    assert isinstance(food.source_id, str) and food.source_id, "source_id must be a text"
    assert isinstance(food.name, str) and food.name.strip(), f"{label} has no name"
    assert food.basis in ("g", "ml"), f"{label}: basis {food.basis!r} is not g or ml"
    assert isinstance(food.per_100, Nutrients), f"{label}: per_100 is not Nutrients"
    _amount(food.per_100.energy_kcal, f"{label}: energy_kcal")
    for nutrient in NUTRIENT_FIELDS:
        value = getattr(food.per_100, nutrient)
        if value is not None:
            _amount(value, f"{label}: {nutrient}")
    assert isinstance(food.servings, tuple), f"{label}: servings must be a tuple"
    for serving in food.servings:
        assert isinstance(serving, Serving), f"{label}: {serving!r} is not a Serving"
        assert serving.name.strip(), f"{label}: a serving has no name"
        _amount(serving.amount, f"{label}: serving {serving.name!r}")
        assert serving.amount > 0, f"{label}: serving {serving.name!r} weighs nothing"
    if food.barcode is not None:
        try:
            valid = normalise_barcode(food.barcode) == food.barcode
        except InvalidBarcode:
            valid = False
        assert valid, f"{label}: barcode {food.barcode!r} is not a valid GTIN-13"
    return food


async def _not_found(report: NutritionReport, check: str, call: Any) -> None:
    try:
        found = await call
    except FoodNotFound as exc:
        report.not_found[check] = exc
        return
    raise AssertionError(f"{check}: expected FoodNotFound, got {found!r}")


async def _check_search(source: NutritionSource, text: str) -> FoodPage:
    page = await source.search(text, page=1, page_size=2)
    assert isinstance(page, FoodPage), f"search answered {page!r}, not a FoodPage"
    assert isinstance(page.items, tuple), "FoodPage.items must be a tuple"
    assert 1 <= len(page.items) <= 2, f"search {text!r} page_size=2 gave {len(page.items)} items"
    assert page.total >= len(page.items), f"total {page.total} < {len(page.items)} items shown"
    for item in page.items:
        assert_food_facts(item)
    if page.total >= 2:
        assert len(page.items) == 2, f"total {page.total} but page 1 of 2 has {len(page.items)}"
        second = await source.search(text, page=2, page_size=1)
        assert second.total == page.total, f"total changed across pages: {second.total}"
        assert second.items, "page 2 (page_size=1) is empty although total >= 2"
        assert second.items[0].source_id == page.items[1].source_id, (
            f"page 2 of size 1 starts with {second.items[0].source_id!r}, "
            f"not item 2 of page 1 ({page.items[1].source_id!r}): pages count from 1"
        )
    return page


async def assert_nutrition_source_contract(
    source: NutritionSource,
    *,
    search_text: str,
    known_id: str,
    unknown_id: str,
    barcode: str | None = None,
    unknown_barcode: str | None = None,
) -> NutritionReport:
    """Check ``source`` (an instance made with a context) against the nutrition-source contract
    (see the module); ``barcode``/``unknown_barcode`` are needed when it declares ``barcodes``."""
    cls = type(source)
    _check_declarations(cls)
    assert isinstance(source, NutritionSource), f"{cls.__name__} lacks a NutritionSource method"
    report = NutritionReport()
    report.page = await _check_search(source, search_text)

    food = assert_food_facts(await source.food(known_id))
    assert food.source_id == known_id, f"food({known_id!r}) answered {food.source_id!r}"
    report.food = food
    await _not_found(report, "food(unknown_id)", source.food(unknown_id))

    if cls.barcodes:
        assert barcode and unknown_barcode, (
            f"{cls.name} has barcodes: give barcode and unknown_barcode"
        )
        gtin = normalise_barcode(barcode)
        found = assert_food_facts(await source.barcode(gtin))
        assert found.barcode == gtin, f"barcode({gtin}) answered a food with {found.barcode!r}"
        report.barcode_food = found
        missing = normalise_barcode(unknown_barcode)
        await _not_found(report, "barcode(unknown_barcode)", source.barcode(missing))
    else:
        code = normalise_barcode(unknown_barcode or barcode or ANY_BARCODE)
        await _not_found(report, "barcode() without barcodes", source.barcode(code))
    return report
