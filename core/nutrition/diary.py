"""The food diary: log, change, delete and copy entries; a day by meal; totals per day in SQL.

An entry's nutrients are computed when it is logged and frozen on it: a later change to the food or
recipe never rewrites history. Only a change of the amount, the food or the recipe computes them
again, from the food or recipe as it is then. Days are local dates in the user's time zone, from
1900-01-01 to one day after the user's today.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from tortoise.functions import Max, Sum
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.errors import NotFound, ValidationFailed
from fithub.core.nutrition import amounts, foods
from fithub.core.nutrition.access import visible_food
from fithub.core.nutrition.amounts import NutrientValues
from fithub.core.nutrition.days import (
    STANDARD_MEALS,
    check_day,
    invalid,
    normalise_meal,
    user_today,
)
from fithub.core.nutrition.diary_schemas import (
    DiaryCopyIn,
    DiaryDayOut,
    DiaryEntryIn,
    DiaryEntryOut,
    DiaryEntryPatch,
    DiaryEntryQuery,
    DiaryMealOut,
    QuickAddIn,
    nutrients_out,
)
from fithub.core.nutrition.models import AmountUnit, DiaryEntry
from fithub.core.nutrition.recipes import Portion, food_portion, recipe_portion
from fithub.core.nutrition.sources import SourceGateway
from fithub.core.pagination import paginate
from fithub.plugins.nutrition import NUTRIENT_FIELDS


def entry_out(entry: DiaryEntry) -> DiaryEntryOut:
    """The response shape of one entry."""
    return DiaryEntryOut(
        id=entry.id,
        day=entry.day,
        meal=entry.meal,
        position=entry.position,
        food_id=entry.food_id,
        recipe_id=entry.recipe_id,
        name=entry.name,
        quantity=entry.quantity,
        unit=entry.unit,
        serving_name=entry.serving_name,
        amount=entry.amount,
        nutrients=nutrients_out(amounts.nutrients_of(entry)),
        note=entry.note,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )


async def get_entry(user_id: int, entry_id: int) -> DiaryEntry:
    """One of the user's entries, else NotFound ``unknown_entry``."""
    entry = await DiaryEntry.filter(id=entry_id, user_id=user_id).first()
    if entry is None:
        raise NotFound(f"There is no diary entry {entry_id} of yours.", code="unknown_entry")
    return entry


def _quick_portion(quick: QuickAddIn) -> Portion:
    values = quick.model_dump(exclude={"name"})
    return Portion(quick.name.strip() or "Quick add", None, amounts.round_nutrients(values))


async def _source_food_id(
    gateway: SourceGateway | None, user_id: int, source: str, source_id: str
) -> int:
    """The id of a source's food, fetched and stored if new or stale (by the foods service)."""
    if gateway is None:
        raise invalid("source", "foods from sources cannot be logged here", "unknown_source")
    food = await foods.food_from_source(gateway, source, source_id, user_id=user_id)
    return int(food.id)


async def portion_for(
    user_id: int,
    *,
    food_id: int | None,
    recipe_id: int | None,
    quick: QuickAddIn | None,
    quantity: float | None,
    unit: str | None,
    serving_name: str | None,
    archived: bool = False,
) -> tuple[Portion, float, AmountUnit]:
    """What is eaten: the portion, its quantity and unit (exactly one of food, recipe, quick).

    ``archived`` lets an archived custom food or recipe count (measuring an old entry again).
    """
    chosen = [
        name
        for name, v in (("food_id", food_id), ("recipe_id", recipe_id), ("quick", quick))
        if v is not None
    ]
    if len(chosen) != 1:
        raise ValidationFailed(
            "Give exactly one of food_id, recipe_id, source and source_id, or quick.",
            errors=[
                {"field": name, "message": "give exactly one of these", "type": "exclusive"}
                for name in (chosen or ["food_id"])
            ],
        )
    if quick is not None:
        if unit not in (None, AmountUnit.QUICK) or serving_name is not None:
            raise invalid("unit", "a quick add has no unit or serving", "unit_mismatch")
        return _quick_portion(quick), 1.0, AmountUnit.QUICK
    if quantity is None:
        raise invalid("quantity", "is required for a food or a recipe", "missing")
    if recipe_id is not None:
        if serving_name is not None:
            raise invalid("serving_name", "a recipe is logged in its own servings", "unit_mismatch")
        portion = await recipe_portion(user_id, recipe_id, quantity, unit, archived=archived)
        return portion, quantity, AmountUnit.SERVING
    assert food_id is not None
    if unit is None:
        unit = (
            "serving"
            if serving_name is not None
            else (await visible_food(user_id, food_id, archived=archived)).basis
        )
    if unit != AmountUnit.SERVING and serving_name is not None:
        raise invalid("serving_name", "only with unit serving", "unit_mismatch")
    portion = await food_portion(user_id, food_id, quantity, unit, serving_name, archived=archived)
    return portion, quantity, AmountUnit(unit)


