"""Live telemetry: samples stored per second over many sockets, and publish-to-viewer latency.

Run from the repository root::

    python -m bench.telemetry              # 20 and 50 streams; 1, 100 and 1,000 watchers
    python -m bench.telemetry --quick      # fewer batches and seconds per cell (about a minute)
    python -m bench.telemetry --json

It starts a real fithub server (``fithub migrate`` + ``fithub serve`` through tests/support.py,
SQLite in a fresh data folder, or a throw-away PostgreSQL database when ``FITHUB_DATABASE_URL`` is
set) and signs one user up.

* **ingest**: for each stream count (``--streams``, 20 and 50) as many sockets on
  ``/ws/v1/telemetry``, one device each, send ``--batches`` batches of 50, 75 or 100 heart-rate
  samples (one a second of phone time, each with one RR interval: two rows per sample), each
  batch sent only once the previous one is acknowledged, as the app does. The rate is the rows
  the acks report stored (samples plus RR intervals) over the wall time from the first ``start``
  to the last ack. **bare**: the same rows (built by core/telemetry/storage.py's
  ``sample_rows``, provider ``baseline``) inserted with ``executemany`` into ``device_samples`` of
  the same database in the same run, one transaction per batch-sized chunk, one connection, no
  socket, JSON, checks or derivation. The ratio says what the socket costs over the bare insert.
* **watch**: one stream publishes one batch a second (``--seconds`` of them) while 1, 100 and
  1,000 sockets on ``/ws/v1/telemetry/watch`` watch the same user (the user's other screens).
  Latency is, per watcher and batch, the time from just before the batch is sent to the
  ``values`` message arriving at that watcher: p50/p95 over all of them. Every watcher runs in
  this one process, so at 1,000 the client's own event loop is part of the figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

if __name__ == "__main__" and not __package__:
    sys.exit("Run this benchmark as a module from the repository root: python -m bench.telemetry")

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bench.http import log
from fithub.core.telemetry.batch import Point
from fithub.core.telemetry.storage import SAMPLE_COLUMNS, sample_rows
from tests.support import FithubServer, cleanup, make_server

API = "/api/v1"
PASSWORD = "bench-password-not-secret"
INGEST, WATCH = "/ws/v1/telemetry", "/ws/v1/telemetry/watch"
INGEST_PROTOCOL, WATCH_PROTOCOL = "fithub.telemetry.v1", "fithub.telemetry-watch.v1"
BATCH_SIZES = (50, 75, 100)
WAIT_S = 60.0


@dataclass
class IngestCell:
    streams: int
    batches: int
    samples: int
    rows: int
    seconds: float
    rows_per_s: float
    samples_per_s: float
    batch_p50_ms: float
    batch_p95_ms: float


@dataclass
class WatchCell:
    watchers: int
    batches: int
    received: int
    dropped: int
    p50_ms: float
    p95_ms: float
    connect_s: float


@dataclass
class Report:
    backend: str
    ingest: list[IngestCell] = field(default_factory=list)
    bare_rows: int = 0
    bare_seconds: float = 0.0
    bare_rows_per_s: float = 0.0
    watch: list[WatchCell] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def _expect(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise SystemExit(f"{response.request.method} {response.request.url}: "
                         f"{response.status_code} {response.text[:500]}")  # fmt: skip
    return response.json() if response.content else None


def sign_up(server: FithubServer) -> tuple[int, str]:
    """A new user's id and access token."""
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        email = f"bench-telemetry-{time.time_ns()}@example.com"
        _expect(http.post(f"{API}/auth/register", json={"email": email, "password": PASSWORD,
                                                        "display_name": "Telemetry"}), 202)  # fmt: skip
        tokens = _expect(http.post(f"{API}/auth/login",
                                   json={"email": email, "password": PASSWORD}), 200)  # fmt: skip
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        user_id = _expect(http.get(f"{API}/users/me", headers=headers), 200)["id"]
        return int(user_id), str(tokens["access_token"])


