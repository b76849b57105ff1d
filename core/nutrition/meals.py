"""Saved meals (logged into a day in one go), favourites and recent foods for quick logging."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.errors import Conflict, FithubError, NotFound, ValidationFailed
from fithub.core.nutrition import amounts, diary
from fithub.core.nutrition.access import food_filter, visible_food, visible_recipe
from fithub.core.nutrition.days import check_day, normalise_meal, user_today
from fithub.core.nutrition.diary_schemas import nutrients_out
from fithub.core.nutrition.meal_schemas import (
    FavouriteIn,
    FavouriteOut,
    LogMealIn,
    RecentFoodOut,
    SavedMealIn,
    SavedMealItemIn,
    SavedMealItemOut,
    SavedMealOut,
    SavedMealPatch,
    SaveFromDiaryIn,
)
from fithub.core.nutrition.models import (
    AmountUnit,
    DiaryEntry,
    FavouriteFood,
    Food,
    SavedMeal,
    SavedMealItem,
)
from fithub.core.nutrition.recipes import Portion, field_prefix
from fithub.core.pagination import PageQuery, paginate
from fithub.plugins.nutrition import NUTRIENT_FIELDS

RECENT_WINDOW = 200  # entries looked at for recent foods


async def get_saved_meal(user_id: int, meal_id: int) -> SavedMeal:
    """One of the user's saved meals, else NotFound ``unknown_meal``."""
    meal = await SavedMeal.filter(id=meal_id, user_id=user_id).first()
    if meal is None:
        raise NotFound(f"There is no saved meal {meal_id} of yours.", code="unknown_meal")
    return meal


async def _item_portion(user_id: int, item: Any, index: int) -> tuple[Portion, float, AmountUnit]:
    """The portion of a saved-meal item (a request item or a stored one), errors under items[i]."""
    try:
        with field_prefix(f"items[{index}]"):
            return await diary.portion_for(
                user_id,
                food_id=item.food_id,
                recipe_id=item.recipe_id,
                quick=None,
                quantity=item.quantity,
                unit=item.unit,
                serving_name=item.serving_name,
            )
    except NotFound as exc:
        exc.errors = [{"field": f"items[{index}]", "message": exc.detail, "type": exc.code}]
        raise


async def _check_name(user_id: int, name: str, meal_id: int | None = None) -> None:
    clash = SavedMeal.filter(user_id=user_id, name=name)
    if meal_id is not None:
        clash = clash.exclude(id=meal_id)
    if await clash.exists():
        raise Conflict(f"You already have a saved meal called {name!r}.", code="duplicate_name")


async def _store(meal: SavedMeal, items: Sequence[tuple[Any, AmountUnit]]) -> None:
    await SavedMealItem.bulk_create(
        [
            SavedMealItem(
                meal_id=meal.id,
                position=index,
                food_id=item.food_id,
                recipe_id=item.recipe_id,
                quantity=item.quantity,
                unit=unit,
                serving_name=item.serving_name if unit == AmountUnit.SERVING else None,
            )
            for index, (item, unit) in enumerate(items)
        ]
    )


async def _checked(user_id: int, items: Sequence[SavedMealItemIn]) -> list[tuple[Any, AmountUnit]]:
    checked = []
    for index, item in enumerate(items):
        _, _, unit = await _item_portion(user_id, item, index)
        checked.append((item, unit))
    return checked


async def _save(user_id: int, name: str, checked: Sequence[tuple[Any, AmountUnit]]) -> SavedMeal:
    await _check_name(user_id, name)
    try:
        async with in_transaction():
            meal = await SavedMeal.create(user_id=user_id, name=name)
            await _store(meal, checked)
    except IntegrityError as exc:  # another request took the name in between
        raise Conflict(
            f"You already have a saved meal called {name!r}.", code="duplicate_name"
        ) from exc
    return meal


async def create_saved_meal(user_id: int, data: SavedMealIn) -> SavedMeal:
    """Store a saved meal (409 ``duplicate_name``; 422/404 naming a bad item)."""
    return await _save(user_id, data.name, await _checked(user_id, data.items))


