"""Nutrition goals in the goals feature: a daily average of a nutrient over a window of days,
judged once the window is over (days with no entries count as 0; see docs/api.md)."""

from __future__ import annotations

import pytest

from tests.conftest import sign_up
from tests.integration.helpers import assert_problem, error_fields
from tests.integration.nutrition.diary_seed import entry, seed_entries
from tests.integration.progress.test_goals import achieved_events, create_goal, get_goal

GOALS = "/api/v1/goals"
WINDOW = {"kind": "nutrition", "window_days": 7, "starts_on": "2024-01-01"}


async def test_an_average_over_a_finished_window_is_achieved_at_its_end(api, server, other_user):
    user = await sign_up(api, timezone="Europe/Berlin")
    # 1 to 6 January: 120 g protein and 1800 kcal a day (the 3rd in two entries); nothing on the 7th.
    days = [f"2024-01-0{d}" for d in (1, 2, 4, 5, 6)]
    await seed_entries(server, user.id, [
        *(entry(day, energy_kcal=1800, protein_g=120) for day in days),
        entry("2024-01-03", "breakfast", energy_kcal=800, protein_g=50),
        entry("2024-01-03", "dinner", energy_kcal=1000, protein_g=70),
    ])  # fmt: skip
    await seed_entries(server, other_user.id, [entry("2024-01-07", protein_g=1000)])

    enough = await create_goal(
        api, user, **WINDOW, metric="protein_g", comparison="at_least", target_value=100
    )
    # Average over all 7 days, the empty 7th as 0: 6 x 120 / 7 = 102.857 g >= 100 g.
    assert enough["current_value"] == 102.86 and enough["unit"] == "g"
    assert (enough["metric"], enough["comparison"], enough["window_days"]) == (
        "protein_g", "at_least", 7
    )  # fmt: skip
    assert enough["due_on"] == "2024-01-07" and enough["progress"] == 1.0
    # Achieved when the window ended: midnight after 7 January in Berlin = 23:00 UTC.
    assert enough["achieved"] and enough["status"] == "achieved"
    assert enough["achieved_at"].startswith("2024-01-07T23:00:00")

    short = await create_goal(
        api, user, **WINDOW, metric="protein_g", comparison="at_least", target_value=110
    )
    # 102.857 / 110 = 0.93506 of the way; the window is over, so the goal expired.
    assert (short["achieved"], short["status"], short["progress"]) == (False, "expired", 0.9351)

    ceiling = await create_goal(
        api, user, **WINDOW, metric="energy_kcal", comparison="at_most", target_value=2000
    )
    # 6 x 1800 / 7 = 1542.86 kcal is under 2000, but the 7th has no entry: an empty diary
    # would meet any ceiling, so an at_most goal needs every day logged.
    assert ceiling["current_value"] == 1542.86 and ceiling["unit"] == "kcal"
    assert (ceiling["achieved"], ceiling["status"], ceiling["progress"]) == (False, "expired", 1.0)

    await seed_entries(server, user.id, [entry("2024-01-07", energy_kcal=2500)])
    # Now (6 x 1800 + 2500) / 7 = 13300 / 7 = 1900 kcal <= 2000, every day logged.
    judged = await get_goal(api, user, ceiling["id"])
    assert judged["current_value"] == 1900 and judged["achieved"]
    assert judged["achieved_at"].startswith("2024-01-07T23:00:00")
    # The protein goal was judged already; the energy-only entry leaves its average as it was.
    assert (await get_goal(api, user, enough["id"]))["current_value"] == 102.86
    events = await achieved_events(server, user)
    assert sorted(e["goal_id"] for e in events) == sorted([enough["id"], ceiling["id"]])

    listed = await api.get(GOALS, headers=user.auth, params={"kind": "nutrition"})
    assert {g["id"] for g in listed.json()["items"]} == {enough["id"], short["id"], ceiling["id"]}


async def test_a_window_not_yet_open_has_no_value(api, shared_user):
    goal = await create_goal(
        api, shared_user, kind="nutrition", metric="fibre_g", comparison="at_least",
        target_value=30, window_days=28, starts_on="2099-01-01",
    )  # fmt: skip
    assert (goal["current_value"], goal["progress"], goal["status"]) == (None, 0.0, "active")
    assert goal["due_on"] == "2099-01-28"  # 1 January + 28 days - 1
    moved = await api.patch(
        f"{GOALS}/{goal['id']}", headers=shared_user.auth, json={"starts_on": "2099-02-01"}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["due_on"] == "2099-02-28"
    response = await api.patch(
        f"{GOALS}/{goal['id']}", headers=shared_user.auth, json={"due_on": "2099-03-01"}
    )
    assert error_fields(assert_problem(response, 422)) == {"due_on"}


NUTRITION = {
    "kind": "nutrition",
    "metric": "protein_g",
    "comparison": "at_least",
    "window_days": 28,
}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**NUTRITION, "comparison": None}, {"comparison"}),
        ({**NUTRITION, "window_days": None}, {"window_days"}),
        ({**NUTRITION, "window_days": 6}, {"window_days"}),
        ({**NUTRITION, "window_days": 366}, {"window_days"}),
        ({**NUTRITION, "comparison": "exactly"}, {"comparison"}),
        ({**NUTRITION, "metric": None}, {"metric"}),
        ({**NUTRITION, "metric": "weight"}, {"metric"}),
        ({**NUTRITION, "metric": "vitamin_c_mg"}, {"metric"}),
        ({**NUTRITION, "due_on": "2030-01-01"}, {"due_on"}),
        ({**NUTRITION, "metric": "energy_kcal", "target_value": 20_000}, {"target_value"}),
        ({**NUTRITION, "unit": "lb"}, {"unit"}),
        ({"kind": "body_metric", "metric": "protein_g"}, {"metric"}),
        ({"kind": "streak", "comparison": "at_least"}, {"comparison"}),
        ({"kind": "streak", "window_days": 28}, {"window_days"}),
    ],
)
async def test_invalid_nutrition_goals_are_422_naming_the_field(api, shared_user, body, fields):
    body = {"title": "Eat well", "target_value": 150, **body}
    response = await api.post(GOALS, headers=shared_user.auth, json=body)
    problem = assert_problem(response, 422)
    assert fields <= error_fields(problem), problem
