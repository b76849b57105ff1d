"""Issue 15's acceptance: one diary day driven end to end through the running server.

Search with a typo on the built-in table, a barcode through the fake Open Food Facts (with a wrong
check digit first), three meals and a snack logged, the day's totals read against targets, and the
diary exported as CSV. The suite runs on SQLite and again on PostgreSQL + Redis in CI, so this
journey runs on both backends. Expected values are computed here from each food's nutrients per
100 g as the server returned them, never copied from its answers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fithub.plugins.testing.fakes.openfoodfacts import FakeOpenFoodFacts
from tests.conftest import Account
from tests.integration.helpers import assert_problem
from tests.support import FithubServer, running_server

NUTRITION = "/api/v1/nutrition"
DAY = "2026-03-10"  # a fixed past day: nothing here depends on today's date or the time of day
NUTELLA = "3017620422003"
TARGETS = {"energy_kcal": 2200, "protein_g": 140, "carbohydrate_g": 250, "fat_g": 75}


@pytest.fixture(scope="module")
def off() -> Iterator[FakeOpenFoodFacts]:
    with FakeOpenFoodFacts() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(off: FakeOpenFoodFacts) -> Iterator[FithubServer]:
    with running_server(off.fithub_env()) as srv:
        yield srv


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def eaten(food: dict[str, Any], grams: float) -> dict[str, float]:
    """Energy and macros of ``grams`` of ``food`` (its nutrients are per 100 g)."""
    per_100 = food["per_100"]
    return {
        k: per_100[k] * grams / 100 for k in ("energy_kcal", "protein_g", "carbohydrate_g", "fat_g")
    }


async def search_first(
    api: httpx.AsyncClient, who: Account, text: str, word: str
) -> dict[str, Any]:
    """The first search hit for ``text`` on the built-in table; it must name ``word``."""
    page = await ok(await api.get(
        f"{NUTRITION}/foods/search", params={"q": text, "source": "builtin"}, headers=who.auth
    ))  # fmt: skip
    assert page["items"], f"nothing found for {text!r}"
    first: dict[str, Any] = page["items"][0]
    assert word in first["name"].lower(), (text, [i["name"] for i in page["items"][:5]])
    return first


async def test_a_diary_day_end_to_end(
    api: httpx.AsyncClient, user: Account, off: FakeOpenFoodFacts
) -> None:
    auth = user.auth

    # Search forgives typos: "bananna" and "chiken breast" find the banana and the chicken.
    banana_hit = await search_first(api, user, "bananna", "banana")
    chicken_hit = await search_first(api, user, "chiken breast", "chicken")
    rice_hit = await search_first(api, user, "white rice cooked", "rice")

    # A barcode with a wrong check digit is refused before any source is asked.
    asked_before = len(off.user_agents)
    wrong = await api.get(f"{NUTRITION}/barcodes/3017620422004", headers=auth)
    assert_problem(wrong, 422, "invalid_barcode")
    assert len(off.user_agents) == asked_before
    # The right one goes to Open Food Facts (with the User-Agent it requires) and is stored.
    nutella = await ok(await api.get(f"{NUTRITION}/barcodes/{NUTELLA}", headers=auth))
    assert nutella["source"] == "openfoodfacts" and nutella["barcode"] == NUTELLA
    assert len(off.user_agents) == asked_before + 1 and off.user_agents[-1].startswith("fithub/")
    again = await ok(await api.get(f"{NUTRITION}/barcodes/{NUTELLA}", headers=auth))
    assert again["id"] == nutella["id"]  # answered from the database, not asked again
    assert len(off.user_agents) == asked_before + 1

    # Breakfast: a banana by one of its servings, logged straight from the source.
    banana = await ok(await api.post(f"{NUTRITION}/foods/import", headers=auth, json={
        "source": "builtin", "source_id": banana_hit["source_id"]}))  # fmt: skip
    serving = banana["servings"][0]
    breakfast = await ok(await api.post(f"{NUTRITION}/diary/entries", headers=auth, json={
        "day": DAY, "meal": "breakfast", "source": "builtin", "source_id": banana_hit["source_id"],
        "quantity": 1, "unit": "serving", "serving_name": serving["name"]}), 201)  # fmt: skip
    assert breakfast["food_id"] == banana["id"] and breakfast["amount"] == pytest.approx(
        serving["amount"]
    )

    # Lunch: 150 g of chicken; dinner: 200 g of rice; a snack: 15 g of the scanned spread.
    logged = [breakfast]
    expected = [eaten(banana, serving["amount"])]
    for hit, meal, grams in ((chicken_hit, "lunch", 150), (rice_hit, "dinner", 200)):
        food = await ok(await api.post(f"{NUTRITION}/foods/import", headers=auth, json={
            "source": "builtin", "source_id": hit["source_id"]}))  # fmt: skip
        logged.append(await ok(await api.post(f"{NUTRITION}/diary/entries", headers=auth, json={
            "day": DAY, "meal": meal, "food_id": food["id"], "quantity": grams, "unit": "g"}), 201))  # fmt: skip
        expected.append(eaten(food, grams))
    logged.append(await ok(await api.post(f"{NUTRITION}/diary/entries", headers=auth, json={
        "day": DAY, "meal": "snack", "food_id": nutella["id"], "quantity": 15, "unit": "g"}), 201))  # fmt: skip
    expected.append(eaten(nutella, 15))
    for entry, want in zip(logged, expected, strict=True):
        assert entry["nutrients"]["energy_kcal"] == pytest.approx(want["energy_kcal"], abs=0.1)

    # Nothing bad is half-stored: an impossible amount and a serving the food lacks are refused.
    too_much = await api.post(f"{NUTRITION}/diary/entries", headers=auth, json={
        "day": DAY, "meal": "dinner", "food_id": nutella["id"], "quantity": 90000, "unit": "g"})  # fmt: skip
    assert_problem(too_much, 422, "implausible_amount")
    no_such = await api.post(f"{NUTRITION}/diary/entries", headers=auth, json={
        "day": DAY, "meal": "dinner", "food_id": banana["id"], "quantity": 1, "unit": "serving",
        "serving_name": "1 bathtub"})  # fmt: skip
    assert_problem(no_such, 422, "unknown_serving")

    # The day, by meal.
    day = await ok(await api.get(f"{NUTRITION}/diary/days/{DAY}", headers=auth))
    assert [m["meal"] for m in day["meals"]] == ["breakfast", "lunch", "dinner", "snack"]
    energy = sum(want["energy_kcal"] for want in expected)
    assert day["totals"]["energy_kcal"] == pytest.approx(energy, abs=0.5)

    # Totals against targets: remaining = target - eaten, percent = eaten / target.
    await ok(await api.put(f"{NUTRITION}/targets", headers=auth, json=TARGETS))
    totals = await ok(await api.get(
        f"{NUTRITION}/totals/daily", params={"from": DAY, "to": DAY}, headers=auth))  # fmt: skip
    (today,) = totals["days"]
    assert today["entries"] == 4
    for nutrient, target in TARGETS.items():
        eaten_total = sum(want[nutrient] for want in expected)
        line = today["targets"][nutrient]
        assert today["totals"][nutrient] == pytest.approx(eaten_total, abs=0.5)
        assert line["remaining"] == pytest.approx(target - eaten_total, abs=0.5)
        assert line["percent"] == pytest.approx(100 * eaten_total / target, abs=0.1)
    macro_energy = sum(
        sum(want[k] for want in expected) * f
        for k, f in (("protein_g", 4), ("carbohydrate_g", 4), ("fat_g", 9))
    )
    protein_energy = 4 * sum(want["protein_g"] for want in expected)
    assert today["energy_percent"]["protein"] == pytest.approx(
        100 * protein_energy / macro_energy, abs=0.01
    )

    # The export holds exactly the four entries, with the energy logged.
    export = await api.get(
        f"{NUTRITION}/diary/export.csv", params={"from": DAY, "to": DAY}, headers=auth)  # fmt: skip
    assert export.status_code == 200, export.text
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert sorted(r["meal"] for r in rows) == ["breakfast", "dinner", "lunch", "snack"]
    assert sum(float(r["energy_kcal"]) for r in rows) == pytest.approx(energy, abs=0.5)
