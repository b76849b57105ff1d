"""A fithub server wired to a fake Oura, and the steps a user takes: connect, sync, read."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from fithub.plugins.testing.fakes.oura import FakeOura
from tests.conftest import Account
from tests.support import FithubServer, cleanup, make_server

OURA = "/api/v1/devices/oura"
FINISHED = {"succeeded", "partial", "failed", "skipped"}
BACKFILL_DAYS = 3


def device_env(oura: FakeOura, **extra: str) -> dict[str, str]:
    """Settings that point fithub at the fake Oura, with short timeouts for the failure tests."""
    return {
        "FITHUB_OURA_CLIENT_ID": oura.client_id,
        "FITHUB_OURA_CLIENT_SECRET": oura.client_secret,
        "FITHUB_OURA_BASE_URL": oura.url,
        "FITHUB_DEVICES_BACKFILL_DAYS": str(BACKFILL_DAYS),
        "FITHUB_DEVICES_HTTP_TIMEOUT_S": "1",
        "FITHUB_DEVICES_BREAKER_FAIL_MAX": "3",
        "FITHUB_DEVICES_BREAKER_RESET_S": "2",
        "FITHUB_DEVICES_MAX_INLINE_WAIT_S": "3",
        **extra,
    }


@contextmanager
def device_server(oura: FakeOura, **extra: str) -> Iterator[FithubServer]:
    srv, database = make_server(device_env(oura, **extra))
    try:
        srv.start()
        yield srv
        logs = srv.read_logs()
        assert '"unhandled error"' not in logs, logs[-5000:]
    finally:
        cleanup(srv, database)


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


def seed(oura: FakeOura, account: str | None = None) -> str:
    """A fake Oura account with BACKFILL_DAYS days of data up to now."""
    account = oura.add_account(account)
    now = datetime.now(UTC)
    oura.seed(account, now - timedelta(days=BACKFILL_DAYS + 1), now)
    return account


async def connect(api: httpx.AsyncClient, user: Account, oura: FakeOura, account: str,
                  **authorize: Any) -> dict[str, Any]:  # fmt: skip
    """Connect as the user does: start, consent at the fake Oura, come back to the callback."""
    started = await api.post(f"{OURA}/connect", headers=user.auth)
    assert started.status_code == 201, started.text
    back = oura.authorize(started.json()["authorization_url"], account, **authorize)
    assert back.redirect_uri.endswith("/api/v1/devices/oura/callback"), back.redirect_uri
    answer = await api.get(f"{OURA}/callback", params=back.params)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def wait_sync(api: httpx.AsyncClient, user: Account, sync_id: int,
                    until: set[str] = FINISHED, within_s: float = 60) -> dict[str, Any]:  # fmt: skip
    deadline = time.monotonic() + within_s
    while True:
        response = await api.get(f"{OURA}/syncs/{sync_id}", headers=user.auth)
        assert response.status_code == 200, response.text
        body = dict(response.json())
        if body["status"] in until:
            return body
        assert time.monotonic() < deadline, f"sync {sync_id} is still {body['status']}: {body}"
        await asyncio.sleep(0.1)


async def sync_now(api: httpx.AsyncClient, user: Account, **params: str) -> dict[str, Any]:
    started = await api.post(f"{OURA}/sync", headers=user.auth, params=params)
    assert started.status_code == 202, started.text
    return await wait_sync(api, user, started.json()["id"])


async def connect_and_backfill(api: httpx.AsyncClient, user: Account, oura: FakeOura,
                               account: str) -> dict[str, Any]:  # fmt: skip
    connected = await connect(api, user, oura, account)
    backfill = await wait_sync(api, user, connected["sync"]["id"])
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

