"""Shared steps for the coaching tests: trainers, invitations, templates, assignments, jobs."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.conftest import Account, sign_up
from tests.support import FithubServer, redis_url

V1 = "/api/v1"
# Twenty-six hours apart: whatever the hour, the date in Kiritimati is later than at UTC-12.
WEST, EAST = "Etc/GMT+12", "Pacific/Kiritimati"
JOB = "coaching.mark_missed_assignments"
JOB_AUDIT = "maintenance.assignments_missed"


async def make_trainer(api: httpx.AsyncClient, **profile: Any) -> Account:
    account = await sign_up(api, **profile)
    body = {"business_name": "Iron Works", "bio": "Strength coach", "certifications": ["NSCA-CSCS"]}
    response = await api.put(f"{V1}/trainer-profile", headers=account.auth, json=body)
    assert response.status_code == 200, response.text
    return account


async def invite(
    api: httpx.AsyncClient, trainer: Account, email: str, **body: Any
) -> dict[str, Any]:
    response = await api.post(
        f"{V1}/coaching/invitations", headers=trainer.auth, json={"email": email, **body}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def coach(api: httpx.AsyncClient, trainer: Account, client: Account, **share: bool) -> int:
    """Make ``client`` an active client of ``trainer`` sharing ``share``; return the relation id."""
    relation = await invite(api, trainer, client.email)
    accepted = await api.post(
        f"{V1}/coaching/invitations/{relation['id']}/accept",
        headers=client.auth,
        json={"share": share} if share else {},
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "active"
    return int(relation["id"])


async def exercise_id(api: httpx.AsyncClient, auth: dict[str, str], name: str) -> int:
    """A catalog exercise through the search API (a catalog without it fails the test)."""
    response = await api.get(f"{V1}/exercises", params={"q": name}, headers=auth)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items, f"the exercise catalog has no {name!r}"
    return int(items[0]["id"])


async def make_template(api: httpx.AsyncClient, owner: Account, visibility: str) -> int:
    squat = await exercise_id(api, owner.auth, "squat")
    body = {
        "name": "Leg day",
        "visibility": visibility,
        "items": [{"exercise_id": squat, "sets": [{"reps": 5, "weight": 60}] * 3}],
    }
    response = await api.post(f"{V1}/templates", headers=owner.auth, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def local_today(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


async def assign(
    api: httpx.AsyncClient, trainer: Account, client: Account, **body: Any
) -> httpx.Response:
    body.setdefault("title", "Homework")
    body.setdefault("due_on", (local_today("UTC") + timedelta(days=3)).isoformat())
    return await api.post(
        f"{V1}/coaching/assignments", headers=trainer.auth, json={"client_id": client.id, **body}
    )


async def my_assignment(
    api: httpx.AsyncClient, client: Account, assignment_id: int
) -> dict[str, Any]:
    response = await api.get(f"{V1}/assignments/{assignment_id}", headers=client.auth)
    assert response.status_code == 200, response.text
    return response.json()


async def set_timezone(api: httpx.AsyncClient, account: Account, zone: str) -> None:
    response = await api.patch(f"{V1}/users/me", headers=account.auth, json={"timezone": zone})
    assert response.status_code == 200, response.text


async def completed_workout(api: httpx.AsyncClient, client: Account, name: str = "Done") -> int:
    response = await api.post(
        f"{V1}/workouts", headers=client.auth, json={"name": name, "status": "completed"}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def send_missed_job(server: FithubServer) -> None:
    """Through the real broker (Redis, consumed by ``fithub worker``) when there is one; otherwise
    the job function runs in a process of its own against the server's database."""
    if redis_url():
        import dramatiq
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(
            url=server.env["FITHUB_REDIS_URL"],
            namespace=server.env.get("FITHUB_REDIS_NAMESPACE", "fithub"),
        )
        try:
            message = dramatiq.Message(
                queue_name="fithub", actor_name=JOB, args=(), kwargs={}, options={}
            )
            await asyncio.to_thread(broker.enqueue, message)
        finally:
            broker.close()
        return
    code = (
        "import asyncio\n"
        "from fithub.core.config import load_settings\n"
        "from fithub.core.db import close_db, init_db\n"
        "from fithub.core.coaching.jobs import mark_missed_assignments\n"
        "async def main():\n"
        "    await init_db(load_settings())\n"
        "    try:\n"
        "        print(await mark_missed_assignments())\n"
        "    finally:\n"
        "        await close_db()\n"
        "asyncio.run(main())\n"
    )
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", code],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


async def run_missed_job(api, server: FithubServer, admin_auth) -> dict[str, Any]:
    """Run the job once and return the audit event it recorded."""
    last_seen = max((e["id"] for e in await job_events(api, admin_auth)), default=0)
    await send_missed_job(server)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        new = [e for e in await job_events(api, admin_auth) if e["id"] > last_seen]
        if new:
            assert len(new) == 1, new
            return new[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {JOB_AUDIT} event within 20 s")


async def job_events(api, admin_auth) -> list[dict]:
    response = await api.get(
        f"{V1}/admin/audit-events", headers=admin_auth, params={"action": JOB_AUDIT, "limit": 100}
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]
