"""HTTP routes of saved meals, favourites and recent foods."""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import current_user, require_auth
from fithub.core.nutrition import diary, meals
from fithub.core.nutrition.meal_schemas import (
    FavouriteIn,
    FavouriteOut,
    FavouritePage,
    LogMealIn,
    MealLoggedOut,
    RecentFoodsOut,
    RecentQuery,
    SavedMealIn,
    SavedMealOut,
    SavedMealPage,
    SavedMealPatch,
    SaveFromDiaryIn,
)
from fithub.core.openapi import problems
from fithub.core.pagination import PageQuery
from fithub.core.responses import validate_response

bp = Blueprint("nutrition_meals", __name__, url_prefix="/api/v1/nutrition")


@bp.post("/meals")
@tag(["nutrition"])
@require_auth()
@problems(409)
@validate_request(SavedMealIn)
@validate_response(SavedMealOut, 201)
async def create_saved_meal(data: SavedMealIn) -> tuple[SavedMealOut, int]:
    """Save a meal of foods and recipes to log again later (409 if you have one of that name)."""
    meal = await meals.create_saved_meal(current_user().id, data)
    return await meals.saved_meal_out(meal), 201


@bp.post("/meals/from-diary")
@tag(["nutrition"])
@require_auth()
@problems(409)
@validate_request(SaveFromDiaryIn)
@validate_response(SavedMealOut, 201)
async def save_from_diary(data: SaveFromDiaryIn) -> tuple[SavedMealOut, int]:
    """Save the foods and recipes of one meal of a day as a saved meal."""
    meal = await meals.save_from_diary(current_user(), data)
    return await meals.saved_meal_out(meal), 201


@bp.get("/meals")
@tag(["nutrition"])
@require_auth()
@validate_querystring(PageQuery)
@validate_response(SavedMealPage)
async def list_saved_meals(query_args: PageQuery) -> SavedMealPage:
    """Your saved meals, newest first."""
    return SavedMealPage(**await meals.list_saved_meals(current_user().id, query_args))


@bp.get("/meals/<int:meal_id>")
@tag(["nutrition"])
@require_auth()
@validate_response(SavedMealOut)
async def get_saved_meal(meal_id: int) -> SavedMealOut:
    """One of your saved meals, nutrients from its foods as they are now."""
    return await meals.saved_meal_out(await meals.get_saved_meal(current_user().id, meal_id))


@bp.patch("/meals/<int:meal_id>")
@tag(["nutrition"])
@require_auth()
@validate_request(SavedMealPatch)
@validate_response(SavedMealOut)
async def update_saved_meal(meal_id: int, data: SavedMealPatch) -> SavedMealOut:
    """Rename a saved meal or replace its items."""
    meal = await meals.update_saved_meal(current_user().id, meal_id, data)
    return await meals.saved_meal_out(meal)


@bp.delete("/meals/<int:meal_id>")
@tag(["nutrition"])
@require_auth()
async def delete_saved_meal(meal_id: int) -> Response:
    """Delete a saved meal; what you logged from it stays in the diary."""
    await meals.delete_saved_meal(current_user().id, meal_id)
    return Response(status=204)


@bp.post("/meals/<int:meal_id>/log")
@tag(["nutrition"])
@require_auth()
@validate_request(LogMealIn)
@validate_response(MealLoggedOut, 201)
async def log_saved_meal(meal_id: int, data: LogMealIn) -> tuple[MealLoggedOut, int]:
    """Log every item of a saved meal into a day's meal at once (all or nothing)."""
    created = await meals.log_saved_meal(current_user(), meal_id, data)
    return MealLoggedOut(logged=len(created), entries=[diary.entry_out(e) for e in created]), 201


@bp.post("/favourites")
@tag(["nutrition"])
@require_auth()
@validate_request(FavouriteIn)
@validate_response(FavouriteOut, 200)
@validate_response(FavouriteOut, 201)
async def add_favourite(data: FavouriteIn) -> tuple[FavouriteOut, int]:
    """Mark a food or a recipe as a favourite: 201 when new, 200 when it already was one."""
    user_id = current_user().id
    favourite, created = await meals.add_favourite(user_id, data)
    await favourite.fetch_related("food", "recipe")
    return meals.favourite_out(favourite), 201 if created else 200


@bp.delete("/favourites")
@tag(["nutrition"])
@require_auth()
@validate_request(FavouriteIn)
async def remove_favourite(data: FavouriteIn) -> Response:
    """Unmark a favourite food or recipe (204 also when it was not one)."""
    await meals.remove_favourite(current_user().id, data)
    return Response(status=204)


@bp.get("/favourites")
@tag(["nutrition"])
@require_auth()
@validate_querystring(PageQuery)
@validate_response(FavouritePage)
async def list_favourites(query_args: PageQuery) -> FavouritePage:
    """Your favourite foods and recipes, newest first."""
    return FavouritePage(**await meals.list_favourites(current_user().id, query_args))


@bp.get("/recent-foods")
@tag(["nutrition"])
@require_auth()
@validate_querystring(RecentQuery)
@validate_response(RecentFoodsOut)
async def recent_foods(query_args: RecentQuery) -> RecentFoodsOut:
    """Foods you logged lately, newest first, each with the amount you logged last time."""
    return RecentFoodsOut(items=await meals.recent_foods(current_user().id, query_args.limit))
