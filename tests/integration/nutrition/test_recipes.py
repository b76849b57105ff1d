"""Recipes over HTTP: nutrients per serving and in total, logging servings, archive, isolation."""

from __future__ import annotations

from tests.integration.helpers import assert_problem, error_fields
from tests.integration.nutrition.diary_helpers import ENTRIES, NUTRITION, log, make_food, make_milk

RECIPES = f"{NUTRITION}/recipes"


async def make_porridge(api, account, servings=2):
    oats, milk = await make_food(api, account), await make_milk(api, account)
    response = await api.post(RECIPES, json={
        "name": " Porridge ", "servings": servings,
        "items": [{"food_id": oats["id"], "quantity": 2, "unit": "serving", "serving_name": "cup"},
                  {"food_id": milk["id"], "quantity": 300, "unit": "ml"}],
    }, headers=account.auth)  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json(), oats, milk


async def test_recipe_nutrients_total_and_per_serving(api, user):
    recipe, oats, milk = await make_porridge(api, user)
    # oats: 2 cups x 40 g = 80 g -> 379 x 0.8 = 303.2 kcal, protein 13.15 x 0.8 = 10.52 g,
    #   fibre 10.1 x 0.8 = 8.08 g; milk: 300 ml -> 150 kcal, protein 3.4 x 3 = 10.2 g, no fibre
    # total: 453.2 kcal, 20.72 g protein, 8.08 g fibre; per serving (2): 226.6, 10.36, 4.04
    assert recipe["name"] == "Porridge"
    assert [(i["food_name"], i["amount"]) for i in recipe["items"]] == [("Oats", 80.0),
                                                                         ("Milk", 300.0)]  # fmt: skip
    assert (recipe["total"]["energy_kcal"], recipe["total"]["protein_g"],
            recipe["total"]["fibre_g"]) == (453.2, 20.72, 8.08)  # fmt: skip
    assert (recipe["per_serving"]["energy_kcal"], recipe["per_serving"]["protein_g"],
            recipe["per_serving"]["fibre_g"]) == (226.6, 10.36, 4.04)  # fmt: skip
    assert recipe["total"]["sugars_g"] is None

    # 1.5 servings logged: 453.2 x 1.5 / 2 = 339.9 kcal
    entry = await log(api, user, day="2025-03-10", meal="breakfast", recipe_id=recipe["id"],
                      quantity=1.5)  # fmt: skip
    assert (entry["unit"], entry["name"], entry["amount"]) == ("serving", "Porridge", None)
    assert entry["nutrients"]["energy_kcal"] == 339.9
    assert entry["recipe_id"] == recipe["id"]

    grams = await api.post(ENTRIES, json={"meal": "lunch", "recipe_id": recipe["id"],
                                          "quantity": 100, "unit": "g"}, headers=user.auth)  # fmt: skip
    assert "unit" in error_fields(assert_problem(grams, 422, "unit_mismatch"))


async def test_update_replaces_items_and_logged_entries_keep_their_nutrients(api, user):
    recipe, oats, _ = await make_porridge(api, user)
    entry = await log(api, user, day="2025-03-10", meal="breakfast", recipe_id=recipe["id"],
                      quantity=1)  # fmt: skip
    assert entry["nutrients"]["energy_kcal"] == 226.6
    changed = await api.patch(f"{RECIPES}/{recipe['id']}", json={
        "servings": 1, "items": [{"food_id": oats["id"], "quantity": 50, "unit": "g"}],
    }, headers=user.auth)  # fmt: skip
    assert changed.status_code == 200, changed.text
    # 50 g oats: 379 x 0.5 = 189.5 kcal, one serving
    assert [i["food_id"] for i in changed.json()["items"]] == [oats["id"]]
    assert changed.json()["per_serving"]["energy_kcal"] == 189.5
    kept = await api.get(f"{ENTRIES}/{entry['id']}", headers=user.auth)
    assert kept.json()["nutrients"]["energy_kcal"] == 226.6


async def test_bad_items_are_named_and_nothing_is_stored(api, user):
    oats = await make_food(api, user)
    response = await api.post(RECIPES, json={"name": "Bad", "items": [
        {"food_id": oats["id"], "quantity": 10, "unit": "g"},
        {"food_id": oats["id"], "quantity": 10, "unit": "ml"},
        {"food_id": oats["id"], "quantity": 1, "unit": "serving", "serving_name": "bowl"},
    ]}, headers=user.auth)  # fmt: skip
    problem = assert_problem(response, 422)
    assert error_fields(problem) == {"items[1].unit", "items[2].serving_name"}
    listed = await api.get(RECIPES, headers=user.auth)
    assert listed.json()["items"] == []


async def test_list_archive_and_isolation(api, user, other_user):
    recipe, _, _ = await make_porridge(api, user)
    second, _, _ = await make_porridge(api, user, servings=4)
    page = (await api.get(RECIPES, params={"limit": 1}, headers=user.auth)).json()
    assert [r["id"] for r in page["items"]] == [second["id"]]
    rest = (await api.get(RECIPES, params={"limit": 1, "cursor": page["next_cursor"]},
                          headers=user.auth)).json()  # fmt: skip
    assert [r["id"] for r in rest["items"]] == [recipe["id"]]

    for method, kwargs in (("get", {}), ("delete", {}), ("patch", {"json": {"name": "Mine"}})):
        response = await getattr(api, method)(f"{RECIPES}/{recipe['id']}", headers=other_user.auth,
                                              **kwargs)  # fmt: skip
        assert_problem(response, 404, "unknown_recipe")
    theirs = await api.post(ENTRIES, json={"meal": "lunch", "recipe_id": recipe["id"], "quantity": 1},
                            headers=other_user.auth)  # fmt: skip
    assert_problem(theirs, 404, "unknown_recipe")
    their_food = await api.post(RECIPES, json={"name": "X", "items": [
        {"food_id": recipe["items"][0]["food_id"], "quantity": 1, "unit": "g"}]},
        headers=other_user.auth)  # fmt: skip
    assert error_fields(assert_problem(their_food, 404, "unknown_food")) == {"items[0].food_id"}

    archived = await api.delete(f"{RECIPES}/{recipe['id']}", headers=user.auth)
    assert archived.status_code == 204
    left = (await api.get(RECIPES, headers=user.auth)).json()
    assert [r["id"] for r in left["items"]] == [second["id"]]
    still = await api.get(f"{RECIPES}/{recipe['id']}", headers=user.auth)
    assert still.json()["archived"] is True
    logged = await api.post(ENTRIES, json={"meal": "lunch", "recipe_id": recipe["id"], "quantity": 1},
                            headers=user.auth)  # fmt: skip
    assert_problem(logged, 404, "unknown_recipe")


async def test_the_basis_of_a_food_a_recipe_holds_by_volume_cannot_change(api, user):
    _, _, milk = await make_porridge(api, user)  # the recipe holds 300 ml of the milk
    changed = await api.patch(f"{NUTRITION}/foods/{milk['id']}", json={"basis": "g"},
                              headers=user.auth)  # fmt: skip
    assert "basis" in error_fields(assert_problem(changed, 409, "basis_in_use"))
    kept = await api.get(f"{NUTRITION}/foods/{milk['id']}", headers=user.auth)
    assert kept.json()["basis"] == "ml"
    # A food no recipe or saved meal holds by weight or volume may switch.
    other = await make_milk(api, user)
    switched = await api.patch(f"{NUTRITION}/foods/{other['id']}", json={"basis": "g"},
                               headers=user.auth)  # fmt: skip
    assert switched.status_code == 200 and switched.json()["basis"] == "g", switched.text
