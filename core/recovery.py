"""Stuck background work: find it (``fithub doctor``, the admin endpoint, ``/metrics``), re-drive it.

Five kinds are watched:

- ``sync``: a sync log running whose lease lapsed (or, holding none, older than the stale
  deadline ``STALE_AFTER``), or still queued past that deadline; re-driven by enqueuing its job
  again, which takes the run over from its cursor.
- ``inbox_queued`` / ``inbox_processing``: a vendor push stored in the inbox and still queued
  past ``FITHUB_RECOVERY_REDRIVE_AFTER_S`` with no job holding it, or held by a job whose lease
  lapsed (its worker died). The recovery sweep re-enqueues both every
  ``FITHUB_RECOVERY_SWEEP_EVERY_S``; a row re-driven before waits twice as long each time (up to
  :data:`MAX_BACKOFF` times the deadline), so a long backlog is not flooded with copies.
- ``delivery``: a notification delivery (core/notifications) due more than
  :data:`DELIVERY_LATE` ago and not sent, or held by a worker whose lease lapsed; the
  ``notifications.dispatch_due`` sweep takes both over every few seconds, so a count that stays
  up means no process runs jobs.
- ``dead_letter``: a job message that failed all its retries (Redis: the broker's ``.XQ`` queue;
  embedded: the in-process broker's list); re-driven for one more attempt only on request.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q

from fithub.core import jobs
from fithub.core.config import Settings
from fithub.core.devices.inbox import PUSH_JOB
from fithub.core.devices.jobs import STALE_AFTER, SYNC_JOB
from fithub.core.devices.models import PushStatus, SyncLog, SyncStatus, WebhookEvent
from fithub.core.notifications.models import Delivery, DeliveryStatus

log = logging.getLogger("fithub.recovery")

SWEEP_JOB = "recovery.sweep"
KINDS = ("sync", "inbox_queued", "inbox_processing", "delivery", "dead_letter")
DELIVERY_LATE = timedelta(minutes=1)
DISPATCH_JOB = "notifications.dispatch_due"
SWEEP_BATCH = 500  # inbox rows looked at per sweep
MAX_BACKOFF = 16  # a row re-driven often waits at most this many deadlines between re-drives
LIST_LIMIT = 20  # ids listed per kind


@dataclass
class Stuck:
    """One kind of stuck work: how many, the oldest's age in seconds, and a few ids."""

    kind: str
    count: int = 0
    oldest_s: float | None = None
    ids: list[str] = field(default_factory=list)


async def _summary(kind: str, query: Any, stamp: str, now: datetime) -> Stuck:
    """Count ``query``'s rows and list the oldest (by ``stamp``), with the oldest's age."""
    count = await query.count()
    oldest = await query.order_by(stamp, "id").limit(LIST_LIMIT).values_list("id", stamp)
    age = round(_age(now, oldest[0][1]), 1) if oldest else None
    return Stuck(kind, count, age, [str(row[0]) for row in oldest])


def _age(now: datetime, moment: datetime | None) -> float:
    return (now - moment).total_seconds() if moment else 0.0


def _stuck_syncs(now: datetime) -> Any:
    lapsed = Q(status=SyncStatus.RUNNING, lease_expires_at__lt=now)
    unleased = Q(status=SyncStatus.RUNNING, lease_expires_at__isnull=True,
                 queued_at__lt=now - STALE_AFTER)  # fmt: skip
    stale = Q(status=SyncStatus.QUEUED, queued_at__lt=now - STALE_AFTER)
    return SyncLog.filter(lapsed | unleased | stale)


def _queued_rows(settings: Settings, now: datetime) -> Any:
    deadline = now - timedelta(seconds=settings.recovery_redrive_after_s)
    return WebhookEvent.filter(
        status=PushStatus.QUEUED, processed_at__isnull=True, received_at__lt=deadline
    )


def _late_deliveries(now: datetime) -> Any:
    lapsed = Q(status=DeliveryStatus.SENDING, lease_expires_at__lt=now)
    late = Q(status=DeliveryStatus.PENDING, next_attempt_at__lt=now - DELIVERY_LATE)
    return Delivery.filter(lapsed | late)


def _lapsed_rows(now: datetime) -> Any:
    return WebhookEvent.filter(status=PushStatus.QUEUED, processed_at__lt=now)


async def _stuck_rows(settings: Settings, now: datetime) -> list[WebhookEvent]:
    """Inbox rows queued past the deadline with no job on them, or whose job's lease lapsed."""
    deadline = now - timedelta(seconds=settings.recovery_redrive_after_s)
    unheld = Q(processed_at__isnull=True, received_at__lt=deadline)
    return list(
        await WebhookEvent.filter(unheld | Q(processed_at__lt=now), status=PushStatus.QUEUED)
        .order_by("id")
        .limit(SWEEP_BATCH)
    )


