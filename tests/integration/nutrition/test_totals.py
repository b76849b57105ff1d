"""Daily and weekly nutrient totals through the running server, against targets, with the
percent of energy per macronutrient and grams per kg of body weight (worked by hand below)."""

from __future__ import annotations

from tests.integration.helpers import assert_problem
from tests.integration.nutrition.diary_seed import entry, seed_entries

V1 = "/api/v1"
DAILY = f"{V1}/nutrition/totals/daily"
WEEKLY = f"{V1}/nutrition/totals/weekly"
ZERO = dict.fromkeys(
    ("energy_kcal", "protein_g", "carbohydrate_g", "sugars_g",
     "fat_g", "saturated_fat_g", "fibre_g", "sodium_mg"), 0.0,
)  # fmt: skip
TARGETS = {"energy_kcal": 2000, "protein_g": 150, "carbohydrate_g": 250, "fat_g": 70}


async def _get(api, who, url, **params):
    response = await api.get(url, headers=who.auth, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _weight(api, who, kg, at):
    body = {"kind": "weight", "value": kg, "unit": "kg", "measured_at": at}
    response = await api.post(f"{V1}/body-metrics", headers=who.auth, json=body)
    assert response.status_code == 201, response.text


async def test_daily_totals_against_targets_energy_shares_and_grams_per_kg(
    api, server, user, other_user
):
    assert (await api.put(f"{V1}/nutrition/targets", headers=user.auth, json=TARGETS)).is_success
    await seed_entries(server, user.id, [
        entry("2024-03-04", "breakfast", energy_kcal=500, protein_g=30, carbohydrate_g=60,
              sugars_g=10, fat_g=10, saturated_fat_g=3, fibre_g=5, sodium_mg=400),
        entry("2024-03-04", "dinner", energy_kcal=700, protein_g=40, carbohydrate_g=50,
              fat_g=30, saturated_fat_g=10, fibre_g=3, sodium_mg=600),  # sugars unknown
        entry("2024-03-05", energy_kcal=300, protein_g=20),
    ])  # fmt: skip
    await seed_entries(server, other_user.id, [entry("2024-03-04", energy_kcal=9000)])
    await _weight(api, user, 70, "2024-03-03T08:00:00Z")
    await _weight(api, user, 78, "2024-03-05T07:00:00Z")

    body = await _get(api, user, DAILY, **{"from": "2024-03-02", "to": "2024-03-05"})
    assert (body["first_day"], body["last_day"]) == ("2024-03-02", "2024-03-05")
    assert body["targets"] == {**TARGETS, "fibre_g": None}
    days = {day["day"]: day for day in body["days"]}
    assert list(days) == ["2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05"]

    # A day with nothing logged: zeros, the whole target remaining, no shares, no weight yet.
    empty = days["2024-03-02"]
    assert empty["entries"] == 0 and empty["totals"] == ZERO
    assert empty["targets"]["energy_kcal"] == {"target": 2000, "remaining": 2000, "percent": 0}
    assert empty["energy_percent"] == {"protein": None, "carbohydrate": None, "fat": None}
    assert empty["per_kg"] is None
    assert days["2024-03-03"]["per_kg"] == {  # weighed that morning: 70 kg, nothing eaten
        "weight_kg": 70, "protein_g": 0, "carbohydrate_g": 0, "fat_g": 0
    }  # fmt: skip

    monday = days["2024-03-04"]
    assert monday["entries"] == 2  # the other user's 9000 kcal are not hers
    # 500 + 700 kcal; protein 30 + 40; carbohydrate 60 + 50; sugars 10 + unknown (0);
    # fat 10 + 30; saturated 3 + 10; fibre 5 + 3; sodium 400 + 600.
    assert monday["totals"] == {
        "energy_kcal": 1200, "protein_g": 70, "carbohydrate_g": 110, "sugars_g": 10,
        "fat_g": 40, "saturated_fat_g": 13, "fibre_g": 8, "sodium_mg": 1000,
    }  # fmt: skip
    assert monday["targets"] == {  # no fibre target, so no fibre line
        "energy_kcal": {"target": 2000, "remaining": 800, "percent": 60.0},  # 1200 / 2000
        "protein_g": {"target": 150, "remaining": 80, "percent": 46.67},  # 70 / 150 = 0.46667
        "carbohydrate_g": {"target": 250, "remaining": 140, "percent": 44.0},  # 110 / 250
        "fat_g": {"target": 70, "remaining": 30, "percent": 57.14},  # 40 / 70 = 0.571429
    }
    # Energy of the macros: protein 70 x 4 = 280, carbohydrate 110 x 4 = 440, fat 40 x 9 = 360,
    # together 1080 kcal: 280/1080 = 25.93 %, 440/1080 = 40.74 %, 360/1080 = 33.33 %.
    assert monday["energy_percent"] == {"protein": 25.93, "carbohydrate": 40.74, "fat": 33.33}
    # The latest weight on or before Monday is Sunday's 70 kg: 70/70, 110/70 = 1.571, 40/70 = 0.571.
    assert monday["per_kg"] == {
        "weight_kg": 70, "protein_g": 1.0, "carbohydrate_g": 1.57, "fat_g": 0.57
    }  # fmt: skip

    tuesday = days["2024-03-05"]
    assert tuesday["totals"] == {**ZERO, "energy_kcal": 300, "protein_g": 20}
    assert tuesday["energy_percent"] == {"protein": 100.0, "carbohydrate": 0.0, "fat": 0.0}
    # Weighed 78 kg that morning: 20 / 78 = 0.2564.
    assert tuesday["per_kg"] == {
        "weight_kg": 78, "protein_g": 0.26, "carbohydrate_g": 0, "fat_g": 0
    }  # fmt: skip


async def test_weekly_totals_follow_iso_weeks_across_the_new_year(api, server, user):
    assert (await api.put(f"{V1}/nutrition/targets", headers=user.auth, json=TARGETS)).is_success
    await seed_entries(server, user.id, [
        entry("2024-12-28", energy_kcal=2100, protein_g=100, carbohydrate_g=200, fat_g=80),
        entry("2024-12-29", energy_kcal=1900, protein_g=140, carbohydrate_g=180, fat_g=60),
        entry("2024-12-30", energy_kcal=2500, protein_g=160, carbohydrate_g=300, fat_g=70),
        entry("2025-01-05", energy_kcal=1500, protein_g=90, carbohydrate_g=150, fat_g=50),
        entry("2025-01-06", energy_kcal=9999),  # 2025-W02: outside the weeks asked for
    ])  # fmt: skip

    # Sunday 29 December 2024 ends ISO week 2024-W52; Monday 30 December starts 2025-W01.
    body = await _get(api, user, WEEKLY, **{"from": "2024-12-29", "to": "2024-12-30"})
    assert (body["first_day"], body["last_day"]) == ("2024-12-23", "2025-01-05")
    w52, w01 = body["weeks"]
    assert (w52["week"], w52["starts_on"], w52["ends_on"]) == (
        "2024-W52",
        "2024-12-23",
        "2024-12-29",
    )
    assert (w01["week"], w01["starts_on"], w01["ends_on"]) == (
        "2025-W01",
        "2024-12-30",
        "2025-01-05",
    )

    # W52: 28th and 29th. Energy 2100 + 1900 = 4000, protein 100 + 140 = 240,
    # carbohydrate 200 + 180 = 380, fat 80 + 60 = 140; averages over the 2 logged days.
    assert w52["logged_days"] == 2
    assert w52["totals"] == {
        **ZERO, "energy_kcal": 4000, "protein_g": 240, "carbohydrate_g": 380, "fat_g": 140
    }  # fmt: skip
    assert w52["average_per_logged_day"] == {
        **ZERO, "energy_kcal": 2000, "protein_g": 120, "carbohydrate_g": 190, "fat_g": 70
    }  # fmt: skip
    # Weekly targets are 7 x daily: 14000 kcal (4000 / 14000 = 28.57 %), 1050 g protein
    # (240 / 1050 = 22.86 %).
    assert w52["targets"]["energy_kcal"] == {"target": 14000, "remaining": 10000, "percent": 28.57}
    assert w52["targets"]["protein_g"] == {"target": 1050, "remaining": 810, "percent": 22.86}

    # W01: 30th and 5 January (not 6 January). 2500 + 1500 = 4000 kcal, protein 160 + 90 = 250,
    # carbohydrate 300 + 150 = 450, fat 70 + 50 = 120.
    assert w01["logged_days"] == 2
    assert w01["totals"] == {
        **ZERO, "energy_kcal": 4000, "protein_g": 250, "carbohydrate_g": 450, "fat_g": 120
    }  # fmt: skip
    assert w01["average_per_logged_day"]["protein_g"] == 125
    # 250 x 4 = 1000, 450 x 4 = 1800, 120 x 9 = 1080 kcal of 3880: 25.77 %, 46.39 %, 27.84 %.
    assert w01["energy_percent"] == {"protein": 25.77, "carbohydrate": 46.39, "fat": 27.84}

    # A week with nothing logged has no average.
    later = await _get(api, user, WEEKLY, **{"from": "2025-02-03", "to": "2025-02-09"})
    (empty,) = later["weeks"]
    assert empty["logged_days"] == 0 and empty["average_per_logged_day"] is None


async def test_totals_refuse_bad_ranges(api, shared_user):
    for url in (DAILY, WEEKLY):
        for params in (
            {"from": "2024-03-05", "to": "2024-03-04"},  # backwards
            {"from": "2024-01-01", "to": "2025-01-01"},  # 367 days (2024 is a leap year)
            {"from": "2024-01-01"},  # `to` missing
            {"from": "yesterday", "to": "2024-01-01"},
        ):
            response = await api.get(url, headers=shared_user.auth, params=params)
            assert_problem(response, 422, "validation_failed")
        fine = {"from": "2024-01-01", "to": "2024-12-31"}  # 366 days
        assert (await api.get(url, headers=shared_user.auth, params=fine)).status_code == 200
        assert_problem(await api.get(url, params=fine), 401)
