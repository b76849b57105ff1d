"""Reminders fire exactly once with two real workers on Redis, and a worker killed mid-send loses nothing.

Two ``fithub worker`` processes (plus ``fithub serve``) share Redis and the database; a real SMTP
server (aiosmtpd, in this process) receives the reminders by e-mail, each mail carrying the
delivery's idempotency key. Reminders are seeded straight into the server's database, due a few
seconds ahead. Then the SMTP server holds every message in flight, the worker holding them is
SIGKILLed, and the other worker sends them again once their lease lapses: every reminder arrives,
and the receiver, deduplicating by idempotency key as the contract allows, sees each once.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.integration.notifiers.smtp_server import SMTPServer
from tests.support import FithubServer, poll, redis_url, running_server

pytestmark = pytest.mark.skipif(
    not redis_url(),
    reason="needs FITHUB_REDIS_URL: two `fithub worker` processes share work only through Redis",
)

LEASE_S = 5


class HoldingSMTP(SMTPServer):
    """The SMTP server, able to hold every message at DATA until released (deliveries in flight)."""

    def __init__(self) -> None:
        super().__init__()
        self.go = threading.Event()  # cleared: hold messages at DATA
        self.go.set()
        self.held = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if not self.go.is_set():
            self.held += 1
            await asyncio.to_thread(self.go.wait)
        return await super().handle_DATA(server, session, envelope)

    def keys(self) -> list[str]:
        return [d.idempotency_key or "" for d in self.delivered()]


@pytest.fixture
def smtp() -> Iterator[HoldingSMTP]:
    with HoldingSMTP() as server:
        yield server


def _db_env(server: FithubServer) -> dict[str, Any]:
    env: dict[str, Any] = {"data_dir": Path(server.env["FITHUB_DATA_DIR"])}
    if server.env.get("FITHUB_DATABASE_URL"):
        env["database_url"] = server.env["FITHUB_DATABASE_URL"]
    return env


def _in_db(server: FithubServer, work: Any) -> Any:
    """Run ``work()`` (a coroutine function) on the server's database from this process."""
    from tortoise import Tortoise

    from fithub.core.config import Settings
    from fithub.core.db import tortoise_config

    async def run() -> Any:
        await Tortoise.init(config=tortoise_config(Settings(**_db_env(server))))
        try:
            return await work()
        finally:
            await Tortoise.close_connections()

    return asyncio.run(run())


def _seed(server: FithubServer, count: int, due_in_s: float) -> list[int]:
    """``count`` people with a verified address, e-mail on for reminders, each a reminder due soon."""

    async def work() -> list[int]:
        from fithub.core.accounts.models import User
        from fithub.core.notifications import preferences
        from fithub.core.notifications.models import Reminder
        from fithub.core.notifications.reminder_times import ALL_DAYS

        due = (datetime.now(UTC) + timedelta(seconds=due_in_s)).replace(microsecond=0)
        made = []
        for _ in range(count):
            user = await User.create(
                email=f"r-{os.urandom(5).hex()}@people.example",
                password_hash="unused",
                display_name="Ada",
                email_verified_at=datetime.now(UTC),
            )
            await preferences.set_choices(user.id, [("workout.reminder_due", "email", True)])
            reminder = await Reminder.create(
                user_id=user.id,
                title="Leg day",
                local_time=due.time(),
                weekdays=ALL_DAYS,
                next_due_at=due,
            )
            made.append(reminder.id)
        return made

    return list(_in_db(server, work))


def _state(server: FithubServer, reminder_ids: list[int]) -> dict[str, Any]:
    async def work() -> dict[str, Any]:
        from fithub.core.notifications.models import Delivery, Notification

        rows = await Notification.filter(kind="workout.reminder_due").values_list("id", "dedup_key")
        wanted = set(reminder_ids)
        mine = {int(i): str(k) for i, k in rows if int(str(k).split(":")[1]) in wanted}
        mails = await Delivery.filter(channel="email", notification_id__in=list(mine))
        return {
            "notifications": list(mine.values()),
            "email_keys": {d.idempotency_key for d in mails},
            "sent": sum(d.status == "sent" for d in mails),
            "holders": {d.worker for d in mails if d.status == "sending"},
            "finished_by": {d.worker for d in mails if d.status == "sent"},
        }

    return dict(_in_db(server, work))


def _worker_pid(holder: str) -> int:
    return int(holder.split(":")[-2])


def test_two_workers_fire_each_reminder_once_and_survive_a_kill(smtp: HoldingSMTP) -> None:
    env = {f"FITHUB_NOTIFIER_EMAIL_{k.upper()}": v for k, v in smtp.settings().items()}
    env |= {
        "FITHUB_NOTIFICATIONS_LEASE_S": str(LEASE_S),
        "FITHUB_JOBS_HEARTBEAT_TIMEOUT_S": "5",
        "FITHUB_NOTIFICATIONS_REMINDERS_EVERY_S": "1",
    }
    with running_server(env) as server:
        second = server.start_worker()
        workers = {p.pid: p for p in server.processes[1:]}
        assert second.pid in workers and len(workers) == 2

        # 1. Many reminders due at once, two workers: each fires and is mailed exactly once.
        first = _seed(server, 40, due_in_s=6)
        poll("every reminder mailed", lambda: len(set(smtp.keys())) >= 40, within_s=90)
        state = poll(
            "every delivery recorded",
            lambda: (s := _state(server, first))["sent"] == 40 and s,
            within_s=30,
        )
        assert sorted(state["notifications"]) == sorted(set(state["notifications"]))
        assert len(state["notifications"]) == 40
        assert sorted(smtp.keys()) == sorted(state["email_keys"])  # one mail per key
        assert len(smtp.keys()) == 40

        # 2. Hold the next mails in flight, kill the worker sending them, release.
        smtp.go.clear()
        more = _seed(server, 10, due_in_s=4)
        poll("a mail in flight", lambda: smtp.held > 0, within_s=60)
        holders = poll("the holding worker", lambda: _state(server, more)["holders"], within_s=30)
        victim_id = sorted(holders)[0]
        victim = workers[_worker_pid(victim_id)]
        server.kill(victim)
        assert isinstance(victim, subprocess.Popen) and victim.returncode is not None
        smtp.go.set()  # the killed worker's open sessions end; the mails they held are torn

        poll(
            "the other worker sends them all",
            lambda: _state(server, more)["sent"] >= 10 and len(set(smtp.keys())) >= 50,
            within_s=90,
        )
        assert victim_id not in _state(server, more)["finished_by"]  # the survivor took over
        state = _state(server, first + more)
        assert len(state["notifications"]) == len(set(state["notifications"])) == 50
        assert set(smtp.keys()) == state["email_keys"]  # none lost
        doubled = {k for k in smtp.keys() if smtp.keys().count(k) > 1}
        assert len(doubled) <= smtp.held  # only mails in flight at the kill may arrive twice
