"""FoodData Central foods (search results and full records) as fithub's :class:`FoodFacts`.

FDC lists nutrients in three shapes, all read here: search results
(``{nutrientId, nutrientNumber, unitName, value}``), full records
(``{nutrient: {id, number, unitName}, amount}``) and abridged records (``{number, unitName,
amount}``). Amounts are per 100 g; a Branded food whose serving is in ml is per 100 ml.

Energy, by preference: 1008 "Energy" in kcal (number 208), then Foundation's Atwater energies
2048 (specific factors, 958) and 2047 (general factors, 957), then 1062 in kJ / 4.184, then
4/4/9 kcal per g of protein, carbohydrate and fat. A food with none of those is unusable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fithub.plugins.nutrition import Basis, FoodFacts, Nutrients, Serving
from fithub.plugins.nutrition_http import gtin13, number

ENERGY_KCAL = (1008, 2048, 2047)
ENERGY_KJ = 1062
KJ_PER_KCAL = 4.184
# nutrient id -> (fithub field, unit fithub keeps); later ids are fallbacks for earlier ones
FIELDS: dict[int, tuple[str, str]] = {
    1003: ("protein_g", "g"),
    1005: ("carbohydrate_g", "g"),
    1050: ("carbohydrate_g", "g"),  # Foundation: carbohydrate by summation
    2000: ("sugars_g", "g"),
    1063: ("sugars_g", "g"),  # Foundation: sugars, total
    1004: ("fat_g", "g"),
    1258: ("saturated_fat_g", "g"),
    1079: ("fibre_g", "g"),
    1093: ("sodium_mg", "mg"),
}
# nutrient number (the older SR code) -> nutrient id
NUMBERS = {"208": 1008, "958": 2048, "957": 2047, "268": 1062, "203": 1003, "205": 1005,
           "205.2": 1050, "269": 2000, "269.3": 1063, "204": 1004, "606": 1258, "291": 1079,
           "307": 1093}  # fmt: skip
GRAMS = {"g": 1.0, "mg": 0.001, "ug": 0.000001, "µg": 0.000001}
SERVING_UNITS: dict[str, Basis] = {"g": "g", "grm": "g", "ml": "ml", "mlt": "ml"}


def _nutrient_id(entry: Mapping[str, Any]) -> int | None:
    nested = entry.get("nutrient")
    if isinstance(nested, Mapping):
        raw_id, raw_number = nested.get("id"), nested.get("number")
    else:
        raw_id, raw_number = (
            entry.get("nutrientId"),
            entry.get("nutrientNumber", entry.get("number")),
        )
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        return raw_id
    return NUMBERS.get(str(raw_number).strip()) if raw_number is not None else None


def _unit(entry: Mapping[str, Any]) -> str:
    nested = entry.get("nutrient")
    unit = nested.get("unitName") if isinstance(nested, Mapping) else entry.get("unitName")
    return str(unit or "").strip().lower()


def amounts(entries: Iterable[Any]) -> dict[int, tuple[float, str]]:
    """``{nutrient id: (amount, unit)}`` of a food's ``foodNutrients`` (first entry per id wins)."""
    found: dict[int, tuple[float, str]] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        nutrient = _nutrient_id(entry)
        value = number(entry["value"] if "value" in entry else entry.get("amount"))
        if nutrient is not None and value is not None and nutrient not in found:
            found[nutrient] = (value, _unit(entry))
    return found


def _convert(value: float, unit: str, wanted: str) -> float | None:
    if unit not in GRAMS:
        return None if unit else value  # no unit given: FDC's own unit for the nutrient
    return round(value * GRAMS[unit] / GRAMS[wanted], 6)


def nutrients(entries: Iterable[Any]) -> Nutrients | None:
    """Per-100 nutrients of ``foodNutrients``; None when the energy cannot be known."""
    found = amounts(entries)
    values: dict[str, float] = {}
    for nutrient_id, (field, wanted) in FIELDS.items():
        if field in values or nutrient_id not in found:
            continue
        converted = _convert(*found[nutrient_id], wanted)
        if converted is not None:
            values[field] = converted
    energy = next((found[i][0] for i in ENERGY_KCAL if i in found and found[i][1] != "kj"), None)
    if energy is None and ENERGY_KJ in found:
        energy = round(found[ENERGY_KJ][0] / KJ_PER_KCAL, 1)
    if energy is None and all(f in values for f in ("protein_g", "carbohydrate_g", "fat_g")):
        # Atwater's general factors: 4 kcal/g protein and carbohydrate, 9 kcal/g fat
        energy = round(
            4 * values["protein_g"] + 4 * values["carbohydrate_g"] + 9 * values["fat_g"], 1
        )
    if energy is None:
        return None
    return Nutrients(energy_kcal=energy, **values)


def _serving_unit(food: Mapping[str, Any]) -> Basis | None:
    return SERVING_UNITS.get(str(food.get("servingSizeUnit") or "").strip().lower())


def portion_name(portion: Mapping[str, Any]) -> str | None:
    """``"1 medium (7\\" to 7-7/8\\" long)"``, ``"1 cup, mashed"``: how FDC's own pages name one."""
    description = str(portion.get("portionDescription") or "").strip()
    if description and description.lower() != "quantity not specified":
        return description
    amount = number(portion.get("amount"))
    unit = portion.get("measureUnit")
    unit_name = str(unit.get("name") or "") if isinstance(unit, Mapping) else ""
    unit_name = "" if unit_name.lower() == "undetermined" else unit_name
    modifier = str(portion.get("modifier") or "").strip()
    parts = [f"{amount:g}" if amount else "1", unit_name, modifier]
    name = " ".join(part for part in parts if part)
    return name if (unit_name or modifier) else None


def servings(food: Mapping[str, Any]) -> tuple[Serving, ...]:
    """The food's label serving (Branded) and its household portions (SR Legacy, Foundation)."""
    found: list[Serving] = []
    size, unit = number(food.get("servingSize")), _serving_unit(food)
    if size and unit:
        label = str(food.get("householdServingFullText") or "").strip()
        found.append(Serving(label or f"1 serving ({size:g} {unit})", size))
    for portion in food.get("foodPortions") or ():
        if not isinstance(portion, Mapping):
            continue
        grams, name = number(portion.get("gramWeight")), portion_name(portion)
        if grams and name and all(s.name != name for s in found):
            found.append(Serving(name, grams))
    return tuple(found)


def _category(food: Mapping[str, Any]) -> str | None:
    category = food.get("foodCategory") or food.get("brandedFoodCategory")
    if isinstance(category, Mapping):
        category = category.get("description")
    return str(category).strip() or None if category else None


def food_facts(food: Mapping[str, Any]) -> FoodFacts | None:
    """One FDC food (a search hit or a full record) as :class:`FoodFacts`; None if unusable."""
    fdc_id, name = food.get("fdcId"), str(food.get("description") or "").strip()
    per_100 = nutrients(food.get("foodNutrients") or ())
    if not isinstance(fdc_id, int | str) or not str(fdc_id).isdigit() or not name or not per_100:
        return None
    brand = food.get("brandName") or food.get("brandOwner")
    return FoodFacts(
        source_id=str(fdc_id),
        name=name,
        per_100=per_100,
        basis=_serving_unit(food) or "g" if food.get("dataType") == "Branded" else "g",
        brand=str(brand).strip() or None if brand else None,
        barcode=gtin13(food.get("gtinUpc")),
        category=_category(food),
        servings=servings(food),
    )
