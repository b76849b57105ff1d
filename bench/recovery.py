"""Crash recovery: time from a SIGKILL of the worker to its work resuming and finishing.

Run from the repository root, on PostgreSQL + Redis (a real ``fithub worker`` is what is killed)::

    FITHUB_DATABASE_URL=postgresql://... FITHUB_REDIS_URL=redis://... python -m bench.recovery
    python -m bench.recovery --json

It starts a fake Oura on loopback and a real fithub server plus ``fithub worker`` with the
default recovery settings (broker heartbeat 15 s, inbox sweep every 30 s, leases of 30 s), and
times three kinds of work, each twice in the same run: once undisturbed (the baseline) and once
with the worker killed with SIGKILL in the middle and a new worker started at once:

- **sync**: a backfill of ``--days`` days of minute heart rate, each vendor page slowed by
  ``--page-delay`` s. Resumed: the run that took the killed one over committed its first page.
- **push burst**: ``--pushes`` signed Oura pushes (a tenth delivered twice), each deleting a
  stored workout; a third of the way in, while the worker holds claimed pushes (their workouts'
  table is locked meanwhile, so it is blocked half-way through them), it is killed. Resumed: the first of the pushes
  the dead worker held processed again. Finished: every one processed.
- **video**: the analysis of a shared clip (``exercise-videos``; skipped with a message when the
  data is absent). Resumed: a second attempt claimed it. Finished: it is ``done``.

Goal (issue 11): every kind resumed within 60 s of the kill, and nothing left stuck (every sync
log final, no inbox row ``queued``, the video ``done``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

if __name__ == "__main__" and not __package__:
    sys.exit("Run this benchmark as a module from the repository root: python -m bench.recovery")

import httpx

from bench.http import log
from fithub.plugins.testing.fakes.oura import FakeOura
from tests.chaos.world import FINAL, connect, push, seed_minutes, seed_workouts, sync_log
from tests.exercise_clips import labelled_clips, missing_reason
from tests.integration.conftest import register
from tests.integration.devices.world import query_db
from tests.support import FithubServer, cleanup, make_server, poll, postgres_url, redis_url

GOAL_S = 60.0
CLIP = "squat_vengaza"
VIDEOS = "/api/v1/videos"
WAIT_S = 600.0


@dataclass
class Timing:
    """One kind of work: undisturbed, and killed once (seconds from the kill)."""

    work: str
    baseline_s: float
    killed_total_s: float
    resumed_after_kill_s: float
    finished_after_kill_s: float
    stuck: int
    note: str = ""

    @property
    def goal_met(self) -> bool:
        return self.resumed_after_kill_s <= GOAL_S and self.stuck == 0


class TableLock:
    """An ACCESS EXCLUSIVE lock on one table, held from a thread of its own until released."""

    def __init__(self, url: str, table: str) -> None:
        self._held, self._release = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._hold(url, table),))
        self._thread.start()
        if not self._held.wait(30):
            raise SystemExit(f"could not lock {table}")

    async def _hold(self, url: str, table: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            async with conn.transaction():
                await conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                self._held.set()
                await asyncio.to_thread(self._release.wait)
        finally:
            await conn.close()

    def release(self) -> None:
        self._release.set()
        self._thread.join(30)


class Bench:
    """The server, its fake vendor and the worker currently running."""

    def __init__(self, server: FithubServer, fake: FakeOura, args: argparse.Namespace) -> None:
        self.server, self.fake, self.args = server, fake, args
        self.worker = server.processes[-1]

    def kill_worker(self) -> float:
        """SIGKILL the worker, start a new one; the wall-clock time of the kill."""
        self.server.kill(self.worker)
        killed = time.time()
        self.worker = self.server.start_worker()
        return killed

    # -- sync ---------------------------------------------------------------------------------

    def backfill(self, kill: bool) -> tuple[float, float, float, int]:
        """Total seconds, seconds from the kill to resumed and to finished, stuck logs."""
        srv, fake = self.server, self.fake
        user, account = register(srv), fake.add_account()
        now = datetime.now(UTC)
        seed_minutes(fake, account, now - timedelta(days=self.args.days, hours=-2),
                     now - timedelta(hours=1))  # fmt: skip
        fake.inject(delay_s=self.args.page_delay, times=10**6, account=account)
        began = time.monotonic()
        first = connect(srv, fake, user, account)
        resumed = finished = 0.0
        if kill:
            poll("pages", lambda: sync_log(srv, user, first)["pages"] >= 4, WAIT_S)
            killed = self.kill_worker()
            old = poll("a takeover",
                       lambda: (s := sync_log(srv, user, first))["superseded_by"] and s, WAIT_S)  # fmt: skip
            poll("the takeover's first page",
                 lambda: sync_log(srv, user, int(old["superseded_by"]))["pages"] >= 1, WAIT_S)  # fmt: skip
            resumed = time.time() - killed
        last = first
        while (s := poll("a final log", lambda n=last: (s := sync_log(srv, user, n))["status"]
                         in FINAL and s, WAIT_S))["status"] == "superseded":  # fmt: skip
            last = int(s["superseded_by"])
        if s["status"] != "succeeded":
            raise SystemExit(f"the backfill did not succeed: {s}")
        total = time.monotonic() - began
        if kill:
            finished = time.time() - killed
        stuck = query_db(srv, "SELECT count(*) FROM device_sync_logs l JOIN device_connections c "
                         "ON c.id = l.connection_id WHERE c.user_id = $1 AND l.status NOT IN "
                         "('succeeded', 'partial', 'failed', 'skipped', 'superseded')", user.id)  # fmt: skip
        return total, resumed, finished, int(stuck[0][0])

    # -- pushes -------------------------------------------------------------------------------

    def burst(self, kill: bool) -> tuple[float, float, float, int]:
        srv, fake = self.server, self.fake
        user, account = register(srv), fake.add_account()
        ids = seed_workouts(fake, account, datetime.now(UTC), self.args.pushes * 9 // 10)
        first = connect(srv, fake, user, account)
        poll("the backfill", lambda: sync_log(srv, user, first)["status"] in FINAL, WAIT_S)
        events = [{"event_type": "delete", "data_type": "workout", "object_id": wid,
                   "user_id": account, "event_time": "2026-01-01T00:00:00+00:00"} for wid in ids]  # fmt: skip
        burst = [*events]
        for i in range(len(events) // 9):
            burst.insert(10 * i + 5, events[9 * i])
        began = time.monotonic()
        killed = 0.0
        held: list[int] = []
        lock = TableLock(srv.env["FITHUB_DATABASE_URL"], "device_activities") if kill else None
        for sent, event in enumerate(burst):
            if lock is not None and sent == len(burst) // 3:
                # Mid-processing: the worker has claimed pushes (their leases are taken) and is
                # blocked deleting their workouts when it dies.
                held = poll("a push held by the worker", lambda: [r[0] for r in query_db(
                    srv, "SELECT id FROM device_webhook_events WHERE external_user_id = $1 "
                    "AND status = 'queued' AND processed_at > now()", account)], WAIT_S)  # fmt: skip
                self.server.kill(self.worker)
                killed = time.time()
                lock.release()
                self.worker = self.server.start_worker()
            if not push(srv, fake, event):  # the API server is not killed here: it answers
                raise SystemExit(f"push {sent} was not acknowledged")

        def queued() -> int:
            rows = query_db(srv, "SELECT count(*) FROM device_webhook_events WHERE "
                            "external_user_id = $1 AND status = 'queued'", account)  # fmt: skip
            return int(rows[0][0])

        poll("every push processed", lambda: queued() == 0, WAIT_S)
        total = time.monotonic() - began
        if not kill:
            return total, 0.0, 0.0, queued()
        # Resumed: the first of the pushes the dead worker held processed; finished: the last
        # push processed.
        moments = query_db(srv, "SELECT min(processed_at) FILTER (WHERE id = ANY($2::bigint[])), "
                           "max(processed_at) FROM device_webhook_events "
                           "WHERE external_user_id = $1", account, held)  # fmt: skip
        first_after, last_after = moments[0]
        return (total, first_after.timestamp() - killed, last_after.timestamp() - killed,
                queued())  # fmt: skip

    # -- video --------------------------------------------------------------------------------

    def analysis(self, kill: bool) -> tuple[float, float, float, int]:
        srv = self.server
        clip = {c.name: c for c in labelled_clips()}[CLIP]
        user = register(srv)
        files = {"file": (clip.video.name, clip.video.read_bytes(), "video/mp4")}
        began = time.monotonic()
        created = httpx.post(f"{srv.base_url}{VIDEOS}", headers=user.auth, files=files,
                             data={"exercise": "squat"}, timeout=120)  # fmt: skip
        if created.status_code != 202:
            raise SystemExit(f"upload: {created.status_code} {created.text[:300]}")
        video_id = created.json()["id"]

        def video() -> dict[str, Any]:
            answer = httpx.get(f"{srv.base_url}{VIDEOS}/{video_id}", headers=user.auth, timeout=10)
            return dict(answer.json())

        resumed = finished = 0.0
        if kill:
            poll("half-way", lambda: (v := video())["status"] == "processing"
                 and v["progress"] >= 0.15, WAIT_S)  # fmt: skip
            killed = self.kill_worker()
            poll("a second attempt", lambda: video()["attempts"] >= 2, WAIT_S)
            resumed = time.time() - killed
        done = poll("the analysis", lambda: (v := video())["status"] in ("done", "failed") and v,
                    WAIT_S)  # fmt: skip
        total = time.monotonic() - began
        if kill:
            finished = time.time() - killed
        return total, resumed, finished, int(done["status"] != "done")


def run(args: argparse.Namespace) -> list[Timing]:
    if not (postgres_url() and redis_url()):
        raise SystemExit("set FITHUB_DATABASE_URL and FITHUB_REDIS_URL: the benchmark kills a "
                         "real fithub worker")  # fmt: skip
    fake = FakeOura()
    fake.page_size = args.page_size
    fake.start()
    server, database = make_server({
        **fake.fithub_env(),
        "FITHUB_LOG_LEVEL": "warning",
        "FITHUB_DEVICES_BACKFILL_DAYS": str(args.days + 1),
        "FITHUB_DEVICES_HTTP_TIMEOUT_S": "30",
    })  # fmt: skip
    results: list[Timing] = []
    try:
        server.start()
        bench = Bench(server, fake, args)
        kinds = [("sync", bench.backfill), ("push burst", bench.burst)]
        if CLIP in {c.name for c in labelled_clips()}:
            kinds.append(("video analysis", bench.analysis))
        else:
            log(f"video analysis skipped: {missing_reason(f'clip {CLIP}')}")
        kinds = [(name, work) for name, work in kinds if name.split()[0] in args.only]
        for name, work in kinds:
            log(f"{name}: baseline ...")
            baseline, _, _, stuck_before = work(False)
            log(f"{name}: killing the worker mid-way ...")
            total, resumed, finished, stuck = work(True)
            results.append(Timing(name, round(baseline, 1), round(total, 1), round(resumed, 1),
                                  round(finished, 1), stuck + stuck_before))  # fmt: skip
    finally:
        cleanup(server, database)
        fake.stop()
    return results


def render(results: list[Timing]) -> str:
    lines = ["crash recovery on PostgreSQL + Redis (worker SIGKILLed, a new one started at once)",
             f"  {'work':<15} {'baseline':>9} {'with kill':>10} {'resumed':>9} {'finished':>9}"
             f" {'stuck':>6}   (resumed/finished: seconds after the kill)"]  # fmt: skip
    for t in results:
        verdict = "met" if t.goal_met else "MISSED"
        lines.append(f"  {t.work:<15} {t.baseline_s:>8.1f}s {t.killed_total_s:>9.1f}s "
                     f"{t.resumed_after_kill_s:>8.1f}s {t.finished_after_kill_s:>8.1f}s "
                     f"{t.stuck:>6}   goal (resumed <= {GOAL_S:.0f} s, none stuck): {verdict}")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=10, help="minute heart rate to backfill (10)")
    parser.add_argument("--page-size", type=int, default=400, help="vendor items per page (400)")
    parser.add_argument("--page-delay", type=float, default=0.3, help="seconds per page (0.3)")
    parser.add_argument("--pushes", type=int, default=200, help="pushes in the burst (200)")
    parser.add_argument("--only", default="sync,push,video",
                        help="the kinds of work to time (sync,push,video)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    results = run(args)
    if args.json:
        print(json.dumps([{**asdict(t), "goal_met": t.goal_met} for t in results], indent=2))
    else:
        print(render(results))
    return 0 if all(t.goal_met for t in results) else 1


if __name__ == "__main__":
    sys.exit(main())
