"""FoodData Central records and search hits -> FoodFacts: pure functions, no I/O."""

from __future__ import annotations

import pytest

from fithub.plugins.nutrition import Nutrients, Serving
from fithub.plugins.nutrition_http import gtin13
from fithub.plugins.testing.fakes.usda import BANANA, COLA, HUMMUS, NUTELLA, abridged
from fithub.plugins.usda import mapping

# Bananas, raw (SR Legacy 173944, NDB 09040) per 100 g, as in SR28.
BANANA_100G = Nutrients(
    energy_kcal=89,
    protein_g=1.09,
    carbohydrate_g=22.84,
    sugars_g=12.23,
    fat_g=0.33,
    saturated_fat_g=0.112,
    fibre_g=2.6,
    sodium_mg=1,
)


def test_a_full_sr_legacy_record_keeps_nutrients_category_and_portions() -> None:
    facts = mapping.food_facts(BANANA)
    assert facts is not None
    assert (facts.source_id, facts.name, facts.basis) == ("173944", "Bananas, raw", "g")
    assert facts.per_100 == BANANA_100G
    assert (facts.brand, facts.barcode) == (None, None)
    assert facts.category == "Fruits and Fruit Juices"
    # SR Legacy portions: amount + modifier (the unit is "undetermined"), gramWeight in grams
    assert facts.servings == (
        Serving("1 cup, mashed", 225),
        Serving("1 cup, sliced", 150),
        Serving('1 medium (7" to 7-7/8" long)', 118),
        Serving("1 NLEA serving", 126),
    )


def test_a_search_hit_reads_the_flat_nutrient_shape() -> None:
    facts = mapping.food_facts(abridged(BANANA))
    assert facts is not None
    assert facts.per_100 == BANANA_100G
    assert facts.category == "Fruits and Fruit Juices"
    assert facts.servings == ()  # search hits carry no portions


def test_foundation_energy_prefers_atwater_specific_factors_and_names_the_unit() -> None:
    facts = mapping.food_facts(HUMMUS)
    assert facts is not None
    # the record has 2047 (general factors) 229 kcal and 2048 (specific factors) 237 kcal
    assert facts.per_100.energy_kcal == 237
    assert (facts.per_100.sugars_g, facts.per_100.saturated_fat_g) == (None, None)  # unknown
    assert facts.servings == (Serving("1 tablespoon", 15),)


def test_a_branded_food_has_its_barcode_brand_and_label_serving() -> None:
    facts = mapping.food_facts(abridged(NUTELLA))
    assert facts is not None
    assert facts.barcode == "0009800800056"  # UPC-A 009800800056 with a leading zero
    assert (facts.brand, facts.category, facts.basis) == ("NUTELLA", "Nut & Seed Butters", "g")
    assert facts.servings == (Serving("2 Tbsp", 37),)
    # per 100 g from the 37 g label: 200 kcal / 37 * 100 = 540.5 -> FDC's 541
    assert facts.per_100.energy_kcal == 541 and facts.per_100.sodium_mg == 41


def test_a_branded_drink_served_in_millilitres_is_per_100_ml() -> None:
    facts = mapping.food_facts(COLA)
    assert facts is not None
    assert facts.basis == "ml"  # servingSizeUnit "MLT"
    assert facts.servings == (Serving("1 can", 355),)
    assert facts.barcode == "0049000028911"


def test_energy_falls_back_to_kilojoules_then_to_atwater_factors() -> None:
    kj = mapping.nutrients([{"nutrientId": 1062, "unitName": "kJ", "value": 418.4}])
    assert kj is not None and kj.energy_kcal == 100.0  # 418.4 / 4.184
    macros = [
        {"nutrientId": 1003, "unitName": "G", "value": 10},
        {"nutrientId": 1005, "unitName": "G", "value": 20},
        {"nutrientId": 1004, "unitName": "G", "value": 5},
    ]
    atwater = mapping.nutrients(macros)
    assert atwater is not None and atwater.energy_kcal == 165.0  # 4*10 + 4*20 + 9*5
    assert mapping.nutrients(macros[:2]) is None  # no fat: the energy cannot be known


def test_abridged_numbers_and_units_are_converted() -> None:
    found = mapping.nutrients(
        [
            {"number": "208", "name": "Energy", "amount": 52, "unitName": "KCAL"},
            {"nutrientId": 1093, "unitName": "G", "value": 0.5},  # sodium in grams
            {"nutrientId": 1003, "unitName": "MG", "value": 250},  # protein in milligrams
        ]
    )
    assert found == Nutrients(energy_kcal=52, sodium_mg=500, protein_g=0.25)


def test_a_food_without_energy_or_name_is_unusable() -> None:
    assert mapping.food_facts({**BANANA, "foodNutrients": []}) is None
    assert mapping.food_facts({**BANANA, "description": " "}) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("009800800056", "0009800800056"),  # UPC-A
        ("00009800800056", "0009800800056"),  # GTIN-14 without a packaging indicator
        ("3017620422003", "3017620422003"),  # EAN-13
        ("009800800057", None),  # check digit should be 6
        ("10009800800053", None),  # GTIN-14 of a case, not a retail unit
        (None, None),
    ],
)
def test_vendor_codes_become_gtin13(raw: str | None, expected: str | None) -> None:
    assert gtin13(raw) == expected
