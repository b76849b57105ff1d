"""Amounts and nutrients: basis units, servings, bounds, scaling and sums, worked by hand."""

from __future__ import annotations

import pytest

from fithub.core.errors import ValidationFailed
from fithub.core.nutrition import amounts

OATS = {
    "energy_kcal": 379.0,
    "protein_g": 13.15,
    "carbohydrate_g": 67.7,
    "sugars_g": None,
    "fat_g": 6.52,
    "saturated_fat_g": None,
    "fibre_g": 10.1,
    "sodium_mg": 6.0,
}
CUP = [{"name": "cup", "amount": 81.0}, {"name": "tbsp", "amount": 5.0}]


def test_grams_of_a_gram_food_are_the_amount():
    assert amounts.food_amount("g", CUP, 150, "g") == 150


def test_servings_multiply_the_serving_amount_and_match_loosely():
    # 1.5 cups x 81 g = 121.5 g; the name is matched trimmed and case-insensitively
    assert amounts.food_amount("g", CUP, 1.5, "serving", "  CUP ") == 121.5


@pytest.mark.parametrize(("basis", "unit"), [("g", "ml"), ("ml", "g")])
def test_grams_of_a_drink_or_millilitres_of_a_solid_are_refused(basis, unit):
    with pytest.raises(ValidationFailed) as caught:
        amounts.food_amount(basis, CUP, 100, unit)
    assert caught.value.code == "unit_mismatch"
    assert caught.value.errors[0]["field"] == "unit"


def test_an_unknown_serving_lists_the_food_s_servings():
    with pytest.raises(ValidationFailed) as caught:
        amounts.food_amount("g", CUP, 1, "serving", "slice")
    error = caught.value.errors[0]
    assert caught.value.code == "unknown_serving"
    assert error["field"] == "serving_name"
    assert error["servings"] == [{"name": "cup", "amount": 81.0}, {"name": "tbsp", "amount": 5.0}]
    assert "cup (81), tbsp (5)" in error["message"]


def test_a_serving_without_a_name_is_unknown():
    with pytest.raises(ValidationFailed) as caught:
        amounts.food_amount("g", CUP, 1, "serving", None)
    assert caught.value.code == "unknown_serving"


@pytest.mark.parametrize(
    ("quantity", "unit", "name"),
    [
        (0, "g", None),  # not above zero
        (-5, "g", None),
        (5000.5, "g", None),  # above 5,000 g in one entry
        (50.5, "serving", "tbsp"),  # above 50 servings (50.5 x 5 g is only 252.5 g)
        (62, "serving", "cup"),  # 62 x 81 g = 5,022 g > 5,000 g
    ],
)
def test_implausible_amounts_name_the_quantity(quantity, unit, name):
    with pytest.raises(ValidationFailed) as caught:
        amounts.food_amount("g", CUP, quantity, unit, name)
    assert caught.value.code == "implausible_amount"
    assert caught.value.errors[0]["field"] == "quantity"


def test_the_bounds_themselves_are_allowed():
    assert amounts.food_amount("ml", [], 5000, "ml") == 5000
    assert amounts.food_amount("g", CUP, 50, "serving", "tbsp") == 250  # 50 x 5 g


def test_scale_is_per_100_times_amount_over_100_and_keeps_unknowns():
    # 121.5 g of oats: energy 379 x 121.5 / 100 = 460.485 -> 460.5 (0.1 kcal);
    # protein 13.15 x 1.215 = 15.97725 -> 15.98 g; carbohydrate 67.7 x 1.215 = 82.2555 -> 82.26 g;
    # fat 6.52 x 1.215 = 7.9218 -> 7.92 g; fibre 10.1 x 1.215 = 12.2715 -> 12.27 g;
    # sodium 6 x 1.215 = 7.29 -> 7.3 mg (0.1 mg); sugars and saturated fat unknown stay None
    assert amounts.scale(OATS, 121.5) == {
        "energy_kcal": 460.5,
        "protein_g": 15.98,
        "carbohydrate_g": 82.26,
        "sugars_g": None,
        "fat_g": 7.92,
        "saturated_fat_g": None,
        "fibre_g": 12.27,
        "sodium_mg": 7.3,
    }


def test_add_sums_known_values_and_none_only_where_nobody_knows():
    milk = {"energy_kcal": 122.0, "protein_g": 8.05, "sugars_g": 12.3}
    oats = amounts.scale(OATS, 40)  # 151.6 kcal, 5.26 g protein, sugars unknown
    total = amounts.add([oats, milk])
    # energy 151.6 + 122 = 273.6; protein 5.26 + 8.05 = 13.31; sugars known only in milk: 12.3
    assert (total["energy_kcal"], total["protein_g"], total["sugars_g"]) == (273.6, 13.31, 12.3)
    assert total["saturated_fat_g"] is None  # nobody knows it


def test_recipe_per_serving_is_the_total_over_the_servings():
    total = {"energy_kcal": 1000.0, "protein_g": 30.0, "fat_g": None}
    # 1000 / 3 = 333.33... -> 333.3 kcal; 30 / 3 = 10 g protein; fat stays unknown
    per_serving = amounts.divide(total, 3)
    assert (per_serving["energy_kcal"], per_serving["protein_g"], per_serving["fat_g"]) == (
        333.3,
        10.0,
        None,
    )
    # 1.5 servings: 1000 x 1.5 / 3 = 500 kcal
    assert amounts.times(total, 1.5 / 3)["energy_kcal"] == 500.0
