"""Custom foods: entered by a user, owned by them, validated per 100 g or 100 ml.

No nutrient above 100 g (sodium 100 000 mg), energy at most 900 kcal, protein + carbohydrate + fat
at most 100 g in 100 g (plus rounding), sugars within carbohydrate, saturated fat within fat, and
serving names unique. Archived rather than deleted: diary entries and recipes keep pointing at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fithub.core.errors import Conflict, NotFound, ValidationFailed
from fithub.core.nutrition import food_schemas as schemas
from fithub.core.nutrition.access import visible_food
from fithub.core.nutrition.foods import barcode_problem, food_out, now, plausibility, short
from fithub.core.nutrition.models import (
    CUSTOM_SOURCE,
    AmountUnit,
    Basis,
    Food,
    RecipeItem,
    SavedMealItem,
)
from fithub.core.nutrition.sources import SourceGateway
from fithub.core.pagination import paginate
from fithub.plugins.nutrition import NUTRIENT_FIELDS, Nutrients

MAX_ENERGY_KCAL = 900.0  # pure fat: 100 g x 9 kcal
MAX_GRAMS = 100.0  # no nutrient weighs more than the 100 g it is part of
MAX_SODIUM_MG = 100_000.0  # 100 g
MACRO_ROUNDING_G = 1.0  # protein + carbohydrate + fat may pass 100 g by rounding only


def _problem(field: str, message: str, code: str = "implausible_nutrients") -> dict[str, Any]:
    return {"field": field, "message": message, "type": code}


def check_custom(
    per_100: Mapping[str, float | None], basis: str, servings: Iterable[Mapping[str, Any]]
) -> None:
    """422 naming every implausible nutrient (per 100 g/ml) and every repeated serving name."""
    unit = "100 ml" if basis == "ml" else "100 g"
    errors = []
    for name in NUTRIENT_FIELDS:
        value = per_100.get(name)
        if value is None:
            continue
        if name == "energy_kcal" and value > MAX_ENERGY_KCAL:
            errors.append(
                _problem(f"per_100.{name}", f"at most {MAX_ENERGY_KCAL:g} kcal per {unit}")
            )
        elif name == "sodium_mg" and value > MAX_SODIUM_MG:
            errors.append(_problem(f"per_100.{name}", f"at most {MAX_SODIUM_MG:g} mg per {unit}"))
        elif name.endswith("_g") and value > MAX_GRAMS:
            errors.append(_problem(f"per_100.{name}", f"at most {MAX_GRAMS:g} g per {unit}"))
    for part, whole in (("sugars_g", "carbohydrate_g"), ("saturated_fat_g", "fat_g")):
        part_value, whole_value = per_100.get(part), per_100.get(whole)
        if part_value is not None and whole_value is not None and part_value > whole_value:
            errors.append(_problem(f"per_100.{part}", f"more than {whole} ({whole_value:g} g)"))
    macros = [per_100.get(n) for n in ("protein_g", "carbohydrate_g", "fat_g")]
    total = sum(v for v in macros if v is not None)
    if basis == "g" and total > MAX_GRAMS + MACRO_ROUNDING_G:
        errors.append(_problem("per_100", f"protein, carbohydrate and fat weigh {total:g} g "
                                          "in 100 g"))  # fmt: skip
    seen: set[str] = set()
    for index, serving in enumerate(servings):
        key = str(serving["name"]).strip().casefold()
        if key in seen:
            errors.append(_problem(f"servings.{index}.name",
                                   f"the serving {serving['name']!r} is named twice",
                                   "duplicate_serving"))  # fmt: skip
        seen.add(key)
    if errors:
        raise ValidationFailed(
            "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            code=errors[0]["type"],
            errors=errors,
        )


def _custom_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Model values of a custom food from a validated body (whole or partial)."""
    values: dict[str, Any] = {}
    for key in ("name", "brand", "category"):
        if key in data:
            values[key] = data[key]
    if "barcode" in data:
        values["barcode"] = barcode_problem(data["barcode"]) if data["barcode"] else None
    if "basis" in data and data["basis"] is not None:
        values["basis"] = Basis(data["basis"])
    if data.get("per_100") is not None:
        values.update({n: data["per_100"].get(n) for n in NUTRIENT_FIELDS})
    if data.get("servings") is not None:
        values["servings"] = [{"name": s["name"], "amount": s["amount"]} for s in data["servings"]]
    return values


def _apply_checks(food: Food) -> None:
    per_100 = {n: getattr(food, n) for n in NUTRIENT_FIELDS}
    basis = "ml" if food.basis == Basis.MILLILITRES else "g"
    check_custom(per_100, basis, food.servings or [])
    nutrients = Nutrients(**per_100)
    food.plausibility_warning = short(plausibility(nutrients, food.category, food.name), 300)


async def create_custom(user_id: int, data: schemas.FoodIn) -> Food:
    """Store a custom food of ``user_id`` (422 naming what is implausible)."""
    values = _custom_values(data.model_dump())
    food = Food(owner_id=user_id, source=CUSTOM_SOURCE, source_id=None, **values)
    _apply_checks(food)
    await food.save()
    return food


async def own_food(user_id: int, food_id: int) -> Food:
    """A custom food of ``user_id`` that is not archived, else 404 ``unknown_food``."""
    food = await Food.filter(id=food_id, owner_id=user_id, archived_at__isnull=True).first()
    if food is None:
        raise NotFound(f"There is no custom food {food_id} of yours.", code="unknown_food")
    return food


async def update_custom(user_id: int, food_id: int, patch: schemas.FoodPatch) -> Food:
    """Change a custom food; ``per_100`` and ``servings`` are replaced whole."""
    food = await own_food(user_id, food_id)
    data = patch.model_dump(exclude_unset=True)
    if data.get("name", ...) is None:
        raise ValidationFailed("name: may not be null",
                               errors=[_problem("name", "may not be null", "null")])  # fmt: skip
    values = _custom_values(data)
    if "basis" in values and values["basis"] != food.basis:
        await _basis_unused(food)
    food.update_from_dict(values)
    _apply_checks(food)
    await food.save()
    return food


async def _basis_unused(food: Food) -> None:
    """409 ``basis_in_use`` when a recipe or saved meal holds this food in grams or millilitres:
    switching g and ml would silently change what those amounts mean."""
    by_amount = (AmountUnit.GRAMS, AmountUnit.MILLILITRES)
    used = await RecipeItem.filter(food_id=food.id, unit__in=by_amount).exists() or (
        await SavedMealItem.filter(food_id=food.id, unit__in=by_amount).exists()
    )
    if used:
        raise Conflict(
            "basis: a recipe or saved meal holds this food in grams or millilitres; "
            "change those first, or enter the food again with the other basis",
            code="basis_in_use",
            errors=[_problem("basis", "in use by a recipe or saved meal", "basis_in_use")],
        )


async def archive_custom(user_id: int, food_id: int) -> None:
    """Remove a custom food from your lists (diary entries and recipes keep it)."""
    food = await own_food(user_id, food_id)
    food.archived_at = now()
    await food.save(update_fields=["archived_at", "updated_at"])


async def list_custom(
    user_id: int, page: schemas.MineQuery, gateway: SourceGateway
) -> dict[str, Any]:
    """Your custom foods (not archived), newest first, one keyset page."""
    query = Food.filter(owner_id=user_id, archived_at__isnull=True)
    return await paginate(query, page, lambda food: food_out(food, gateway))


async def get_food(user_id: int, food_id: int) -> Food:
    """A food you may see: any source food, or your custom food (archived ones too)."""
    return await visible_food(user_id, food_id, archived=True)