def _frozen(portion: Portion) -> dict[str, Any]:
    """The columns an entry keeps of a portion."""
    return {
        "name": portion.name[:200],
        "amount": portion.amount,
        "food_id": portion.food.id if portion.food else None,
        "recipe_id": portion.recipe.id if portion.recipe else None,
        **{name: portion.nutrients[name] for name in NUTRIENT_FIELDS},
    }


MAX_DAY_ENTRIES = 300  # entries one day may hold: a copy of a day onto itself doubles it


async def check_room(user_id: int, day: date, adding: int, field: str = "day") -> None:
    """422 ``too_many_entries`` unless ``day`` can take ``adding`` more entries."""
    held = await DiaryEntry.filter(user_id=user_id, day=day).count()
    if held + adding > MAX_DAY_ENTRIES:
        raise invalid(
            field,
            f"{day} holds {held} entries; at most {MAX_DAY_ENTRIES} a day",
            "too_many_entries",
        )


async def next_position(user_id: int, day: date, meal: str) -> int:
    """One past the last position of a meal (0 for an empty meal)."""
    row = await (
        DiaryEntry.filter(user_id=user_id, day=day, meal=meal)
        .annotate(last=Max("position"))
        .first()
        .values("last")
    )
    last = row.get("last") if row else None
    return 0 if last is None else int(last) + 1


async def log_entry(
    user: User, data: DiaryEntryIn, gateway: SourceGateway | None = None
) -> DiaryEntry:
    """Log one entry with its nutrients frozen (422 on a bad amount, 404 on an unknown food).

    ``gateway`` fetches a food named by ``source`` and ``source_id``.
    """
    day = check_day(user, data.day or user_today(user))
    meal = normalise_meal(data.meal)
    food_id = data.food_id
    if data.source is not None or data.source_id is not None:
        if data.source is None or data.source_id is None or food_id is not None:
            raise invalid("source_id", "give source and source_id together, without food_id")
        food_id = await _source_food_id(gateway, user.id, data.source, data.source_id)
    portion, quantity, unit = await portion_for(
        user.id,
        food_id=food_id,
        recipe_id=data.recipe_id,
        quick=data.quick,
        quantity=data.quantity,
        unit=data.unit,
        serving_name=data.serving_name,
    )
    await check_room(user.id, day, 1)
    async with in_transaction():
        return await DiaryEntry.create(
            user_id=user.id,
            day=day,
            meal=meal,
            position=await next_position(user.id, day, meal),
            quantity=quantity,
            unit=unit,
            serving_name=data.serving_name if unit == AmountUnit.SERVING else None,
            note=data.note.strip(),
            **_frozen(portion),
        )


async def update_entry(user: User, entry_id: int, patch: DiaryEntryPatch) -> DiaryEntry:
    """Change an entry; nutrients are computed again only when the amount or what was eaten changes."""
    entry = await get_entry(user.id, entry_id)
    fields = patch.model_fields_set
    if "day" in fields and patch.day is not None and patch.day != entry.day:
        entry.day = check_day(user, patch.day)
        await check_room(user.id, entry.day, 1)
    if "meal" in fields and patch.meal is not None:
        entry.meal = normalise_meal(patch.meal)
    if "note" in fields and patch.note is not None:
        entry.note = patch.note.strip()
    what = {"food_id", "recipe_id", "quick"} & fields
    amount = {"quantity", "unit", "serving_name"} & fields
    if what or amount:
        if entry.unit == AmountUnit.QUICK and not what:
            raise invalid(
                "quantity", "a quick add has no amount; send quick instead", "unit_mismatch"
            )
        if not what and entry.food_id is None and entry.recipe_id is None:
            raise invalid(
                "food_id", "the food of this entry was deleted; choose another", "missing"
            )
        keep = not what  # the same food or recipe: an archived one may still be measured again
        unit = patch.unit if "unit" in fields else (entry.unit if keep else None)
        serving_name = patch.serving_name if "serving_name" in fields else None
        if keep and "serving_name" not in fields and unit == AmountUnit.SERVING:
            serving_name = entry.serving_name
        portion, quantity, unit = await portion_for(
            user.id,
            food_id=patch.food_id if what else entry.food_id,
            recipe_id=patch.recipe_id if what else entry.recipe_id,
            quick=patch.quick if what else None,
            quantity=patch.quantity if "quantity" in fields else (entry.quantity if keep else None),
            unit=unit,
            serving_name=serving_name,
            archived=keep,
        )
        for name, value in _frozen(portion).items():
            setattr(entry, name, value)
        entry.quantity, entry.unit = quantity, unit
        entry.serving_name = serving_name if unit == AmountUnit.SERVING else None
    async with in_transaction():
        if {"day", "meal"} & fields:
            entry.position = await next_position(user.id, entry.day, entry.meal)
        await entry.save()
    return entry


