"""Notifications: deliveries per second (inapp, webhook) and the reminder scheduler's lateness.

Run from the repository root::

    python -m bench.notify                      # 2,000 deliveries per channel, 10,000 reminders
    python -m bench.notify --deliveries 500 --reminders 2000 --json

In one run, on SQLite in a fresh data folder (PostgreSQL when ``FITHUB_DATABASE_URL`` is set):

* **hello**: the bare Quart hello-world (``bench/hello_app.py``, served like ``fithub serve``),
  ``GET /`` from 16 closed-loop clients for ``--duration`` s: the machine's ceiling today.
* **inapp / webhook**: ``--deliveries`` pending deliveries, each claimed, rendered, sent and
  recorded by the real engine (``delivery.deliver_many``, as the sweeper job runs it). The webhook
  receiver runs in its own process on loopback (answers 204 at once); the webhook notifier signs
  every request (Standard Webhooks). Inapp publishes to the in-process fan-out.
* **reminders**: ``--reminders`` reminders (one per person) all due at the same instant; real
  ``fithub``-style firing processes (``reminders.fire_due`` every ``notifications_reminders_every_s``
  seconds, aligned to the clock as the scheduler's slots are) fire them. Lateness is the
  notification's creation time minus its due time. Run twice: one worker undisturbed; then one
  worker SIGKILLed while firing and a new one started (a restart): none may be lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __name__ == "__main__" and not __package__:
    sys.exit("Run this benchmark as a module from the repository root: python -m bench.notify")

import httpx
from aiohttp import web

from tests.support import free_port

FIRE_EVERY_S = 2.0


# -- processes this bench starts -----------------------------------------------------------------


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _wait_http(url: str, within_s: float = 30) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def receiver(port: int) -> None:
    """A webhook receiver that accepts everything at once (run in its own process)."""

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", accept)
    app.router.add_get("/", accept)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def _hello_rate(url: str, duration_s: float, clients: int = 16) -> float:
    done = 0
    stop_at = time.monotonic() + duration_s
    async with httpx.AsyncClient(base_url=url) as client:

        async def loop() -> None:
            nonlocal done
            while time.monotonic() < stop_at:
                answer = await client.get("/")
                answer.raise_for_status()
                done += 1

        started = time.monotonic()
        await asyncio.gather(*(loop() for _ in range(clients)))
        return done / (time.monotonic() - started)


# -- the database, in this process and in the firing workers -------------------------------------


def _settings(data_dir: Path) -> Any:
    from fithub.core.config import Settings

    env: dict[str, Any] = {"data_dir": data_dir}
    if os.environ.get("FITHUB_DATABASE_URL"):
        env["database_url"] = os.environ["FITHUB_DATABASE_URL"]
    return Settings(**env)


def _service(settings: Any, environ: dict[str, str]) -> Any:
    from fithub.core.devices.crypto import CredentialVault
    from fithub.core.fanout import Fanout
    from fithub.core.notifications.channels import ChannelSet
    from fithub.core.notifications.service import NotificationService
    from fithub.plugins.manager import load_plugins

    fanout = Fanout()
    return NotificationService(
        settings=settings,
        channels=ChannelSet(load_plugins(), publisher=fanout, environ=environ),
        vault=CredentialVault(b"b" * 32),
        fanout=fanout,
    )


async def _open(data_dir: Path) -> Any:
    from fithub.core.db import init_db

    settings = _settings(data_dir)
    await init_db(settings)
    return settings


async def fire_worker(data_dir: Path) -> None:
    """Fire due reminders every FIRE_EVERY_S seconds, on the clock's slots (a worker's loop)."""
    from fithub.core.notifications import reminders

    service = _service(await _open(data_dir), {})
    while True:
        await reminders.fire_due(service)
        await asyncio.sleep(FIRE_EVERY_S - time.time() % FIRE_EVERY_S)


async def _people(count: int) -> list[int]:
    from fithub.core.accounts.models import User

    tag = os.urandom(3).hex()
    await User.bulk_create(
        [
            User(
                email=f"p{i}-{tag}@bench.example",
                password_hash="x",
                display_name=f"P{i}",
                timezone="Europe/Berlin",
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    ids = await User.filter(email__endswith=f"-{tag}@bench.example").values_list("id", flat=True)
    return [int(i) for i in ids]


async def deliveries_per_second(count: int, receiver_url: str) -> dict[str, float]:
    """Deliveries/s through inapp and webhook, each over ``count`` pending deliveries."""
    from fithub.core.notifications import delivery
    from fithub.core.notifications.inbox import idempotency_key
    from fithub.core.notifications.models import Delivery, Notification, WebhookEndpoint

    service = _service(_settings(Path(".")), {"FITHUB_NOTIFIER_WEBHOOK_ALLOW_PRIVATE": "true"})
    user_id = (await _people(1))[0]
    now = datetime.now(UTC)
    await Notification.bulk_create(
        [
            Notification(
                user_id=user_id,
                kind="record.achieved",
                title="PR",
                text="PR",
                context={"exercise_name": "Squat", "kind": "max_weight", "value": 100},
                dedup_key=f"bench:{i}",
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    notes = await Notification.filter(user_id=user_id).values_list("id", flat=True)
    endpoint = await WebhookEndpoint.create(
        owner_id=user_id, url=f"{receiver_url}/hook", event_types=["record.achieved"], secrets=""
    )
    endpoint.secrets = service.vault.seal(
        {"secrets": ["whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]},
        f"webhook-endpoint:{endpoint.id}",
    )
    await endpoint.save()
    rates: dict[str, float] = {}
    for channel in ("inapp", "webhook"):
        rows = [
            Delivery(
                user_id=user_id,
                channel=channel,
                next_attempt_at=now,
                idempotency_key=idempotency_key("bench", channel, n),
                **(
                    {"notification_id": n}
                    if channel == "inapp"
                    else {
                        "endpoint_id": endpoint.id,
                        "event_type": "record.achieved",
                        "payload": {"type": "record.achieved", "data": {"n": n}},
                    }
                ),
            )
            for n in notes
        ]
        await Delivery.bulk_create(rows, batch_size=1000)
        ids = [int(i) for i in await Delivery.filter(channel=channel).values_list("id", flat=True)]
        started = time.perf_counter()
        for offset in range(0, len(ids), delivery.SWEEP_BATCH):
            await delivery.deliver_many(service, ids[offset : offset + delivery.SWEEP_BATCH])
        elapsed = time.perf_counter() - started
        sent = await Delivery.filter(channel=channel, status="sent").count()
        if sent != count:
            raise RuntimeError(f"{channel}: {sent} of {count} sent")
        rates[channel] = count / elapsed
    await service.close()
    return rates


async def _seed_reminders(count: int, due: datetime) -> None:
    from fithub.core.notifications.models import Reminder
    from fithub.core.notifications.reminder_times import ALL_DAYS

    local = due.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin")).time()
    await Reminder.bulk_create(
        [
            Reminder(
                user_id=uid,
                title="Leg day",
                local_time=local.replace(tzinfo=None),
                weekdays=ALL_DAYS,
                next_due_at=due,
            )
            for uid in await _people(count)
        ],
        batch_size=1000,
    )


async def _outcome(due: datetime, count: int) -> dict[str, Any]:
    from fithub.core.notifications.models import Notification, Reminder

    rows = await Notification.filter(kind="workout.reminder_due").values_list(
        "created_at", "dedup_key"
    )
    late = sorted((created - due).total_seconds() for created, _ in rows)
    keys = [key for _, key in rows]
    moved = await Reminder.filter(next_due_at__gt=due).count()
    return {
        "reminders": count,
        "notified": len(set(keys)),
        "twice": len(keys) - len(set(keys)),
        "lost": count - len(set(keys)),
        "moved_on": moved,
        "p50_s": statistics.median(late) if late else None,
        "p95_s": late[int(len(late) * 0.95) - 1] if late else None,
        "max_s": late[-1] if late else None,
    }


def scheduler_run(data_dir: Path, count: int, kill: bool) -> dict[str, Any]:
    """Seed ``count`` reminders due together; fire them with worker processes; measure."""
    from fithub.core.db import close_db

    async def seed() -> datetime:
        await _open(data_dir)
        from fithub.core.notifications.models import Notification, Reminder

        await Notification.filter(kind="workout.reminder_due").delete()
        await Reminder.all().delete()
        due = (datetime.now(UTC) + timedelta(seconds=15)).replace(microsecond=0)
        await _seed_reminders(count, due)
        await close_db()
        return due

    due = asyncio.run(seed())
    worker = _spawn("bench.notify", "--fire-worker", str(data_dir))
    try:
        if kill:  # SIGKILL the worker while it fires, then start a new one (a restart)
            while datetime.now(UTC) < due + timedelta(seconds=FIRE_EVERY_S + 0.3):
                time.sleep(0.05)
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            worker = _spawn("bench.notify", "--fire-worker", str(data_dir))

        async def done() -> dict[str, Any]:
            await _open(data_dir)
            from fithub.core.notifications.models import Notification

            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if await Notification.filter(kind="workout.reminder_due").count() >= count:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(FIRE_EVERY_S * 2)  # would a double show up?
            result = await _outcome(due, count)
            await close_db()
            return result

        return asyncio.run(done())
    finally:
        _stop(worker)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from fithub.core.db import close_db

    data_dir = Path(tempfile.mkdtemp(prefix="fithub-bench-notify-"))
    hello_port, hook_port = free_port(), free_port()
    hello = _spawn("bench.hello_app", "--port", str(hello_port))
    hook = _spawn("bench.notify", "--receiver", str(hook_port))
    results: dict[str, Any] = {}
    try:
        _wait_http(f"http://127.0.0.1:{hello_port}/")
        _wait_http(f"http://127.0.0.1:{hook_port}/")
        results["hello_rps"] = asyncio.run(
            _hello_rate(f"http://127.0.0.1:{hello_port}", args.duration)
        )
        _stop(hello)

        async def deliveries() -> dict[str, float]:
            from tortoise import Tortoise

            await _open(data_dir)
            await Tortoise.generate_schemas()
            try:
                return await deliveries_per_second(args.deliveries, f"http://127.0.0.1:{hook_port}")
            finally:
                await close_db()

        results["deliveries_per_s"] = asyncio.run(deliveries())
        results["scheduler"] = scheduler_run(data_dir, args.reminders, kill=False)
        results["scheduler_restart"] = scheduler_run(data_dir, args.reminders, kill=True)
    finally:
        _stop(hello)
        _stop(hook)
        shutil.rmtree(data_dir, ignore_errors=True)
    return results


def render(results: dict[str, Any]) -> str:
    lines = [
        f"{'what':<34}{'value':>14}",
        "-" * 48,
        f"{'hello-world GET / (req/s)':<34}{results['hello_rps']:>14.0f}",
    ]
    for channel, rate in results["deliveries_per_s"].items():
        lines.append(f"{channel + ' deliveries/s':<34}{rate:>14.0f}")
    for name in ("scheduler", "scheduler_restart"):
        run_ = results[name]
        label = "reminders" if name == "scheduler" else "reminders, worker killed"
        lines.append(f"{label}: {run_['reminders']} due at once")
        for key in ("p50_s", "p95_s", "max_s"):
            value = run_[key]
            lines.append(
                f"{'  lateness ' + key[:-2] + ' (s)':<34}"
                f"{(f'{value:.2f}' if value is not None else '-'):>14}"
            )
        for key in ("notified", "twice", "lost", "moved_on"):
            lines.append(f"{'  ' + key:<34}{run_[key]:>14}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=5.0, help="hello-world seconds")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--fire-worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.receiver:
        receiver(args.receiver)
        return 0
    if args.fire_worker:
        asyncio.run(fire_worker(args.fire_worker))
        return 0
    results = run(args)
    print(json.dumps(results, indent=2) if args.json else render(results))  # noqa: T201
    ok = all(
        results[n]["lost"] == 0 and results[n]["twice"] == 0
        for n in ("scheduler", "scheduler_restart")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
