"""A fithub server wired to fake vendors, and the steps a user takes: connect, sync, read.

Every helper takes the fake vendor (or the provider's name): ``fake.name`` is the provider name,
so the same steps serve Oura, Fitbit, Withings and the rest.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from fithub.plugins.testing.fake import FakeVendor
from tests.conftest import Account
from tests.support import FithubServer, running_server

OURA = "/api/v1/devices/oura"
FINISHED = {"succeeded", "partial", "failed", "skipped"}
BACKFILL_DAYS = 3


def devices_path(provider: str | FakeVendor) -> str:
    name = provider if isinstance(provider, str) else provider.name
    return f"/api/v1/devices/{name}"


def device_env(*fakes: FakeVendor, **extra: str) -> dict[str, str]:
    """Settings that point fithub at the fakes, with short timeouts for the failure tests."""
    env: dict[str, str] = {}
    for fake in fakes:
        env.update(fake.fithub_env())
    return {
        **env,
        "FITHUB_DEVICES_BACKFILL_DAYS": str(BACKFILL_DAYS),
        "FITHUB_DEVICES_HTTP_TIMEOUT_S": "1",
        "FITHUB_DEVICES_BREAKER_FAIL_MAX": "3",
        "FITHUB_DEVICES_BREAKER_RESET_S": "5",  # the refusal step must land inside it, even on a busy machine
        "FITHUB_DEVICES_MAX_INLINE_WAIT_S": "3",
        **extra,
    }


@contextmanager
def device_server(*fakes: FakeVendor, **extra: str) -> Iterator[FithubServer]:
    """A started fithub server that knows ``fakes``; fails if it logged an unhandled error."""
    with running_server(device_env(*fakes, **extra)) as srv:
        yield srv


def query_db(server: FithubServer, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Read the server's database directly (SQLite file or the test's PostgreSQL database)."""
    url = server.env.get("FITHUB_DATABASE_URL")
    if not url:
        with sqlite3.connect(server.data_dir / "fithub.sqlite3") as conn:
            return list(conn.execute(sql.replace("$1", "?").replace("$2", "?"), args))

    async def run() -> list[tuple[Any, ...]]:
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            return [tuple(r) for r in await conn.fetch(sql, *args)]
        finally:
            await conn.close()

    return asyncio.run(run()) if not _in_loop() else _run_in_thread(run)


def _in_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _run_in_thread(factory: Any) -> Any:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def seed(fake: FakeVendor, account: str | None = None) -> str:
    """A fake vendor account with BACKFILL_DAYS days of data up to the start of this minute.

    Not up to ``now``: a sync started within the same second would end its window (whole
    seconds) before a sample seeded at that second, and the next sync would find it "new".
    """
    account = fake.add_account(account)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    fake.seed(account, now - timedelta(days=BACKFILL_DAYS + 1), now)
    return account


async def connect(api: httpx.AsyncClient, user: Account, fake: FakeVendor, account: str,
                  **authorize: Any) -> dict[str, Any]:  # fmt: skip
    """Connect as the user does: start, consent at the fake vendor, come back to the callback."""
    path = devices_path(fake)
    started = await api.post(f"{path}/connect", headers=user.auth)
    assert started.status_code == 201, started.text
    back = fake.authorize(started.json()["authorization_url"], account, **authorize)
    assert back.redirect_uri.endswith(f"{path}/callback"), back.redirect_uri
    answer = await api.get(f"{path}/callback", params=back.params)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def wait_sync(api: httpx.AsyncClient, user: Account, sync_id: int,
                    until: set[str] = FINISHED, within_s: float = 60,
                    provider: str = "oura") -> dict[str, Any]:  # fmt: skip
    deadline = time.monotonic() + within_s
    while True:
        response = await api.get(f"{devices_path(provider)}/syncs/{sync_id}", headers=user.auth)
        assert response.status_code == 200, response.text
        body = dict(response.json())
        if body["status"] in until:
            return body
        assert time.monotonic() < deadline, f"sync {sync_id} is still {body['status']}: {body}"
        await asyncio.sleep(0.1)


async def sync_now(api: httpx.AsyncClient, user: Account, provider: str = "oura",
                   **params: str) -> dict[str, Any]:  # fmt: skip
    started = await api.post(f"{devices_path(provider)}/sync", headers=user.auth, params=params)
    assert started.status_code == 202, started.text
    return await wait_sync(api, user, started.json()["id"], provider=provider)


async def connect_and_backfill(api: httpx.AsyncClient, user: Account, fake: FakeVendor,
                               account: str) -> dict[str, Any]:  # fmt: skip
    connected = await connect(api, user, fake, account)
    backfill = await wait_sync(api, user, connected["sync"]["id"], provider=fake.name)
    assert backfill["status"] == "succeeded", backfill
    return backfill


async def read_all(api: httpx.AsyncClient, user: Account, path: str,
                   **params: Any) -> list[dict[str, Any]]:  # fmt: skip
    """Every item of a read endpoint, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 100, **({"cursor": cursor} if cursor else {})}
        response = await api.get(path, headers=user.auth, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            return items


async def devices(api: httpx.AsyncClient, user: Account) -> dict[str, Any]:
    response = await api.get("/api/v1/devices", headers=user.auth)
    assert response.status_code == 200, response.text
    return dict(response.json())

