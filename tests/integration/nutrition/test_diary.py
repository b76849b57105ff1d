"""The food diary over HTTP: logging foods, recipes and quick adds; frozen nutrients; a day by meal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.integration.helpers import assert_problem, error_fields
from tests.integration.nutrition.diary_helpers import (
    ENTRIES,
    NUTRITION,
    day_of,
    log,
    make_food,
    make_milk,
)

DAY = "2025-03-10"


async def test_log_grams_of_a_food_and_read_the_day(api, user):
    oats = await make_food(api, user)
    entry = await log(api, user, day=DAY, meal="Breakfast", food_id=oats["id"], quantity=60,
                      unit="g", note=" with honey ")  # fmt: skip
    # 60 g of oats: 379 x 0.6 = 227.4 kcal; protein 13.15 x 0.6 = 7.89 g; carbohydrate
    # 67.7 x 0.6 = 40.62 g; fat 6.52 x 0.6 = 3.912 -> 3.91 g; fibre 10.1 x 0.6 = 6.06 g
    assert entry["nutrients"] == {
        "energy_kcal": 227.4, "protein_g": 7.89, "carbohydrate_g": 40.62, "sugars_g": None,
        "fat_g": 3.91, "saturated_fat_g": None, "fibre_g": 6.06, "sodium_mg": None,
    }  # fmt: skip
    assert (entry["meal"], entry["name"], entry["amount"], entry["unit"]) == (
        "breakfast", "Oats", 60.0, "g",
    )  # fmt: skip
    assert entry["note"] == "with honey"

    day = await day_of(api, user, DAY)
    assert [meal["meal"] for meal in day["meals"]] == ["breakfast"]
    assert day["meals"][0]["entries"] == [entry]
    assert day["totals"]["energy_kcal"] == 227.4


async def test_servings_default_units_and_a_day_by_meal_with_totals(api, user):
    oats, milk = await make_food(api, user), await make_milk(api, user)
    # 2 cups of 40 g = 80 g of oats: 379 x 0.8 = 303.2 kcal
    cups = await log(api, user, day=DAY, meal="breakfast", food_id=oats["id"], quantity=2,
                     unit="serving", serving_name="Cup")  # fmt: skip
    assert (cups["amount"], cups["nutrients"]["energy_kcal"], cups["serving_name"]) == (
        80.0, 303.2, "Cup",
    )  # fmt: skip
    # no unit: the food's basis, ml for milk; 200 ml: 50 x 2 = 100 kcal, 3.4 x 2 = 6.8 g protein
    glass = await log(api, user, day=DAY, meal="BREAKFAST", food_id=milk["id"], quantity=200)
    assert (glass["unit"], glass["nutrients"]["energy_kcal"]) == ("ml", 100.0)
    # a custom meal keeps its case; 1 glass of 250 ml = 125 kcal
    late = await log(api, user, day=DAY, meal="  Second   dinner ", food_id=milk["id"],
                     quantity=1, serving_name="glass")  # fmt: skip
    assert (late["meal"], late["unit"], late["nutrients"]["energy_kcal"]) == (
        "Second dinner", "serving", 125.0,
    )  # fmt: skip
    snack = await log(api, user, day=DAY, meal="snack", food_id=oats["id"], quantity=10)

    day = await day_of(api, user, DAY)
    # standard meals in their order first, then your own
    assert [meal["meal"] for meal in day["meals"]] == ["breakfast", "snack", "Second dinner"]
    breakfast = day["meals"][0]
    assert [e["id"] for e in breakfast["entries"]] == [cups["id"], glass["id"]]
    assert [e["position"] for e in breakfast["entries"]] == [0, 1]
    # breakfast: 303.2 + 100 = 403.2 kcal; protein 80 g oats 10.52 + 6.8 = 17.32 g
    assert breakfast["totals"]["energy_kcal"] == 403.2
    assert breakfast["totals"]["protein_g"] == 17.32
    # day: 403.2 + 125 + 10 g oats 37.9 = 566.1 kcal
    assert snack["nutrients"]["energy_kcal"] == 37.9
    assert day["totals"]["energy_kcal"] == 566.1
    assert day["totals"]["sugars_g"] is None  # nobody knows it


async def test_an_empty_day_has_no_meals_and_zero_energy(api, user):
    day = await day_of(api, user, "2025-01-01")
    assert day == {"day": "2025-01-01", "meals": [], "totals": {
        "energy_kcal": 0.0, "protein_g": None, "carbohydrate_g": None, "sugars_g": None,
        "fat_g": None, "saturated_fat_g": None, "fibre_g": None, "sodium_mg": None,
    }}  # fmt: skip


async def test_quick_add(api, user):
    entry = await log(api, user, day=DAY, meal="lunch",
                      quick={"name": "Canteen soup", "energy_kcal": 180, "protein_g": 6})  # fmt: skip
    assert (entry["name"], entry["unit"], entry["quantity"], entry["amount"]) == (
        "Canteen soup", "quick", 1.0, None,
    )  # fmt: skip
    assert (entry["nutrients"]["energy_kcal"], entry["nutrients"]["protein_g"]) == (180.0, 6.0)
    assert entry["nutrients"]["fat_g"] is None
    assert (entry["food_id"], entry["recipe_id"]) == (None, None)


async def test_day_defaults_to_today_in_the_user_s_time_zone(api, user):
    zoned = await api.patch("/api/v1/users/me", json={"timezone": "Pacific/Kiritimati"},
                            headers=user.auth)  # fmt: skip
    assert zoned.status_code == 200, zoned.text
    zone_offset = timedelta(hours=14)  # Kiritimati is UTC+14 all year
    before = (datetime.now(UTC) + zone_offset).date().isoformat()
    entry = await log(api, user, meal="snack", quick={"energy_kcal": 90})
    after = (datetime.now(UTC) + zone_offset).date().isoformat()
    assert entry["day"] in {before, after}


async def test_a_later_food_edit_never_changes_logged_nutrients(api, user):
    oats = await make_food(api, user)
    entry = await log(api, user, day=DAY, meal="breakfast", food_id=oats["id"], quantity=100)
    assert entry["nutrients"]["energy_kcal"] == 379.0
    changed = await api.patch(f"{NUTRITION}/foods/{oats['id']}",
                              json={"per_100": {"energy_kcal": 400, "protein_g": 10}},
                              headers=user.auth)  # fmt: skip
    assert changed.status_code == 200, changed.text
    again = await api.get(f"{ENTRIES}/{entry['id']}", headers=user.auth)
    assert again.json()["nutrients"] == entry["nutrients"]

    # a change of the note keeps them too
    noted = await api.patch(f"{ENTRIES}/{entry['id']}", json={"note": "x"}, headers=user.auth)
    assert noted.json()["nutrients"] == entry["nutrients"]
    # a change of the amount computes them again from the food as it is now: 50 g x 400 = 200 kcal
    halved = await api.patch(f"{ENTRIES}/{entry['id']}", json={"quantity": 50}, headers=user.auth)
    assert halved.status_code == 200, halved.text
    body = halved.json()
    assert (body["nutrients"]["energy_kcal"], body["nutrients"]["protein_g"]) == (200.0, 5.0)
    assert body["nutrients"]["fat_g"] is None  # the edit dropped fat
    assert body["amount"] == 50.0


async def test_edit_moves_to_another_meal_and_switches_food(api, user):
    oats, milk = await make_food(api, user), await make_milk(api, user)
    entry = await log(api, user, day=DAY, meal="breakfast", food_id=oats["id"], quantity=100)
    moved = await api.patch(f"{ENTRIES}/{entry['id']}", json={"meal": "Lunch", "day": "2025-03-11"},
                            headers=user.auth)  # fmt: skip
    assert (moved.json()["meal"], moved.json()["day"]) == ("lunch", "2025-03-11")
    assert moved.json()["nutrients"] == entry["nutrients"]
    # a new food needs its own amount: 300 ml of milk = 150 kcal
    switched = await api.patch(f"{ENTRIES}/{entry['id']}",
                               json={"food_id": milk["id"], "quantity": 300, "unit": "ml"},
                               headers=user.auth)  # fmt: skip
    assert switched.status_code == 200, switched.text
    assert (switched.json()["name"], switched.json()["nutrients"]["energy_kcal"]) == ("Milk", 150.0)
    assert switched.json()["food_id"] == milk["id"]


async def test_delete_an_entry(api, user):
    entry = await log(api, user, day=DAY, meal="lunch", quick={"energy_kcal": 10})
    gone = await api.delete(f"{ENTRIES}/{entry['id']}", headers=user.auth)
    assert gone.status_code == 204
    assert_problem(await api.get(f"{ENTRIES}/{entry['id']}", headers=user.auth), 404,
                   "unknown_entry")  # fmt: skip
    assert (await day_of(api, user, DAY))["meals"] == []


async def test_range_list_is_paginated_newest_first(api, user):
    made = [await log(api, user, day=f"2025-02-0{n}", meal="lunch", quick={"energy_kcal": n})
            for n in range(1, 6)]  # fmt: skip
    first = (await api.get(ENTRIES, params={"from": "2025-02-02", "to": "2025-02-05", "limit": 2},
                           headers=user.auth)).json()  # fmt: skip
    assert [e["id"] for e in first["items"]] == [made[4]["id"], made[3]["id"]]
    second = (await api.get(ENTRIES, params={"from": "2025-02-02", "to": "2025-02-05", "limit": 2,
                                             "cursor": first["next_cursor"]},
                            headers=user.auth)).json()  # fmt: skip
    assert [e["id"] for e in second["items"]] == [made[2]["id"], made[1]["id"]]
    assert second["next_cursor"] is None
    wrong = await api.get(ENTRIES, params={"from": "2025-02-05", "to": "2025-02-01"},
                          headers=user.auth)  # fmt: skip
    assert_problem(wrong, 422)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"quantity": 5001, "unit": "g"}, "implausible_amount", "quantity"),
        ({"quantity": 0.5, "unit": "ml"}, "unit_mismatch", "unit"),
        (
            {"quantity": 1, "unit": "serving", "serving_name": "slice"},
            "unknown_serving",
            "serving_name",
        ),
        (
            {"quantity": 51, "unit": "serving", "serving_name": "cup"},
            "implausible_amount",
            "quantity",
        ),
        ({"quantity": 10, "unit": "g", "meal": "   "}, "validation_failed", "meal"),
        ({"quantity": 10, "unit": "g", "meal": "x" * 41}, "validation_failed", "meal"),
        ({"quantity": 10, "unit": "g", "day": "1899-12-31"}, "implausible_day", "day"),
        ({"unit": "g"}, "missing", "quantity"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(api, shared_user, body, code, field):
    oats = await make_food(api, shared_user)
    response = await api.post(ENTRIES, json={"day": DAY, "meal": "lunch", "food_id": oats["id"],
                                             **body}, headers=shared_user.auth)  # fmt: skip
    problem = assert_problem(response, 422, code)
    assert field in error_fields(problem)
    if code == "unknown_serving":
        assert problem["errors"][0]["servings"] == [{"name": "cup", "amount": 40.0}]


async def test_days_after_tomorrow_are_refused_tomorrow_is_not(api, shared_user):
    today = datetime.now(UTC).date()  # the user's zone is UTC
    far = await api.post(ENTRIES, json={"day": (today + timedelta(days=3)).isoformat(),
                                        "meal": "lunch", "quick": {"energy_kcal": 1}},
                         headers=shared_user.auth)  # fmt: skip
    assert "day" in error_fields(assert_problem(far, 422, "implausible_day"))
    await log(api, shared_user, day=(today + timedelta(days=1)).isoformat(), meal="lunch",
              quick={"energy_kcal": 1})  # fmt: skip
    bad_path = await api.get(f"{NUTRITION}/diary/days/2025-13-01", headers=shared_user.auth)
    assert "day" in error_fields(assert_problem(bad_path, 422))


async def test_exactly_one_thing_eaten(api, shared_user):
    oats = await make_food(api, shared_user)
    both = await api.post(ENTRIES, json={"meal": "lunch", "food_id": oats["id"], "quantity": 1,
                                         "quick": {"energy_kcal": 1}}, headers=shared_user.auth)  # fmt: skip
    assert error_fields(assert_problem(both, 422)) == {"food_id", "quick"}
    none = await api.post(ENTRIES, json={"meal": "lunch"}, headers=shared_user.auth)
    assert_problem(none, 422)


async def test_other_users_foods_and_entries_are_404(api, user, other_user):
    theirs = await make_food(api, other_user)
    entry = await log(api, other_user, day=DAY, meal="lunch", food_id=theirs["id"], quantity=10)
    use = await api.post(ENTRIES, json={"meal": "lunch", "food_id": theirs["id"], "quantity": 10},
                         headers=user.auth)  # fmt: skip
    assert_problem(use, 404, "unknown_food")
    for method in ("get", "delete"):
        response = await getattr(api, method)(f"{ENTRIES}/{entry['id']}", headers=user.auth)
        assert_problem(response, 404, "unknown_entry")
    patch = await api.patch(f"{ENTRIES}/{entry['id']}", json={"note": "mine"}, headers=user.auth)
    assert_problem(patch, 404, "unknown_entry")
    assert (await day_of(api, user, DAY))["meals"] == []
    assert (await day_of(api, other_user, DAY))["meals"][0]["entries"][0]["note"] == ""


async def test_archived_custom_foods_stay_in_history_but_cannot_be_logged(api, user):
    oats = await make_food(api, user)
    entry = await log(api, user, day=DAY, meal="lunch", food_id=oats["id"], quantity=10)
    removed = await api.delete(f"{NUTRITION}/foods/{oats['id']}", headers=user.auth)
    assert removed.status_code == 204, removed.text
    again = await api.post(ENTRIES, json={"meal": "lunch", "food_id": oats["id"], "quantity": 10},
                           headers=user.auth)  # fmt: skip
    assert_problem(again, 404, "unknown_food")
    kept = await api.get(f"{ENTRIES}/{entry['id']}", headers=user.auth)
    assert kept.json()["food_id"] == oats["id"]
    assert kept.json()["nutrients"]["energy_kcal"] == 37.9  # 379 x 0.1


async def test_day_totals_and_range_totals_are_summed_per_day_in_sql(api, server, user):
    from fithub.core.nutrition import diary
    from tests.integration.telemetry.server_db import server_db

    await log(api, user, day="2025-06-01", meal="lunch",
              quick={"energy_kcal": 300, "protein_g": 20})  # fmt: skip
    await log(api, user, day="2025-06-01", meal="dinner",
              quick={"energy_kcal": 450.5, "fat_g": 10})  # fmt: skip
    await log(api, user, day="2025-06-03", meal="lunch", quick={"energy_kcal": 100})
    async with server_db(server):
        first = await diary.day_totals(user.id, date(2025, 6, 1))
        empty = await diary.day_totals(user.id, date(2025, 6, 2))
        spread = await diary.range_totals(user.id, date(2025, 6, 1), date(2025, 6, 3))
    # 300 + 450.5 = 750.5 kcal; protein known only at lunch (20), fat only at dinner (10)
    assert (first["energy_kcal"], first["protein_g"], first["fat_g"]) == (750.5, 20.0, 10.0)
    assert first["sugars_g"] is None
    assert empty["energy_kcal"] == 0.0 and empty["protein_g"] is None
    assert sorted(spread) == [date(2025, 6, 1), date(2025, 6, 3)]
    assert spread[date(2025, 6, 1)] == first
    assert spread[date(2025, 6, 3)]["energy_kcal"] == 100.0


async def test_edit_from_servings_to_grams_and_of_an_archived_food(api, user):
    oats = await make_food(api, user)
    entry = await log(
        api, user, day=DAY, meal="lunch", food_id=oats["id"], quantity=1, serving_name="cup"
    )
    assert entry["nutrients"]["energy_kcal"] == 151.6  # 40 g x 3.79
    grams = await api.patch(
        f"{ENTRIES}/{entry['id']}", json={"quantity": 20, "unit": "g"}, headers=user.auth
    )
    assert grams.status_code == 200, grams.text
    # 20 g x 3.79 = 75.8 kcal; the serving name goes with the serving unit
    assert (grams.json()["nutrients"]["energy_kcal"], grams.json()["serving_name"]) == (75.8, None)
    await api.delete(f"{NUTRITION}/foods/{oats['id']}", headers=user.auth)
    # the food is archived: its old entry may still be measured again (30 g x 3.79 = 113.7)
    again = await api.patch(f"{ENTRIES}/{entry['id']}", json={"quantity": 30}, headers=user.auth)
    assert again.status_code == 200, again.text
    assert again.json()["nutrients"]["energy_kcal"] == 113.7


async def test_log_a_source_food_by_its_source_id(api, user):
    # Butter, salted (SR28 01001, the built-in table): 717 kcal, 0.85 g protein per 100 g;
    # 1 tbsp is 14.2 g: 717 x 0.142 = 101.814 -> 101.8 kcal, 0.85 x 0.142 = 0.1207 -> 0.12 g
    entry = await log(
        api, user, day=DAY, meal="breakfast", source="builtin", source_id="01001",
        quantity=1, serving_name="1 tbsp",
    )  # fmt: skip
    assert (entry["name"], entry["amount"]) == ("Butter, salted", 14.2)
    assert (entry["nutrients"]["energy_kcal"], entry["nutrients"]["protein_g"]) == (101.8, 0.12)
    assert entry["food_id"] is not None
    both = await api.post(
        ENTRIES,
        json={"meal": "lunch", "source": "builtin", "source_id": "01001",
              "food_id": entry["food_id"], "quantity": 1},
        headers=user.auth,
    )  # fmt: skip
    assert "source_id" in error_fields(assert_problem(both, 422))
    unknown = await api.post(
        ENTRIES,
        json={"meal": "lunch", "source": "nowhere", "source_id": "1", "quantity": 1},
        headers=user.auth,
    )  # fmt: skip
    assert unknown.status_code == 404, unknown.text
