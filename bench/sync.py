"""Device sync throughput: a year of minute-level heart rate, fetched, normalised and stored.

Run from the repository root::

    python -m bench.sync                  # SQLite (PostgreSQL + a real worker when
                                          # FITHUB_DATABASE_URL / FITHUB_REDIS_URL are set)
    python -m bench.sync --days 30        # a shorter history
    python -m bench.sync --json

It starts a fake Oura (on loopback) that serves one heart-rate sample a minute, generated on the
fly, a week per page, and a real fithub server (plus
``fithub worker`` on Redis). A user connects through the real OAuth flow; the backfill of
``--days`` days (365: about 525,600 samples) runs as it would in production: HTTP fetch, the
provider's normalisation, validation, the idempotent upsert and the cursor, one transaction per
page. The rate is the records stored over the time from the OAuth callback to the finished sync log.

The baseline, in the same run and the same database: a **bare bulk insert** of the same number of
rows into the same table (``executemany`` of a prepared INSERT, one transaction per 1,440 rows),
with no fetching, no normalising and no digests. Goal (issue 6): the sync stores at least 70 % of
the bare insert rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import zlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

if __name__ == "__main__" and not __package__:
    sys.exit("Run this benchmark as a module from the repository root: python -m bench.sync")

import httpx
from aiohttp import web

from bench.http import CpuMeter, log
from fithub.plugins.testing.fakes.oura import FakeOura
from tests.support import FithubServer, cleanup, make_server

API = "/api/v1"
PASSWORD = "bench-password-not-secret"
MINUTES_PER_DAY = 1440
# A week of minutes per page: a year is 53 pages, well inside Oura's declared 300 requests a
# minute, so the rate budget never pauses the run (a paused run would measure the budget).
PAGE_SIZE = 7 * MINUTES_PER_DAY
GOAL = 0.70


class MinuteHeartRateOura(FakeOura):
    """A fake Oura whose heart rate is one sample a minute, made on request (no memory held)."""

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/v2/usercollection/heartrate", self._minutes)
        super().add_routes(router)

    async def _minutes(self, request: web.Request) -> web.Response:
        account = self.account_for(request, "heartrate")
        start, end = self._datetimes(request)
        first = start.replace(second=0, microsecond=0)
        if first < start:
            first += timedelta(minutes=1)
        total = max(0, int((end - first).total_seconds() // 60) + 1)
        token = request.query.get("next_token")
        offset = int(token) if token else 0
        count = min(self.page_size, total - offset)
        items = []
        for i in range(offset, offset + count):
            moment = first + timedelta(minutes=i)
            bpm = 55 + zlib.crc32(f"{account}{moment}".encode()) % 60
            items.append({"bpm": bpm, "source": "awake", "timestamp": moment.isoformat()})
        following = str(offset + count) if offset + count < total else None
        return web.json_response({"data": items, "next_token": following})


@dataclass
class Report:
    backend: str
    days: int
    sync_records: int
    sync_seconds: float
    sync_rate: float
    sync_pages: int
    job_seconds: float | None  # the sync job alone: its log's started_at to finished_at
    server_cpu_percent: float | None
    machine_cpu_percent: float | None
    bare_records: int
    bare_seconds: float
    bare_rate: float
    ratio: float
    goal_met: bool


def _expect(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise SystemExit(f"{response.request.method} {response.request.url}: "
                         f"{response.status_code} {response.text[:500]}")  # fmt: skip
    return response.json() if response.content else None


def connect_and_backfill(server: FithubServer, fake: MinuteHeartRateOura,
                         timeout_s: float) -> tuple[dict[str, Any], int, CpuMeter]:  # fmt: skip
    """Sign up, connect through the fake's consent page, wait for the backfill to finish."""
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        email = f"bench-sync-{time.time_ns()}@example.com"
        _expect(http.post(f"{API}/auth/register", json={"email": email, "password": PASSWORD,
                                                        "display_name": "Sync"}), 202)  # fmt: skip
        tokens = _expect(http.post(f"{API}/auth/login",
                                   json={"email": email, "password": PASSWORD}), 200)  # fmt: skip
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        user_id = _expect(http.get(f"{API}/users/me", headers=headers), 200)["id"]
        start = _expect(http.post(f"{API}/devices/oura/connect", headers=headers), 201)
        account = fake.add_account("bench-account")
        back = fake.authorize(start["authorization_url"], account)
        meter = CpuMeter(server.processes[-1].pid)  # the worker on Redis, else the server
        meter.start()
        began = time.perf_counter()
        connected = _expect(http.get(f"{API}/devices/oura/callback", params=back.params), 200)
        sync_id = connected["sync"]["id"]
        deadline = time.monotonic() + timeout_s
        while True:
            sync = _expect(http.get(f"{API}/devices/oura/syncs/{sync_id}", headers=headers), 200)
            if sync["status"] in {"succeeded", "partial", "failed", "skipped"}:
                sync["wall_seconds"] = time.perf_counter() - began
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"the backfill did not finish in {timeout_s} s: {sync}")
            time.sleep(0.1)
        meter.stop()
        if sync["status"] != "succeeded":
            raise SystemExit(f"the backfill did not succeed: {sync}")
        return sync, user_id, meter


