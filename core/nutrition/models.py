"""Tortoise models of nutrition: foods, recipes, the food diary, saved meals, favourites, targets.

Nutrients are columns named as in ``fithub.plugins.nutrition.NUTRIENT_FIELDS``: per 100 g (or
100 ml) on a food, per entry on a diary entry (frozen when logged, so a later change to the food
never rewrites history). Model docstrings and field descriptions become SQL comments: no
semicolons or apostrophes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from fithub.core.accounts.models import User

CUSTOM_SOURCE = "custom"
"""``Food.source`` of a food a user entered by hand (``source_id`` is then empty)."""


class Basis(StrEnum):
    GRAMS = "g"  # nutrients per 100 g
    MILLILITRES = "ml"  # nutrients per 100 ml


class AmountUnit(StrEnum):
    GRAMS = "g"
    MILLILITRES = "ml"
    SERVING = "serving"  # quantity servings of serving_name (a recipe serving when no name)
    QUICK = "quick"  # quick add: nutrients typed in, no food


class Food(Model):
    """A food with nutrients per 100 g or 100 ml: fetched from a source (shared) or custom (owned)."""

    id = fields.BigIntField(primary_key=True)
    owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "fithub.User",
        related_name="custom_foods",
        null=True,
        on_delete=fields.CASCADE,
        description="the user who entered a custom food, empty for source foods",
    )
    owner_id: int | None
    source = fields.CharField(max_length=32, description="nutrition source plugin name or custom")
    source_id = fields.CharField(max_length=64, null=True, description="the id at the source")
    name = fields.CharField(max_length=200)
    brand = fields.CharField(max_length=120, null=True)
    barcode = fields.CharField(max_length=13, null=True, description="GTIN-13")
    category = fields.CharField(max_length=120, null=True)
    basis = fields.CharEnumField(Basis, max_length=2, default=Basis.GRAMS)
    energy_kcal = fields.FloatField()
    protein_g = fields.FloatField(null=True)
    carbohydrate_g = fields.FloatField(null=True)
    sugars_g = fields.FloatField(null=True)
    fat_g = fields.FloatField(null=True)
    saturated_fat_g = fields.FloatField(null=True)
    fibre_g = fields.FloatField(null=True)
    sodium_mg = fields.FloatField(null=True)
    servings: fields.Field[list[dict[str, Any]]] = fields.JSONField(
        default=list, description="named portions as name and amount in the basis unit"
    )
    plausibility_warning = fields.CharField(max_length=300, null=True)
    archived_at = fields.DatetimeField(null=True, description="a custom food its owner removed")
    fetched_at = fields.DatetimeField(null=True, description="when the source last sent it")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "foods"
        unique_together = (("source", "source_id"),)
        indexes = (("owner_id", "name"), ("barcode",))


class Recipe(Model):
    """A user's recipe: foods in amounts, making ``servings`` servings."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="recipes", on_delete=fields.CASCADE
    )
    user_id: int
    name = fields.CharField(max_length=200)
    servings = fields.FloatField(
        default=1.0, description="how many servings the whole recipe makes"
    )
    notes = fields.TextField(default="")
    archived_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    items: fields.ReverseRelation[RecipeItem]

    class Meta:
        table = "recipes"
        indexes = (("user_id", "name"),)


class RecipeItem(Model):
    """One food of a recipe, in grams or millilitres or servings of the food."""

    id = fields.BigIntField(primary_key=True)
    recipe: fields.ForeignKeyRelation[Recipe] = fields.ForeignKeyField(
        "fithub.Recipe", related_name="items", on_delete=fields.CASCADE
    )
    recipe_id: int
    food: fields.ForeignKeyRelation[Food] = fields.ForeignKeyField(
        "fithub.Food", related_name="recipe_items", on_delete=fields.RESTRICT
    )
    food_id: int
    position = fields.IntField(default=0)
    quantity = fields.FloatField()
    unit = fields.CharEnumField(AmountUnit, max_length=8)
    serving_name = fields.CharField(max_length=100, null=True)

    class Meta:
        table = "recipe_items"
        indexes = (("recipe_id", "position"),)


