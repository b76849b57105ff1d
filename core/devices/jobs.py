"""Background jobs of the devices domain: sync one connection, and find the connections due a sync.

``devices.sync`` takes the id of a queued :class:`SyncLog` (made by :func:`request_sync`), so a
redelivered message for a finished log does nothing. ``devices.dispatch_due_syncs`` runs on the
schedule (core/schedules.py): it claims each connection whose ``next_sync_at`` has come, moves
that time one interval on (with jitter), and queues a sync.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from fithub.core.devices.connections import ConnectionGone, ReauthRequired, purge_expired_states
from fithub.core.devices.hub import BreakerOpen, DeviceHub, SyncBusy
from fithub.core.devices.models import ConnectionStatus, DeviceConnection, SyncLog, SyncStatus
from fithub.core.devices.sync import SKIPPED_UNGRANTED, Deferred, SyncRun, summarise
from fithub.core.errors import FithubError
from fithub.core.jobs import enqueue, job, job_runtime

log = logging.getLogger("fithub.devices.jobs")

SYNC_JOB = "devices.sync"
ACTIVE = (SyncStatus.QUEUED, SyncStatus.RUNNING, SyncStatus.DEFERRED)
STALE_AFTER = timedelta(minutes=20)  # an active log older than this was lost with its worker
MAX_DEFERRALS = 5
MAX_BUSY_RETRIES = 60
BUSY_RETRY_MS = 10_000  # a push's sync waits this for the running one
DISPATCH_BATCH = 500


async def request_sync(
    connection: DeviceConnection,
    trigger: str,
    data_types: Sequence[str] = (),
    window: tuple[datetime, datetime] | None = None,
) -> tuple[SyncLog, bool]:
    """Queue a sync of ``connection``; an active one is returned instead (False: not new).

    A push's sync (``trigger="push"``) is always queued on its own, since it asks for its own
    data types and ``window`` (which replaces the cursor's window for that run only); it waits
    for the connection's running sync instead of being skipped.
    """
    now = datetime.now(UTC)
    active = (
        await SyncLog.filter(
            connection_id=connection.id, status__in=ACTIVE, queued_at__gt=now - STALE_AFTER
        )
        .order_by("-id")
        .first()
    )
    if active is not None and trigger != "push":
        return active, False
    details = {"requested_window": [t.isoformat() for t in window]} if window else {}
    row = await SyncLog.create(connection_id=connection.id, trigger=trigger,
                               data_types=list(data_types), details=details)  # fmt: skip
    await enqueue(SYNC_JOB, row.id)
    return row, True


def _outcome(run: SyncRun) -> tuple[SyncStatus, str]:
    """Succeeded, partial (some data types failed) or failed (all did), and why."""
    skipped = SKIPPED_UNGRANTED
    failed = {k: r.failed for k, r in run.reports.items() if r.failed and r.failed != skipped}
    fine = [k for k, r in run.reports.items() if not r.failed]
    error = "; ".join(f"{k}: {v}" for k, v in failed.items())[:500]
    if not failed:
        return SyncStatus.SUCCEEDED, ""
    return (SyncStatus.PARTIAL if fine else SyncStatus.FAILED), error


async def _run(hub: DeviceHub, row: SyncLog, connection: DeviceConnection) -> float | None:
    """Run the sync under the connection's lock; returns seconds to defer it by, if deferred."""
    row.status, row.started_at = SyncStatus.RUNNING, datetime.now(UTC)
    await row.save(update_fields=["status", "started_at"])
    try:
        provider = await hub.provider(connection.provider)
    except FithubError as exc:
        row.status, row.error = SyncStatus.FAILED, exc.detail[:500]
        return None
    run = SyncRun(hub, connection, provider, row)
    wait: float | None = None
    try:
        await run.run()
        row.status, row.error = _outcome(run)
    except BreakerOpen as exc:
        row.status, row.error, row.retry_at = SyncStatus.FAILED, str(exc)[:500], exc.retry_at
    except ReauthRequired as exc:
        row.status, row.error = SyncStatus.FAILED, f"reauth required: {exc}"[:500]
    except ConnectionGone:
        row.status, row.error = SyncStatus.SKIPPED, "disconnected during the sync"
    except Deferred as exc:
        deferrals = int((row.details or {}).get("deferrals", 0)) + 1
        row.details = {**(row.details or {}), "deferrals": deferrals}
        if deferrals > MAX_DEFERRALS:
            row.status, row.error = SyncStatus.FAILED, f"still rate limited after {deferrals} tries"
        else:
            row.status, row.error = (
                SyncStatus.DEFERRED,
                f"rate limited: runs again in {exc.wait:.0f} s",
            )
            row.retry_at = datetime.now(UTC) + timedelta(seconds=exc.wait)
            wait = exc.wait
    summarise(row, run.reports)
    return wait


async def execute_sync(hub: DeviceHub, log_id: int) -> SyncLog | None:
    """Run the queued sync ``log_id`` to its end; the finished (or deferred) log."""
    row = await SyncLog.get_or_none(id=log_id).select_related("connection")
    if row is None or row.status not in (SyncStatus.QUEUED, SyncStatus.DEFERRED):
        return row
    connection: DeviceConnection = row.connection
    wait: float | None = None
    if connection.status != ConnectionStatus.CONNECTED:
        row.status, row.error = SyncStatus.SKIPPED, f"the connection is {connection.status}"
    else:
        try:
            async with hub.sync_lock(connection.id):
                wait = await _run(hub, row, connection)
        except SyncBusy:
            busy = int((row.details or {}).get("busy_retries", 0)) + 1
            if row.trigger == "push" and busy <= MAX_BUSY_RETRIES:
                # A push asked for its own window or data types: run after the current sync.
                row.details = {**(row.details or {}), "busy_retries": busy}
                await row.save(update_fields=["details"])
                await enqueue(SYNC_JOB, row.id, delay_ms=BUSY_RETRY_MS)
                return row
            row.status, row.error = SyncStatus.SKIPPED, "another sync of this connection is running"
        except Exception as exc:  # a bug or the database: never leave the log "running"
            log.exception("sync %s of connection %s crashed", row.id, connection.id)
            row.status, row.error = SyncStatus.FAILED, f"internal error: {type(exc).__name__}"
    now = datetime.now(UTC)
    if row.status != SyncStatus.DEFERRED:
        row.finished_at = now
    await row.save()
    if row.status not in (SyncStatus.SKIPPED, SyncStatus.DEFERRED):
        await DeviceConnection.filter(id=connection.id).update(
            last_sync_at=now, last_sync_status=row.status.value, last_error=row.error
        )
    if wait is not None:
        await enqueue(SYNC_JOB, row.id, delay_ms=int(wait * 1000))
    log.info("sync %s of connection %s (%s): %s, %s fetched, %s new, %s updated, %s errors",
             row.id, connection.id, connection.provider, row.status.value, row.fetched,
             row.inserted, row.updated, row.errors)  # fmt: skip
    return row


@job(SYNC_JOB, max_retries=0, time_limit_ms=15 * 60_000)
async def sync_connection(log_id: int) -> None:
    """Run one queued sync (see :func:`execute_sync`); idempotent per log id."""
    await execute_sync(job_runtime().devices, log_id)


def next_time(hub: DeviceHub, now: datetime) -> datetime:
    """When a connection synced now is due again: the interval, give or take 10 %."""
    interval = hub.config.sync_interval_s
    return now + timedelta(seconds=interval * random.uniform(0.9, 1.1))  # noqa: S311


@job("devices.dispatch_due_syncs", max_retries=0)
async def dispatch_due_syncs() -> int:
    """Queue a sync for each connection that is due; skip providers whose breaker is open."""
    hub: DeviceHub = job_runtime().devices
    now = datetime.now(UTC)
    due = (
        await DeviceConnection.filter(status=ConnectionStatus.CONNECTED, next_sync_at__lte=now)
        .order_by("next_sync_at")
        .limit(DISPATCH_BATCH)
    )
    queued = 0
    paused: dict[str, datetime | None] = {}
    for connection in due:
        name = connection.provider
        if name not in paused:
            breaker = await hub.breaker_state(name) if name in hub.classes else None
            retry_at = breaker.retry_at if breaker is not None else None
            paused[name] = retry_at if retry_at is not None and retry_at > now else None
        claimed = await DeviceConnection.filter(
            id=connection.id, status=ConnectionStatus.CONNECTED, next_sync_at__lte=now
        ).update(next_sync_at=paused[name] or next_time(hub, now))
        if claimed and paused[name] is None:
            _, created = await request_sync(connection, "scheduled")
            queued += int(created)
    await purge_expired_states()
    return queued
