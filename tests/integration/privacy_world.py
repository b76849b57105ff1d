"""For the privacy tests: a small world of users with data in every table, made through the API,
and read-only access to the live server's database to look for what deletion left behind."""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from websockets.asyncio.client import connect

from tests.conftest import Account, sign_up
from tests.support import FithubServer

V1 = "/api/v1"
USER_ID_COLUMN = re.compile(r"(^|_)(user|owner|trainer|client|actor|subject|by)_id$")
#: Parts of the world a test may leave out (the exercises and the training are always there).
PARTS = ("coaching", "goals", "body metrics", "notifications", "telemetry", "nutrition")


# -- the API ----------------------------------------------------------------------------------


async def call(
    api: httpx.AsyncClient, who: Account, method: str, path: str, status: int = 200, **kw: Any
) -> Any:
    response = await api.request(method, V1 + path, headers=who.auth, **kw)
    assert response.status_code == status, f"{method} {path}: {response.text}"
    return response.json() if response.content else None


async def catalog_id(api: httpx.AsyncClient, who: Account, name: str) -> int:
    items = (await call(api, who, "GET", "/exercises", params={"q": name}))["items"]
    exact = [item for item in items if item["name"].lower() == name.lower()]
    assert exact, f"the catalog has no {name!r}: {[i['name'] for i in items]}"
    return int(exact[0]["id"])


async def completed_workout(
    api: httpx.AsyncClient, who: Account, name: str, sets: list[dict[str, Any]]
) -> int:
    """A workout whose sets are logged one by one (so records are detected), then completed."""
    workout = await call(
        api, who, "POST", "/workouts", 201, json={"name": name, "status": "in_progress"}
    )
    for body in sets:
        await call(api, who, "POST", f"/workouts/{workout['id']}/sets", 201, json=body)
    await call(api, who, "PATCH", f"/workouts/{workout['id']}", json={"status": "completed"})
    return int(workout["id"])


@dataclass
class World:
    """Alice (metric, a trainer and a client) has data everywhere; Bob is her imperial client."""

    alice: Account
    bob: Account
    carol: Account  # trains Alice
    dave: Account  # invited Alice's address; she never answered
    ids: dict[str, int] = field(default_factory=dict)
    #: Parts left out, and why: by the test, or for want of something this environment lacks.
    skipped: dict[str, str] = field(default_factory=dict)


async def make_trainer(api: httpx.AsyncClient, who: Account) -> None:
    await call(api, who, "PUT", "/trainer-profile", json={"business_name": "Coach", "bio": "Hi"})


