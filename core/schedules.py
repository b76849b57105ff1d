"""Periodic jobs: each process that runs jobs ticks a scheduler; Redis makes sure one enqueues per slot.

A schedule's time is cut into slots of ``every_s`` seconds. At each tick a process claims the
current slot of every schedule with ``SET key NX EX`` in Redis (or, embedded, in its own memory)
and enqueues the job only if the claim is its own, so any number of workers enqueue it once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from fithub.core.config import Settings
from fithub.core.jobs import enqueue
from fithub.core.leases import SWEEP_EVERY_S

log = logging.getLogger("fithub.schedules")


@dataclass(frozen=True)
class Schedule:
    job: str
    every_s: int
    args: tuple[Any, ...] = field(default=())


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("coaching.mark_missed_assignments", 3600),
    Schedule("accounts.purge_expired_sessions", 24 * 3600, (7,)),
    Schedule("streaming.finalize_abandoned", 60),
    Schedule("telemetry.end_abandoned", 60),
    # Take over work whose worker stopped renewing its lease (docs/adr/0009-leases.md).
    Schedule("devices.recover_syncs", SWEEP_EVERY_S),
    Schedule("media.recover_analyses", SWEEP_EVERY_S),
)


def schedules_for(settings: Settings) -> tuple[Schedule, ...]:
    """``SCHEDULES`` plus the schedules whose period is a setting (device sync dispatch)."""
    return (
        *SCHEDULES,
        Schedule("devices.dispatch_due_syncs", settings.devices.dispatch_every_s),
        # Re-enqueue inbox rows left queued, or held by a dead worker (core/recovery.py).
        Schedule("recovery.sweep", settings.recovery_sweep_every_s),
        # Journey 5: events -> notifications and webhooks; due deliveries and retries.
        Schedule("notifications.consume_events", settings.notifications_consume_every_s),
        Schedule("notifications.dispatch_due", settings.notifications_sweep_every_s),
        # Workout reminders, exactly once each; the weekly summary on Monday 08:xx local time.
        Schedule("notifications.fire_reminders", settings.notifications_reminders_every_s),
        Schedule("notifications.weekly_summaries", 3600),
    )


async def claim(
    redis: Redis | None, schedule: Schedule, slot: int, namespace: str = "fithub"
) -> bool:
    """True if this process is the one to enqueue ``schedule`` for ``slot``.

    ``namespace`` is ``FITHUB_REDIS_NAMESPACE``: deployments sharing a Redis claim apart.
    """
    if redis is None:
        return True
    key = f"{namespace}:schedule:{schedule.job}:{slot}"
    return bool(await redis.set(key, "1", nx=True, ex=schedule.every_s * 2))


async def run_scheduler(
    redis: Redis | None,
    schedules: tuple[Schedule, ...] = SCHEDULES,
    tick_s: float | None = None,
    namespace: str = "fithub",
) -> None:
    """Enqueue due schedules forever (cancel the task to stop).

    Ticks every ``tick_s`` seconds: by default 30, or half the shortest period when that is less.
    """
    if tick_s is None:
        tick_s = min(30.0, min((s.every_s for s in schedules), default=60) / 2)
    seen: dict[str, int] = {}
    while True:
        now = time.time()
        for schedule in schedules:
            slot = int(now // schedule.every_s)
            if seen.get(schedule.job) == slot:
                continue
            try:
                if await claim(redis, schedule, slot, namespace):
                    await enqueue(schedule.job, *schedule.args)
                    # Every few seconds for the sweepers: INFO only for the rarer schedules.
                    level = logging.INFO if schedule.every_s >= 60 else logging.DEBUG
                    log.log(level, "scheduled %s", schedule.job)
                seen[schedule.job] = slot
            except Exception:  # Redis or the broker hiccuped: try again next tick
                log.exception("could not schedule %s", schedule.job)
        await asyncio.sleep(tick_s)