async def bare_insert(server: FithubServer, user_id: int, count: int) -> float:
    """Seconds to insert ``count`` sample rows with executemany, 1,440 rows per transaction."""
    url = server.env.get("FITHUB_DATABASE_URL")
    now = datetime.now(UTC)
    base = now - timedelta(minutes=count)
    columns = ("user_id", "provider", "external_id", "kind", "time", "value", "context",
               "payload", "digest", "created_at", "updated_at")  # fmt: skip
    rows = []
    for i in range(count):
        moment = base + timedelta(minutes=i)
        payload = json.dumps({"bpm": 60, "source": "awake", "timestamp": moment.isoformat()})
        rows.append((user_id, "baseline", moment.isoformat(), "heart_rate", moment, 60.0, "awake",
                     payload, f"{i:032x}", now, now))  # fmt: skip
    if url:
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
        sql = f"INSERT INTO device_samples ({', '.join(columns)}) VALUES ({marks})"
        try:
            started = time.perf_counter()
            for at in range(0, count, MINUTES_PER_DAY):
                async with conn.transaction():
                    await conn.executemany(sql, rows[at : at + MINUTES_PER_DAY])
            return time.perf_counter() - started
        finally:
            await conn.close()
    import aiosqlite

    path = server.data_dir / "fithub.sqlite3"
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO device_samples ({', '.join(columns)}) VALUES ({marks})"
    as_text = [(*r[:4], r[4].isoformat(), *r[5:9], r[9].isoformat(), r[10].isoformat())
               for r in rows]  # fmt: skip
    async with aiosqlite.connect(path) as db:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        started = time.perf_counter()
        for at in range(0, count, MINUTES_PER_DAY):
            await db.executemany(sql, as_text[at : at + MINUTES_PER_DAY])
            await db.commit()
        return time.perf_counter() - started


def _job_seconds(sync: dict[str, Any]) -> float | None:
    if not sync.get("started_at") or not sync.get("finished_at"):
        return None
    spent = datetime.fromisoformat(sync["finished_at"]) - datetime.fromisoformat(sync["started_at"])
    return round(spent.total_seconds(), 2)


def run(args: argparse.Namespace) -> Report:
    fake = MinuteHeartRateOura()
    fake.page_size = PAGE_SIZE
    fake.access_ttl_s = 30 * 86400
    fake.start()
    server, database = make_server({
        **fake.fithub_env(),
        "FITHUB_ENV": "production",
        "FITHUB_PASSWORD_HASHING": "rfc9106-low-memory",
        "FITHUB_LOG_LEVEL": "warning",
        "FITHUB_DEVICES_BACKFILL_DAYS": str(args.days),
        "FITHUB_DEVICES_HTTP_TIMEOUT_S": "60",
    })  # fmt: skip
    backend = "postgresql" if server.env.get("FITHUB_DATABASE_URL") else "sqlite"
    try:
        server.start()
        log(f"backfilling {args.days} days of minute heart rate on {backend} ...")
        sync, user_id, meter = connect_and_backfill(server, fake, args.timeout)
        heart = sync["details"]["types"]["heart_rate"]
        records = int(heart["inserted"])
        # From the callback to the finished log, as the user waits: it includes queuing the job,
        # the empty data types and any pause (a deferred run's own times cover its last part).
        seconds = float(sync["wall_seconds"])
        if sync["details"].get("deferrals"):
            log(f"warning: the run was deferred {sync['details']['deferrals']} times")
        log(f"sync: {records} samples in {seconds:.1f} s; bare insert of as many rows ...")
        bare_seconds = asyncio.run(bare_insert(server, user_id, records))
    finally:
        cleanup(server, database)
        fake.stop()
    sync_rate = records / seconds if seconds else 0.0
    bare_rate = records / bare_seconds if bare_seconds else 0.0
    ratio = sync_rate / bare_rate if bare_rate else 0.0
    return Report(
        backend=backend, days=args.days, sync_records=records, sync_seconds=round(seconds, 2),
        sync_rate=round(sync_rate), sync_pages=int(heart["pages"]),
        job_seconds=_job_seconds(sync),
        server_cpu_percent=round(meter.server_percent or 0, 1) if meter.server_percent else None,
        machine_cpu_percent=round(meter.machine_percent, 1) if meter.machine_percent else None,
        bare_records=records, bare_seconds=round(bare_seconds, 2), bare_rate=round(bare_rate),
        ratio=round(ratio, 3), goal_met=ratio >= GOAL,
    )  # fmt: skip


def render(report: Report) -> str:
    verdict = "met" if report.goal_met else "MISSED"
    cpu = (f"syncing process CPU {report.server_cpu_percent}% of a core, machine "
           f"{report.machine_cpu_percent}%" if report.server_cpu_percent else "")  # fmt: skip
    return "\n".join([
        f"device sync, {report.backend}, {report.days} days of minute heart rate",
        f"  sync (fetch + normalise + upsert): {report.sync_records:>9,} records "
        f"in {report.sync_seconds:>7.1f} s = {report.sync_rate:>8,} records/s "
        f"({report.sync_pages} pages) {cpu}",
        f"    of which the sync job itself (its log's start to finish): {report.job_seconds} s",
        f"  bare bulk insert (executemany):    {report.bare_records:>9,} rows    "
        f"in {report.bare_seconds:>7.1f} s = {report.bare_rate:>8,} rows/s",
        f"  sync / bare = {report.ratio:.0%} (goal >= {GOAL:.0%}: {verdict})",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365, help="history to backfill (365)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for it")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = run(args)
    print(json.dumps(asdict(report), indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
