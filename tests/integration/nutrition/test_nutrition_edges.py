"""Review findings: edge days never 500, nutrition goals stay private, concurrent imports of a food.

- A range reaching 9999-12-31 (or 0001-01-01) made totals, the CSV export and the trainer's views
  overflow Python's dates (a 500); now a 422 naming the bounds.
- A nutrition goal whose window would end past 9998-12-31 overflowed the same way.
- A trainer's list of a client's goals showed nutrition goals (a diary average) to a trainer the
  diary is not shared with.
- Many clients importing the same source food at once get one stored food, never a 500.
"""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import Account
from tests.integration.coaching_world import coach, make_trainer
from tests.integration.helpers import assert_problem, error_fields
from tests.integration.nutrition.diary_seed import entry, seed_entries
from tests.integration.progress.test_goals import create_goal
from tests.support import FithubServer

V1 = "/api/v1"
NUTRITION = f"{V1}/nutrition"
FAR = ("9999-12-31", "0001-01-01")


async def test_ranges_at_the_ends_of_the_calendar_are_422_not_500(
    api: httpx.AsyncClient, user: Account
) -> None:
    for path in ("/totals/daily", "/totals/weekly", "/diary/export.csv"):
        for day in FAR:
            response = await api.get(
                f"{NUTRITION}{path}", headers=user.auth, params={"from": day, "to": day}
            )
            assert response.status_code == 422, (path, day, response.text)
    # The last allowed day still answers: 9998-12-31 is a Thursday, its ISO week ends on Sunday
    # 9999-01-03, which exists.
    last = {"from": "9998-12-31", "to": "9998-12-31"}
    weekly = await api.get(f"{NUTRITION}/totals/weekly", headers=user.auth, params=last)
    assert weekly.status_code == 200, weekly.text
    assert weekly.json()["last_day"] == "9999-01-03"


async def test_a_nutrition_goal_ending_past_the_calendar_is_422(
    api: httpx.AsyncClient, user: Account
) -> None:
    body = {"kind": "nutrition", "title": "Protein", "metric": "protein_g",
            "comparison": "at_least", "window_days": 7, "target_value": 100,
            "starts_on": "9999-12-30"}  # fmt: skip
    response = await api.post(f"{V1}/goals", headers=user.auth, json=body)
    assert "starts_on" in error_fields(assert_problem(response, 422))


async def test_trainers_see_nutrition_goals_only_when_the_diary_is_shared(
    api: httpx.AsyncClient, server: FithubServer, user: Account
) -> None:
    trainer = await make_trainer(api)
    relation_id = await coach(api, trainer, user, goals=True)  # goals shared, nutrition not
    await seed_entries(server, user.id, [entry("2024-01-01", energy_kcal=700, protein_g=140)])
    goal = await create_goal(api, user, kind="nutrition", window_days=7, starts_on="2024-01-01",
                             metric="protein_g", comparison="at_least", target_value=100)  # fmt: skip
    # 140 g on one day of seven: 140 / 7 = 20 g a day, the diary average the client keeps private.
    assert goal["current_value"] == 20
    url = f"{V1}/coaching/clients/{user.id}/goals"

    async def seen() -> list[int]:
        response = await api.get(url, headers=trainer.auth)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert goal["id"] not in await seen()
    shared = await api.patch(
        f"{V1}/coaching/relations/{relation_id}/share", headers=user.auth, json={"nutrition": True}
    )
    assert shared.status_code == 200, shared.text
    assert goal["id"] in await seen()


