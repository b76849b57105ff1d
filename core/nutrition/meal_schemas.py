"""Request and response bodies of saved meals, favourites and recent foods."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fithub.core.nutrition.diary_schemas import (
    DbId,
    DiaryEntryOut,
    FoodUnit,
    MealName,
    NutrientsOut,
    Quantity,
    ServingName,
    Strict,
)

SavedMealName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
]
MAX_MEAL_ITEMS = 50


class SavedMealItemIn(Strict):
    """A food (in g, ml or servings) or a recipe (in servings): exactly one of the two ids."""

    food_id: DbId | None = None
    recipe_id: DbId | None = None
    quantity: Quantity
    unit: FoodUnit | None = Field(
        None, description="default the food's basis, servings of a recipe"
    )
    serving_name: ServingName | None = None


class SavedMealIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Usual breakfast", "items": [{"food_id": 1, "quantity": 80, "unit": "g"}]}
            ]
        }
    )

    name: SavedMealName = Field(description="unique among your saved meals")
    items: list[SavedMealItemIn] = Field(min_length=1, max_length=MAX_MEAL_ITEMS)


class SavedMealPatch(Strict):
    """Fields to change; ``items`` replaces all the items."""

    name: SavedMealName | None = None
    items: list[SavedMealItemIn] | None = Field(None, min_length=1, max_length=MAX_MEAL_ITEMS)


class SavedMealItemOut(BaseModel):
    food_id: int | None
    recipe_id: int | None
    name: str
    quantity: float
    unit: str
    serving_name: str | None
    nutrients: NutrientsOut = Field(description="from the food or recipe as it is now")


class SavedMealOut(BaseModel):
    id: int
    name: str
    items: list[SavedMealItemOut]
    totals: NutrientsOut
    created_at: datetime
    updated_at: datetime


class SavedMealPage(BaseModel):
    items: list[SavedMealOut]
    next_cursor: str | None = None


class LogMealIn(Strict):
    day: date | None = Field(None, description="default today in your time zone")
    meal: MealName


class MealLoggedOut(BaseModel):
    logged: int
    entries: list[DiaryEntryOut]


class SaveFromDiaryIn(Strict):
    """Save the foods and recipes of one meal of a day (quick adds are left out) as a saved meal."""

    day: date
    meal: MealName
    name: SavedMealName


class FavouriteIn(Strict):
    """Exactly one of ``food_id`` and ``recipe_id``."""

    food_id: DbId | None = None
    recipe_id: DbId | None = None


class FavouriteOut(BaseModel):
    id: int
    food_id: int | None
    recipe_id: int | None
    name: str
    created_at: datetime


class FavouritePage(BaseModel):
    items: list[FavouriteOut]
    next_cursor: str | None = None


class RecentQuery(BaseModel):
    limit: int = Field(20, ge=1, le=50, description="how many foods, 1 to 50")


class RecentFoodOut(BaseModel):
    """A food you logged lately, with the amount you logged last time."""

    food_id: int
    name: str
    brand: str | None
    basis: str
    quantity: float
    unit: str
    serving_name: str | None
    last_day: date


class RecentFoodsOut(BaseModel):
    items: list[RecentFoodOut]
