"""The built-in food table: shipped data, registration, food by id, typo-tolerant paged search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from importlib.resources import files
from pathlib import Path

import aiohttp
import pytest

from fithub.plugins.errors import FoodNotFound
from fithub.plugins.food_table import FoodTable, load_table
from fithub.plugins.food_table.table import parse
from fithub.plugins.manager import BUILTIN_PLUGINS, load_plugins
from fithub.plugins.nutrition import FoodFacts, Nutrients, NutritionSource, Serving
from fithub.plugins.testing.nutrition import source_context

ROOT = Path(__file__).parents[4]


@pytest.fixture
async def table() -> AsyncIterator[FoodTable]:
    async with aiohttp.ClientSession() as session:
        yield FoodTable(source_context(session))


def test_the_data_and_its_source_ship_in_the_package() -> None:
    data = files("fithub.plugins.food_table").joinpath("data")
    assert data.joinpath("foods.csv").read_text(encoding="utf-8").count("\n") == 974  # header + 973
    assert "SR28" in data.joinpath("SOURCE.md").read_text(encoding="utf-8")
    setup = (ROOT / "setup.cfg").read_text()
    assert "fithub.plugins.food_table = data/*.csv, data/*.md" in setup
    assert "fithub-builtin-food-table = fithub.plugins.food_table" in setup


def test_it_is_a_builtin_plugin_named_builtin() -> None:
    assert "fithub.plugins.food_table" in BUILTIN_PLUGINS
    registry = load_plugins(builtins=("fithub.plugins.food_table",), group="fithub.none")
    [record] = registry.records
    assert (record.status, record.error) == ("loaded", None)
    component = registry.components("nutrition_source")["builtin"]
    assert component.cls is FoodTable
    assert component.display_name == "Built-in food table (USDA SR28)"


def test_declarations() -> None:
    assert isinstance(FoodTable.__new__(FoodTable), NutritionSource)
    assert (FoodTable.needs_network, FoodTable.needs_api_key, FoodTable.barcodes) == (
        False,
        False,
        False,
    )
    assert FoodTable.limits == {}
    assert "Nutrient Data Laboratory" in FoodTable.attribution and "CC0" in FoodTable.attribution


def test_the_table_is_read_once_per_process() -> None:
    assert load_table() is load_table()
    assert len(load_table().foods) == len(load_table().by_id) == 973


async def test_a_food_by_its_ndb_number(table: FoodTable) -> None:
    banana = await table.food("09040")
    # Row 09040 of foods.csv, per 100 g, fiber_g read as fibre_g.
    assert banana == FoodFacts(
        source_id="09040",
        name="Bananas, raw",
        per_100=Nutrients(
            energy_kcal=89,
            protein_g=1.09,
            carbohydrate_g=22.84,
            sugars_g=12.23,
            fat_g=0.33,
            saturated_fat_g=0.112,
            fibre_g=2.6,
            sodium_mg=1,
        ),
        basis="g",
        category="Fruits and Fruit Juices",
        servings=banana.servings,
    )
    assert len(banana.servings) == 8
    assert banana.servings[0] == Serving("1 cup, mashed", 225.0)
    assert Serving('1 medium (7" to 7-7/8" long)', 118.0) in banana.servings


async def test_unknown_ids_and_any_barcode_are_not_found(table: FoodTable) -> None:
    for missing in ("99999", "9040", ""):
        with pytest.raises(FoodNotFound):
            await table.food(missing)
    with pytest.raises(FoodNotFound, match="no barcodes"):
        await table.barcode("3017620422003")


def test_empty_cells_are_unknown_not_zero() -> None:
    header = (
        "ndb_no,description,food_group,energy_kcal,protein_g,carbohydrate_g,sugars_g,fat_g,"
        "saturated_fat_g,fiber_g,sodium_mg,portions\n"
    )
    parsed = parse(header + '00001,"Salt, table",Spices and Herbs,0,0,0,,0,0,,38758,\n')
    [salt] = parsed.foods
    assert (salt.per_100.sugars_g, salt.per_100.fibre_g, salt.per_100.sodium_mg) == (
        None,
        None,
        38758,
    )
    assert salt.servings == ()
    with pytest.raises(ValueError, match="repeats"):
        parse(header + "00001,A,G,1,0,0,0,0,0,0,0,[]\n00001,B,G,1,0,0,0,0,0,0,0,[]\n")


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("banana", "Bananas, raw"),
        ("bananna", "Bananas, raw"),  # one letter too many
        ("brocoli", "Broccoli, raw"),  # one missing
        ("strawbery", "Strawberries, raw"),
        ("BANANAS", "Bananas, raw"),
        ("peanutbutter", "Peanut butter, smooth, reduced fat"),  # no space
    ],
)
async def test_search_forgives_typos(table: FoodTable, query: str, first: str) -> None:
    page = await table.search(query)
    assert page.items[0].name == first


async def test_chiken_breast_finds_chicken_breast_near_the_top(table: FoodTable) -> None:
    page = await table.search("chiken breast", page_size=3)
    assert all(food.name.startswith("Chicken") and "breast" in food.name for food in page.items)
    assert "Chicken, broilers or fryers, breast, meat and skin, raw" in [f.name for f in page.items]


async def test_search_pages_and_totals(table: FoodTable) -> None:
    everything = await table.search("milk", page_size=100)
    assert everything.total == len(everything.items) > 10
    first = await table.search("milk", page=1, page_size=4)
    second = await table.search("milk", page=2, page_size=4)
    assert first.total == second.total == everything.total
    assert first.items + second.items == everything.items[:8]
    beyond = await table.search("milk", page=100, page_size=4)
    assert (beyond.items, beyond.total) == ((), everything.total)
    assert await table.search("xyzzy") == await table.search("!!!")
    assert (await table.search("xyzzy")).total == 0
    with pytest.raises(ValueError):
        await table.search("milk", page=0)