def ws_url(server: FithubServer, path: str) -> str:
    return server.base_url.replace("http://", "ws://", 1) + path


async def next_of(ws: ClientConnection, *kinds: str) -> dict[str, Any]:
    """The next message whose type is one of ``kinds`` (others skipped)."""
    async with asyncio.timeout(WAIT_S):
        while True:
            message: dict[str, Any] = json.loads(await ws.recv())
            if message.get("type") in kinds:
                return message


def heart_samples(t0_ms: int, count: int, bpm: float = 140.0) -> list[dict[str, Any]]:
    """``count`` heart-rate samples one second apart, each with one RR interval."""
    return [
        {"kind": "heart_rate", "t": t0_ms + i * 1000, "value": bpm + i % 5,
         "rr_ms": [round(60000 / (bpm + i % 5), 1)]}
        for i in range(count)
    ]  # fmt: skip


def batch_sizes(batches: int) -> list[int]:
    return [BATCH_SIZES[i % len(BATCH_SIZES)] for i in range(batches)]


# -- ingest --------------------------------------------------------------------------------------


async def one_stream(server: FithubServer, token: str, device: str, sizes: list[int],
                     t0_ms: int, round_trips: list[float]) -> tuple[int, int]:  # fmt: skip
    """Send the batches of one stream, each after the previous ack; (samples, rows stored)."""
    url = ws_url(server, INGEST)
    async with connect(url, subprotocols=[INGEST_PROTOCOL, f"bearer.{token}"],  # type: ignore[list-item]
                       max_size=None) as ws:  # fmt: skip
        await next_of(ws, "ready")
        await ws.send(json.dumps({"type": "start", "device": {"id": device}, "sport": "run"}))
        await next_of(ws, "started")
        t, samples, rows = t0_ms, 0, 0
        for seq, size in enumerate(sizes):
            body = json.dumps({"type": "batch", "seq": seq, "samples": heart_samples(t, size)})
            sent = time.perf_counter()
            await ws.send(body)
            answer = await next_of(ws, "ack", "error")
            round_trips.append(time.perf_counter() - sent)
            if answer["type"] != "ack":
                raise SystemExit(f"{device}: batch {seq} refused: {answer}")
            t += size * 1000
            samples += size
            rows += int(answer["stored"])
        await ws.send(json.dumps({"type": "stop"}))
        await next_of(ws, "ended")
        return samples, rows


async def ingest(server: FithubServer, token: str, streams: int, batches: int) -> IngestCell:
    sizes = batch_sizes(batches)
    span_ms = sum(sizes) * 1000
    t0 = int(time.time() * 1000) - span_ms - 60_000  # all in the past, inside the 7-day window
    round_trips: list[float] = []
    began = time.perf_counter()
    done = await asyncio.gather(*(
        one_stream(server, token, f"bench-{streams}-{i}", sizes, t0, round_trips)
        for i in range(streams)
    ))  # fmt: skip
    seconds = time.perf_counter() - began
    samples, rows = sum(d[0] for d in done), sum(d[1] for d in done)
    return IngestCell(
        streams=streams, batches=batches * streams, samples=samples, rows=rows,
        seconds=round(seconds, 2), rows_per_s=round(rows / seconds),
        samples_per_s=round(samples / seconds),
        batch_p50_ms=round(percentile(round_trips, 50) * 1000, 1),
        batch_p95_ms=round(percentile(round_trips, 95) * 1000, 1),
    )  # fmt: skip


def bare_chunks(user_id: int, streams: int, batches: int, pg: bool) -> list[list[list[Any]]]:
    """The rows the ingest stored, chunked by batch, with provider ``baseline``."""
    chunks = []
    t0 = int(time.time() * 1000) - 86_400_000
    for stream in range(streams):
        t = t0
        for size in batch_sizes(batches):
            points = [Point("heart_rate", s["t"], s["value"], tuple(s["rr_ms"]))
                      for s in heart_samples(t, size)]  # fmt: skip
            rows = sample_rows(user_id, f"bare-{stream}", points, pg)
            for row in rows:
                row[1] = "baseline"
            chunks.append(rows)
            t += size * 1000
    return chunks