class DiaryEntry(Model):
    """One thing eaten: a food, a recipe or a quick add, with its nutrients frozen when logged."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="diary_entries", on_delete=fields.CASCADE
    )
    user_id: int
    day = fields.DateField(description="the local date in the user time zone")
    meal = fields.CharField(max_length=40, description="breakfast lunch dinner snack or custom")
    position = fields.IntField(default=0)
    food: fields.ForeignKeyNullableRelation[Food] = fields.ForeignKeyField(
        "fithub.Food", related_name="diary_entries", null=True, on_delete=fields.SET_NULL
    )
    food_id: int | None
    recipe: fields.ForeignKeyNullableRelation[Recipe] = fields.ForeignKeyField(
        "fithub.Recipe", related_name="diary_entries", null=True, on_delete=fields.SET_NULL
    )
    recipe_id: int | None
    name = fields.CharField(max_length=200, description="the food or recipe name when logged")
    quantity = fields.FloatField()
    unit = fields.CharEnumField(AmountUnit, max_length=8)
    serving_name = fields.CharField(max_length=100, null=True)
    amount = fields.FloatField(
        null=True, description="grams or millilitres eaten, empty for quick add"
    )
    energy_kcal = fields.FloatField()
    protein_g = fields.FloatField(null=True)
    carbohydrate_g = fields.FloatField(null=True)
    sugars_g = fields.FloatField(null=True)
    fat_g = fields.FloatField(null=True)
    saturated_fat_g = fields.FloatField(null=True)
    fibre_g = fields.FloatField(null=True)
    sodium_mg = fields.FloatField(null=True)
    note = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "diary_entries"
        indexes = (("user_id", "day", "meal"),)


class SavedMeal(Model):
    """A named set of foods and recipes a user logs together again and again."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="saved_meals", on_delete=fields.CASCADE
    )
    user_id: int
    name = fields.CharField(max_length=120)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    items: fields.ReverseRelation[SavedMealItem]

    class Meta:
        table = "saved_meals"
        unique_together = (("user_id", "name"),)


class SavedMealItem(Model):
    """One food or recipe of a saved meal, in an amount."""

    id = fields.BigIntField(primary_key=True)
    meal: fields.ForeignKeyRelation[SavedMeal] = fields.ForeignKeyField(
        "fithub.SavedMeal", related_name="items", on_delete=fields.CASCADE
    )
    meal_id: int
    position = fields.IntField(default=0)
    food: fields.ForeignKeyNullableRelation[Food] = fields.ForeignKeyField(
        "fithub.Food", related_name="saved_meal_items", null=True, on_delete=fields.CASCADE
    )
    food_id: int | None
    recipe: fields.ForeignKeyNullableRelation[Recipe] = fields.ForeignKeyField(
        "fithub.Recipe", related_name="saved_meal_items", null=True, on_delete=fields.CASCADE
    )
    recipe_id: int | None
    quantity = fields.FloatField()
    unit = fields.CharEnumField(AmountUnit, max_length=8)
    serving_name = fields.CharField(max_length=100, null=True)

    class Meta:
        table = "saved_meal_items"
        indexes = (("meal_id", "position"),)


class FavouriteFood(Model):
    """A food or recipe a user marked to find first."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="favourite_foods", on_delete=fields.CASCADE
    )
    user_id: int
    food: fields.ForeignKeyNullableRelation[Food] = fields.ForeignKeyField(
        "fithub.Food", related_name="favourites", null=True, on_delete=fields.CASCADE
    )
    food_id: int | None
    recipe: fields.ForeignKeyNullableRelation[Recipe] = fields.ForeignKeyField(
        "fithub.Recipe", related_name="favourites", null=True, on_delete=fields.CASCADE
    )
    recipe_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "favourite_foods"
        unique_together = (("user_id", "food_id"), ("user_id", "recipe_id"))


class NutritionTargets(Model):
    """A user daily targets: energy and the macronutrients (empty means no target)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "fithub.User", related_name="nutrition_targets", on_delete=fields.CASCADE
    )
    user_id: int
    energy_kcal = fields.FloatField(null=True)
    protein_g = fields.FloatField(null=True)
    carbohydrate_g = fields.FloatField(null=True)
    fat_g = fields.FloatField(null=True)
    fibre_g = fields.FloatField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "nutrition_targets"
