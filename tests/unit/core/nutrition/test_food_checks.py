"""Checks of custom foods and the cleaning of a source's foods (pure functions, no database)."""

from __future__ import annotations

import math

import pytest

from fithub.core.errors import ValidationFailed
from fithub.core.nutrition.custom_foods import check_custom
from fithub.core.nutrition.errors import FoodSourceFailed
from fithub.core.nutrition.foods import barcode_problem, clean_facts
from fithub.plugins.nutrition import FoodFacts, Nutrients, Serving


def fields_of(error: ValidationFailed) -> list[str]:
    return [e["field"] for e in error.errors]


def test_plausible_custom_food_passes() -> None:
    # Olive oil: 884 kcal and 100 g fat in 100 g, both at most the bounds.
    check_custom({"energy_kcal": 884, "fat_g": 100, "saturated_fat_g": 13.8}, "g",
                 [{"name": "1 tbsp", "amount": 13.5}])  # fmt: skip


def test_each_implausible_nutrient_is_named() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_custom(
            {"energy_kcal": 901, "protein_g": 100.5, "sodium_mg": 100_001, "sugars_g": 12,
             "carbohydrate_g": 10},
            "g",
            [],
        )  # fmt: skip
    assert caught.value.status == 422
    assert caught.value.code == "implausible_nutrients"
    # energy > 900 kcal, protein > 100 g, sodium > 100 000 mg, sugars (12) > carbohydrate (10);
    # the macros weigh 100.5 + 10 = 110.5 g > 101 g.
    assert fields_of(caught.value) == ["per_100.energy_kcal", "per_100.protein_g",
                                       "per_100.sodium_mg", "per_100.sugars_g", "per_100"]  # fmt: skip


def test_macros_over_100_g_are_refused_for_solids_only() -> None:
    # 40 + 40 + 22 = 102 g of macros in 100 g: more than rounding (101 g) allows.
    per_100 = {"energy_kcal": 500, "protein_g": 40, "carbohydrate_g": 40, "fat_g": 22}
    with pytest.raises(ValidationFailed):
        check_custom(per_100, "g", [])
    check_custom(per_100, "ml", [])  # 100 ml of a dense liquid may hold more than 100 g


def test_serving_names_are_unique_ignoring_case_and_spaces() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_custom({"energy_kcal": 100}, "g",
                     [{"name": "1 cup", "amount": 240}, {"name": " 1 CUP", "amount": 250}])  # fmt: skip
    assert caught.value.code == "duplicate_serving"
    assert fields_of(caught.value) == ["servings.1.name"]


def test_a_wrong_check_digit_is_named() -> None:
    # 301762042200 -> GS1 check digit 3; 4 is given.
    with pytest.raises(ValidationFailed) as caught:
        barcode_problem("3017620422004")
    assert caught.value.code == "invalid_barcode"
    assert "check digit 4, expected 3" in caught.value.detail
    assert barcode_problem("301762042200-3") == "3017620422003"


def test_a_source_food_is_cleaned_before_it_is_stored() -> None:
    facts = FoodFacts(
        source_id="x1",
        name="  " + "N" * 250,
        per_100=Nutrients(energy_kcal=100, protein_g=-1, fat_g=math.nan, sodium_mg=5),
        barcode="123",
        servings=(Serving("", 10), Serving("1 bar", 0), Serving("1 slice", 25)),
    )
    clean = clean_facts(facts)
    assert clean.name == "N" * 200
    assert (clean.per_100.protein_g, clean.per_100.fat_g, clean.per_100.sodium_mg) == (
        None,
        None,
        5,
    )
    assert clean.barcode is None
    assert clean.servings == (Serving("1 slice", 25.0),)


def test_a_source_food_without_energy_is_refused() -> None:
    facts = FoodFacts(source_id="x1", name="Water", per_100=Nutrients(energy_kcal=math.inf))
    with pytest.raises(FoodSourceFailed):
        clean_facts(facts)
