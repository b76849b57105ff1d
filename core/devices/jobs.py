"""Background jobs of the devices domain: sync one connection, find the connections due a sync,
and take over the syncs whose worker died.

``devices.sync`` takes the id of a queued :class:`SyncLog` (made by :func:`request_sync`), so a
redelivered message for a finished log does nothing; one for a ``running`` log whose lease lapsed
takes the run over (core/devices/recovery.py). ``devices.dispatch_due_syncs`` runs on the
schedule (core/schedules.py): it claims each connection whose ``next_sync_at`` has come, moves
that time one interval on (with jitter), and queues a sync. ``devices.recover_syncs`` (also
scheduled) takes over lost runs and queues again the logs whose message was lost.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import cast

from tortoise.expressions import Q

from fithub.core.devices import recovery
from fithub.core.devices.connections import purge_expired_states
from fithub.core.devices.errors import (
    BreakerOpen,
    ConnectionGone,
    Deferred,
    LeaseLost,
    ReauthRequired,
)
from fithub.core.devices.gateway import ProviderGateway
from fithub.core.devices.models import ConnectionStatus, DeviceConnection, SyncLog, SyncStatus
from fithub.core.devices.sync import SKIPPED_UNGRANTED, SyncRun, summarise
from fithub.core.errors import FithubError
from fithub.core.events import services as events
from fithub.core.jobs import enqueue, job, job_runtime
from fithub.core.leases import LEASE_S, RENEW_EVERY_S, lapsed, renewing

log = logging.getLogger("fithub.devices.jobs")

SYNC_JOB = "devices.sync"
STALE_AFTER = timedelta(minutes=20)  # a queued log older than this was lost with its message
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
    active = await _active(connection.id, now)
    if (
        active is not None
        and active.status == SyncStatus.RUNNING
        and lapsed(active.lease_expires_at, now)
    ):  # its worker died: this request takes the run over (resuming from the cursors)
        successor = await recovery.take_over(active)
        if successor is not None:
            await enqueue(SYNC_JOB, successor.id)
            if trigger != "push":
                return successor, True
        active = None if successor is not None else await _active(connection.id, now)
    if active is not None and trigger != "push":
        return active, False
    details = {"requested_window": [t.isoformat() for t in window]} if window else {}
    row = await SyncLog.create(connection_id=connection.id, trigger=trigger,
                               data_types=list(data_types), details=details)  # fmt: skip
    await enqueue(SYNC_JOB, row.id)
    return row, True


async def _active(connection_id: int, now: datetime) -> SyncLog | None:
    """The connection's latest running log (live or not), or queued one not lost with its message."""
    waiting = Q(
        status__in=[SyncStatus.QUEUED, SyncStatus.DEFERRED], queued_at__gt=now - STALE_AFTER
    )
    query = SyncLog.filter(Q(status=SyncStatus.RUNNING) | waiting, connection_id=connection_id)
    return await query.order_by("-id").first()


def _outcome(run: SyncRun) -> tuple[SyncStatus, str]:
    """Succeeded, partial (some data types failed) or failed (all did), and why."""
    skipped = SKIPPED_UNGRANTED
    failed = {k: r.failed for k, r in run.reports.items() if r.failed and r.failed != skipped}
    fine = [k for k, r in run.reports.items() if not r.failed]
    error = "; ".join(f"{k}: {v}" for k, v in failed.items())[:500]
    if not failed:
        return SyncStatus.SUCCEEDED, ""
    return (SyncStatus.PARTIAL if fine else SyncStatus.FAILED), error


async def _run(
    gateway: ProviderGateway, row: SyncLog, connection: DeviceConnection
) -> float | None:
    """Run the sync while it holds the connection; returns seconds to defer it by, if deferred."""
    try:
        provider = await gateway.provider(connection.provider)
    except FithubError as exc:
        row.status, row.error = SyncStatus.FAILED, exc.detail[:500]
        return None
    run = SyncRun(gateway, connection, provider, row)
    wait: float | None = None
    try:
        async with renewing(lambda: recovery.renew(connection.id, row.id), RENEW_EVERY_S):
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


