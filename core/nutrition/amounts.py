"""Amounts and nutrients, pure: what a quantity in a unit weighs in a food's basis, and what it holds.

A food's nutrients are per 100 g (basis ``g``) or per 100 ml (basis ``ml``). An amount is read in
that basis only: grams of a g-basis food, millilitres of an ml-basis food, or servings of one of the
food's named servings (``{name, amount}`` in the basis unit). Grams of a drink or millilitres of a
solid are refused (``unit_mismatch``) rather than guessed through a density: log a serving instead.

Errors are :class:`~fithub.core.errors.ValidationFailed` (422) with a precise code and per-field
``errors``: ``unit_mismatch``, ``unknown_serving`` (listing the food's servings),
``implausible_amount``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fithub.core.errors import ValidationFailed
from fithub.plugins.nutrition import NUTRIENT_FIELDS

MAX_AMOUNT = 5000.0  # g or ml in one entry or one recipe item
MAX_SERVINGS = 50.0  # servings in one entry or one recipe item

NutrientValues = dict[str, float | None]

#: Decimals kept per nutrient: energy and sodium to 0.1, grams to 0.01.
_DECIMALS = {name: (1 if name in ("energy_kcal", "sodium_mg") else 2) for name in NUTRIENT_FIELDS}


def _fail(code: str, field: str, message: str, **extra: Any) -> ValidationFailed:
    return ValidationFailed(
        f"{field}: {message}",
        code=code,
        errors=[{"field": field, "message": message, "type": code, **extra}],
    )


def find_serving(servings: Sequence[Mapping[str, Any]], name: str | None) -> Mapping[str, Any]:
    """The serving called ``name`` (trimmed, case-insensitive), else ``unknown_serving``."""
    wanted = (name or "").strip().casefold()
    for serving in servings:
        if str(serving.get("name", "")).strip().casefold() == wanted and wanted:
            return serving
    known = [{"name": s.get("name"), "amount": s.get("amount")} for s in servings]
    listing = ", ".join(f"{s['name']} ({s['amount']:g})" for s in known) or "none"
    raise _fail(
        "unknown_serving",
        "serving_name",
        f"not a serving of this food; its servings: {listing}",
        servings=known,
    )


def check_quantity(quantity: float, unit: str) -> None:
    """Bounds every amount shares: a quantity above zero, at most 50 servings."""
    if not quantity > 0:
        raise _fail("implausible_amount", "quantity", "must be greater than 0")
    if unit == "serving" and quantity > MAX_SERVINGS:
        raise _fail("implausible_amount", "quantity", f"at most {MAX_SERVINGS:g} servings")


def food_amount(
    basis: str,
    servings: Sequence[Mapping[str, Any]],
    quantity: float,
    unit: str,
    serving_name: str | None = None,
) -> float:
    """Grams (g basis) or millilitres (ml basis) in ``quantity`` ``unit`` of a food.

    ``unit`` is ``g``, ``ml`` or ``serving`` (then ``serving_name`` names one of ``servings``).
    Raises ValidationFailed: ``unit_mismatch``, ``unknown_serving`` or ``implausible_amount``.
    """
    check_quantity(quantity, unit)
    if unit == "serving":
        serving = find_serving(servings, serving_name)
        amount = quantity * float(serving["amount"])
    elif unit in ("g", "ml"):
        if unit != basis:
            other = "millilitres" if basis == "ml" else "grams"
            raise _fail(
                "unit_mismatch",
                "unit",
                f"this food is measured in {other} ({basis}); use {basis} or one of its servings",
            )
        amount = quantity
    else:
        raise _fail("unit_mismatch", "unit", f"a food is logged in {basis} or servings")
    if amount > MAX_AMOUNT:
        raise _fail(
            "implausible_amount",
            "quantity",
            f"{amount:g} {basis} is more than {MAX_AMOUNT:g} {basis} in one entry",
        )
    return amount


def round_nutrients(values: Mapping[str, float | None]) -> NutrientValues:
    """Every nutrient rounded (energy and sodium to 0.1, grams to 0.01); unknown stays None."""
    return {
        name: None if values.get(name) is None else round(float(values[name] or 0), _DECIMALS[name])
        for name in NUTRIENT_FIELDS
    }


def scale(per_100: Mapping[str, float | None], amount: float) -> NutrientValues:
    """Nutrients in ``amount`` g/ml of a food whose values are per 100: ``per_100 * amount / 100``."""
    return round_nutrients(
        {
            name: None if per_100.get(name) is None else float(per_100[name] or 0) * amount / 100
            for name in NUTRIENT_FIELDS
        }
    )


def add(parts: Iterable[Mapping[str, float | None]]) -> NutrientValues:
    """Sum of nutrients: the sum of the known values; None only where no part knows it."""
    total: dict[str, float | None] = dict.fromkeys(NUTRIENT_FIELDS)
    for part in parts:
        for name in NUTRIENT_FIELDS:
            value = part.get(name)
            if value is not None:
                total[name] = (total[name] or 0.0) + value
    return round_nutrients(total)


def divide(values: Mapping[str, float | None], by: float) -> NutrientValues:
    """Nutrients divided by ``by`` (a recipe's total into one serving)."""
    return round_nutrients(
        {name: None if values.get(name) is None else (values[name] or 0) / by for name in values}
    )


def times(values: Mapping[str, float | None], factor: float) -> NutrientValues:
    """Nutrients multiplied by ``factor`` (one recipe serving times the servings eaten)."""
    return round_nutrients(
        {
            name: None if values.get(name) is None else (values[name] or 0) * factor
            for name in values
        }
    )


def nutrients_of(row: Any) -> NutrientValues:
    """The nutrient columns of a model row (per 100 on a food, per entry on an entry)."""
    return {name: getattr(row, name) for name in NUTRIENT_FIELDS}