async def build_world(
    api: httpx.AsyncClient, parts: Collection[str] = PARTS, *, video: bool = True
) -> World:
    """Everything through the API (a missing endpoint fails the test), but for the ``PARTS`` not
    in ``parts``, the video unless ``video``, and what this environment lacks (listed in
    ``World.skipped``)."""
    alice = await sign_up(api, display_name="Alice Privacy", height_cm=170.0, weight_kg=70.0)
    bob = await sign_up(api, display_name="Bob Other", unit_system="imperial")
    world = World(alice, bob, await sign_up(api), await sign_up(api))
    world.skipped.update({part: "left out by the test" for part in PARTS if part not in parts})
    ids = world.ids
    await api.post(  # a second session, from a phone
        f"{V1}/auth/login",
        json={"email": alice.email, "password": alice.password},
        headers={"User-Agent": "AlicePhone/1.0"},
    )
    # This server knows no device vendor: tests/integration/devices/test_device_privacy.py
    # exports and erases device data against a fake Oura.
    world.skipped["devices"] = "no device provider is configured on this server"
    ids["squat"] = await catalog_id(api, alice, "Squat")
    ids["bench"] = await catalog_id(api, alice, "Bench Press")
    coaching = "coaching" in parts
    if coaching:
        await make_trainer(api, alice)
        await make_trainer(api, world.carol)
        await make_trainer(api, world.dave)
    custom = {"type": "strength", "primary_muscles": ["quadriceps"], "equipment": "sled"}
    shared = {
        **custom,
        "name": "Alice Sled Push",
        "visibility": "clients" if coaching else "private",
    }
    ids["shared"] = (await call(api, alice, "POST", "/exercises", 201, json=shared))["id"]
    secret = {**custom, "name": "Alice Secret Curl", "primary_muscles": ["biceps"]}
    ids["secret"] = (await call(api, alice, "POST", "/exercises", 201, json=secret))["id"]

    if coaching:  # Alice coaches Bob, Carol coaches Alice, Dave's invitation waits
        invited = await call(
            api, alice, "POST", "/coaching/invitations", 201, json={"email": bob.email}
        )
        await call(api, bob, "POST", f"/coaching/invitations/{invited['id']}/accept", json={})
        invited = await call(
            api, world.carol, "POST", "/coaching/invitations", 201, json={"email": alice.email}
        )
        await call(api, alice, "POST", f"/coaching/invitations/{invited['id']}/accept", json={})
        await call(
            api,
            world.dave,
            "POST",
            "/coaching/invitations",
            201,
            json={"email": alice.email, "message": f"Hi {alice.email}"},
        )
        due = (date.today() + timedelta(days=7)).isoformat()
        await call(
            api,
            alice,
            "POST",
            "/coaching/assignments",
            201,
            json={
                "client_id": bob.id,
                "exercise_id": ids["shared"],
                "title": "Push it",
                "due_on": due,
            },
        )
        await call(
            api,
            world.carol,
            "POST",
            "/coaching/assignments",
            201,
            json={
                "client_id": alice.id,
                "exercise_id": ids["squat"],
                "title": "Squat",
                "due_on": due,
            },
        )

    # Alice trains: records come from logged sets; one workout has no sets at all.
    ids["alice_workout"] = await completed_workout(
        api,
        alice,
        "Heavy day",
        [
            {"exercise_id": ids["squat"], "reps": 5, "weight": 100},
            {"exercise_id": ids["squat"], "reps": 3, "weight": 110, "rpe": 9},
            {"exercise_id": ids["bench"], "reps": 8, "weight": 60},
            {"exercise_id": ids["secret"], "reps": 10, "weight": 20},
        ],
    )
    await call(api, alice, "POST", "/workouts", 201, json={"name": "Rest day plan"})
    template = {
        "name": "Alice A",
        "visibility": "clients" if coaching else "private",
        "items": [
            {"exercise_id": ids["squat"], "sets": [{"reps": 5, "weight": 100}] * 3},
            {"exercise_id": ids["shared"], "sets": [{"reps": 10}]},
        ],
    }
    ids["template"] = (await call(api, alice, "POST", "/templates", 201, json=template))["id"]
    await call(api, alice, "PUT", f"/templates/{ids['template']}", json={"name": "Alice A v2"})
    plan = {"name": "Alice plan", "entries": [{"weekday": 0, "template_id": ids["template"]}]}
    await call(api, alice, "POST", "/plans", 201, json=plan)
    if "goals" in parts:
        await call(
            api,
            alice,
            "POST",
            "/goals",
            201,
            json={
                "kind": "weight",
                "title": "Squat 120",
                "target_value": 120,
                "exercise_id": ids["squat"],
            },
        )
    if "body metrics" in parts:
        await call(api, alice, "POST", "/body-metrics", 201, json={"kind": "weight", "value": 69.5})
        await call(api, alice, "POST", "/body-metrics", 201, json={"kind": "waist", "value": 80})

    # Bob uses what Alice shared with him (as her client): her exercise and her template.
    ids["bob_workout"] = await completed_workout(
        api,
        bob,
        "Bob pushes",
        [
            *([{"exercise_id": ids["shared"], "reps": 5, "weight": 225}] if coaching else []),
            {"exercise_id": ids["squat"], "reps": 5, "weight": 135},
        ],
    )
    if coaching:
        started = await call(api, bob, "POST", f"/templates/{ids['template']}/start", 201, json={})
        ids["bob_from_template"] = started["id"]
        bobs = {"name": "Bob B", "items": [{"exercise_id": ids["squat"], "sets": [{"reps": 5}]}]}
        ids["bob_template"] = (await call(api, bob, "POST", "/templates", 201, json=bobs))["id"]
        plan = {
            "name": "Bob plan",
            "entries": [
                {"weekday": 0, "template_id": ids["template"]},
                {"weekday": 2, "template_id": ids["bob_template"]},
            ],
        }
        ids["bob_plan"] = (await call(api, bob, "POST", "/plans", 201, json=plan))["id"]
        if "goals" in parts:
            await call(
                api,
                bob,
                "POST",
                "/goals",
                201,
                json={
                    "kind": "reps",
                    "title": "Sled 10",
                    "target_value": 10,
                    "exercise_id": ids["shared"],
                },
            )
    if "notifications" in parts:
        await notification_settings(api, alice)
    if video:
        await upload_video(api, alice, world)
    else:
        world.skipped["videos"] = "left out by the test"
    if "notifications" in parts:
        await delivered_inbox(api, alice)
    if "telemetry" in parts:
        await live_telemetry(api, alice)
    if "nutrition" in parts:
        await food_diary(api, alice, world)
    return world


