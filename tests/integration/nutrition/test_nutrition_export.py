"""The food diary as CSV through the running server: columns, values, range, defused text."""

from __future__ import annotations

import csv
import io

from tests.integration.helpers import assert_problem
from tests.integration.nutrition.diary_seed import entry, seed_entries

URL = "/api/v1/nutrition/diary/export.csv"
HEADER = [
    "day", "meal", "name", "quantity", "unit", "serving_name", "amount", "energy_kcal",
    "protein_g", "carbohydrate_g", "sugars_g", "fat_g", "saturated_fat_g", "fibre_g",
    "sodium_mg", "note",
]  # fmt: skip


async def _csv(api, who, **params):
    response = await api.get(URL, headers=who.auth, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="diary.csv"'
    reader = csv.reader(io.StringIO(response.text))
    header, *rows = list(reader)
    return header, rows


async def test_the_diary_csv_has_a_row_per_entry_in_the_range(api, server, user, other_user):
    await seed_entries(server, user.id, [
        entry("2024-06-01", "breakfast", name="Porridge oats", quantity=2, unit="serving",
              serving_name="1 cup", amount=80, energy_kcal=303.2, protein_g=10.5,
              carbohydrate_g=54.1, sugars_g=0.8, fat_g=5.3, saturated_fat_g=0.9,
              fibre_g=8.5, sodium_mg=1.6, note="with water"),
        entry("2024-06-01", "=cmd|' /C calc'!A0", name="@SUM(A1:A9)", quantity=100, unit="g",
              amount=100, energy_kcal=52, note="+1 apple"),
        entry("2024-06-02", "dinner", name="Quick add", energy_kcal=700, protein_g=40),
        entry("2024-06-03", "dinner", name="After the range", energy_kcal=1),
    ])  # fmt: skip
    await seed_entries(server, other_user.id, [entry("2024-06-01", name="Not hers")])

    header, rows = await _csv(api, user, **{"from": "2024-06-01", "to": "2024-06-02"})
    assert header == HEADER
    assert rows == [
        ["2024-06-01", "breakfast", "Porridge oats", "2.0", "serving", "1 cup", "80.0", "303.2",
         "10.5", "54.1", "0.8", "5.3", "0.9", "8.5", "1.6", "with water"],
        # Text a spreadsheet would run as a formula starts with an apostrophe; unknown is empty.
        ["2024-06-01", "'=cmd|' /C calc'!A0", "'@SUM(A1:A9)", "100.0", "g", "", "100.0", "52.0",
         "", "", "", "", "", "", "", "'+1 apple"],
        ["2024-06-02", "dinner", "Quick add", "1.0", "quick", "", "", "700.0",
         "40.0", "", "", "", "", "", "", ""],
    ]  # fmt: skip

    header, rows = await _csv(api, user, **{"from": "2030-01-01", "to": "2030-01-31"})
    assert header == HEADER and rows == []  # the header even with no rows


async def test_the_diary_csv_refuses_bad_ranges_and_strangers(api, shared_user):
    for params in (
        {"from": "2024-06-02", "to": "2024-06-01"},
        {"from": "2023-01-01", "to": "2024-01-01"},  # 366 days: fine
        {"from": "2023-01-01", "to": "2024-01-02"},  # 367 days
    ):
        response = await api.get(URL, headers=shared_user.auth, params=params)
        if params["to"] == "2024-01-01":
            assert response.status_code == 200, response.text
        else:
            assert_problem(response, 422, "validation_failed")
    assert_problem(await api.get(URL, params={"from": "2024-06-01", "to": "2024-06-02"}), 401)
