"""Helpers for the training tests (workouts, records, templates, analytics): short API calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from tests.conftest import Account


def epley(weight: float, reps: int) -> float:
    return weight if reps == 1 else weight * (1 + reps / 30)


def brzycki(weight: float, reps: int) -> float:
    return weight * 36 / (37 - reps)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def when(value: str | None) -> datetime | None:
    """A timestamp from a response as an aware datetime (None stays None)."""
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


async def create_workout(api: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    body.setdefault("name", "Workout")
    response = await api.post("/api/v1/workouts", json=body, headers=account.auth)
    assert response.status_code == 201, response.text
    return response.json()


async def get_workout(api: httpx.AsyncClient, account: Account, workout_id: int) -> dict[str, Any]:
    response = await api.get(f"/api/v1/workouts/{workout_id}", headers=account.auth)
    assert response.status_code == 200, response.text
    return response.json()


async def patch_workout(api: httpx.AsyncClient, account: Account, workout_id: int,
                        **body: Any) -> dict[str, Any]:
    response = await api.patch(f"/api/v1/workouts/{workout_id}", json=body, headers=account.auth)
    assert response.status_code == 200, response.text
    return response.json()


async def log_set(api: httpx.AsyncClient, account: Account, workout_id: int,
                  **body: Any) -> dict[str, Any]:
    """Log a set; return the whole answer (``set`` and ``records``)."""
    response = await api.post(f"/api/v1/workouts/{workout_id}/sets", json=body, headers=account.auth)
    assert response.status_code == 201, response.text
    return response.json()


async def list_workouts(api: httpx.AsyncClient, account: Account, **params: Any) -> dict[str, Any]:
    response = await api.get("/api/v1/workouts", params=params, headers=account.auth)
    assert response.status_code == 200, response.text
    return response.json()


async def current_records(api: httpx.AsyncClient, account: Account,
                          **params: Any) -> list[dict[str, Any]]:
    response = await api.get("/api/v1/records", params=params, headers=account.auth)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def record_history(api: httpx.AsyncClient, account: Account,
                         **params: Any) -> list[dict[str, Any]]:
    """Every page of ``/records/history``."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 100, **({"cursor": cursor} if cursor else {})}
        response = await api.get("/api/v1/records/history", params=query, headers=account.auth)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def by_kind(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Records keyed by kind (max_reps_at_weight keyed ``max_reps_at_weight@<weight>``)."""
    keyed: dict[str, dict[str, Any]] = {}
    for record in records:
        key = record["kind"]
        if key == "max_reps_at_weight":
            key = f"{key}@{record['weight']:g}"
        assert key not in keyed, f"two {key} records: {records}"
        keyed[key] = record
    return keyed
