"""Nutrition: food search on the built-in table and diary entries logged, beside hello-world, in one run.

Run from the repository root::

    python -m bench.nutrition                # SQLite (or PostgreSQL when FITHUB_DATABASE_URL is set)
    python -m bench.nutrition --json

It starts the hello-world app of bench/http.py and a real fithub (``fithub migrate`` + ``serve``),
signs one user up and imports a few foods from the built-in table, then measures through real
HTTP, each phase in a load process of its own:

1. **search, open loop** at ``--search-rate`` (50/s) offered: ``GET /nutrition/foods/search`` on
   the built-in table (973 foods) with queries drawn from a fixed list, a third of them with a
   typo ("bananna", "chiken breast"): p50/p95/p99 and the rate achieved;
2. **search, closed loop**, 16 clients back to back: searches per second;
3. **log entry, closed loop**, 16 clients: ``POST /nutrition/diary/entries`` (a food in grams or
   one of its servings, a meal, a day of 2024-2025): entries logged per second;
4. **hello, closed loop**, 16 clients: ``GET /`` of the bare Quart app, the baseline of the ratios.

The load generator shares the machine's two cores with the server: see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

if __name__ == "__main__" and not __package__:
    sys.exit("Run this benchmark as a module from the repository root: python -m bench.nutrition")

import httpx

from bench.http import log, running_fithub, running_hello
from bench.training import PASSWORD, Result, run_load
from tests.support import FithubServer

API = "/api/v1"
QUERIES = (
    "banana", "bananna", "chicken breast", "chiken breast", "oats", "oatmeal", "whole milk",
    "cheddar", "chedar cheese", "apple", "aple", "rice", "brown rice", "salmon", "samlon",
    "egg", "broccoli", "brocoli", "peanut butter", "yogurt", "yoghurt", "bread", "potato",
    "potatoe", "olive oil",
)  # fmt: skip
SEED_FOODS = ("banana", "chicken breast", "oats", "whole milk", "rice", "egg")
MEALS = ("breakfast", "lunch", "dinner", "snack")
FIRST_DAY, DAYS = date(2024, 1, 1), 700


def seed(server: FithubServer) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Sign a user up and store a few built-in foods; return auth and the foods (id, servings)."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        email = f"bench-nutrition-{os.getpid()}@example.com"
        client.post(
            f"{API}/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": "Bench"},
        ).raise_for_status()
        token = client.post(
            f"{API}/auth/login", json={"email": email, "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        foods: list[dict[str, Any]] = []
        for text in SEED_FOODS:
            found = client.get(
                f"{API}/nutrition/foods/search", params={"q": text, "source": "builtin"},
                headers=headers,
            )  # fmt: skip
            found.raise_for_status()
            first = found.json()["items"][0]
            stored = client.post(
                f"{API}/nutrition/foods/import",
                json={"source": first["source"], "source_id": first["source_id"]},
                headers=headers,
            )
            stored.raise_for_status()
            food = stored.json()
            foods.append({"id": food["id"], "servings": [s["name"] for s in food["servings"]]})
    return headers, foods


def _requests(kind: str, base: str, foods: list[dict[str, Any]]) -> Any:
    rng = random.Random(kind)

    def make() -> tuple[str, str, dict[str, Any] | None]:
        if kind == "search":
            query = httpx.QueryParams({"q": rng.choice(QUERIES), "source": "builtin"})
            return "GET", f"{base}{API}/nutrition/foods/search?{query}", None
        if kind == "log_entry":
            food = rng.choice(foods)
            day = FIRST_DAY + timedelta(days=rng.randrange(DAYS))  # days hold at most 300 entries
            body: dict[str, Any] = {
                "food_id": food["id"], "meal": rng.choice(MEALS), "day": day.isoformat()
            }  # fmt: skip
            if food["servings"] and rng.random() < 0.5:
                body.update(quantity=1, unit="serving", serving_name=rng.choice(food["servings"]))
            else:
                body.update(quantity=rng.randint(50, 300), unit="g")
            return "POST", f"{base}{API}/nutrition/diary/entries", body
        return "GET", f"{base}/", None

    return make


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--search-rate", type=float, default=50.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="fithub-bench-"))
    results: list[Result] = []
    try:
        with ExitStack() as stack:
            log("starting hello-world and fithub ...")
            hello = stack.enter_context(running_hello(log_dir))
            fithub = stack.enter_context(running_fithub("WARNING"))
            headers, foods = seed(fithub)
            plan = [
                ("open", "search", fithub.base_url, args.search_rate, "p50/p95"),
                ("closed", "search", fithub.base_url, args.clients, "vs hello"),
                ("closed", "log_entry", fithub.base_url, args.clients, "vs hello"),
                ("closed", "hello", hello.base_url, args.clients, "baseline"),
            ]
            for mode, kind, base, load, goal in plan:
                log(f"  {kind}: {mode} loop, {load:g} ...")
                result = run_load(
                    mode, kind, headers, load, args.duration, args.warmup, _requests, base, foods
                )
                result.goal = goal
                results.append(result)
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)
    database = "postgresql" if os.environ.get("FITHUB_DATABASE_URL") else "sqlite"
    hello_rate = next(r.achieved_rate for r in results if r.name == "hello")

    def versus_hello(kind: str) -> float | None:
        rate = next(r.achieved_rate for r in results if r.name == kind and r.offered_rate is None)
        return round(rate / hello_rate, 3) if hello_rate else None

    ratios = {
        "search_vs_hello": versus_hello("search"),
        "log_entry_vs_hello": versus_hello("log_entry"),
    }
    if args.json:
        print(json.dumps(
            {"database": database, "results": [asdict(r) for r in results], **ratios}, indent=2
        ))  # fmt: skip
        return 0
    print(f"nutrition bench on {database}")
    print(
        f"{'request':<10} {'mode':<18} {'rate/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}"
    )
    for r in results:
        print(
            f"{r.name:<10} {r.mode:<18} {r.achieved_rate:>8.1f} {r.p50_ms:>8.2f} {r.p95_ms:>8.2f} "
            f"{r.p99_ms:>8.2f} {r.errors:>6}"
        )
    for name, ratio in ratios.items():
        print(f"{name}: {ratio}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
