"""Who may see which food and recipe: the one place the nutrition services ask.

A source food (no owner) is visible to everyone; a custom food only to its owner; a recipe only to
its user. Anything else is a 404 with a precise code, never a 403, so ids of other users' foods
and recipes leak nothing.

Archived (removed) custom foods and recipes stay readable where history needs them (a diary entry,
a recipe that already uses the food): pass ``archived=True``. For anything new (a new entry, a new
recipe item, a saved meal, a favourite) they are gone: the default refuses them as unknown.
"""

from __future__ import annotations

from tortoise.expressions import Q

from fithub.core.errors import NotFound
from fithub.core.nutrition.models import Food, Recipe


def food_filter(user_id: int) -> Q:
    """The foods ``user_id`` may see: source foods and their own custom foods."""
    return Q(owner_id__isnull=True) | Q(owner_id=user_id)


async def visible_food(user_id: int, food_id: int, *, archived: bool = False) -> Food:
    """The food ``food_id`` if ``user_id`` may use it, else NotFound ``unknown_food``.

    Archived custom foods count only with ``archived=True`` (reading history, not logging anew).
    """
    query = Food.filter(food_filter(user_id), id=food_id)
    if not archived:
        query = query.filter(archived_at__isnull=True)
    food = await query.first()
    if food is None:
        raise NotFound(f"There is no food {food_id} you can use.", code="unknown_food")
    return food


async def visible_recipe(user_id: int, recipe_id: int, *, archived: bool = False) -> Recipe:
    """The recipe ``recipe_id`` of ``user_id``, else NotFound ``unknown_recipe``.

    Archived recipes count only with ``archived=True``.
    """
    query = Recipe.filter(id=recipe_id, user_id=user_id)
    if not archived:
        query = query.filter(archived_at__isnull=True)
    recipe = await query.first()
    if recipe is None:
        raise NotFound(f"There is no recipe {recipe_id} of yours.", code="unknown_recipe")
    return recipe
