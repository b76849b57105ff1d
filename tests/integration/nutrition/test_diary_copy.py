"""Copying a day or a meal: frozen nutrients travel, positions follow, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.helpers import assert_problem, error_fields
from tests.integration.nutrition.diary_helpers import NUTRITION, day_of, log, make_food

COPY = f"{NUTRITION}/diary/copy"


async def test_copy_a_day_keeps_frozen_nutrients_and_meals(api, user):
    oats = await make_food(api, user)
    await log(api, user, day="2025-04-01", meal="breakfast", food_id=oats["id"], quantity=100)
    await log(api, user, day="2025-04-01", meal="Elevenses", quick={"energy_kcal": 120})
    # the food changes after logging: the copy keeps 379 kcal, not 500
    await api.patch(f"{NUTRITION}/foods/{oats['id']}", json={"per_100": {"energy_kcal": 500}},
                    headers=user.auth)  # fmt: skip
    already = await log(api, user, day="2025-04-02", meal="breakfast", quick={"energy_kcal": 5})

    response = await api.post(COPY, json={"from_day": "2025-04-01", "to_day": "2025-04-02"},
                              headers=user.auth)  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["copied"] == 2

    target = await day_of(api, user, "2025-04-02")
    breakfast, elevenses = target["meals"]
    assert [e["id"] for e in breakfast["entries"]][0] == already["id"]
    copied = breakfast["entries"][1]
    assert (copied["name"], copied["nutrients"]["energy_kcal"], copied["position"]) == (
        "Oats", 379.0, 1,
    )  # fmt: skip
    assert elevenses["meal"] == "Elevenses"
    assert target["totals"]["energy_kcal"] == 504.0  # 5 + 379 + 120
    # the source day is unchanged
    assert (await day_of(api, user, "2025-04-01"))["totals"]["energy_kcal"] == 499.0


async def test_copy_one_meal_into_another(api, user):
    await log(api, user, day="2025-04-01", meal="lunch", quick={"energy_kcal": 300})
    await log(api, user, day="2025-04-01", meal="dinner", quick={"energy_kcal": 700})
    response = await api.post(COPY, json={"from_day": "2025-04-01", "to_day": "2025-04-01",
                                          "meal": "Lunch", "to_meal": "dinner"},
                              headers=user.auth)  # fmt: skip
    assert response.json()["copied"] == 1
    day = await day_of(api, user, "2025-04-01")
    assert [(m["meal"], m["totals"]["energy_kcal"]) for m in day["meals"]] == [
        ("lunch", 300.0), ("dinner", 1000.0),
    ]  # fmt: skip


async def test_copy_refuses_far_days_and_to_meal_alone(api, shared_user):
    far = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    response = await api.post(COPY, json={"from_day": "2025-04-01", "to_day": far},
                              headers=shared_user.auth)  # fmt: skip
    assert "to_day" in error_fields(assert_problem(response, 422, "implausible_day"))
    lonely = await api.post(COPY, json={"from_day": "2025-04-01", "to_day": "2025-04-02",
                                        "to_meal": "lunch"}, headers=shared_user.auth)  # fmt: skip
    assert "to_meal" in error_fields(assert_problem(lonely, 422))


async def test_copy_sees_only_your_own_entries(api, user, other_user):
    await log(api, other_user, day="2025-04-01", meal="lunch", quick={"energy_kcal": 300})
    response = await api.post(COPY, json={"from_day": "2025-04-01", "to_day": "2025-04-02"},
                              headers=user.auth)  # fmt: skip
    assert response.json() == {"copied": 0, "entries": []}
    assert (await day_of(api, user, "2025-04-02"))["meals"] == []
