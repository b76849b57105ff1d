"""The arithmetic of nutrition totals, without a database: energy shares, targets, ISO weeks."""

from __future__ import annotations

from datetime import date

from fithub.core.nutrition.models import NutritionTargets
from fithub.core.nutrition.totals import against_targets, energy_share, iso_weeks

ZERO = dict.fromkeys(
    ("energy_kcal", "protein_g", "carbohydrate_g", "sugars_g",
     "fat_g", "saturated_fat_g", "fibre_g", "sodium_mg"), 0.0,
)  # fmt: skip


def test_energy_shares_use_4_4_9_kcal_per_gram() -> None:
    # 25 g protein = 100 kcal, 50 g carbohydrate = 200 kcal, 20 g fat = 180 kcal; 480 kcal in all.
    shares = energy_share({**ZERO, "protein_g": 25, "carbohydrate_g": 50, "fat_g": 20})
    assert (shares.protein, shares.carbohydrate, shares.fat) == (20.83, 41.67, 37.5)
    only_fat = energy_share({**ZERO, "fat_g": 10, "energy_kcal": 90})
    assert (only_fat.protein, only_fat.carbohydrate, only_fat.fat) == (0.0, 0.0, 100.0)
    none = energy_share({**ZERO, "energy_kcal": 50})  # e.g. a quick add of energy alone
    assert (none.protein, none.carbohydrate, none.fat) == (None, None, None)


def test_targets_remaining_goes_negative_and_a_zero_target_has_no_percent() -> None:
    targets = NutritionTargets(energy_kcal=2000, protein_g=0, fibre_g=30)
    eaten = {**ZERO, "energy_kcal": 2300, "protein_g": 12, "fibre_g": 15}
    shown = against_targets(eaten, targets)
    assert set(shown) == {"energy_kcal", "protein_g", "fibre_g"}  # no carbohydrate or fat target
    assert shown["energy_kcal"].model_dump() == {"target": 2000, "remaining": -300, "percent": 115}
    assert shown["protein_g"].model_dump() == {"target": 0, "remaining": -12, "percent": None}
    # A week: 7 x 30 g = 210 g of fibre, 15 eaten = 7.14 %.
    week = against_targets(eaten, targets, factor=7)["fibre_g"]
    assert week.model_dump() == {"target": 210, "remaining": 195, "percent": 7.14}
    assert against_targets(eaten, None) == {}


def test_iso_weeks_run_monday_to_sunday() -> None:
    # 1 January 2021 is a Friday of ISO week 2020-W53; 4 January 2021 a Monday.
    assert iso_weeks(date(2021, 1, 1), date(2021, 1, 4)) == (date(2020, 12, 28), date(2021, 1, 10))
    assert iso_weeks(date(2024, 3, 4), date(2024, 3, 10)) == (date(2024, 3, 4), date(2024, 3, 10))
