"""Helpers of the diary, recipe and saved-meal tests: custom foods and entries through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Account

NUTRITION = "/api/v1/nutrition"
ENTRIES = f"{NUTRITION}/diary/entries"

# Oats per 100 g: 379 kcal, 13.15 g protein, 67.7 g carbohydrate, 6.52 g fat, 10.1 g fibre.
OATS = {"energy_kcal": 379, "protein_g": 13.15, "carbohydrate_g": 67.7, "fat_g": 6.52,
        "fibre_g": 10.1}  # fmt: skip
# Semi-skimmed milk per 100 ml: 50 kcal, 3.4 g protein, 4.8 g carbohydrate, 1.8 g fat.
MILK = {"energy_kcal": 50, "protein_g": 3.4, "carbohydrate_g": 4.8, "fat_g": 1.8}


async def make_food(
    api: httpx.AsyncClient, account: Account, name: str = "Oats", **body: Any
) -> dict[str, Any]:
    """A custom food of ``account`` (oats by default, with a 40 g cup serving)."""
    body = {"per_100": OATS, "servings": [{"name": "cup", "amount": 40}], **body}
    response = await api.post(
        f"{NUTRITION}/foods", json={"name": name, **body}, headers=account.auth
    )
    assert response.status_code == 201, response.text
    return response.json()


async def make_milk(api: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    """Semi-skimmed milk, per 100 ml, with a 250 ml glass serving."""
    return await make_food(
        api, account, "Milk", basis="ml", per_100=MILK, servings=[{"name": "glass", "amount": 250}]
    )


async def log(api: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    """Log one entry; the created entry."""
    response = await api.post(ENTRIES, json=body, headers=account.auth)
    assert response.status_code == 201, response.text
    return response.json()


async def day_of(api: httpx.AsyncClient, account: Account, day: str) -> dict[str, Any]:
    """The diary of one day by meal."""
    response = await api.get(f"{NUTRITION}/diary/days/{day}", headers=account.auth)
    assert response.status_code == 200, response.text
    return response.json()