async def bare_insert(server: FithubServer, chunks: list[list[list[Any]]]) -> float:
    """Seconds to insert ``chunks`` with executemany, one transaction per chunk."""
    url = server.env.get("FITHUB_DATABASE_URL")
    names = ", ".join(SAMPLE_COLUMNS)
    if url:
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        marks = ", ".join(f"${n}" for n in range(1, len(SAMPLE_COLUMNS) + 1))
        sql = f"INSERT INTO device_samples ({names}) VALUES ({marks})"
        try:
            started = time.perf_counter()
            for rows in chunks:
                async with conn.transaction():
                    await conn.executemany(sql, rows)
            return time.perf_counter() - started
        finally:
            await conn.close()
    import aiosqlite

    marks = ", ".join("?" for _ in SAMPLE_COLUMNS)
    sql = f"INSERT INTO device_samples ({names}) VALUES ({marks})"
    async with aiosqlite.connect(server.data_dir / "fithub.sqlite3") as db:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        started = time.perf_counter()
        for rows in chunks:
            await db.executemany(sql, rows)
            await db.commit()
        return time.perf_counter() - started


# -- watch ---------------------------------------------------------------------------------------


async def watcher(server: FithubServer, token: str, ready: asyncio.Event, connected: list[int],
                  total: int, sent_at: dict[int, float], latencies: list[float],
                  counts: list[int], arrived: asyncio.Event) -> None:  # fmt: skip
    """One viewer of the user's own live values; records each ``values`` message's latency."""
    url = ws_url(server, WATCH)
    async with connect(url, subprotocols=[WATCH_PROTOCOL, f"bearer.{token}"],  # type: ignore[list-item]
                       max_size=None, open_timeout=WAIT_S, ping_interval=None) as ws:  # fmt: skip
        await ws.send(json.dumps({"type": "watch"}))
        await next_of(ws, "watching")
        connected[0] += 1
        if connected[0] == total:
            ready.set()
        async for raw in ws:  # until cancelled once the cell is over
            message = json.loads(raw)
            if message.get("type") != "values":
                continue
            received_at = time.perf_counter()
            at = sent_at.get(int(message["t"]))
            if at is not None:
                latencies.append(received_at - at)
                counts[0] += 1
                counts[1] += int(message.get("dropped", 0))
                arrived.set()


async def watch(server: FithubServer, token: str, watchers: int, seconds: int) -> WatchCell:
    ready, arrived = asyncio.Event(), asyncio.Event()
    connected, counts = [0], [0, 0]
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    began = time.perf_counter()
    tasks = []
    # connect in waves of 50: a burst of 1,000 handshakes at once is not what is measured
    for _ in range(watchers):
        tasks.append(asyncio.create_task(
            watcher(server, token, ready, connected, watchers, sent_at, latencies, counts,
                    arrived)))  # fmt: skip
        if len(tasks) % 50 == 0:
            await asyncio.sleep(0.05)
    try:
        async with asyncio.timeout(WAIT_S * 2):
            await ready.wait()
        connect_s = time.perf_counter() - began
        url = ws_url(server, INGEST)
        async with connect(url, subprotocols=[INGEST_PROTOCOL, f"bearer.{token}"]) as ws:  # type: ignore[list-item]
            await next_of(ws, "ready")
            device = f"watched-{watchers}"
            await ws.send(json.dumps({"type": "start", "device": {"id": device}, "sport": "run"}))
            await next_of(ws, "started")
            tick = time.perf_counter()
            for seq in range(seconds):
                t = int(time.time() * 1000)
                sent_at[t] = time.perf_counter()
                batch = {"type": "batch", "seq": seq, "samples": heart_samples(t, 1)}
                await ws.send(json.dumps(batch))
                answer = await next_of(ws, "ack", "error")
                if answer["type"] != "ack":
                    raise SystemExit(f"watched stream: batch {seq} refused: {answer}")
                tick += 1.0
                await asyncio.sleep(max(0.0, tick - time.perf_counter()))
            await ws.send(json.dumps({"type": "stop"}))
            await next_of(ws, "ended")
        with contextlib.suppress(TimeoutError):  # let the last values reach every watcher
            async with asyncio.timeout(10):
                while counts[0] + counts[1] < watchers * seconds:
                    arrived.clear()
                    await arrived.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return WatchCell(
        watchers=watchers, batches=seconds, received=counts[0], dropped=counts[1],
        p50_ms=round(percentile(latencies, 50) * 1000, 1),
        p95_ms=round(percentile(latencies, 95) * 1000, 1), connect_s=round(connect_s, 1),
    )  # fmt: skip


