"""Importing a large Apple Health export: records/s and peak memory, against raw parsing, in one run.

Run from the repository root::

    python -m bench.apple_import                  # a 1 GB export.xml (slow: see bench/README.md)
    python -m bench.apple_import --size-mb 100    # smaller
    python -m bench.apple_import --size-mb 100 --json
    FITHUB_DATABASE_URL=postgresql://postgres@127.0.0.1:55432/postgres python -m bench.apple_import

1. **generate**: a realistic ``export.xml`` of ``--size-mb`` (years of heart rate every five
   minutes, steps and distance from an iPhone and a Watch, energy, nightly sleep stages, HRV, SpO2,
   weights, blood pressure, workouts, activity rings: plugins/testing/fakes/apple_health.py),
   streamed to a temporary folder, never built in memory;
2. **baseline, raw iterparse**: the standard library's C ``iterparse`` over the file, clearing
   each element, nothing else (no protection against XML attacks, no mapping): the ceiling;
3. **baseline, parse and normalise**: fithub's reader (defusedxml, records made and validated,
   days and nights aggregated) without storing anything;
4. **import**: the file moved into media storage and imported by ``run_import``, the function the
   ``devices.import_export`` job runs (the same reader in a thread, ``upsert_records`` a batch per
   transaction), on SQLite, or on a throw-away PostgreSQL database when ``FITHUB_DATABASE_URL`` is
   set; with ``--reimport``, the same file imported again (every record unchanged).

Each phase runs in its own child process (spawned, so the generator's memory does not count) and
reports its peak resident memory (``ru_maxrss``). Goal: the import of a 1 GB export peaks below
300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __name__ == "__main__" and not __package__:
    sys.exit(
        "Run this benchmark as a module from the repository root: python -m bench.apple_import"
    )

MB = 1024 * 1024
GOAL_BYTES = 300 * MB


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def peak_rss() -> int:
    """This process's resident-memory high-water mark, in bytes (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# -- phases, each in a child process ---------------------------------------------------------------


def raw_iterparse(path: str) -> dict[str, Any]:
    import xml.etree.ElementTree as ET

    start, elements = time.perf_counter(), 0
    context = ET.iterparse(path, events=("start", "end"))
    _, root = next(context)
    depth = 1
    for event, _element in context:
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if depth == 1:
            elements += 1
            root.clear()  # the element and its predecessors
    return {"seconds": time.perf_counter() - start, "elements": elements, "peak_rss": peak_rss()}


def parse_only(path: str) -> dict[str, Any]:
    from fithub.plugins.apple_health.export import ExportReader

    start = time.perf_counter()
    reader = ExportReader()
    with open(path, "rb") as stream:
        records = sum(1 for _ in reader.records(stream))
    return {"seconds": time.perf_counter() - start, "elements": reader.stats.read,
            "records": records, "peak_rss": peak_rss()}  # fmt: skip


async def _import(key: str, size: int, batch: int, reimport: str | None) -> dict[str, Any]:
    from fithub.core.accounts.models import User
    from fithub.core.config import load_settings
    from fithub.core.db import close_db, init_db
    from fithub.core.devices.imports import services
    from fithub.core.devices.imports.models import DeviceImport

    os.environ["FITHUB_APPLE_HEALTH_IMPORT_BATCH_RECORDS"] = str(batch)
    settings = load_settings()
    await init_db(settings)
    try:
        user = await User.create(email=f"bench-{time.time_ns()}@example.com", password_hash="-",
                                 display_name="Bench")  # fmt: skip
        runs = []
        for label, stored in (("import", key), ("reimport", reimport)):
            if stored is None:
                continue
            row = await DeviceImport.create(user_id=user.id, provider="apple_health",
                                            file_format="xml", size_bytes=size, xml_bytes=size,
                                            storage_key=stored, job_token=label)  # fmt: skip
            start = time.perf_counter()
            outcome = await services.run_import(settings, row.id, label, stored)
            seconds = time.perf_counter() - start
            await row.refresh_from_db()
            runs.append({"label": label, "outcome": outcome, "seconds": seconds,
                         "error": row.error, "elements": row.records_read,
                         "inserted": row.inserted, "updated": row.updated,
                         "unchanged": row.unchanged, "aggregated": row.aggregated,
                         "skipped": row.skipped})  # fmt: skip
        return {"runs": runs, "peak_rss": peak_rss()}
    finally:
        await close_db()


def import_export(env: dict[str, str], key: str, size: int, batch: int,
                  reimport: str | None) -> dict[str, Any]:  # fmt: skip
    os.environ.update(env)
    return asyncio.run(_import(key, size, batch, reimport))