async def update_saved_meal(user_id: int, meal_id: int, patch: SavedMealPatch) -> SavedMeal:
    """Rename a saved meal and/or replace its items, all or nothing."""
    meal = await get_saved_meal(user_id, meal_id)
    checked = await _checked(user_id, patch.items) if patch.items is not None else None
    if patch.name is not None:
        await _check_name(user_id, patch.name, meal.id)
        meal.name = patch.name
    try:
        async with in_transaction():
            await meal.save()
            if checked is not None:
                await SavedMealItem.filter(meal_id=meal.id).delete()
                await _store(meal, checked)
    except IntegrityError as exc:
        raise Conflict(
            "You already have a saved meal of that name.", code="duplicate_name"
        ) from exc
    return meal


async def delete_saved_meal(user_id: int, meal_id: int) -> None:
    """Delete a saved meal (the diary keeps what was logged from it)."""
    await (await get_saved_meal(user_id, meal_id)).delete()


async def saved_meal_out(meal: SavedMeal) -> SavedMealOut:
    """The response shape; nutrients from the foods and recipes as they are now."""
    items = (
        await SavedMealItem.filter(meal_id=meal.id)
        .order_by("position")
        .prefetch_related("food", "recipe")
    )
    shaped: list[SavedMealItemOut] = []
    for item in items:
        try:
            portion, _, _ = await diary.portion_for(
                meal.user_id,
                food_id=item.food_id,
                recipe_id=item.recipe_id,
                quick=None,
                quantity=item.quantity,
                unit=item.unit,
                serving_name=item.serving_name,
            )
            nutrients = portion.nutrients
        except FithubError:  # an archived food or recipe, a serving gone: nothing to count
            nutrients = amounts.round_nutrients({})
        named = item.food or item.recipe
        shaped.append(
            SavedMealItemOut(
                food_id=item.food_id,
                recipe_id=item.recipe_id,
                name=named.name if named else "",
                quantity=item.quantity,
                unit=item.unit,
                serving_name=item.serving_name,
                nutrients=nutrients_out(nutrients),
            )
        )
    totals = amounts.add(item.nutrients.model_dump() for item in shaped)
    return SavedMealOut(
        id=meal.id,
        name=meal.name,
        items=shaped,
        totals=nutrients_out(totals),
        created_at=meal.created_at,
        updated_at=meal.updated_at,
    )


async def list_saved_meals(user_id: int, page: PageQuery) -> dict[str, Any]:
    """The user's saved meals, newest first, one page."""
    shaped = await paginate(SavedMeal.filter(user_id=user_id), page, lambda meal: meal)
    shaped["items"] = [await saved_meal_out(meal) for meal in shaped["items"]]
    return shaped


async def log_saved_meal(user: User, meal_id: int, data: LogMealIn) -> list[DiaryEntry]:
    """Log every item of a saved meal into a day's meal, nutrients as the foods are now, at once."""
    saved = await get_saved_meal(user.id, meal_id)
    day = check_day(user, data.day or user_today(user))
    meal = normalise_meal(data.meal)
    items = await SavedMealItem.filter(meal_id=saved.id).order_by("position")
    portions = [await _item_portion(user.id, item, index) for index, item in enumerate(items)]
    await diary.check_room(user.id, day, len(portions))
    created: list[DiaryEntry] = []
    async with in_transaction():
        position = await diary.next_position(user.id, day, meal)
        for item, (portion, quantity, unit) in zip(items, portions, strict=True):
            created.append(
                await DiaryEntry.create(
                    user_id=user.id,
                    day=day,
                    meal=meal,
                    position=position,
                    quantity=quantity,
                    unit=unit,
                    serving_name=item.serving_name if unit == AmountUnit.SERVING else None,
                    name=portion.name[:200],
                    amount=portion.amount,
                    food_id=item.food_id,
                    recipe_id=item.recipe_id,
                    **_nutrient_columns(portion),
                )
            )
            position += 1
    return created


def _nutrient_columns(portion: Portion) -> dict[str, Any]:
    return {name: portion.nutrients[name] for name in NUTRIENT_FIELDS}