# -- the run -------------------------------------------------------------------------------------


def _raise_file_limit(wanted: int) -> None:
    """Room for a socket per watcher, here and in the server (which inherits the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


async def measure(server: FithubServer, args: argparse.Namespace, report: Report) -> None:
    user_id, token = sign_up(server)
    for streams in args.streams:
        log(f"ingest: {streams} streams x {args.batches} batches ...")
        report.ingest.append(await ingest(server, token, streams, args.batches))
    chunks = bare_chunks(user_id, max(args.streams), args.batches, report.backend == "postgresql")
    log(f"bare executemany of {sum(len(c) for c in chunks):,} rows ...")
    report.bare_seconds = round(await bare_insert(server, chunks), 2)
    report.bare_rows = sum(len(c) for c in chunks)
    report.bare_rows_per_s = round(report.bare_rows / report.bare_seconds)
    for watchers in args.watchers:
        log(f"watch: {watchers} watchers, {args.seconds} batches at one a second ...")
        report.watch.append(await watch(server, token, watchers, args.seconds))


def run(args: argparse.Namespace) -> Report:
    _raise_file_limit(4 * max(args.watchers) + 1024)
    server, database = make_server({
        "FITHUB_ENV": "production",
        "FITHUB_PASSWORD_HASHING": "rfc9106-low-memory",
        "FITHUB_LOG_LEVEL": "warning",
    })  # fmt: skip
    report = Report("postgresql" if server.env.get("FITHUB_DATABASE_URL") else "sqlite")
    try:
        server.start()
        asyncio.run(measure(server, args, report))
    finally:
        cleanup(server, database)
    return report


def render(report: Report) -> str:
    lines = [
        f"live telemetry, {report.backend}",
        "  ingest (ack after commit; rows = samples + RR):",
    ]
    for c in report.ingest:
        ratio = c.rows_per_s / report.bare_rows_per_s if report.bare_rows_per_s else 0.0
        lines.append(
            f"    {c.streams:>3} streams: {c.rows:>8,} rows ({c.samples:,} samples) in "
            f"{c.seconds:>6.1f} s = {c.rows_per_s:>7,} rows/s ({c.samples_per_s:,} samples/s), "
            f"{ratio:.0%} of bare; batch ack p50 {c.batch_p50_ms} ms, p95 {c.batch_p95_ms} ms"
        )
    lines.append(f"    bare executemany: {report.bare_rows:>8,} rows in {report.bare_seconds:>6.1f} s "
                 f"= {report.bare_rows_per_s:>7,} rows/s")  # fmt: skip
    lines.append("  publish -> watcher latency (one batch a second):")
    for w in report.watch:
        lines.append(
            f"    {w.watchers:>5} watchers: p50 {w.p50_ms:>7.1f} ms, p95 {w.p95_ms:>7.1f} ms "
            f"({w.received:,} values received, {w.dropped} dropped; connected in {w.connect_s} s)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--batches", type=int, default=30, help="batches per stream (30)")
    parser.add_argument("--watchers", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--seconds", type=int, default=30, help="published batches per cell (30)")
    parser.add_argument("--quick", action="store_true", help="6 batches per stream, 8 seconds")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.batches, args.seconds = 6, 8
    report = run(args)
    print(json.dumps(asdict(report), indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
