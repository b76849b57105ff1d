"""Recipes: foods in amounts making a number of servings; nutrients computed from the foods now.

Also the portion helpers the diary and saved meals share: what an amount of a food or a recipe
weighs and holds (:func:`food_portion`, :func:`recipe_portion`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from fithub.core.errors import FithubError, ValidationFailed
from fithub.core.nutrition import amounts
from fithub.core.nutrition.access import visible_food, visible_recipe
from fithub.core.nutrition.amounts import NutrientValues
from fithub.core.nutrition.diary_schemas import nutrients_out
from fithub.core.nutrition.models import AmountUnit, Food, Recipe, RecipeItem
from fithub.core.nutrition.recipe_schemas import (
    RecipeIn,
    RecipeItemIn,
    RecipeItemOut,
    RecipeOut,
    RecipePatch,
)
from fithub.core.pagination import PageQuery, paginate


@dataclass(frozen=True)
class Portion:
    """An amount of a food or a recipe: its name, grams/ml (None for a recipe) and nutrients."""

    name: str
    amount: float | None
    nutrients: NutrientValues
    food: Food | None = None
    recipe: Recipe | None = None


@contextmanager
def field_prefix(prefix: str) -> Iterator[None]:
    """Re-raise a ValidationFailed with its error fields under ``prefix`` (``items[2].unit``)."""
    try:
        yield
    except ValidationFailed as exc:
        for error in exc.errors:
            error["field"] = f"{prefix}.{error['field']}"
        raise


def food_portion_of(food: Food, quantity: float, unit: str, serving_name: str | None) -> Portion:
    """The portion of an already visible ``food`` (pure; see :mod:`.amounts` for the rules)."""
    amount = amounts.food_amount(food.basis, food.servings or [], quantity, unit, serving_name)
    nutrients = amounts.scale(amounts.nutrients_of(food), amount)
    return Portion(food.name, amount, nutrients, food=food)


def stored_portion(food: Food, quantity: float, unit: str, serving_name: str | None) -> Portion:
    """The portion of a stored item; one its food no longer fits (a serving renamed) holds nothing."""
    try:
        return food_portion_of(food, quantity, unit, serving_name)
    except ValidationFailed:
        return Portion(food.name, 0.0, amounts.round_nutrients({}), food=food)


async def food_portion(
    user_id: int,
    food_id: int,
    quantity: float,
    unit: str,
    serving_name: str | None,
    *,
    archived: bool = False,
) -> Portion:
    """``quantity`` ``unit`` of food ``food_id`` as ``user_id`` sees it (404 ``unknown_food``)."""
    food = await visible_food(user_id, food_id, archived=archived)
    return food_portion_of(food, quantity, unit, serving_name)


async def recipe_total(recipe: Recipe) -> NutrientValues:
    """The whole recipe's nutrients from its foods as they are now (archived foods included)."""
    items = await RecipeItem.filter(recipe_id=recipe.id).prefetch_related("food")
    return amounts.add(
        stored_portion(item.food, item.quantity, item.unit, item.serving_name).nutrients
        for item in items
    )


async def recipe_portion(
    user_id: int, recipe_id: int, quantity: float, unit: str | None, *, archived: bool = False
) -> Portion:
    """``quantity`` servings of recipe ``recipe_id`` (404 ``unknown_recipe``; only servings)."""
    recipe = await visible_recipe(user_id, recipe_id, archived=archived)
    if unit not in (None, AmountUnit.SERVING):
        raise ValidationFailed(
            "A recipe is logged in servings.",
            code="unit_mismatch",
            errors=[
                {
                    "field": "unit",
                    "message": "a recipe is logged in servings",
                    "type": "unit_mismatch",
                }
            ],
        )
    amounts.check_quantity(quantity, AmountUnit.SERVING)
    total = await recipe_total(recipe)
    return Portion(
        recipe.name, None, amounts.times(total, quantity / recipe.servings), recipe=recipe
    )


