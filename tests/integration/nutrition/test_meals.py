"""Saved meals, favourites and recent foods over HTTP."""

from __future__ import annotations

from tests.integration.helpers import assert_problem, error_fields
from tests.integration.nutrition.diary_helpers import NUTRITION, day_of, log, make_food, make_milk

MEALS = f"{NUTRITION}/meals"
FAVOURITES = f"{NUTRITION}/favourites"


async def save_meal(api, account, name, items):
    response = await api.post(MEALS, json={"name": name, "items": items}, headers=account.auth)
    assert response.status_code == 201, response.text
    return response.json()


async def test_save_and_log_a_meal_in_one_go(api, user):
    oats, milk = await make_food(api, user), await make_milk(api, user)
    meal = await save_meal(api, user, "Usual breakfast", [
        {"food_id": oats["id"], "quantity": 1, "unit": "serving", "serving_name": "cup"},
        {"food_id": milk["id"], "quantity": 200},
    ])  # fmt: skip
    # 1 cup of 40 g oats: 379 x 0.4 = 151.6 kcal; 200 ml milk: 100 kcal; total 251.6
    assert [i["nutrients"]["energy_kcal"] for i in meal["items"]] == [151.6, 100.0]
    assert meal["totals"]["energy_kcal"] == 251.6
    assert meal["items"][1]["unit"] == "ml"

    logged = await api.post(f"{MEALS}/{meal['id']}/log", json={"day": "2025-05-01",
                                                               "meal": "Breakfast"},
                            headers=user.auth)  # fmt: skip
    assert logged.status_code == 201, logged.text
    assert logged.json()["logged"] == 2
    day = await day_of(api, user, "2025-05-01")
    assert [(e["name"], e["position"]) for e in day["meals"][0]["entries"]] == [
        ("Oats", 0), ("Milk", 1),
    ]  # fmt: skip
    assert day["totals"]["energy_kcal"] == 251.6


async def test_duplicate_names_are_409_and_bad_items_422(api, user):
    oats = await make_food(api, user)
    await save_meal(api, user, "Lunch box", [{"food_id": oats["id"], "quantity": 50}])
    again = await api.post(MEALS, json={"name": " Lunch box ", "items": [
        {"food_id": oats["id"], "quantity": 5}]}, headers=user.auth)  # fmt: skip
    assert_problem(again, 409, "duplicate_name")
    bad = await api.post(MEALS, json={"name": "Other", "items": [
        {"food_id": oats["id"], "quantity": 5},
        {"food_id": oats["id"], "quantity": 1, "unit": "serving", "serving_name": "plate"}]},
        headers=user.auth)  # fmt: skip
    assert error_fields(assert_problem(bad, 422, "unknown_serving")) == {"items[1].serving_name"}
    names = [m["name"] for m in (await api.get(MEALS, headers=user.auth)).json()["items"]]
    assert names == ["Lunch box"]


async def test_log_is_all_or_nothing_when_a_food_is_gone(api, user):
    oats, milk = await make_food(api, user), await make_milk(api, user)
    meal = await save_meal(api, user, "Cereal", [{"food_id": oats["id"], "quantity": 50},
                                                 {"food_id": milk["id"], "quantity": 100}])  # fmt: skip
    await api.delete(f"{NUTRITION}/foods/{milk['id']}", headers=user.auth)
    response = await api.post(f"{MEALS}/{meal['id']}/log", json={"day": "2025-05-02",
                                                                 "meal": "lunch"},
                              headers=user.auth)  # fmt: skip
    assert "items[1]" in error_fields(assert_problem(response, 404, "unknown_food"))
    assert (await day_of(api, user, "2025-05-02"))["meals"] == []