def in_child(function: Any, *args: Any) -> dict[str, Any]:
    """Run ``function(*args)`` in a fresh (spawned) process; its result, with its own peak RSS."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return dict(pool.apply(function, args))


# -- the run ---------------------------------------------------------------------------------------


def prepare_database(folder: Path) -> tuple[dict[str, str], Any]:
    """A migrated database (a throw-away one on FITHUB_DATABASE_URL's server, or SQLite)."""
    from tests.support import PostgresDatabase

    env = {"FITHUB_DATA_DIR": str(folder / "data"), "FITHUB_ENV": "test",
           "FITHUB_LOG_LEVEL": "WARNING"}  # fmt: skip
    database = None
    if os.environ.get("FITHUB_DATABASE_URL"):
        database = PostgresDatabase(os.environ["FITHUB_DATABASE_URL"])
        env["FITHUB_DATABASE_URL"] = database.create()
    migrated = subprocess.run([sys.executable, "-m", "fithub.core.cli", "migrate"],
                              env={**os.environ, **env}, capture_output=True, text=True)  # fmt: skip
    if migrated.returncode != 0:
        raise RuntimeError(f"fithub migrate failed:\n{migrated.stderr}")
    return env, database


def store(env: dict[str, str], path: Path, copy: bool) -> str:
    """Put the export into media storage as an upload is; a copy when it is needed again."""
    from fithub.core.config import Settings
    from fithub.core.media.storage import LocalStorage

    storage = LocalStorage(Settings(data_dir=Path(env["FITHUB_DATA_DIR"])).media_dir)
    staged = storage.staging_file(".xml")
    if copy:
        shutil.copyfile(path, staged)
    else:
        os.replace(path, staged)
    return asyncio.run(storage.put(staged, suffix=".xml", content_type="application/xml"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--size-mb", type=float, default=1024, help="export.xml size (default 1 GB)"
    )
    parser.add_argument("--batch", type=int, default=2000, help="records per transaction")
    parser.add_argument("--reimport", action="store_true", help="import the same file twice")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    from fithub.plugins.testing.fakes.apple_health import write_export

    folder = Path(tempfile.mkdtemp(prefix="fithub-apple-bench-"))
    database = None
    try:
        path = folder / "export.xml"
        log(f"generating a {args.size_mb:g} MB export.xml in {folder} ...")
        start = time.perf_counter()
        with path.open("wb") as out:
            summary = write_export(out, target_bytes=int(args.size_mb * MB))
        generated = time.perf_counter() - start
        size = path.stat().st_size
        log(f"  {size / MB:.0f} MB, {summary.days} days, {summary.elements} elements in "
            f"{generated:.0f} s")  # fmt: skip

        log("baseline: raw iterparse ...")
        raw = in_child(raw_iterparse, str(path))
        log("baseline: parse and normalise (fithub's reader, nothing stored) ...")
        parsed = in_child(parse_only, str(path))

        env, database = prepare_database(folder)
        backend = "postgresql" if database is not None else "sqlite"
        log(f"import through run_import on {backend} (batches of {args.batch}) ...")
        again = store(env, path, copy=True) if args.reimport else None
        key = store(env, path, copy=False)
        imported = in_child(import_export, env, key, size, args.batch, again)
    finally:
        if database is not None:
            database.drop()
        shutil.rmtree(folder, ignore_errors=True)

    results = {
        "size_bytes": size, "days": summary.days, "elements": summary.elements,
        "backend": backend, "batch": args.batch,
        "raw_iterparse": raw, "parse_normalise": parsed, "import": imported,
        "goal_peak_rss_bytes": GOAL_BYTES,
    }  # fmt: skip
    if args.json:
        print(json.dumps(results, indent=2))
        return
    rows = [("raw iterparse (C, unsafe)", raw["seconds"], raw["elements"], None, raw["peak_rss"]),
            ("parse + normalise", parsed["seconds"], parsed["elements"], parsed["records"],
             parsed["peak_rss"])]  # fmt: skip
    for run in imported["runs"]:
        stored = run["inserted"] + run["updated"] + run["unchanged"]
        rows.append((f"{run['label']} ({backend}): {run['outcome']}", run["seconds"],
                     run["elements"], stored, imported["peak_rss"]))  # fmt: skip
    print(f"\nexport.xml {size / MB:.0f} MB ({summary.days} days); import batches of {args.batch}")
    print(f"{'phase':<34} {'seconds':>8} {'elements/s':>11} {'records/s':>10} {'MB/s':>6} "
          f"{'peak RSS':>9}")  # fmt: skip
    for name, seconds, elements, records, rss in rows:
        per_record = f"{records / seconds:>10,.0f}" if records is not None else f"{'-':>10}"
        print(f"{name:<34} {seconds:>8.1f} {elements / seconds:>11,.0f} {per_record} "
              f"{size / MB / seconds:>6.1f} {rss / MB:>7.0f} MB")  # fmt: skip
    for run in imported["runs"]:
        print(f"{run['label']}: {run['inserted']:,} inserted, {run['updated']:,} updated, "
              f"{run['unchanged']:,} unchanged, {run['aggregated']:,} aggregated, "
              f"{run['skipped']:,} skipped {run['error']}")  # fmt: skip
    verdict = "meets" if imported["peak_rss"] < GOAL_BYTES else "MISSES"
    print(f"import peak RSS {imported['peak_rss'] / MB:.0f} MB: {verdict} the goal of "
          f"{GOAL_BYTES / MB:.0f} MB (the goal is for a 1 GB export)")  # fmt: skip


if __name__ == "__main__":
    main()
