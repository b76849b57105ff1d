"""A trainer reads a client's food diary and totals only while the client shares nutrition."""

from __future__ import annotations

from tests.integration.coaching_world import coach, make_trainer
from tests.integration.helpers import assert_problem
from tests.integration.nutrition.diary_seed import entry, seed_entries

V1 = "/api/v1"
DAYS = {"from": "2024-05-01", "to": "2024-05-02"}


async def test_the_diary_is_shown_only_while_shared(api, server, user, other_user):
    trainer = await make_trainer(api)
    relation_id = await coach(api, trainer, user)  # the defaults: nutrition not shared
    await seed_entries(server, user.id, [
        entry("2024-05-01", "breakfast", name="Oats", energy_kcal=380, protein_g=13),
        entry("2024-05-01", "lunch", name="Soup", energy_kcal=220, protein_g=9),
        entry("2024-05-03", "lunch", name="Outside the range", energy_kcal=999),
    ])  # fmt: skip
    diary = f"{V1}/coaching/clients/{user.id}/nutrition/diary"
    totals = f"{V1}/coaching/clients/{user.id}/nutrition/totals/daily"

    async def refused(url: str) -> str:
        return assert_problem(await api.get(url, headers=trainer.auth, params=DAYS), 404)["detail"]

    # Not shared, not a client, no such user: the same 404, so ids cannot be probed.
    details = {
        await refused(diary),
        await refused(totals),
        await refused(f"{V1}/coaching/clients/{other_user.id}/nutrition/diary"),
        await refused(f"{V1}/coaching/clients/{2**31 - 1}/nutrition/totals/daily"),
    }
    assert len(details) == 1, details

    shared = await api.patch(
        f"{V1}/coaching/relations/{relation_id}/share", headers=user.auth, json={"nutrition": True}
    )
    assert shared.status_code == 200, shared.text
    assert shared.json()["share"]["nutrition"] is True

    read = await api.get(diary, headers=trainer.auth, params=DAYS)
    assert read.status_code == 200, read.text
    body = read.json()
    assert (body["first_day"], body["last_day"]) == ("2024-05-01", "2024-05-02")
    (day,) = body["days"]  # only days with entries, and only inside the range
    assert day["day"] == "2024-05-01"
    assert [(e["name"], e["meal"], e["nutrients"]["energy_kcal"]) for e in day["entries"]] == [
        ("Oats", "breakfast", 380),
        ("Soup", "lunch", 220),
    ]
    read = await api.get(totals, headers=trainer.auth, params=DAYS)
    assert read.status_code == 200, read.text
    first, second = read.json()["days"]
    # 380 + 220 = 600 kcal, 13 + 9 = 22 g protein on the 1st; nothing on the 2nd.
    assert (first["totals"]["energy_kcal"], first["totals"]["protein_g"]) == (600, 22)
    assert (second["entries"], second["totals"]["energy_kcal"]) == (0, 0)

    # Another trainer, or the client themself, cannot use the trainer's view.
    assert_problem(await api.get(diary, headers=user.auth, params=DAYS), 403)

    await api.patch(
        f"{V1}/coaching/relations/{relation_id}/share", headers=user.auth, json={"nutrition": False}
    )
    assert await refused(diary) in details and await refused(totals) in details

    await api.patch(
        f"{V1}/coaching/relations/{relation_id}/share", headers=user.auth, json={"nutrition": True}
    )
    assert (await api.get(diary, headers=trainer.auth, params=DAYS)).status_code == 200
    ended = await api.post(f"{V1}/coaching/relations/{relation_id}/end", headers=user.auth)
    assert ended.status_code == 200, ended.text
    assert await refused(diary) in details


async def test_a_client_can_share_nutrition_when_accepting(api, server, user):
    trainer = await make_trainer(api)
    await coach(api, trainer, user, nutrition=True)
    await seed_entries(server, user.id, [entry("2024-05-02", name="Apple", energy_kcal=52)])
    read = await api.get(
        f"{V1}/coaching/clients/{user.id}/nutrition/diary", headers=trainer.auth, params=DAYS
    )
    assert read.status_code == 200, read.text
    assert [e["name"] for d in read.json()["days"] for e in d["entries"]] == ["Apple"]
    bad = {"from": "2024-05-02", "to": "2024-05-01"}
    response = await api.get(
        f"{V1}/coaching/clients/{user.id}/nutrition/diary", headers=trainer.auth, params=bad
    )
    assert_problem(response, 422, "validation_failed")
