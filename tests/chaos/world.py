"""The chaos tests' world: a fake Oura's minute heart rate and workouts, connecting, pushing.

Shared by tests/chaos and bench/recovery.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from fithub.plugins.testing.fakes.oura import FakeOura
from tests.conftest import Account
from tests.integration.devices.world import OURA
from tests.support import FithubServer

HOOK = "/api/v1/webhooks/oura"
FINAL = {"succeeded", "partial", "failed", "skipped", "superseded"}

def seed_minutes(fake: FakeOura, account: str, start: datetime, end: datetime) -> int:
    """One heart-rate sample a minute in [start, end); returns how many."""
    moment = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    beats = []
    while moment < end:
        bpm = 55 + (int(moment.timestamp()) // 60) % 60
        beats.append({"bpm": bpm, "source": "awake", "timestamp": moment.isoformat()})
        moment += timedelta(minutes=1)
    fake.items(account, "heartrate").extend(beats)
    return len(beats)


def seed_workouts(fake: FakeOura, account: str, now: datetime, count: int) -> list[str]:
    """``count`` workouts spread over the last eight days; returns their ids."""
    ids = []
    for i in range(count):
        day = (now - timedelta(days=1 + i % 8)).date()
        start = datetime(day.year, day.month, day.day, 5 + i % 16, (i * 7) % 60, tzinfo=UTC)
        item = {**FakeOura.workout(account, day), "id": f"wo-{account}-{i}",
                "start_datetime": start.isoformat(),
                "end_datetime": (start + timedelta(minutes=30)).isoformat()}  # fmt: skip
        fake.items(account, "workout").append(item)
        ids.append(item["id"])
    return ids


def connect(srv: FithubServer, fake: FakeOura, user: Account, account: str) -> int:
    """Connect through the fake's consent page; the backfill's sync log id."""
    started = httpx.post(f"{srv.base_url}{OURA}/connect", headers=user.auth, timeout=10)
    assert started.status_code == 201, started.text
    back = fake.authorize(started.json()["authorization_url"], account)
    answer = httpx.get(f"{srv.base_url}{OURA}/callback", params=back.params, timeout=10)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["sync"]["id"])


def sync_log(srv: FithubServer, user: Account, sync_id: int) -> dict[str, Any]:
    response = httpx.get(f"{srv.base_url}{OURA}/syncs/{sync_id}", headers=user.auth, timeout=10)
    assert response.status_code == 200, response.text
    return dict(response.json())


def push(srv: FithubServer, fake: FakeOura, event: dict[str, Any]) -> bool:
    """Deliver one push as Oura does (signed now); whether the server acknowledged it (2xx)."""
    headers, body = fake.signed_push(event)
    try:
        answer = httpx.post(f"{srv.base_url}{HOOK}", headers=headers, content=body, timeout=5)
    except httpx.HTTPError:
        return False
    return 200 <= answer.status_code < 300