async def food_diary(api: httpx.AsyncClient, who: Account, world: World) -> None:
    """A custom food, a catalogue food (shared: nobody's), a recipe, a diary day, a saved meal,
    a favourite and targets."""
    per_100 = {"energy_kcal": 450, "protein_g": 6, "carbohydrate_g": 60, "fat_g": 20}
    custom = {"name": "Alice flapjack", "per_100": per_100,
              "servings": [{"name": "1 square", "amount": 60}]}  # fmt: skip
    ids = world.ids
    ids["custom_food"] = (await call(api, who, "POST", "/nutrition/foods", 201, json=custom))["id"]
    imported = {"source": "builtin", "source_id": "01001"}  # butter, from the built-in table
    ids["catalogue_food"] = (
        await call(api, who, "POST", "/nutrition/foods/import", json=imported)
    )["id"]
    recipe = {"name": "Alice bake", "servings": 4, "items": [
        {"food_id": ids["custom_food"], "quantity": 400, "unit": "g"},
        {"food_id": ids["catalogue_food"], "quantity": 50, "unit": "g"},
    ]}  # fmt: skip
    ids["recipe"] = (await call(api, who, "POST", "/nutrition/recipes", 201, json=recipe))["id"]
    day = "2024-06-01"
    for body in (
        {"meal": "breakfast", "food_id": ids["catalogue_food"], "quantity": 10, "unit": "g"},
        {"meal": "snack", "food_id": ids["custom_food"], "quantity": 1, "unit": "serving",
         "serving_name": "1 square"},
        {"meal": "dinner", "recipe_id": ids["recipe"], "quantity": 1, "unit": "serving"},
    ):  # fmt: skip
        await call(api, who, "POST", "/nutrition/diary/entries", 201, json={"day": day, **body})
    meal = {"name": "Alice tea", "items": [{"food_id": ids["custom_food"], "quantity": 60}]}
    await call(api, who, "POST", "/nutrition/meals", 201, json=meal)
    await call(api, who, "POST", "/nutrition/favourites", 201, json={"recipe_id": ids["recipe"]})
    await call(api, who, "PUT", "/nutrition/targets", json={"energy_kcal": 2200, "protein_g": 120})


