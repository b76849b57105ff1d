"""Request and response bodies of recipes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fithub.core.nutrition.diary_schemas import (
    DbId,
    FoodUnit,
    NutrientsOut,
    Quantity,
    ServingName,
    Strict,
)

RecipeName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MAX_ITEMS = 100
# A recipe makes at least 0.01 servings: a total divided by 5e-324 servings was Infinity.
MIN_SERVINGS = 0.01


class RecipeItemIn(Strict):
    food_id: DbId
    quantity: Quantity
    unit: FoodUnit
    serving_name: ServingName | None = Field(None, description="with unit serving")


class RecipeIn(Strict):
    """A recipe: foods in amounts making ``servings`` servings."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Porridge",
                    "servings": 2,
                    "items": [{"food_id": 1, "quantity": 80, "unit": "g"}],
                }
            ]
        }
    )

    name: RecipeName
    servings: float = Field(
        1.0, ge=MIN_SERVINGS, le=1000, allow_inf_nan=False, description="0.01 to 1000"
    )
    notes: str = Field("", max_length=5000)
    items: list[RecipeItemIn] = Field(min_length=1, max_length=MAX_ITEMS)


class RecipePatch(Strict):
    """Fields to change; ``items`` replaces all the items."""

    name: RecipeName | None = None
    servings: float | None = Field(None, ge=MIN_SERVINGS, le=1000, allow_inf_nan=False)
    notes: str | None = Field(None, max_length=5000)
    items: list[RecipeItemIn] | None = Field(None, min_length=1, max_length=MAX_ITEMS)


class RecipeItemOut(BaseModel):
    food_id: int
    food_name: str
    basis: str
    quantity: float
    unit: str
    serving_name: str | None
    amount: float = Field(description="grams or millilitres of the food")
    nutrients: NutrientsOut


class RecipeOut(BaseModel):
    id: int
    name: str
    servings: float
    notes: str
    items: list[RecipeItemOut]
    total: NutrientsOut = Field(description="the whole recipe, from the foods as they are now")
    per_serving: NutrientsOut = Field(description="total divided by servings")
    archived: bool
    created_at: datetime
    updated_at: datetime


class RecipePage(BaseModel):
    items: list[RecipeOut]
    next_cursor: str | None = None
