"""Open Food Facts products -> FoodFacts: pure functions, no I/O."""

from __future__ import annotations

import pytest

from fithub.plugins.nutrition import Nutrients, Serving
from fithub.plugins.openfoodfacts import mapping
from fithub.plugins.testing.fakes.openfoodfacts import ALPRO, COLA, NO_FACTS, NUTELLA


def test_nutella_per_100_g_with_its_serving_brand_and_category() -> None:
    facts = mapping.food_facts(NUTELLA)
    assert facts is not None
    assert (facts.source_id, facts.barcode, facts.name) == (
        "3017620422003",
        "3017620422003",
        "Nutella",
    )
    assert facts.per_100 == Nutrients(
        energy_kcal=539,
        protein_g=6.3,
        carbohydrate_g=57.5,
        sugars_g=56.3,
        fat_g=30.9,
        saturated_fat_g=10.6,
        fibre_g=None,  # not on the label: unknown, not zero
        sodium_mg=42.8,  # sodium_100g 0.0428 g * 1000
    )
    assert (facts.basis, facts.brand) == ("g", "Nutella")
    assert facts.category == "Cocoa and hazelnuts spreads"  # the last, most specific category
    assert facts.servings == (Serving("15 g", 15),)


def test_a_drink_sold_in_cl_is_per_100_ml_even_when_off_says_100g() -> None:
    facts = mapping.food_facts(COLA)
    assert facts is not None
    assert facts.basis == "ml"  # quantity "50 cl"
    assert facts.servings == (Serving("1 bottle (500 ml)", 500),)  # serving_quantity "500" (text)
    assert facts.per_100.energy_kcal == 42 and facts.per_100.sodium_mg == 0


def test_kilojoules_and_salt_are_converted() -> None:
    facts = mapping.food_facts(ALPRO)
    assert facts is not None
    assert facts.basis == "ml"  # nutrition_data_per "100ml"
    # 163 kJ / 4.184 = 38.96 -> 39.0 kcal; salt 0.09 g / 2.5 = 0.036 g sodium = 36 mg
    assert facts.per_100.energy_kcal == 39.0
    assert facts.per_100.sodium_mg == 36.0
    assert facts.per_100.fibre_g == 0.5
    assert facts.servings == ()


def test_a_product_without_nutrition_facts_or_name_is_unusable() -> None:
    assert mapping.food_facts(NO_FACTS) is None
    assert mapping.food_facts({**NUTELLA, "product_name": ""}) is None


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        ("500 ml", "ml"),
        ("1,5 L", "ml"),
        ("330ml", "ml"),
        ("6 x 33 cl", "ml"),
        ("400 g", "g"),
        ("1 kg", "g"),
        ("", "g"),
    ],  # fmt: skip
)
def test_the_basis_follows_the_quantity(quantity: str, expected: str) -> None:
    assert mapping.basis({"quantity": quantity}) == expected