async def stuck_work(settings: Settings, *, with_dead_letters: bool = True) -> list[Stuck]:
    """Every kind of stuck work (``KINDS``; without dead letters unless ``with_dead_letters``),
    oldest first within each kind."""
    now = datetime.now(UTC)
    found = [
        await _summary("sync", _stuck_syncs(now), "queued_at", now),
        await _summary("inbox_queued", _queued_rows(settings, now), "received_at", now),
        await _summary("inbox_processing", _lapsed_rows(now), "received_at", now),
        await _summary("delivery", _late_deliveries(now), "next_attempt_at", now),
    ]
    if with_dead_letters:
        count, letters = await jobs.dead_letters(LIST_LIMIT)
        age = round(now.timestamp() - letters[0].at_ms / 1000, 1) if letters else None
        ids = [f"{letter.job}:{letter.message_id}" for letter in letters]
        found.append(Stuck("dead_letter", count, age, ids))
    return found


def _due(row: WebhookEvent, settings: Settings, now: datetime) -> bool:
    """Whether the sweep re-drives ``row`` now: each re-drive doubles the wait before the next."""
    redrives = int((row.outcome or {}).get("redrives", 0))
    if redrives == 0 and row.processed_at is not None:
        return True  # held by a job whose lease lapsed (its worker died): the lease was the wait
    last = (row.outcome or {}).get("redriven_at")
    since = datetime.fromisoformat(last) if isinstance(last, str) else row.received_at
    wait = settings.recovery_redrive_after_s * min(MAX_BACKOFF, 2**redrives)
    return now >= since + timedelta(seconds=wait)


async def _redrive_row(row: WebhookEvent, now: datetime) -> bool:
    """Note the re-drive on the row (unless a job claimed it meanwhile), then enqueue its job."""
    outcome = dict(row.outcome or {})
    outcome.update(redrives=int(outcome.get("redrives", 0)) + 1, redriven_at=now.isoformat())
    unchanged = (Q(processed_at__isnull=True) if row.processed_at is None
                 else Q(processed_at=row.processed_at))  # fmt: skip
    noted = await WebhookEvent.filter(unchanged, id=row.id, status=PushStatus.QUEUED).update(
        outcome=outcome
    )
    if noted:
        await jobs.enqueue(PUSH_JOB, row.id)
    return bool(noted)


async def sweep_inbox(settings: Settings, *, force: bool = False) -> int:
    """Re-enqueue inbox rows stuck queued or with a lapsed lease (``force``: ignore the back-off)."""
    now = datetime.now(UTC)
    redriven = 0
    for row in await _stuck_rows(settings, now):
        if (force or _due(row, settings, now)) and await _redrive_row(row, now):
            redriven += 1
    if redriven:
        log.info("re-enqueued %d stuck inbox rows", redriven)
    return redriven


async def redrive(settings: Settings) -> dict[str, int]:
    """Re-drive everything :func:`stuck_work` lists, now; return how many of each kind."""
    if not jobs.configured():  # a command beside an embedded server: the server enqueues them
        return {"sync": 0, "inbox": await _mark_due(settings), "delivery": 0, "dead_letter": 0}
    now = datetime.now(UTC)
    syncs = await _stuck_syncs(now).order_by("id").values_list("id", flat=True)
    for log_id in syncs:
        await jobs.enqueue(SYNC_JOB, log_id)
    inbox = await sweep_inbox(settings, force=True)
    deliveries = await _late_deliveries(now).count()
    if deliveries:
        await jobs.enqueue(DISPATCH_JOB)
    letters = await jobs.redrive_dead_letters()
    log.info("re-drove %d syncs, %d inbox rows, %d deliveries, %d dead letters",
             len(syncs), inbox, deliveries, letters)  # fmt: skip
    return {"sync": len(syncs), "inbox": inbox, "delivery": deliveries, "dead_letter": letters}


async def _mark_due(settings: Settings) -> int:
    """Clear the back-off of stuck inbox rows so that the server's next sweep re-enqueues them."""
    now = datetime.now(UTC)
    marked = 0
    for row in await _stuck_rows(settings, now):
        outcome = {k: v for k, v in (row.outcome or {}).items()
                   if k not in ("redrives", "redriven_at")}  # fmt: skip
        marked += await WebhookEvent.filter(id=row.id, status=PushStatus.QUEUED).update(
            outcome=outcome
        )
    return marked


async def report_and_redrive(
    settings: Settings, redrive_too: bool
) -> tuple[list[dict[str, Any]], dict[str, int] | None]:
    """What ``fithub doctor`` prints, from a process of its own.

    With Redis it reads and feeds the shared broker. Embedded, the server's broker lives in the
    server's memory: dead letters are not listed (see the admin endpoint), and re-driving an
    inbox row clears its back-off so that the server's next sweep re-enqueues it.
    """
    runtime = None
    if settings.redis_url:
        from fithub.core.bootstrap import build_runtime

        runtime = build_runtime(settings)
        jobs.configure(runtime, asyncio.get_running_loop())
    try:
        report = await stuck_work(settings, with_dead_letters=runtime is not None)
        redriven = await redrive(settings) if redrive_too else None
    finally:
        if runtime is not None:
            await runtime.devices.close()
            if runtime.redis is not None:
                await runtime.redis.aclose()
    return [asdict(item) for item in report], redriven


@jobs.job(SWEEP_JOB, max_retries=0, time_limit_ms=60_000)
async def sweep() -> None:
    """The periodic recovery sweep (core/schedules.py): re-enqueue stuck inbox rows."""
    try:
        await sweep_inbox(jobs.job_runtime().settings)
    except Exception:  # the database or the broker is away: the next sweep tries again
        log.warning("the recovery sweep failed", exc_info=True)