async def execute_sync(gateway: ProviderGateway, log_id: int) -> SyncLog | None:
    """Run the queued sync ``log_id`` to its end; the finished (or deferred) log.

    For a ``running`` log (a redelivered message) whose lease lapsed, the run is taken over and
    its successor's log returned; a live one is left alone.
    """
    row = await SyncLog.get_or_none(id=log_id).select_related("connection")
    if row is not None and row.status == SyncStatus.RUNNING:
        successor = await recovery.take_over(row)
        if successor is not None:
            return await execute_sync(gateway, successor.id)
        return await _check_back(row.id)
    if row is None or row.status not in (SyncStatus.QUEUED, SyncStatus.DEFERRED):
        return row
    connection: DeviceConnection = row.connection
    wait: float | None = None
    running = False
    if connection.status != ConnectionStatus.CONNECTED:
        row.status, row.error = SyncStatus.SKIPPED, f"the connection is {connection.status}"
    elif not await recovery.claim(connection.id, row.id):
        busy = int((row.details or {}).get("busy_retries", 0)) + 1
        if row.trigger == "push" and busy <= MAX_BUSY_RETRIES:
            # A push asked for its own window or data types: run after the current sync.
            row.details = {**(row.details or {}), "busy_retries": busy}
            # Its own message comes back: the sweeper need not queue it again meanwhile.
            row.lease_expires_at = datetime.now(UTC) + recovery.REDRIVE_AFTER
            await row.save(update_fields=["details", "lease_expires_at"])
            await enqueue(SYNC_JOB, row.id, delay_ms=BUSY_RETRY_MS)
            return row
        row.status, row.error = SyncStatus.SKIPPED, "another sync of this connection is running"
    elif not await recovery.start_running(row):
        return await SyncLog.get(id=row.id)  # another message of the same log runs it
    else:
        running = True
        try:
            wait = await _run(gateway, row, connection)
        except LeaseLost:
            log.warning("sync %s of connection %s was taken over", row.id, connection.id)
            return await SyncLog.get(id=row.id)
        except Exception as exc:  # a bug or the database: never leave the log "running"
            log.exception("sync %s of connection %s crashed", row.id, connection.id)
            row.status, row.error = SyncStatus.FAILED, f"internal error: {type(exc).__name__}"
    if not await _finish(row, connection, running):
        return await SyncLog.get(id=row.id)
    if wait is not None:
        await enqueue(SYNC_JOB, row.id, delay_ms=int(wait * 1000))
    log.info("sync %s of connection %s (%s): %s, %s fetched, %s new, %s updated, %s errors",
             row.id, connection.id, connection.provider, row.status.value, row.fetched,
             row.inserted, row.updated, row.errors)  # fmt: skip
    return row


async def _check_back(log_id: int) -> SyncLog | None:
    """A message for a run whose lease is live comes back once it could lapse (its worker may have
    died just now: a redelivered message then takes the run over, as the sweeper would)."""
    row = await SyncLog.get_or_none(id=log_id)
    if row is not None and row.status == SyncStatus.RUNNING and row.lease_expires_at is not None:
        wait = (row.lease_expires_at - datetime.now(UTC)).total_seconds() + 1
        await enqueue(SYNC_JOB, row.id, delay_ms=int(min(max(wait, 1.0), LEASE_S + 1) * 1000))
    return row


