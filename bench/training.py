"""Set logging and progress analytics under load, against the bare hello-world app, in one run.

Run from the repository root::

    python -m bench.training                 # SQLite (or PostgreSQL when FITHUB_DATABASE_URL is set)
    python -m bench.training --json

It starts the hello-world app of bench/http.py and a real fithub (``fithub migrate`` + ``serve``),
gives one user five years of history (about 800 workouts and 20,000 sets, written straight into the
database so seeding takes seconds), then measures through real HTTP:

1. **open loop** (requests sent on a fixed schedule, whether or not earlier ones have answered, so
   client-side queueing is not counted as server latency): ``POST /workouts/{id}/sets`` at
   ``--log-rate`` (200/s) and ``GET /analytics/exercises/{id}/progress`` over the five years at
   ``--progress-rate`` (50/s), each for ``--duration`` seconds: p50/p95/p99, achieved rate, errors;
2. **closed loop**, 16 clients back to back: set-logging throughput, and ``GET /`` of hello-world
   with the same client, so the ratio compares like with like.

Goals (issue 4, PostgreSQL, one API process): p95 < 20 ms for set logging at 200/s, p95 < 50 ms
for progress at 50/s, set-logging throughput >= 40 % of hello-world's. The load generator runs in
its own process and shares the two cores with the server: see bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __name__ == "__main__" and not __package__:
    sys.exit("Run this benchmark as a module from the repository root: python -m bench.training")

import aiohttp
import httpx

from bench.http import log, percentile, running_fithub, running_hello
from tests.support import FithubServer

API = "/api/v1"
PASSWORD = "bench-password-not-secret"
LIFTS = ("Squat", "Bench Press", "Deadlift", "Overhead Press", "Barbell Row")


@dataclass
class Result:
    name: str
    mode: str
    offered_rate: float | None
    achieved_rate: float
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    goal: str = ""


# -- seeding ------------------------------------------------------------------------------


def _records_of(user_id: int, sets: list[Any]) -> list[Any]:
    """The record rows fithub would have written had this history been logged set by set."""
    from fithub.core.workouts.models import PersonalRecord, RecordKind

    records: list[Any] = []
    best: dict[tuple[int, str, float | None], float] = {}
    session: dict[tuple[int, int], float] = {}
    for row in sorted(sets, key=lambda r: (r.performed_at, r.set_number)):
        candidates = [
            (RecordKind.MAX_WEIGHT, row.weight_kg, None),
            (RecordKind.BEST_E1RM, row.e1rm_kg, None),
            (RecordKind.MAX_REPS_AT_WEIGHT, float(row.reps), row.weight_kg),
        ]
        key = (row.exercise_id, row.workout_id)
        session[key] = session.get(key, 0.0) + row.volume_kg
        for kind, value, weight in candidates:
            slot = (row.exercise_id, kind.value, weight)
            if value is not None and value > best.get(slot, 0.0):
                records.append(
                    PersonalRecord(
                        user_id=user_id,
                        exercise_id=row.exercise_id,
                        kind=kind,
                        value=value,
                        previous_value=best.get(slot),
                        weight_kg=weight,
                        workout_id=row.workout_id,
                        achieved_at=row.performed_at,
                    )
                )
                best[slot] = value
    for (exercise_id, workout_id), volume in session.items():
        slot = (exercise_id, RecordKind.MAX_SESSION_VOLUME.value, None)
        if volume > best.get(slot, 0.0):
            records.append(
                PersonalRecord(
                    user_id=user_id,
                    exercise_id=exercise_id,
                    kind=RecordKind.MAX_SESSION_VOLUME,
                    value=volume,
                    previous_value=best.get(slot),
                    workout_id=workout_id,
                    achieved_at=start_of(workout_id, sets),
                )
            )
            best[slot] = volume
    return records


def start_of(workout_id: int, sets: list[Any]) -> Any:
    return next(r.performed_at for r in sets if r.workout_id == workout_id)


async def _seed_history(
    env: dict[str, str], user_id: int, workouts: int, sets_per_workout: int
) -> dict[int, str]:
    """Write ``workouts`` completed workouts with their sets straight into the server's database."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("FITHUB_")})
    from tortoise import Tortoise

    from fithub.core.config import load_settings
    from fithub.core.db import tortoise_config
    from fithub.core.exercises.models import Exercise
    from fithub.core.workouts.formulas import epley
    from fithub.core.workouts.models import (
        PersonalRecord,
        Workout,
        WorkoutExercise,
        WorkoutSet,
        WorkoutStatus,
    )

    await Tortoise.init(config=tortoise_config(load_settings()))
    try:
        names = {
            str(n): int(i)
            for i, n in await Exercise.filter(owner_id=None, name__in=list(LIFTS)).values_list(
                "id", "name"
            )
        }
        ids = {names[n]: n for n in LIFTS if n in names}
        if len(ids) < 3:
            raise RuntimeError(f"the catalog lacks the benchmark lifts: found {sorted(names)}")
        rng = random.Random(5)
        start = datetime.now(UTC) - timedelta(days=5 * 365)
        step = timedelta(days=5 * 365) / workouts
        exercise_ids = list(ids)
        for batch in range(0, workouts, 100):
            rows = [
                Workout(
                    user_id=user_id,
                    name=f"Session {n}",
                    status=WorkoutStatus.COMPLETED,
                    started_at=start + step * n,
                    completed_at=start + step * n + timedelta(hours=1),
                    duration_s=3600,
                    source="import",
                )
                for n in range(batch, min(workouts, batch + 100))
            ]
            await Workout.bulk_create(rows)
        made = (
            await Workout.filter(user_id=user_id).order_by("id").values_list("id", "completed_at")
        )
        entries: list[WorkoutExercise] = []
        for workout_id, _ in made:
            for position, exercise_id in enumerate(rng.sample(exercise_ids, 3), start=1):
                entries.append(
                    WorkoutExercise(
                        workout_id=workout_id, exercise_id=exercise_id, position=position
                    )
                )
        await WorkoutExercise.bulk_create(entries, batch_size=1000)
        done = dict(made)
        sets: list[WorkoutSet] = []
        per_entry = max(1, sets_per_workout // 3)
        for entry_id, workout_id, exercise_id in await WorkoutExercise.filter(
            workout__user_id=user_id
        ).values_list("id", "workout_id", "exercise_id"):
            for number in range(1, per_entry + 1):
                weight = round(rng.uniform(40, 160) / 2.5) * 2.5
                reps = rng.randint(3, 10)
                sets.append(
                    WorkoutSet(
                        entry_id=entry_id,
                        user_id=user_id,
                        workout_id=workout_id,
                        exercise_id=exercise_id,
                        set_number=number,
                        reps=reps,
                        weight_kg=weight,
                        e1rm_kg=epley(weight, reps),
                        volume_kg=weight * reps,
                        performed_at=done[workout_id],
                    )
                )
        for batch in range(0, len(sets), 2000):
            await WorkoutSet.bulk_create(sets[batch : batch + 2000])
        await PersonalRecord.bulk_create(_records_of(user_id, sets), batch_size=2000)
        # A five-year-old database has planner statistics and no vacuum backlog: settle it now,
        # so the measurement is not of autovacuum catching up with a bulk load.
        conn = Tortoise.get_connection("default")
        for table in ("workouts", "workout_exercises", "workout_sets", "personal_records"):
            await conn.execute_script(
                f"VACUUM ANALYZE {table}"
                if conn.capabilities.dialect == "postgres"
                else f"ANALYZE {table}"
            )
        return ids
    finally:
        await Tortoise.close_connections()


def seed(
    server: FithubServer, workouts: int, sets_per_workout: int
) -> tuple[dict[str, str], dict[int, str], list[int]]:
    """Sign a user up, give them history, open a few workouts to log into; return auth, lifts, workouts."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        email = f"bench-{os.getpid()}@example.com"
        made = client.post(
            f"{API}/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": "Bench"},
        )
        made.raise_for_status()
        token = client.post(
            f"{API}/auth/login", json={"email": email, "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        user_id = client.get(f"{API}/users/me", headers=headers).json()["id"]
        started = time.perf_counter()
        lifts = asyncio.run(_seed_history(server.env, user_id, workouts, sets_per_workout))
        log(f"  seeded {workouts} workouts in {time.perf_counter() - started:.1f} s")
        open_ids = []
        for n in range(8):
            r = client.post(
                f"{API}/workouts",
                json={"name": f"Live {n}", "status": "in_progress"},
                headers=headers,
            )
            r.raise_for_status()
            open_ids.append(r.json()["id"])
    return headers, lifts, open_ids


# -- load ---------------------------------------------------------------------------------


def _requests(kind: str, base: str, lifts: list[int], workouts: list[int]) -> Any:
    since = (datetime.now(UTC) - timedelta(days=5 * 365 + 7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rng = random.Random(kind)

    def make() -> tuple[str, str, dict[str, Any] | None]:
        if kind == "log_set":
            body = {
                "exercise_id": rng.choice(lifts),
                "reps": rng.randint(3, 10),
                "weight": round(rng.uniform(40, 170) / 2.5) * 2.5,
                "rpe": 8,
            }
            return "POST", f"{base}{API}/workouts/{rng.choice(workouts)}/sets", body
        if kind == "progress":
            return (
                "GET",
                f"{base}{API}/analytics/exercises/{rng.choice(lifts)}/progress?bucket=week&from={since}",
                None,
            )
        return "GET", f"{base}/", None

    return make


async def open_loop(
    make: Any, headers: dict[str, str], rate: float, warmup: float, duration: float
) -> dict[str, Any]:
    """Send at ``rate``/s on a fixed schedule; measure the requests sent after the warm-up."""
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        begin = time.perf_counter()
        measure_from = begin + warmup

        async def one() -> None:
            nonlocal errors
            method, url, body = make()
            sent = time.perf_counter()
            counted = sent >= measure_from
            try:
                async with session.request(method, url, json=body) as response:
                    await response.read()
                    failed = response.status >= 300
            except aiohttp.ClientError:
                failed = True
            if counted:
                if failed:
                    errors += 1
                else:
                    latencies.append((time.perf_counter() - sent) * 1000)

        total = int(rate * (warmup + duration))
        tasks = []
        for n in range(total):
            delay = begin + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - measure_from
    return {
        "latencies": latencies,
        "errors": errors,
        "elapsed": elapsed,
        "requests": len(latencies) + errors,
    }


async def closed_loop(
    make: Any, headers: dict[str, str], clients: int, warmup: float, duration: float
) -> dict[str, Any]:
    """``clients`` loops sending back to back; measure after the warm-up."""
    latencies: list[float] = []
    errors = 0
    begin = time.perf_counter()
    measure_from, stop = begin + warmup, begin + warmup + duration
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=clients), headers=headers
    ) as session:

        async def client() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                method, url, body = make()
                sent = time.perf_counter()
                async with session.request(method, url, json=body) as response:
                    await response.read()
                    failed = response.status >= 300
                if sent < measure_from:
                    continue
                if failed:
                    errors += 1
                else:
                    latencies.append((time.perf_counter() - sent) * 1000)

        await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - measure_from
    return {
        "latencies": latencies,
        "errors": errors,
        "elapsed": elapsed,
        "requests": len(latencies) + errors,
    }


RequestMaker = Callable[..., Callable[[], tuple[str, str, dict[str, Any] | None]]]
"""A module-level function (picklable: the load runs in a process of its own) taking a request
kind, the base URL and its own arguments, returning ``make()`` for the next request."""


def _worker(
    mode: str,
    requests: RequestMaker,
    args: tuple[Any, ...],
    headers: dict[str, str],
    load: float,
    warmup: float,
    duration: float,
    out: Any,
) -> None:
    make = requests(*args)
    if mode == "open":
        out.put(asyncio.run(open_loop(make, headers, load, warmup, duration)))
    else:
        out.put(asyncio.run(closed_loop(make, headers, int(load), warmup, duration)))


def run_load(
    mode: str,
    kind: str,
    headers: dict[str, str],
    load: float,
    duration: float,
    warmup: float,
    requests: RequestMaker,
    *args: Any,
) -> Result:
    """Warm up then measure, in one client process of its own (its connections stay open).

    ``requests(kind, *args)`` makes the requests (``_requests`` here, bench/nutrition.py's own).
    """
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    proc = context.Process(
        target=_worker,
        args=(mode, requests, (kind, *args), headers, load, warmup, duration, out),
    )
    proc.start()
    raw = out.get(timeout=warmup + duration + 120)
    proc.join()
    ordered = sorted(raw["latencies"])
    return Result(
        name=kind,
        mode=f"open {load:g}/s" if mode == "open" else f"closed {int(load)} clients",
        offered_rate=load if mode == "open" else None,
        achieved_rate=round(len(ordered) / raw["elapsed"], 1),
        requests=raw["requests"],
        errors=raw["errors"],
        p50_ms=round(percentile(ordered, 50), 2),
        p95_ms=round(percentile(ordered, 95), 2),
        p99_ms=round(percentile(ordered, 99), 2),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--log-rate", type=float, default=200.0)
    parser.add_argument("--progress-rate", type=float, default=50.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workouts", type=int, default=800)
    parser.add_argument("--sets-per-workout", type=int, default=25)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="fithub-bench-"))
    results: list[Result] = []
    try:
        with ExitStack() as stack:
            log("starting hello-world and fithub ...")
            hello = stack.enter_context(running_hello(log_dir))
            fithub = stack.enter_context(running_fithub("WARNING"))
            headers, lifts, workouts = seed(fithub, args.workouts, args.sets_per_workout)
            lift_ids = list(lifts)
            plan = [
                ("open", "log_set", fithub.base_url, args.log_rate, "p95 < 20 ms"),
                ("open", "progress", fithub.base_url, args.progress_rate, "p95 < 50 ms"),
                ("closed", "log_set", fithub.base_url, args.clients, ">= 40% of hello"),
                ("closed", "hello", hello.base_url, args.clients, "baseline"),
            ]
            for mode, kind, base, load, goal in plan:
                log(f"  {kind}: {mode} loop, {load:g} ...")
                result = run_load(
                    mode, kind, headers, load, args.duration, args.warmup,
                    _requests, base, lift_ids, workouts,
                )  # fmt: skip
                result.goal = goal
                results.append(result)
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)
    database = "postgresql" if os.environ.get("FITHUB_DATABASE_URL") else "sqlite"
    hello_rate = next(r.achieved_rate for r in results if r.name == "hello")
    log_rate = next(
        r.achieved_rate for r in results if r.name == "log_set" and r.offered_rate is None
    )
    ratio = round(100 * log_rate / hello_rate, 1) if hello_rate else None
    if args.json:
        print(
            json.dumps(
                {
                    "database": database,
                    "results": [asdict(r) for r in results],
                    "log_set_vs_hello_pct": ratio,
                },
                indent=2,
            )
        )
    else:
        print(
            f"\nfithub training benchmark on {database}, {os.cpu_count()} cores (client and server share them)"
        )
        print(
            f"{'what':<10} {'load':<18} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}  goal"
        )
        for r in results:
            print(
                f"{r.name:<10} {r.mode:<18} {r.achieved_rate:>8.1f} {r.p50_ms:>8.2f} {r.p95_ms:>8.2f} "
                f"{r.p99_ms:>8.2f} {r.errors:>7}  {r.goal}"
            )
        print(f"set-logging throughput = {ratio} % of hello-world's with {args.clients} clients")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