async def test_concurrent_imports_of_one_food_store_it_once(
    api: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    # Foods of the built-in table no other test imports; each asked for 6 times at once.
    source_ids = ["11090", "09003", "20044"]
    bodies = [{"source": "builtin", "source_id": sid} for sid in source_ids]
    requests = [
        api.post(f"{NUTRITION}/foods/import", headers=who.auth, json=body)
        for body in bodies
        for who in (user, other_user, user, other_user, user, other_user)
    ]
    responses = await asyncio.gather(*requests)
    assert [r.status_code for r in responses] == [200] * len(requests), [
        r.text for r in responses if r.status_code != 200
    ]
    ids: dict[str, set[int]] = {}
    for response in responses:
        food = response.json()
        ids.setdefault(food["source_id"], set()).add(food["id"])
    # One stored food per source id, whoever asked and however many at once.
    assert sorted(ids) == sorted(source_ids)
    assert all(len(found) == 1 for found in ids.values()), ids


async def test_a_day_copied_onto_itself_stops_at_the_day_limit(
    api: httpx.AsyncClient, server: FithubServer, user: Account
) -> None:
    # Each copy of a day onto itself doubled it (2, 4, 8 ... entries): unbounded, a fuzzer's
    # dozen copies made a million inserts. Now a day holds at most MAX_DAY_ENTRIES (300).
    day = "2024-03-01"
    await seed_entries(server, user.id, [entry(day, energy_kcal=100 + i) for i in range(200)])
    copy = {"from_day": day, "to_day": day}
    refused = await api.post(f"{NUTRITION}/diary/copy", headers=user.auth, json=copy)
    # 200 held + 200 copied = 400 > 300: refused, nothing copied.
    assert "to_day" in error_fields(assert_problem(refused, 422, "too_many_entries"))
    listed = await api.get(f"{NUTRITION}/diary/days/{day}", headers=user.auth)
    assert sum(len(meal["entries"]) for meal in listed.json()["meals"]) == 200
    # 100 more one meal at a time still fit (200 + 100 = 300), the 301st does not.
    await seed_entries(server, user.id, [entry(day, energy_kcal=1) for _ in range(100)])
    one = {"day": day, "meal": "snack", "quick": {"energy_kcal": 10}}
    full = await api.post(f"{NUTRITION}/diary/entries", headers=user.auth, json=one)
    assert_problem(full, 422, "too_many_entries")


async def test_tiny_servings_and_targets_never_answer_infinity(
    api: httpx.AsyncClient, server: FithubServer, user: Account
) -> None:
    # Schemathesis: servings 5e-324 passed "> 0", and total / 5e-324 was Infinity in the JSON.
    food = {"name": "Flapjack", "per_100": {"energy_kcal": 450, "protein_g": 6, "fat_g": 22}}
    made = await api.post(f"{NUTRITION}/foods", headers=user.auth, json=food)
    assert made.status_code == 201, made.text
    recipe = {"name": "Porridge", "servings": 5e-324,
              "items": [{"food_id": made.json()["id"], "quantity": 80, "unit": "g"}]}  # fmt: skip
    refused = await api.post(f"{NUTRITION}/recipes", headers=user.auth, json=recipe)
    assert_problem(refused, 422)
    smallest = await api.post(
        f"{NUTRITION}/recipes", headers=user.auth, json={**recipe, "servings": 0.01}
    )
    assert smallest.status_code == 201, smallest.text
    # 80 g x 450 kcal / 100 g = 360 kcal in all; / 0.01 servings = 36000 kcal a serving.
    assert smallest.json()["per_serving"]["energy_kcal"] == 36000
    # A protein target of 5e-324 g a day shows no percentage rather than Infinity.
    targets = {"energy_kcal": 2000, "protein_g": 5e-324}
    put = await api.put(f"{NUTRITION}/targets", headers=user.auth, json=targets)
    assert put.status_code == 200, put.text
    await seed_entries(server, user.id, [entry("2024-04-01", energy_kcal=500, protein_g=30)])
    days = {"from": "2024-04-01", "to": "2024-04-01"}
    daily = await api.get(f"{NUTRITION}/totals/daily", headers=user.auth, params=days)
    assert daily.status_code == 200, daily.text
    protein = daily.json()["days"][0]["targets"]["protein_g"]
    # The target rounds to 0.0 g; 0 - 30 g eaten = -30 g remaining; no percentage of nothing.
    assert (protein["target"], protein["remaining"], protein["percent"]) == (0.0, -30.0, None)