async def save_from_diary(user: User, data: SaveFromDiaryIn) -> SavedMeal:
    """Save a day's meal (its foods and recipes; quick adds left out) as a saved meal."""
    meal = normalise_meal(data.meal)
    entries = await DiaryEntry.filter(user_id=user.id, day=data.day, meal=meal).order_by(
        "position", "id"
    )
    kept = [
        (entry, AmountUnit(entry.unit))
        for entry in entries
        if (entry.food_id is not None or entry.recipe_id is not None)
        and entry.unit != AmountUnit.QUICK
    ]
    if not kept:
        raise ValidationFailed(
            f"There are no foods or recipes in {meal} on {data.day}.",
            code="nothing_to_save",
            errors=[{"field": "meal", "message": "no foods or recipes logged", "type": "empty"}],
        )
    return await _save(user.id, data.name, kept)


async def add_favourite(user_id: int, data: FavouriteIn) -> tuple[FavouriteFood, bool]:
    """Mark a food or recipe as a favourite; the existing one (False) if it already is."""
    if (data.food_id is None) == (data.recipe_id is None):
        raise ValidationFailed(
            "Give exactly one of food_id and recipe_id.",
            errors=[
                {
                    "field": "food_id",
                    "message": "give exactly one of food_id and recipe_id",
                    "type": "exclusive",
                }
            ],
        )
    if data.food_id is not None:
        await visible_food(user_id, data.food_id)
        key: dict[str, Any] = {"food_id": data.food_id}
    else:
        assert data.recipe_id is not None
        await visible_recipe(user_id, data.recipe_id)
        key = {"recipe_id": data.recipe_id}
    found = await FavouriteFood.filter(user_id=user_id, **key).first()
    if found is not None:
        return found, False
    try:
        return await FavouriteFood.create(user_id=user_id, **key), True
    except IntegrityError:  # the same favourite added at the same moment
        return await FavouriteFood.get(user_id=user_id, **key), False


async def remove_favourite(user_id: int, data: FavouriteIn) -> None:
    """Unmark a favourite; nothing happens if it was not one."""
    if data.food_id is None and data.recipe_id is None:
        raise ValidationFailed(
            "Give food_id or recipe_id.",
            errors=[
                {"field": "food_id", "message": "give food_id or recipe_id", "type": "missing"}
            ],
        )
    rows = FavouriteFood.filter(user_id=user_id)
    if data.food_id is not None:
        await rows.filter(food_id=data.food_id).delete()
    if data.recipe_id is not None:
        await rows.filter(recipe_id=data.recipe_id).delete()


def favourite_out(favourite: FavouriteFood) -> FavouriteOut:
    named = favourite.food or favourite.recipe
    return FavouriteOut(
        id=favourite.id,
        food_id=favourite.food_id,
        recipe_id=favourite.recipe_id,
        name=named.name if named else "",
        created_at=favourite.created_at,
    )


async def list_favourites(user_id: int, page: PageQuery) -> dict[str, Any]:
    """The user's favourites, newest first, one page."""
    rows = FavouriteFood.filter(user_id=user_id).prefetch_related("food", "recipe")
    return await paginate(rows, page, favourite_out)


async def recent_foods(user_id: int, limit: int) -> list[RecentFoodOut]:
    """Distinct foods of the user's latest entries (newest first), with the last amount logged."""
    entries = (
        await DiaryEntry.filter(user_id=user_id, food_id__isnull=False)
        .order_by("-day", "-id")
        .limit(RECENT_WINDOW)
    )
    latest: dict[int, DiaryEntry] = {}
    for entry in entries:
        if entry.food_id is not None and entry.food_id not in latest:
            latest[entry.food_id] = entry
    foods = {
        food.id: food
        for food in await Food.filter(id__in=list(latest), archived_at__isnull=True).filter(
            food_filter(user_id)
        )
    }
    recent = [
        RecentFoodOut(
            food_id=food_id,
            name=foods[food_id].name,
            brand=foods[food_id].brand,
            basis=foods[food_id].basis,
            quantity=entry.quantity,
            unit=entry.unit,
            serving_name=entry.serving_name,
            last_day=entry.day,
        )
        for food_id, entry in latest.items()
        if food_id in foods
    ]
    return recent[:limit]
