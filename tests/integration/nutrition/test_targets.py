"""Daily nutrition targets through the running server: read, replace, bounds."""

from __future__ import annotations

import pytest

from tests.integration.helpers import assert_problem

URL = "/api/v1/nutrition/targets"
NONE = dict.fromkeys(("energy_kcal", "protein_g", "carbohydrate_g", "fat_g", "fibre_g"))


async def test_targets_start_empty_and_put_replaces_all_five(api, user):
    response = await api.get(URL, headers=user.auth)
    assert response.status_code == 200, response.text
    assert response.json() == NONE

    full = {
        "energy_kcal": 2400,
        "protein_g": 150,
        "carbohydrate_g": 280,
        "fat_g": 80,
        "fibre_g": 30,
    }
    saved = await api.put(URL, headers=user.auth, json=full)
    assert saved.status_code == 200, saved.text
    assert saved.json() == full
    assert (await api.get(URL, headers=user.auth)).json() == full

    # PUT replaces: the targets left out are removed.
    saved = await api.put(URL, headers=user.auth, json={"protein_g": 0, "energy_kcal": 500})
    assert saved.json() == {**NONE, "protein_g": 0, "energy_kcal": 500}
    assert (await api.get(URL, headers=user.auth)).json() == saved.json()


async def test_targets_are_each_users_own(api, user, other_user):
    await api.put(URL, headers=user.auth, json={"energy_kcal": 3000})
    assert (await api.get(URL, headers=other_user.auth)).json() == NONE


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"energy_kcal": 499}, "energy_kcal"),
        ({"energy_kcal": 10_001}, "energy_kcal"),
        ({"protein_g": -1}, "protein_g"),
        ({"fat_g": 1000.5}, "fat_g"),
        ({"fibre_g": "lots"}, "fibre_g"),
        ({"sugars_g": 50}, "sugars_g"),  # no target for sugars
    ],
)
async def test_out_of_range_targets_are_problem_details_and_nothing_changes(
    api, shared_user, body, field
):
    await api.put(URL, headers=shared_user.auth, json={"energy_kcal": 2000})
    response = await api.put(URL, headers=shared_user.auth, json=body)
    problem = assert_problem(response, 422, "validation_failed")
    assert field in {error["field"] for error in problem["errors"]}, problem
    assert (await api.get(URL, headers=shared_user.auth)).json() == {**NONE, "energy_kcal": 2000}


async def test_targets_need_a_signed_in_user(api):
    assert_problem(await api.get(URL), 401)
    assert_problem(await api.put(URL, json={"energy_kcal": 2000}), 401)
