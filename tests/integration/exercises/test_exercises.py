"""The exercise catalog through the real server: the shipped catalog, search, suggest, filters, custom
exercises and who may see or change them. The same expectations hold on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from fithub.core.exercises.catalog import load_catalog
from fithub.core.exercises.search import Candidate, normalise, rank
from tests.conftest import Account, sign_up
from tests.integration.helpers import assert_problem, error_fields, random_address
from tests.support import FithubServer

V1 = "/api/v1"


@pytest.fixture(scope="module")
async def reader(server: FithubServer) -> Account:
    """One account for the tests that only read (each sign-up costs a password hash)."""
    headers = {"X-Forwarded-For": random_address()}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=30) as client:
        return await sign_up(client)


async def all_pages(api: httpx.AsyncClient, account: Account, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 100, **({"cursor": cursor} if cursor else {})}
        response = await api.get(f"{V1}/exercises", headers=account.auth, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def search(api: httpx.AsyncClient, account: Account, q: str, **params: Any) -> list[str]:
    response = await api.get(f"{V1}/exercises", headers=account.auth, params={"q": q, "limit": 100, **params})
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def expected(q: str) -> list[str]:
    """What the shared ranker makes of the shipped catalog: every backend must answer the same."""
    candidates = [Candidate(i, e.name, e.aliases, e.popularity) for i, e in enumerate(load_catalog())]
    return [m.candidate.name for m in rank(q, candidates)]


async def create(api: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    payload = {"name": f"Custom {uuid.uuid4().hex[:8]}", "type": "strength",
               "primary_muscles": ["chest"], **body}
    response = await api.post(f"{V1}/exercises", headers=account.auth, json=payload)
    assert response.status_code == 201, response.text
    return response.json()


# -- the catalog --------------------------------------------------------------------------------


async def test_the_catalog_is_there_after_migrate_and_listed_by_name(api, reader):
    items = await all_pages(api, reader)
    assert len(items) >= 150
    names = [item["name"] for item in items]
    assert len(set(names)) == len(names)
    assert names == sorted(names, key=lambda name: (normalise(name), name))
    for required in ("Squat", "Deadlift", "Bench Press", "Push-up", "Lunge", "Sit-up",
                     "Jumping Jack", "Running", "Cycling", "Rowing"):
        assert required in names
    squat = next(item for item in items if item["name"] == "Squat")
    assert squat["slug"] == "squat" and "Back Squat" in squat["aliases"]
    assert (squat["custom"], squat["owned"], squat["owner_id"], squat["visibility"]) == (
        False, False, None, "public")
    assert {"quadriceps", "glutes"} <= set(squat["primary_muscles"]) and squat["instructions"]


async def test_one_exercise_by_id(api, reader):
    squat = (await api.get(f"{V1}/exercises", headers=reader.auth, params={"q": "squat"})).json()["items"][0]
    response = await api.get(f"{V1}/exercises/{squat['id']}", headers=reader.auth)
    assert response.status_code == 200 and response.json() == squat
    assert_problem(await api.get(f"{V1}/exercises/999999999", headers=reader.auth), 404, "not_found")


async def test_vocabularies(api, reader):
    muscles = (await api.get(f"{V1}/exercises/muscles", headers=reader.auth)).json()["items"]
    assert [m["value"] for m in muscles][:3] == ["chest", "back", "lats"]
    assert {"lower_back", "hip_flexors", "full_body", "cardio"} <= {m["value"] for m in muscles}
    assert all(m["label"] for m in muscles)
    equipment = (await api.get(f"{V1}/exercises/equipment", headers=reader.auth)).json()["items"]
    assert {"barbell", "dumbbell", "kettlebell", "machine", "cable", "bodyweight", "band", "bench",
            "pull_up_bar", "cardio_machine", "none"} <= {e["value"] for e in equipment}


async def test_the_api_needs_a_token(api):
    for path in ("/exercises", "/exercises/muscles", "/exercises/suggest?q=squat", "/exercises/1"):
        assert_problem(await api.get(V1 + path), 401, "auth_required")


async def test_running_migrate_again_changes_nothing(api, reader, server):
    before = len(await all_pages(api, reader))
    again = server.run_cli("migrate")
    assert again.returncode == 0, again.stderr
    assert ", 0 added or changed" in again.stderr
    assert len(await all_pages(api, reader)) == before


# -- search -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("q", "first"), [
    ("sqaut", "Squat"),
    ("dead", "Deadlift"),
    ("bench", "Bench Press"),
    ("rdl", "Romanian Deadlift"),
    ("push up", "Push-up"),
    ("situp", "Sit-up"),
    ("jumpin jak", "Jumping Jack"),
    ("cyclng", "Cycling"),
])
async def test_search_forgives_typos_and_knows_aliases(api, reader, q, first):
    found = await search(api, reader, q)
    assert found[0] == first
    assert found == expected(q)  # the whole ranked list, identical on every backend


async def test_search_lists_the_relatives_too(api, reader):
    assert {"Front Squat", "Goblet Squat"} <= set(await search(api, reader, "sqaut"))
    assert {"Romanian Deadlift", "Dead Bug"} <= set(await search(api, reader, "dead"))
    assert "Incline Bench Press" in await search(api, reader, "bench")
    assert await search(api, reader, "xyzzy") == []
    assert await search(api, reader, "!!!") == []


async def test_search_results_page_without_repeats(api, reader):
    first = (await api.get(f"{V1}/exercises", headers=reader.auth, params={"q": "squat", "limit": 5})).json()
    assert len(first["items"]) == 5 and first["next_cursor"]
    rest = await all_pages(api, reader, q="squat")
    assert [i["name"] for i in first["items"]] == [i["name"] for i in rest[:5]]
    assert [i["name"] for i in rest] == expected("squat")


# -- suggest ------------------------------------------------------------------------------------


async def test_suggest_completes_prefixes(api, reader):
    response = await api.get(f"{V1}/exercises/suggest", headers=reader.auth, params={"q": "dead", "limit": 5})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == 5 and items[0]["name"] == "Deadlift" and items[0]["matched"] == "Deadlift"
    rdl = (await api.get(f"{V1}/exercises/suggest", headers=reader.auth, params={"q": "RDL"})).json()
    assert (rdl["items"][0]["name"], rdl["items"][0]["matched"]) == ("Romanian Deadlift", "RDL")
    bench = (await api.get(f"{V1}/exercises/suggest", headers=reader.auth, params={"q": "bench p"})).json()
    assert bench["items"][0]["name"] == "Bench Press"
    assert all("bench" in normalise(i["matched"]) for i in bench["items"])


async def test_suggest_does_not_guess_typos(api, reader):
    response = await api.get(f"{V1}/exercises/suggest", headers=reader.auth, params={"q": "sqaut"})
    assert response.status_code == 200 and response.json()["items"] == []


# -- filters ------------------------------------------------------------------------------------


async def test_filter_by_muscle_primary_or_secondary(api, reader):
    anywhere = await all_pages(api, reader, muscle="triceps")
    primary = await all_pages(api, reader, muscle="triceps", primary_only="true")
    assert all("triceps" in i["primary_muscles"] + i["secondary_muscles"] for i in anywhere)
    assert all("triceps" in i["primary_muscles"] for i in primary)
    assert {i["name"] for i in primary} < {i["name"] for i in anywhere}
    assert "Bench Press" in {i["name"] for i in anywhere} - {i["name"] for i in primary}
    assert "Triceps Pushdown" in {i["name"] for i in primary}


async def test_filter_by_equipment_and_type(api, reader):
    kettlebell = await all_pages(api, reader, equipment="kettlebell")
    assert kettlebell and all(i["equipment"] == "kettlebell" for i in kettlebell)
    cardio = await all_pages(api, reader, type="cardio")
    assert all(i["type"] == "cardio" for i in cardio)
    assert {"Running", "Cycling", "Rowing", "Jumping Jack"} <= {i["name"] for i in cardio}


async def test_filters_combine_with_search(api, reader):
    found = await search(api, reader, "squat", equipment="barbell")
    assert found[0] == "Squat" and "Goblet Squat" not in found
    assert "Front Squat" in found
    assert await search(api, reader, "running", type="strength") == []


# -- custom exercises ---------------------------------------------------------------------------


async def test_custom_exercise_lifecycle(api, user):
    made = await create(api, user, name="Zercher Walk Special", aliases=["ZWS"],
                        primary_muscles=["quadriceps", "abs"], secondary_muscles=["biceps"],
                        equipment="barbell", instructions="Carry the bar in the elbows.")
    assert made["slug"].startswith("zercher-walk-special-") and made["slug"] != "zercher-walk-special"
    assert (made["custom"], made["owned"], made["owner_id"], made["visibility"]) == (
        True, True, user.id, "private")
    assert (await search(api, user, "zws"))[0] == "Zercher Walk Special"
    assert made["id"] in {i["id"] for i in await all_pages(api, user, muscle="biceps")}

    changed = await api.patch(f"{V1}/exercises/{made['id']}", headers=user.auth,
                              json={"name": "Zercher Carry Special", "aliases": ["ZCS"]})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["aliases"], body["slug"]) == ("Zercher Carry Special", ["ZCS"], made["slug"])
    assert body["primary_muscles"] == ["quadriceps", "abs"]
    assert (await search(api, user, "zcs"))[0] == "Zercher Carry Special"
    assert await search(api, user, "zws") == []

    assert (await api.delete(f"{V1}/exercises/{made['id']}", headers=user.auth)).status_code == 204
    assert_problem(await api.get(f"{V1}/exercises/{made['id']}", headers=user.auth), 404)

    events = (await api.get(f"{V1}/audit-events", headers=user.auth, params={"limit": 10})).json()["items"]
    trail = [(e["action"], e["target_id"]) for e in events if e["target_type"] == "exercise"]
    assert trail == [(a, str(made["id"])) for a in ("exercise.deleted", "exercise.updated", "exercise.created")]


async def test_names_are_unique_per_owner_only(api, user, other_user):
    await create(api, user, name="Sandbag Shouldering")
    again = await api.post(f"{V1}/exercises", headers=user.auth, json={
        "name": "sandbag  shouldering", "type": "strength", "primary_muscles": ["full_body"]})
    assert_problem(again, 409, "exercise_exists")
    await create(api, other_user, name="Sandbag Shouldering")


async def test_catalog_exercises_cannot_be_changed(api, reader):
    found = await api.get(f"{V1}/exercises", headers=reader.auth, params={"q": "squat"})
    squat_id = found.json()["items"][0]["id"]
    patched = await api.patch(f"{V1}/exercises/{squat_id}", headers=reader.auth, json={"name": "Mine"})
    assert_problem(patched, 403, "catalog_exercise")
    assert_problem(await api.delete(f"{V1}/exercises/{squat_id}", headers=reader.auth), 403, "catalog_exercise")


async def test_another_users_private_exercise_is_invisible_and_untouchable(api, user, other_user):
    mine = await create(api, user, name="Secret Sled Drag Variant")
    path = f"{V1}/exercises/{mine['id']}"
    assert_problem(await api.get(path, headers=other_user.auth), 404, "not_found")
    assert_problem(await api.patch(path, headers=other_user.auth, json={"name": "Stolen"}), 404)
    assert_problem(await api.delete(path, headers=other_user.auth), 404)
    assert "Secret Sled Drag Variant" not in await search(api, other_user, "secret sled drag")
    assert mine["id"] not in {i["id"] for i in await all_pages(api, other_user, muscle="chest")}
    suggest = await api.get(f"{V1}/exercises/suggest", headers=other_user.auth, params={"q": "secret sled"})
    assert suggest.json()["items"] == []
    still = await api.get(path, headers=user.auth)
    assert still.status_code == 200 and still.json()["name"] == "Secret Sled Drag Variant"


async def test_an_exercise_used_by_a_workout_cannot_be_deleted(api, user):
    made = await create(api, user, name="Logged Landmine Twist")
    workout = await api.post(f"{V1}/workouts", headers=user.auth, json={
        "name": "Core day", "exercises": [{"exercise_id": made["id"]}]})
    assert workout.status_code == 201, workout.text
    body = assert_problem(await api.delete(f"{V1}/exercises/{made['id']}", headers=user.auth), 409,
                          "exercise_in_use")
    assert "workout" in body["detail"]
    assert (await api.get(f"{V1}/exercises/{made['id']}", headers=user.auth)).status_code == 200


async def test_clients_see_a_trainers_shared_exercise_only_while_coached(api, user):
    trainer, client = user, await sign_up(api)
    profile = await api.put(f"{V1}/trainer-profile", headers=trainer.auth, json={"business_name": "Gym"})
    assert profile.status_code == 200, profile.text
    shared = await create(api, trainer, name="Coach Special Complex", visibility="clients")
    private = await create(api, trainer, name="Coach Private Complex")
    path = f"{V1}/exercises/{shared['id']}"
    assert_problem(await api.get(path, headers=client.auth), 404)

    invitation = await api.post(f"{V1}/coaching/invitations", headers=trainer.auth, json={"email": client.email})
    assert invitation.status_code == 201, invitation.text
    relation_id = invitation.json()["id"]
    accepted = await api.post(f"{V1}/coaching/invitations/{relation_id}/accept", headers=client.auth, json={})
    assert accepted.status_code == 200, accepted.text

    seen = await api.get(path, headers=client.auth)
    assert seen.status_code == 200 and (seen.json()["owned"], seen.json()["custom"]) == (False, True)
    assert "Coach Special Complex" in await search(api, client, "coach special")
    assert "Coach Private Complex" not in await search(api, client, "coach complex")
    assert_problem(await api.get(f"{V1}/exercises/{private['id']}", headers=client.auth), 404)
    assert_problem(await api.patch(path, headers=client.auth, json={"name": "Mine now"}), 403, "not_owner")
    assert_problem(await api.delete(path, headers=client.auth), 403, "not_owner")

    ended = await api.post(f"{V1}/coaching/relations/{relation_id}/end", headers=trainer.auth)
    assert ended.status_code == 200, ended.text
    assert_problem(await api.get(path, headers=client.auth), 404)
    assert "Coach Special Complex" not in await search(api, client, "coach special")


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "fields"), [
    ({"name": "X", "type": "strength", "primary_muscles": ["chest"]}, {"name"}),
    ({"name": "Y" * 81, "type": "strength", "primary_muscles": ["chest"]}, {"name"}),
    ({"name": "---", "type": "strength", "primary_muscles": ["chest"]}, {"name"}),
    ({"name": "Wing Flap", "type": "flying", "primary_muscles": ["wings"], "equipment": "jetpack"},
     {"type", "primary_muscles.0", "equipment"}),
    ({"name": "No Muscles", "type": "strength", "primary_muscles": []}, {"primary_muscles"}),
    ({"name": "Many Names", "type": "strength", "primary_muscles": ["chest"],
      "aliases": ["a", "b", "c", "d", "e", "f"]}, {"aliases"}),
    ({"name": "Public One", "type": "strength", "primary_muscles": ["chest"], "visibility": "public"},
     {"visibility"}),
    ({"name": "Owned", "type": "strength", "primary_muscles": ["chest"], "owner_id": 1}, {"owner_id"}),
    ({"type": "strength", "primary_muscles": ["chest"]}, {"name"}),
])
async def test_create_rejects_bad_input(api, reader, body, fields):
    response = await api.post(f"{V1}/exercises", headers=reader.auth, json=body)
    assert error_fields(assert_problem(response, 422, "validation_failed")) == fields


async def test_a_muscle_cannot_be_primary_and_secondary(api, user):
    body = {"name": "Overlap", "type": "strength", "primary_muscles": ["chest"], "secondary_muscles": ["chest"]}
    problem = assert_problem(await api.post(f"{V1}/exercises", headers=user.auth, json=body), 422)
    assert "chest" in problem["errors"][0]["message"]
    made = await create(api, user, primary_muscles=["chest"], secondary_muscles=["triceps"])
    patched = await api.patch(f"{V1}/exercises/{made['id']}", headers=user.auth,
                              json={"primary_muscles": ["triceps"]})
    assert "triceps" in assert_problem(patched, 422, "validation_failed")["errors"][0]["message"]


async def test_patch_refuses_nulls_and_unknown_values(api, user):
    made = await create(api, user)
    path = f"{V1}/exercises/{made['id']}"
    problem = assert_problem(await api.patch(path, headers=user.auth, json={"name": None, "type": None}), 422)
    assert error_fields(problem) == {"name", "type"}
    problem = assert_problem(await api.patch(path, headers=user.auth, json={"equipment": "spoon"}), 422)
    assert error_fields(problem) == {"equipment"}
    assert (await api.get(path, headers=user.auth)).json() == made


@pytest.mark.parametrize(("params", "fields"), [
    ({"muscle": "wings"}, {"muscle"}),
    ({"equipment": "spoon", "type": "flying"}, {"equipment", "type"}),
    ({"limit": 0}, {"limit"}),
    ({"limit": 101}, {"limit"}),
    ({"cursor": "not-a-cursor!"}, {"cursor"}),
    ({"q": "x" * 101}, {"q"}),
])
async def test_list_rejects_bad_query_strings(api, reader, params, fields):
    response = await api.get(f"{V1}/exercises", headers=reader.auth, params=params)
    assert error_fields(assert_problem(response, 422, "validation_failed")) == fields


async def test_suggest_needs_text(api, reader):
    for params, field in (({}, "q"), ({"q": ""}, "q"), ({"q": "squat", "limit": 26}, "limit")):
        response = await api.get(f"{V1}/exercises/suggest", headers=reader.auth, params=params)
        assert error_fields(assert_problem(response, 422)) == {field}
