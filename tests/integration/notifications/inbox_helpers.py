"""Helpers for the notification API tests: a personal record logged through the API, and waiting
for the notifications it causes (events settle for a few seconds before the consumer reads them)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from tests.conftest import Account
from tests.integration.training import create_workout, log_set

T = TypeVar("T")
WITHIN_S = 30.0  # the outbox settles ~5 s, the consumer runs every 2 s, delivery right after


async def wait_for(
    what: str, check: Callable[[], Awaitable[T | None]], within_s: float = WITHIN_S
) -> T:
    """``await check()`` until it returns something truthy; fail after ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {within_s:.0f} s"
        await asyncio.sleep(0.25)


async def log_personal_record(
    api: httpx.AsyncClient, account: Account, exercise_id: int, weight: float
) -> dict[str, Any]:
    """Log a completed working set heavy enough to be a record; the API's answer."""
    workout = await create_workout(api, account, name="Record day")
    logged = await log_set(api, account, workout["id"], exercise_id=exercise_id, reps=3,
                           weight=weight, completed=True)  # fmt: skip
    assert logged["records"], logged  # the set itself says it set a record
    return logged


async def inbox(api: httpx.AsyncClient, account: Account, **params: Any) -> list[dict[str, Any]]:
    """The first page of ``account``'s inbox."""
    answer = await api.get("/api/v1/notifications", params={"limit": 100, **params},
                           headers=account.auth)  # fmt: skip
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


async def wait_for_record_items(api: httpx.AsyncClient, account: Account,
                                at_least: int = 1) -> list[dict[str, Any]]:  # fmt: skip
    """The ``record.achieved`` items of the inbox, once there are ``at_least``."""

    async def records() -> list[dict[str, Any]] | None:
        items = [i for i in await inbox(api, account) if i["kind"] == "record.achieved"]
        return items if len(items) >= at_least else None

    return await wait_for("the personal record's inbox item", records)


async def unread(api: httpx.AsyncClient, account: Account) -> int:
    answer = await api.get("/api/v1/notifications/unread-count", headers=account.auth)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["unread"])


async def deliveries(api: httpx.AsyncClient, account: Account,
                     notification_id: int) -> list[dict[str, Any]]:  # fmt: skip
    answer = await api.get(f"/api/v1/notifications/{notification_id}/deliveries",
                           headers=account.auth)  # fmt: skip
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


async def set_preferences(api: httpx.AsyncClient, account: Account,
                          *changes: tuple[str, str, bool]) -> httpx.Response:  # fmt: skip
    body = [{"kind": k, "channel": c, "enabled": e} for k, c, e in changes]
    return await api.put("/api/v1/notifications/preferences", json=body, headers=account.auth)


def notifier_env(name: str, settings: dict[str, str] | Any) -> dict[str, str]:
    """``FITHUB_NOTIFIER_<NAME>_*`` values pointing notifier ``name`` at a fake's settings."""
    return {f"FITHUB_NOTIFIER_{name.upper()}_{key.upper()}": str(value)
            for key, value in dict(settings).items()}  # fmt: skip


async def exercise_id(api: httpx.AsyncClient, account: Account, name: str) -> int:
    """The id of the catalog exercise called ``name`` (for modules with a server of their own)."""
    answer = await api.get("/api/v1/exercises", params={"q": name}, headers=account.auth)
    assert answer.status_code == 200, answer.text
    found = [i for i in answer.json()["items"] if i["name"].casefold() == name.casefold()]
    assert found, f"the catalog has no exercise called {name!r}"
    return int(found[0]["id"])
