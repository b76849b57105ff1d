"""Personal data through the real server: the workouts CSV, the full export, and account deletion
that leaves nothing behind (checked in the database itself, read-only)."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile

import jwt
import pytest

from tests.conftest import PASSWORD, sign_up
from tests.integration.helpers import assert_problem, bearer, login
from tests.integration.privacy_world import (
    PARTS,
    V1,
    ReadOnlyDatabase,
    build_world,
    call,
    catalog_id,
    full_export,
    json_value,
    leftovers,
)

CSV_URL = f"{V1}/exports/workouts.csv"
FULL_URL = f"{V1}/exports/full"
EXPORTED = {
    "users",
    "auth_sessions",
    "audit_events",
    "exercises",
    "exercise_muscles",
    "workouts",
    "workout_exercises",
    "workout_sets",
    "workout_templates",
    "template_versions",
    "workout_plans",
    "plan_entries",
    "personal_records",
    "goals",
    "body_metrics",
    "trainer_profiles",
    "coaching_relations",
    "assignments",
    "domain_events",
    "videos",
    "device_connections",
    "device_sync_logs",
    "device_webhook_events",
    "device_imports",
    "device_activities",
    "device_daily_summaries",
    "device_samples",
    "device_sleep_sessions",
    "device_body_measurements",
    "notifications",
    "notification_deliveries",
    "notification_delivery_attempts",
    "notification_preferences",
    "notification_settings",
    "push_tokens",
    "reminders",
    "webhook_endpoints",
    "device_positions",
    "telemetry_streams",
    "telemetry_heart_rate_profiles",
    "telemetry_alert_rules",
    "foods",
    "recipes",
    "recipe_items",
    "diary_entries",
    "saved_meals",
    "saved_meal_items",
    "favourite_foods",
    "nutrition_targets",
}
# A live stream stores samples and fixes in the device tables (provider live).
LIVE_FILES = {"device_samples", "device_positions"}
DEVICE_FILES = {t for t in EXPORTED if t.startswith("device_")} - LIVE_FILES
FILES_OF_PART = {
    "exercises": {"exercises"},
    "goals": {"goals"},
    "body metrics": {"body_metrics"},
    "coaching": {"trainer_profiles", "coaching_relations", "assignments"},
    "videos": {"videos"},
    "devices": DEVICE_FILES,
    # (notification_settings: made with defaults for everyone who gets a notification)
    "notifications": {
        "notification_preferences",
        "push_tokens",
        "reminders",
        "webhook_endpoints",
    },
    "telemetry": {
        "telemetry_streams",
        "telemetry_heart_rate_profiles",
        "telemetry_alert_rules",
        *LIVE_FILES,
    },
    "nutrition": {
        "foods",
        "recipes",
        "recipe_items",
        "diary_entries",
        "saved_meals",
        "saved_meal_items",
        "favourite_foods",
        "nutrition_targets",
    },
}


async def _csv(api, account, **params) -> tuple[list[str], list[dict[str, str]]]:
    response = await api.get(CSV_URL, headers=account.auth, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="workouts.csv"'
    reader = csv.DictReader(io.StringIO(response.text))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def _forged(server, account, **claims) -> str:
    key = (server.data_dir / "secrets" / "jwt_private.pem").read_bytes()
    now = int(time.time())
    body = {
        "iss": "fithub",
        "sub": str(account.id),
        "sid": account.session_id,
        "role": "user",
        "iat": now,
        "exp": now + 300,
    } | claims
    return jwt.encode(body, key, algorithm="RS256")


# -- each part of the scenario, on its own ------------------------------------------------------


@pytest.mark.parametrize("part", ["exercises", *PARTS])
async def test_every_part_of_the_privacy_scenario_can_be_built(api, part):
    """A world with only this part (the exercises and training are in every world) exports its
    rows, and none of the parts left out."""
    world = await build_world(api, parts={part} & set(PARTS), video=False)
    tables = await full_export(api, world.alice)
    assert [t for t in sorted(FILES_OF_PART[part]) if not tables[t]] == []
    left_out = set().union(*(FILES_OF_PART[p] for p in world.skipped))
    assert {t: len(tables[t]) for t in sorted(left_out) if tables[t]} == {}
    assert len(tables["workouts"]) == 2 and len(tables["exercises"]) == 2


# -- CSV ----------------------------------------------------------------------------------------


async def test_workouts_csv_has_a_row_per_set_in_each_users_units(api):
    metric, imperial = await sign_up(api), await sign_up(api, unit_system="imperial")
    for account, weights, distance in ((metric, (100, 110), 5), (imperial, (225, 245), 3.1)):
        squat = await catalog_id(api, account, "Squat")
        running = await catalog_id(api, account, "Running")
        exercises = [
            {"exercise_id": squat, "sets": [{"reps": 5, "weight": w} for w in weights]},
            {"exercise_id": running, "sets": [{"distance": distance, "duration_s": 1500}]},
        ]
        body = {
            "name": "=HYPERLINK(1)",
            "status": "completed",
            "exercises": exercises,
            "started_at": "2024-03-01T10:00:00Z",
            "completed_at": "2024-03-01T11:00:00Z",
        }
        await call(api, account, "POST", "/workouts", 201, json=body)
        await call(api, account, "POST", "/workouts", 201, json={"name": "No sets yet"})

    header, rows = await _csv(api, metric)
    assert {"weight_kg", "distance_km", "e1rm_kg", "volume_kg"} <= set(header)
    assert not {"weight_lb", "distance_mi"} & set(header)
    assert len(rows) == 4  # three sets, and one row for the workout without any
    done = [r for r in rows if r["set_id"]]
    assert [r["weight_kg"] for r in done if r["exercise_name"] == "Squat"] == ["100.0", "110.0"]
    assert [r["distance_km"] for r in done if r["exercise_name"] == "Running"] == ["5.0"]
    assert {r["workout_name"] for r in done} == {"'=HYPERLINK(1)"}  # never a live formula
    empty = [r for r in rows if not r["set_id"]]
    assert [(r["workout_name"], r["exercise_id"], r["reps"]) for r in empty] == [
        ("No sets yet", "", "")
    ]
    assert all(r["completed"] == "true" for r in done)

    header, rows = await _csv(api, imperial)
    assert {"weight_lb", "distance_mi", "e1rm_lb"} <= set(header) and "weight_kg" not in header
    squats = [r["weight_lb"] for r in rows if r["exercise_name"] == "Squat"]
    assert squats == ["225.0", "245.0"]
    assert [r["distance_mi"] for r in rows if r["exercise_name"] == "Running"] == ["3.1"]


async def test_workouts_csv_filters_by_start_time(api, user):
    for month in ("01", "02", "03"):
        body = {
            "name": f"Month {month}",
            "status": "completed",
            "started_at": f"2024-{month}-10T10:00:00Z",
            "completed_at": f"2024-{month}-10T11:00:00Z",
        }
        await call(api, user, "POST", "/workouts", 201, json=body)

    async def names(**params) -> list[str]:
        return [row["workout_name"] for row in (await _csv(api, user, **params))[1]]

    assert await names() == ["Month 01", "Month 02", "Month 03"]
    assert await names(**{"from": "2024-02-01", "to": "2024-03-01"}) == ["Month 02"]
    assert await names(**{"from": "2024-02-10T10:00:00Z"}) == ["Month 02", "Month 03"]
    assert await names(to="2024-02-10T10:00:00+00:00") == ["Month 01"]  # `to` is exclusive
    assert await names(**{"from": "2030-01-01"}) == []
    header, rows = await _csv(api, user, **{"from": "2030-01-01"})
    assert header and rows == []  # the header is there even with no rows


async def test_export_bad_input_and_missing_or_expired_tokens(api, user, server):
    response = await api.get(
        CSV_URL, headers=user.auth, params={"from": "2024-03-01", "to": "2024-02-01"}
    )
    assert_problem(response, 422, "validation_failed")
    response = await api.get(CSV_URL, headers=user.auth, params={"from": "yesterday"})
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"] and body["errors"][0]["field"] == "from"

    past = int(time.time()) - 3600
    expired = bearer(_forged(server, user, iat=past - 900, exp=past))
    for url in (CSV_URL, FULL_URL):
        assert_problem(await api.get(url), 401)
        assert_problem(await api.get(url, headers=expired), 401, "token_expired")
        assert_problem(await api.get(url, headers=bearer("not-a-token")), 401)


# -- the full export ------------------------------------------------------------------------------


async def _secrets_of(server, account) -> list[str]:
    """The password hash and refresh token hashes stored for ``account``."""
    async with ReadOnlyDatabase(server) as db:
        found = [
            row["password_hash"]
            for row in await db.fetch("SELECT password_hash FROM users WHERE id = $1", account.id)
        ]
        found += [
            row["token_hash"]
            for row in await db.fetch(
                "SELECT t.token_hash FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id "
                "WHERE s.user_id = $1",
                account.id,
            )
        ]
    return found


async def test_full_export_holds_every_table_and_no_secret(api, server):
    world = await build_world(api)
    alice = world.alice
    secrets = await _secrets_of(server, alice)
    assert len(secrets) >= 3  # the password hash and a refresh token per session

    response = await api.get(FULL_URL, headers=alice.auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["content-disposition"].startswith("attachment;")
    raw = response.content
    archive = zipfile.ZipFile(io.BytesIO(raw))
    assert set(archive.namelist()) == {f"{t}.json" for t in EXPORTED} | {"manifest.json"}
    manifest = json.loads(archive.read("manifest.json"))
    assert (
        manifest["fithub_version"] and manifest["generated_at"] and manifest["user_id"] == alice.id
    )
    assert "refresh_tokens" in manifest["excluded"]
    tables = {
        name.removesuffix(".json"): json.loads(archive.read(name))
        for name in archive.namelist()
        if name != "manifest.json"
    }
    assert manifest["counts"] == {f"{t}.json": len(rows) for t, rows in tables.items()}
    skipped = set().union(*(FILES_OF_PART.get(part, set()) for part in world.skipped))
    assert [t for t, rows in tables.items() if not rows and t not in skipped] == []

    everything = b"".join(archive.read(name) for name in archive.namelist())
    for secret in secrets:
        assert secret.encode() not in everything
    assert b"$argon2" not in everything and b"password_hash" not in everything
    assert b"token_hash" not in everything

    (profile,) = tables["users"]
    assert (profile["id"], profile["email"], profile["display_name"]) == (
        alice.id,
        alice.email,
        "Alice Privacy",
    )
    assert {row["subject_id"] for row in tables["audit_events"]} == {alice.id}
    assert {row["user_id"] for row in tables["workouts"]} == {alice.id}
    assert {row["user_id"] for row in tables["workout_sets"]} == {alice.id}
    assert len(tables["auth_sessions"]) == 2 and len(tables["workouts"]) == 2
    assert len(tables["template_versions"]) == 2 and len(tables["exercises"]) == 2
    assert world.ids["bob_workout"] not in {row["id"] for row in tables["workouts"]}
    if "coaching" not in world.skipped:  # as trainer, as client, and invited by address
        relations = tables["coaching_relations"]
        assert {(r["trainer_id"], r["client_id"]) for r in relations} == {
            (alice.id, world.bob.id),
            (world.carol.id, alice.id),
            (world.dave.id, None),
        }
        assert {(a["trainer_id"], a["client_id"]) for a in tables["assignments"]} == {
            (alice.id, world.bob.id),
            (world.carol.id, alice.id),
        }

    if "nutrition" not in world.skipped:  # her custom food, not the shared catalogue's butter
        assert [food["id"] for food in tables["foods"]] == [world.ids["custom_food"]]
        assert len(tables["diary_entries"]) == 3 and len(tables["recipe_items"]) == 2
        assert {row["user_id"] for row in tables["diary_entries"]} == {alice.id}

    audit = await call(api, alice, "GET", "/audit-events", params={"action": "privacy.exported"})
    assert [event["details"]["format"] for event in audit["items"]] == ["zip"]


async def test_full_exports_are_limited_to_three_an_hour(api, user):
    for _ in range(3):
        response = await api.get(FULL_URL, headers=user.auth)
        assert response.status_code == 200, response.text
    response = await api.get(FULL_URL, headers=user.auth)
    assert_problem(response, 429, "rate_limited")
    assert 0 < int(response.headers["retry-after"]) <= 3600
    assert (await api.get(CSV_URL, headers=user.auth)).status_code == 200  # CSV is not limited


# -- deletion -------------------------------------------------------------------------------------


async def test_deleting_an_account_leaves_nothing_behind(api, server):
    world = await build_world(api)
    alice, bob, ids = world.alice, world.bob, world.ids
    coaching = "coaching" not in world.skipped
    before = {
        "workout": await call(api, bob, "GET", f"/workouts/{ids['bob_workout']}"),
        "records": await call(api, bob, "GET", "/records"),
    }
    if "goals" not in world.skipped:
        before["goals"] = await call(api, bob, "GET", "/goals")
    if coaching:
        before["from_template"] = await call(
            api, bob, "GET", f"/workouts/{ids['bob_from_template']}"
        )
        assert (
            await api.get(f"{V1}/exercises/{ids['shared']}", headers=bob.auth)
        ).status_code == 200
    assert await leftovers(server, bob.id, bob.email)  # the check does find data that is there

    response = await api.request(
        "DELETE", f"{V1}/users/me", headers=alice.auth, json={"password": PASSWORD}
    )
    assert response.status_code == 204, response.text

    assert await leftovers(server, alice.id, alice.email) == []
    assert_problem(await login(api, alice.email, PASSWORD), 401, "bad_credentials")
    async with ReadOnlyDatabase(server) as db:
        trail = await db.fetch(
            "SELECT action, subject_id, actor_id, ip_address, user_agent, request_id, details "
            "FROM audit_events WHERE target_type = 'user' AND target_id = $1",
            str(alice.id),
        )
        assert [e["action"] for e in trail].count("user.deleted") == 1
        assert {"user.registered", "user.deleted"} <= {e["action"] for e in trail}
        for event in trail:  # kept, but about nobody
            assert event["subject_id"] is None and event["ip_address"] is None, event
            assert event["user_agent"] is None and event["request_id"] is None, event
            assert json_value(event["details"]) == {}, event
        deleted = next(e for e in trail if e["action"] == "user.deleted")
        assert deleted["actor_id"] is None
        kept = await db.fetch(
            "SELECT e.slug, e.visibility, u.email, u.is_active FROM exercises e "
            "JOIN users u ON u.id = e.owner_id WHERE e.id = $1",
            ids["shared"],
        )
        gone = await db.fetch("SELECT id FROM exercises WHERE id = $1", ids["secret"])
        foods = {
            row["id"]: row["owner_id"]
            for row in await db.fetch(
                "SELECT id, owner_id FROM foods WHERE id IN ($1, $2)",
                ids.get("custom_food", 0),
                ids.get("catalogue_food", 0),
            )
        }
    if "nutrition" not in world.skipped:  # the shared catalogue food stays, hers is gone
        assert foods == {ids["catalogue_food"]: None}
    assert gone == []  # nobody else used it
    if coaching:  # Bob's workouts use it: kept, hidden, owned by the placeholder account
        (row,) = kept
        assert row["email"] == "deleted-user@fithub.invalid" and not row["is_active"]
        assert row["visibility"] == "private" and row["slug"].startswith("~deleted-")

    # Bob's data is untouched and still reads (his workout with Alice's exercise included).
    assert await call(api, bob, "GET", f"/workouts/{ids['bob_workout']}") == before["workout"]
    assert await call(api, bob, "GET", "/records") == before["records"]
    if "goals" in before:
        assert await call(api, bob, "GET", "/goals") == before["goals"]
    if coaching:
        after = await call(api, bob, "GET", f"/workouts/{ids['bob_from_template']}")
        assert after == {**before["from_template"], "template_version_id": None}
        names = [e["exercise_name"] for e in after["exercises"]]
        assert "Alice Sled Push" in names
        entry = next(e for e in after["exercises"] if e["exercise_id"] == ids["shared"])
        logged = await call(
            api,
            bob,
            "POST",
            f"/workouts/{ids['bob_from_template']}/sets",
            201,
            json={"entry_id": entry["id"], "reps": 8},
        )
        assert logged["set"]["exercise_id"] == ids["shared"]
        # Nobody new can pick the kept exercise; Bob's plan lost only the entry of Alice's template.
        assert (
            await api.get(f"{V1}/exercises/{ids['shared']}", headers=bob.auth)
        ).status_code == 404
        plan = await call(api, bob, "GET", f"/plans/{ids['bob_plan']}")
        assert [e["template_id"] for e in plan["entries"]] == [ids["bob_template"]]
        relations = await call(api, bob, "GET", "/coaching/relations", params={"role": "client"})
        assert relations["items"] == []
    assert (await api.get(f"{V1}/users/me", headers=bob.auth)).status_code == 200