async def _finish(row: SyncLog, connection: DeviceConnection, running: bool) -> bool:
    """Store the outcome while this worker still owns the log, and free the connection."""
    now = datetime.now(UTC)
    if row.status != SyncStatus.DEFERRED:
        row.finished_at = now
    row.lease_expires_at = None
    fields = ("status", "error", "retry_at", "finished_at", "details", "pages", "fetched",
              "inserted", "updated", "unchanged", "errors", "window_start", "window_end",
              "lease_expires_at")  # fmt: skip
    mine = SyncLog.filter(id=row.id)
    mine = (
        mine.filter(status=SyncStatus.RUNNING, worker=row.worker)
        if running
        else mine.filter(status__in=[SyncStatus.QUEUED, SyncStatus.DEFERRED])
    )
    stored = await mine.update(**{name: getattr(row, name) for name in fields})
    await recovery.release(connection.id, row.id)
    if not stored:
        log.warning("sync %s of connection %s was taken over before it ended", row.id,
                    connection.id)  # fmt: skip
        return False
    if row.status not in (SyncStatus.SKIPPED, SyncStatus.DEFERRED):
        await DeviceConnection.filter(id=connection.id).update(
            last_sync_at=now, last_sync_status=row.status.value, last_error=row.error
        )
        await _announce(row, connection)
    return True


async def _announce(row: SyncLog, connection: DeviceConnection) -> None:
    """``sync.completed`` or ``sync.failed`` (with how many syncs in a row failed)."""
    payload = {
        "sync_id": row.id,
        "connection_id": connection.id,
        "provider": connection.provider,
        "status": row.status.value,
        "trigger": row.trigger,
        "inserted": row.inserted,
        "updated": row.updated,
    }
    if row.status != SyncStatus.FAILED:
        await events.emit("sync.completed", connection.user_id, payload)
        return
    recent = await (
        SyncLog.filter(connection_id=connection.id, finished_at__not_isnull=True)
        .exclude(status__in=[SyncStatus.SKIPPED, SyncStatus.DEFERRED, SyncStatus.SUPERSEDED])
        .order_by("-id")
        .limit(20)
        .values_list("status", flat=True)
    )
    in_a_row = 0
    for status in cast("list[SyncStatus]", recent):
        if status != SyncStatus.FAILED:
            break
        in_a_row += 1
    payload["error"] = (row.error or "")[:200]
    payload["consecutive_failures"] = in_a_row
    await events.emit("sync.failed", connection.user_id, payload)


@job(SYNC_JOB, max_retries=0, time_limit_ms=15 * 60_000)
async def sync_connection(log_id: int) -> None:
    """Run one queued sync (see :func:`execute_sync`); idempotent per log id."""
    await execute_sync(job_runtime().devices, log_id)


def next_time(gateway: ProviderGateway, now: datetime) -> datetime:
    """When a connection synced now is due again: the interval, give or take 10 %."""
    interval = gateway.config.sync_interval_s
    return now + timedelta(seconds=interval * random.uniform(0.9, 1.1))  # noqa: S311


@job("devices.dispatch_due_syncs", max_retries=0)
async def dispatch_due_syncs() -> int:
    """Queue a sync for each connection that is due; skip providers whose breaker is open."""
    gateway: ProviderGateway = job_runtime().devices
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
            breaker = await gateway.breaker_state(name) if name in gateway.classes else None
            retry_at = breaker.retry_at if breaker is not None else None
            paused[name] = retry_at if retry_at is not None and retry_at > now else None
        claimed = await DeviceConnection.filter(
            id=connection.id, status=ConnectionStatus.CONNECTED, next_sync_at__lte=now
        ).update(next_sync_at=paused[name] or next_time(gateway, now))
        if claimed and paused[name] is None:
            _, created = await request_sync(connection, "scheduled")
            queued += int(created)
    await purge_expired_states()
    return queued


@job("devices.recover_syncs", max_retries=0)
async def recover_syncs() -> int:
    """Take over the runs whose lease lapsed and queue again the logs whose message was lost."""
    now = datetime.now(UTC)
    lost, idle = await recovery.lost_and_idle(now)
    queued = 0
    for row in lost:
        successor = await recovery.take_over(row)
        if successor is not None:
            await enqueue(SYNC_JOB, successor.id)
            queued += 1
    for row in idle:
        if await recovery.mark_redriven(row, now):
            await enqueue(SYNC_JOB, row.id)
            queued += 1
    return queued
