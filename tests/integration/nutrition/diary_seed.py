"""Diary entries written straight into the running server's database, with all eight nutrients
(the diary API computes them from foods; these tests need exact, hand-picked values)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.integration.telemetry.server_db import server_db
from tests.support import FithubServer

NUTRIENTS = (
    "energy_kcal", "protein_g", "carbohydrate_g", "sugars_g",
    "fat_g", "saturated_fat_g", "fibre_g", "sodium_mg",
)  # fmt: skip


def entry(day: str, meal: str = "lunch", **values: Any) -> dict[str, Any]:
    """One quick entry of ``day``: unnamed nutrients are left unknown (null), energy 0."""
    return {"day": date.fromisoformat(day), "meal": meal, "values": values}


async def seed_entries(server: FithubServer, user_id: int, entries: list[dict[str, Any]]) -> None:
    """Store ``entries`` (from :func:`entry`) for the user, in order."""
    from fithub.core.nutrition.models import AmountUnit, DiaryEntry

    async with server_db(server):
        for position, item in enumerate(entries):
            values = dict(item["values"])
            await DiaryEntry.create(
                user_id=user_id,
                day=item["day"],
                meal=item["meal"],
                position=position,
                name=values.pop("name", "Quick add"),
                quantity=values.pop("quantity", 1.0),
                unit=values.pop("unit", AmountUnit.QUICK),
                serving_name=values.pop("serving_name", None),
                amount=values.pop("amount", None),
                note=values.pop("note", ""),
                energy_kcal=values.pop("energy_kcal", 0.0),
                **{name: values.pop(name, None) for name in NUTRIENTS[1:]},
            )
            assert not values, f"unknown fields {sorted(values)}"