async def live_telemetry(api: httpx.AsyncClient, who: Account) -> None:
    """A heart-rate profile, an alert rule and a short stream with a heart rate and a GPS fix."""
    await call(api, who, "PUT", "/telemetry/heart-rate-profile", 200,
               json={"max_bpm": 190, "resting_bpm": 55})  # fmt: skip
    await call(api, who, "POST", "/telemetry/alerts", 201,
               json={"condition": "above_rate", "bpm": 180, "duration_s": 30})  # fmt: skip
    url = str(api.base_url).replace("http://", "ws://", 1).rstrip("/") + "/ws/v1/telemetry"
    t = int(time.time() * 1000) - 60_000
    batch = {"type": "batch", "seq": 0, "samples": [
        {"kind": "heart_rate", "t": t, "value": 120, "rr_ms": [500]},
        {"kind": "position", "t": t, "lat": 52.52, "lon": 13.40, "accuracy_m": 5},
    ]}  # fmt: skip
    protocols = ["fithub.telemetry.v1", f"bearer.{who.access_token}"]
    async with connect(url, subprotocols=protocols) as ws:  # type: ignore[arg-type]
        await ws.send(json.dumps({"type": "start", "device": {"id": "privacy-strap"}}))
        await ws.send(json.dumps(batch))
        await ws.send(json.dumps({"type": "stop"}))
        async with asyncio.timeout(30):
            while json.loads(await ws.recv()).get("type") != "ended":
                pass


async def notification_settings(api: httpx.AsyncClient, who: Account) -> None:
    """Choices, quiet hours, a phone number, a push token, a reminder and a webhook endpoint."""
    choice = [{"kind": "goal.achieved", "channel": "sms", "enabled": True}]
    await call(api, who, "PUT", "/notifications/preferences", json=choice)
    settings = {"quiet_hours": {"start": "22:30", "end": "06:30"}, "phone_number": "+14155552671"}
    await call(api, who, "PUT", "/notifications/settings", json=settings)
    token = {"token": f"privacy-push-{who.id}-{who.session_id}", "platform": "android"}
    await call(api, who, "POST", "/notifications/push-tokens", 201, json=token)
    reminder = {"title": "Squat day", "local_time": "07:00", "weekdays": ["mon", "thu"]}
    await call(api, who, "POST", "/reminders", 201, json=reminder)
    endpoint = {"url": "https://hooks.example.com/fithub", "event_types": ["sync.failed"]}
    await call(api, who, "POST", "/webhooks/endpoints", 201, json=endpoint)


async def delivered_inbox(api: httpx.AsyncClient, who: Account, within_s: float = 45) -> None:
    """Wait until ``who`` has an inbox item (the sign-in from a new phone, the records of the
    training) one of whose deliveries was attempted: the notification tables all hold rows."""
    import asyncio
    import time

    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        inbox = (await call(api, who, "GET", "/notifications"))["items"]
        for item in inbox:
            rows = (await call(api, who, "GET", f"/notifications/{item['id']}/deliveries"))["items"]
            if any(row["attempts"] > 0 for row in rows):
                return
        await asyncio.sleep(0.5)
    raise AssertionError(f"no delivered notification for {who.email} within {within_s} s")


async def upload_video(api: httpx.AsyncClient, who: Account, world: World) -> None:
    """One uploaded clip (its analysis may still run while the world is exported or erased)."""
    from tests.exercise_clips import labelled_clips, missing_reason

    clips = [c for c in labelled_clips() if c.name == "jumpingjack_infophysics_afrl"]
    if not clips:
        world.skipped["videos"] = missing_reason("clip jumpingjack_infophysics_afrl")
        return
    files = {"file": ("jacks.mp4", clips[0].video.read_bytes(), "video/mp4")}
    response = await api.post(f"{V1}/videos", headers=who.auth, files=files, timeout=60)
    assert response.status_code == 202, response.text
    world.ids["video"] = response.json()["id"]


async def full_export(api: httpx.AsyncClient, who: Account) -> dict[str, list[dict[str, Any]]]:
    """``who``'s full export: the rows of each table, by table name."""
    response = await api.get(f"{V1}/exports/full", headers=who.auth)
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return {
        name.removesuffix(".json"): json.loads(archive.read(name))
        for name in archive.namelist()
        if name != "manifest.json"
    }


# -- the database (read only) -----------------------------------------------------------------