async def delete_entry(user_id: int, entry_id: int) -> None:
    """Delete one of the user's entries (404 ``unknown_entry`` otherwise)."""
    entry = await get_entry(user_id, entry_id)
    await entry.delete()


def _meal_order(meal: str, first_seen: dict[str, int]) -> tuple[int, int]:
    if meal in STANDARD_MEALS:
        return (0, STANDARD_MEALS.index(meal))
    return (1, first_seen[meal])


async def day_view(user_id: int, day: date) -> DiaryDayOut:
    """A day's entries by meal (standard meals first, in order), with per-meal and day totals."""
    entries = await DiaryEntry.filter(user_id=user_id, day=day).order_by("position", "id")
    by_meal: dict[str, list[DiaryEntry]] = {}
    first_seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        by_meal.setdefault(entry.meal, []).append(entry)
        first_seen.setdefault(entry.meal, index)
    meals = [
        DiaryMealOut(
            meal=meal,
            entries=[entry_out(entry) for entry in by_meal[meal]],
            totals=nutrients_out(_totals(by_meal[meal])),
        )
        for meal in sorted(by_meal, key=lambda meal: _meal_order(meal, first_seen))
    ]
    return DiaryDayOut(day=day, meals=meals, totals=nutrients_out(_totals(entries)))


def _totals(entries: Sequence[DiaryEntry]) -> NutrientValues:
    total = amounts.add(amounts.nutrients_of(entry) for entry in entries)
    total["energy_kcal"] = total["energy_kcal"] or 0.0
    return total


async def list_entries(user: User, query: DiaryEntryQuery) -> dict[str, Any]:
    """The user's entries between ``from`` and ``to`` (inclusive), newest first, one page."""
    if query.start and query.end and query.start > query.end:
        raise invalid("from", "must not be after 'to'", "range")
    rows = DiaryEntry.filter(user_id=user.id)
    if query.start:
        rows = rows.filter(day__gte=query.start)
    if query.end:
        rows = rows.filter(day__lte=query.end)
    if query.meal:
        rows = rows.filter(meal=normalise_meal(query.meal))
    return await paginate(rows, query, entry_out)


async def copy_entries(user: User, data: DiaryCopyIn) -> list[DiaryEntry]:
    """Copy a day, or one meal of it, with the frozen nutrients, in one transaction."""
    check_day(user, data.from_day, "from_day")
    to_day = check_day(user, data.to_day, "to_day")
    if data.to_meal is not None and data.meal is None:
        raise invalid("to_meal", "only with meal")
    rows = DiaryEntry.filter(user_id=user.id, day=data.from_day)
    if data.meal is not None:
        rows = rows.filter(meal=normalise_meal(data.meal))
    sources = await rows.order_by("position", "id")
    to_meal = normalise_meal(data.to_meal, "to_meal") if data.to_meal else None
    await check_room(user.id, to_day, len(sources), "to_day")
    copied: list[DiaryEntry] = []
    async with in_transaction():
        positions: dict[str, int] = {}
        for source in sources:
            meal = to_meal or source.meal
            if meal not in positions:
                positions[meal] = await next_position(user.id, to_day, meal)
            copied.append(
                await DiaryEntry.create(
                    user_id=user.id,
                    day=to_day,
                    meal=meal,
                    position=positions[meal],
                    food_id=source.food_id,
                    recipe_id=source.recipe_id,
                    name=source.name,
                    quantity=source.quantity,
                    unit=source.unit,
                    serving_name=source.serving_name,
                    amount=source.amount,
                    note=source.note,
                    **{name: getattr(source, name) for name in NUTRIENT_FIELDS},
                )
            )
            positions[meal] += 1
    return copied


_SUMS = {name: Sum(name) for name in NUTRIENT_FIELDS}


def _summed(row: dict[str, Any]) -> NutrientValues:
    values = {name: row.get(name) for name in NUTRIENT_FIELDS}
    values["energy_kcal"] = values["energy_kcal"] or 0.0
    return amounts.round_nutrients(values)


async def day_totals(user_id: int, day: date) -> NutrientValues:
    """Sum of a day's nutrients, in SQL: energy 0 for an empty day, other unknowns None."""
    totals = await range_totals(user_id, day, day)
    return totals.get(day) or _summed({})


async def range_totals(user_id: int, start: date, end: date) -> dict[date, NutrientValues]:
    """Per-day sums of nutrients from ``start`` to ``end`` (inclusive), days with entries only."""
    rows = (
        await DiaryEntry.filter(user_id=user_id, day__gte=start, day__lte=end)
        .annotate(**{f"sum_{name}": aggregate for name, aggregate in _SUMS.items()})
        .group_by("day")
        .values("day", *(f"sum_{name}" for name in NUTRIENT_FIELDS))
    )
    result: dict[date, NutrientValues] = {}
    for row in rows:
        day = row["day"] if isinstance(row["day"], date) else date.fromisoformat(str(row["day"]))
        result[day] = _summed({name: row[f"sum_{name}"] for name in NUTRIENT_FIELDS})
    return result
