"""Request and response bodies of the food diary (and the nutrient shape recipes and meals share)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fithub.core.pagination import PageQuery

MAX_DB_ID = 2**63 - 1

DbId = Annotated[int, Field(ge=1, le=MAX_DB_ID)]
Quantity = Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False)]
ServingName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
MealName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="breakfast, lunch, dinner, snack (any case) or a name of your own, 1 to 40 "
        "characters once trimmed",
    ),
]
FoodUnit = Literal["g", "ml", "serving"]
Grams = Annotated[float, Field(ge=0, le=2000, allow_inf_nan=False)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1000)


class NutrientsOut(BaseModel):
    """Nutrients of an entry, a serving or a total; null means unknown, not zero."""

    energy_kcal: float | None
    protein_g: float | None
    carbohydrate_g: float | None
    sugars_g: float | None
    fat_g: float | None
    saturated_fat_g: float | None
    fibre_g: float | None
    sodium_mg: float | None


class QuickAddIn(Strict):
    """Nutrients typed in by hand, no food."""

    name: str = Field("Quick add", min_length=1, max_length=200)
    energy_kcal: float = Field(ge=0, le=10_000, allow_inf_nan=False)
    protein_g: Grams | None = None
    carbohydrate_g: Grams | None = None
    fat_g: Grams | None = None


class DiaryEntryIn(Strict):
    """One thing eaten: exactly one of ``food_id``, ``recipe_id``, ``source`` + ``source_id``, or
    ``quick``. A food defaults to its basis unit (g or ml), a recipe to servings."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "day": "2026-01-05",
                    "meal": "breakfast",
                    "food_id": 1,
                    "quantity": 150,
                    "unit": "g",
                }
            ]
        }
    )

    day: date | None = Field(None, description="default today in your time zone")
    meal: MealName
    food_id: DbId | None = None
    recipe_id: DbId | None = None
    source: str | None = Field(None, min_length=1, max_length=32)
    source_id: str | None = Field(None, min_length=1, max_length=64)
    quick: QuickAddIn | None = None
    quantity: Quantity | None = Field(None, description="required for a food or a recipe")
    unit: FoodUnit | None = None
    serving_name: ServingName | None = None
    note: str = Field("", max_length=500)


class DiaryEntryPatch(Strict):
    """Fields to change; nutrients are computed again (from the food or recipe as it is now) only
    when the amount, the food or the recipe changes."""

    day: date | None = None
    meal: MealName | None = None
    food_id: DbId | None = None
    recipe_id: DbId | None = None
    quick: QuickAddIn | None = None
    quantity: Quantity | None = None
    unit: FoodUnit | None = None
    serving_name: ServingName | None = None
    note: str | None = Field(None, max_length=500)


class DiaryEntryOut(BaseModel):
    id: int
    day: date
    meal: str
    position: int
    food_id: int | None
    recipe_id: int | None
    name: str
    quantity: float
    unit: str
    serving_name: str | None
    amount: float | None = Field(description="grams or millilitres eaten; null for recipes, quick")
    nutrients: NutrientsOut = Field(description="frozen when logged")
    note: str
    created_at: datetime
    updated_at: datetime


class DiaryMealOut(BaseModel):
    meal: str
    entries: list[DiaryEntryOut]
    totals: NutrientsOut


class DiaryDayOut(BaseModel):
    day: date
    meals: list[DiaryMealOut] = Field(description="breakfast, lunch, dinner, snack, then your own")
    totals: NutrientsOut


class DiaryEntryPage(BaseModel):
    items: list[DiaryEntryOut]
    next_cursor: str | None = None


class DiaryEntryQuery(PageQuery):
    """Entries between ``from`` and ``to`` (inclusive local days), newest first."""

    model_config = ConfigDict(populate_by_name=True)

    start: date | None = Field(None, alias="from")
    end: date | None = Field(None, alias="to")
    meal: str | None = Field(None, max_length=100)


class DiaryCopyIn(Strict):
    """Copy a day (or one meal of it) to another day (or meal): the entries keep their nutrients."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"from_day": "2026-01-04", "to_day": "2026-01-05", "meal": "breakfast"}]
        }
    )

    from_day: date
    to_day: date
    meal: MealName | None = Field(None, description="copy only this meal")
    to_meal: MealName | None = Field(None, description="into this meal (with meal only)")


class DiaryCopyOut(BaseModel):
    copied: int
    entries: list[DiaryEntryOut]


def nutrients_out(values: dict[str, Any]) -> NutrientsOut:
    """A NutrientsOut from a nutrient dict."""
    return NutrientsOut(**values)