class ReadOnlyDatabase:
    """SELECTs on the server's database: aiosqlite (mode=ro) or asyncpg (read-only session)."""

    def __init__(self, server: FithubServer) -> None:
        self.url = server.env.get("FITHUB_DATABASE_URL")
        self.path = server.data_dir / "fithub.sqlite3"
        self.conn: Any = None

    async def __aenter__(self) -> ReadOnlyDatabase:
        if self.url:
            import asyncpg

            self.conn = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))
            await self.conn.execute("SET default_transaction_read_only = on")
        else:
            import aiosqlite

            self.conn = await aiosqlite.connect(f"file:{self.path}?mode=ro", uri=True)
            self.conn.row_factory = aiosqlite.Row
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.conn.close()

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Rows of one SELECT written with ``$1``-style parameters."""
        if self.url:
            return [dict(row) for row in await self.conn.fetch(sql, *args)]
        for index in range(len(args), 0, -1):
            sql = sql.replace(f"${index}", f"?{index}")
        async with self.conn.execute(sql, args) as cursor:
            return [dict(row) for row in await cursor.fetchall()]

    async def tables(self) -> list[str]:
        if self.url:
            rows = await self.fetch(
                "SELECT table_name AS name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        else:
            rows = await self.fetch(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        return sorted(row["name"] for row in rows)

    async def columns(self, table: str) -> dict[str, str]:
        """Column name -> ``int``, ``json`` or ``other``."""
        if self.url:
            rows = await self.fetch(
                "SELECT column_name AS name, data_type AS type FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = $1",
                table,
            )
        else:
            rows = await self.fetch(f'SELECT name, type FROM pragma_table_info("{table}")')
        kinds = {}
        for row in rows:
            kind = row["type"].lower()
            kinds[row["name"]] = "int" if "int" in kind else "json" if "json" in kind else "other"
        return kinds

    async def user_foreign_keys(self, table: str) -> set[str]:
        """Columns of ``table`` with a foreign key to ``users``."""
        if self.url:
            rows = await self.fetch(
                "SELECT kcu.column_name AS name FROM information_schema.table_constraints tc "
                "JOIN information_schema.key_column_usage kcu "
                "  ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema "
                "JOIN information_schema.constraint_column_usage ccu "
                "  ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema "
                "WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_name = $1 "
                "AND ccu.table_name = 'users'",
                table,
            )
            return {row["name"] for row in rows}
        rows = await self.fetch(f'SELECT "from", "table" FROM pragma_foreign_key_list("{table}")')
        return {row["from"] for row in rows if row["table"] == "users"}


async def leftovers(server: FithubServer, user_id: int, email: str) -> list[str]:
    """Every place in any table that still names the user: id columns, text, and JSON keys."""
    found = []
    async with ReadOnlyDatabase(server) as db:
        for table in await db.tables():
            columns = await db.columns(table)
            id_columns = await db.user_foreign_keys(table) | {
                c for c, kind in columns.items() if kind == "int" and USER_ID_COLUMN.search(c)
            }
            if table == "users":
                id_columns.add("id")
            for column in sorted(id_columns):
                rows = await db.fetch(
                    f'SELECT count(*) AS n FROM "{table}" WHERE "{column}" = $1', user_id
                )
                if rows[0]["n"]:
                    found.append(f"{table}.{column} = {user_id} in {rows[0]['n']} rows")
            for column in sorted(columns):
                rows = await db.fetch(
                    f'SELECT count(*) AS n FROM "{table}" '
                    f'WHERE LOWER(CAST("{column}" AS TEXT)) LIKE $1',
                    f"%{email.lower()}%",
                )
                if rows[0]["n"]:
                    found.append(f"{table}.{column} holds the e-mail in {rows[0]['n']} rows")
            for column in [c for c, kind in columns.items() if kind == "json"]:
                for row in await db.fetch(f'SELECT "{column}" AS v FROM "{table}"'):
                    value = json_value(row["v"])
                    if _mentions(value, user_id):
                        found.append(f"{table}.{column} mentions the user id: {value}")
    return found


def json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _mentions(value: Any, user_id: int) -> bool:
    if isinstance(value, list):
        return any(_mentions(item, user_id) for item in value)
    if isinstance(value, dict):
        return any(
            (USER_ID_COLUMN.search(str(k)) and v == user_id) or _mentions(v, user_id)
            for k, v in value.items()
        )
    return False