async def _checked_items(user_id: int, items: Sequence[RecipeItemIn]) -> list[Portion]:
    """Each item's portion; every failing item named (``items[i].field``), all at once."""
    portions: list[Portion] = []
    errors: list[dict[str, Any]] = []
    first: FithubError | None = None
    for index, item in enumerate(items):
        try:
            with field_prefix(f"items[{index}]"):
                portions.append(
                    await food_portion(
                        user_id, item.food_id, item.quantity, item.unit, item.serving_name
                    )
                )
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            first = first or exc
        except FithubError as exc:  # unknown_food: name the item, keep the 404
            exc.errors = [
                {"field": f"items[{index}].food_id", "message": exc.detail, "type": exc.code}
            ]
            raise
    if first is not None:
        raise ValidationFailed(
            "Some items did not validate.",
            code=first.code if len(errors) == 1 else None,
            errors=errors,
        )
    return portions


async def _store_items(recipe: Recipe, items: Sequence[RecipeItemIn]) -> None:
    await RecipeItem.bulk_create(
        [
            RecipeItem(
                recipe_id=recipe.id,
                food_id=item.food_id,
                position=index,
                quantity=item.quantity,
                unit=AmountUnit(item.unit),
                serving_name=item.serving_name,
            )
            for index, item in enumerate(items)
        ]
    )


async def create_recipe(user_id: int, data: RecipeIn) -> Recipe:
    """Store a recipe and its items in one transaction (422 naming each bad item)."""
    await _checked_items(user_id, data.items)
    async with in_transaction():
        recipe = await Recipe.create(
            user_id=user_id, name=data.name, servings=data.servings, notes=data.notes
        )
        await _store_items(recipe, data.items)
    return recipe


async def update_recipe(user_id: int, recipe_id: int, patch: RecipePatch) -> Recipe:
    """Change a recipe; ``items`` replaces every item, all or nothing."""
    recipe = await visible_recipe(user_id, recipe_id)
    if patch.items is not None:
        await _checked_items(user_id, patch.items)
    async with in_transaction():
        for name in ("name", "servings", "notes"):
            value = getattr(patch, name)
            if value is not None:
                setattr(recipe, name, value)
        await recipe.save()
        if patch.items is not None:
            await RecipeItem.filter(recipe_id=recipe.id).delete()
            await _store_items(recipe, patch.items)
    return recipe


async def archive_recipe(user_id: int, recipe_id: int) -> None:
    """Archive a recipe: gone from lists and new entries, kept for the diary that used it."""
    recipe = await visible_recipe(user_id, recipe_id)
    recipe.archived_at = datetime.now(UTC)
    await recipe.save(update_fields=["archived_at", "updated_at"])


async def get_recipe(user_id: int, recipe_id: int) -> Recipe:
    """One of the user's recipes, archived ones included (the diary may link to them)."""
    return await visible_recipe(user_id, recipe_id, archived=True)


async def recipe_out(recipe: Recipe) -> RecipeOut:
    """The response shape, nutrients computed from the foods as they are now."""
    items = (
        await RecipeItem.filter(recipe_id=recipe.id).order_by("position").prefetch_related("food")
    )
    shaped: list[RecipeItemOut] = []
    parts: list[NutrientValues] = []
    for item in items:
        portion = stored_portion(item.food, item.quantity, item.unit, item.serving_name)
        parts.append(portion.nutrients)
        shaped.append(
            RecipeItemOut(
                food_id=item.food_id,
                food_name=item.food.name,
                basis=item.food.basis,
                quantity=item.quantity,
                unit=item.unit,
                serving_name=item.serving_name,
                amount=portion.amount or 0.0,
                nutrients=nutrients_out(portion.nutrients),
            )
        )
    total = amounts.add(parts)
    return RecipeOut(
        id=recipe.id,
        name=recipe.name,
        servings=recipe.servings,
        notes=recipe.notes,
        items=shaped,
        total=nutrients_out(total),
        per_serving=nutrients_out(amounts.divide(total, recipe.servings)),
        archived=recipe.archived_at is not None,
        created_at=recipe.created_at,
        updated_at=recipe.updated_at,
    )


async def list_recipes(user_id: int, page: PageQuery) -> dict[str, Any]:
    """The user's recipes (not archived), newest first, one page."""
    shaped = await paginate(
        Recipe.filter(user_id=user_id, archived_at__isnull=True), page, lambda recipe: recipe
    )
    shaped["items"] = [await recipe_out(recipe) for recipe in shaped["items"]]
    return shaped