async def test_save_a_diary_meal(api, user):
    oats = await make_food(api, user)
    await log(api, user, day="2025-05-03", meal="dinner", food_id=oats["id"], quantity=2,
              serving_name="cup")  # fmt: skip
    await log(api, user, day="2025-05-03", meal="dinner", quick={"energy_kcal": 99})
    response = await api.post(f"{MEALS}/from-diary", json={"day": "2025-05-03", "meal": "Dinner",
                                                           "name": "Oat dinner"},
                              headers=user.auth)  # fmt: skip
    assert response.status_code == 201, response.text
    saved = response.json()
    # the quick add is left out; 2 cups = 80 g oats = 303.2 kcal
    assert [(i["food_id"], i["quantity"], i["unit"], i["serving_name"]) for i in saved["items"]] == [
        (oats["id"], 2.0, "serving", "cup"),
    ]  # fmt: skip
    assert saved["totals"]["energy_kcal"] == 303.2
    empty = await api.post(f"{MEALS}/from-diary", json={"day": "2025-05-04", "meal": "dinner",
                                                        "name": "Nothing"},
                           headers=user.auth)  # fmt: skip
    assert_problem(empty, 422, "nothing_to_save")


async def test_saved_meals_are_private(api, user, other_user):
    oats = await make_food(api, user)
    meal = await save_meal(api, user, "Mine", [{"food_id": oats["id"], "quantity": 50}])
    for method, path, kwargs in (
        ("get", f"{MEALS}/{meal['id']}", {}),
        ("delete", f"{MEALS}/{meal['id']}", {}),
        ("patch", f"{MEALS}/{meal['id']}", {"json": {"name": "Theirs"}}),
        ("post", f"{MEALS}/{meal['id']}/log", {"json": {"meal": "lunch"}}),
    ):
        response = await getattr(api, method)(path, headers=other_user.auth, **kwargs)
        assert_problem(response, 404, "unknown_meal")
    # the same name is free for another user
    other_oats = await make_food(api, other_user)
    await save_meal(api, other_user, "Mine", [{"food_id": other_oats["id"], "quantity": 50}])


async def test_favourites_are_idempotent_and_private(api, user, other_user):
    oats = await make_food(api, user)
    first = await api.post(FAVOURITES, json={"food_id": oats["id"]}, headers=user.auth)
    assert first.status_code == 201, first.text
    again = await api.post(FAVOURITES, json={"food_id": oats["id"]}, headers=user.auth)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["name"] == "Oats"
    listed = (await api.get(FAVOURITES, headers=user.auth)).json()["items"]
    assert [f["food_id"] for f in listed] == [oats["id"]]

    stolen = await api.post(FAVOURITES, json={"food_id": oats["id"]}, headers=other_user.auth)
    assert_problem(stolen, 404, "unknown_food")
    assert (await api.get(FAVOURITES, headers=other_user.auth)).json()["items"] == []

    removed = await api.request("DELETE", FAVOURITES, json={"food_id": oats["id"]},
                                headers=user.auth)  # fmt: skip
    assert removed.status_code == 204
    removed_again = await api.request("DELETE", FAVOURITES, json={"food_id": oats["id"]},
                                      headers=user.auth)  # fmt: skip
    assert removed_again.status_code == 204
    assert (await api.get(FAVOURITES, headers=user.auth)).json()["items"] == []


async def test_recent_foods_are_distinct_newest_first_with_last_amount(api, user):
    oats, milk = await make_food(api, user), await make_milk(api, user)
    await log(api, user, day="2025-05-01", meal="lunch", food_id=oats["id"], quantity=30)
    await log(api, user, day="2025-05-02", meal="lunch", food_id=milk["id"], quantity=1,
              serving_name="glass")  # fmt: skip
    await log(api, user, day="2025-05-03", meal="lunch", food_id=oats["id"], quantity=45)
    await log(api, user, day="2025-05-03", meal="lunch", quick={"energy_kcal": 10})
    recent = (await api.get(f"{NUTRITION}/recent-foods", headers=user.auth)).json()["items"]
    assert [(r["food_id"], r["quantity"], r["unit"], r["last_day"]) for r in recent] == [
        (oats["id"], 45.0, "g", "2025-05-03"), (milk["id"], 1.0, "serving", "2025-05-02"),
    ]  # fmt: skip
    one = (await api.get(f"{NUTRITION}/recent-foods", params={"limit": 1},
                         headers=user.auth)).json()["items"]  # fmt: skip
    assert [r["food_id"] for r in one] == [oats["id"]]
