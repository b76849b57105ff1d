"""Sync leases: one run holds a connection, renews its lease, and is taken over once it lapses.

The connection row is the lock: ``running_sync_id`` names the sync log holding it and
``sync_lease_expires_at`` says until when. A run claims it with one conditional UPDATE that only
applies while it is free, already its own, or held by a run whose lease lapsed; it renews the
lease every :data:`~fithub.core.leases.RENEW_EVERY_S` and frees it when done. Each page it
commits moves the cursor only while it still holds the connection, so a run that was taken over
stops at its next page without writing. A ``running`` log whose lease lapsed (its worker died) is
taken over by whichever comes first, the redelivered message, "sync now" or the sweeper
(:func:`recover_syncs`): it ends ``superseded``, linked to a new log that resumes from the cursors.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from fithub.core.devices.models import DeviceConnection, SyncLog, SyncStatus
from fithub.core.leases import lapsed, lease_until, now_utc, worker_id

log = logging.getLogger("fithub.devices.recovery")

#: A ``running`` log written before leases existed (no lease) counts as lost after this.
LEGACY_STALE_AFTER = timedelta(minutes=20)
#: A queued log older than this, or a deferred one this late, is queued again (its message was
#: lost); not more often than this either.
REDRIVE_AFTER = timedelta(minutes=2)
SWEEP_BATCH = 100


class _NotTaken(Exception):
    """Rolls a takeover back: the run was alive or another process took it first."""


def lost_runs(now: datetime) -> Q:
    """``running`` logs whose worker stopped renewing their lease."""
    return Q(status=SyncStatus.RUNNING) & (
        Q(lease_expires_at__lt=now)
        | Q(lease_expires_at__isnull=True, queued_at__lt=now - LEGACY_STALE_AFTER)
    )


async def claim(connection_id: int, log_id: int) -> bool:
    """Hold ``connection_id`` for sync ``log_id``: True unless a live run holds it.

    A run whose lease lapsed is displaced, and its log marked superseded by ``log_id``.
    """
    now = now_utc()
    current = await DeviceConnection.filter(id=connection_id).first()
    if current is None:
        return False
    holder = current.running_sync_id
    other = holder is not None and holder != log_id
    if other and not lapsed(current.sync_lease_expires_at, now):
        return False
    # Applies only if nobody changed the holder since it was read (one process wins).
    query = DeviceConnection.filter(id=connection_id)
    query = query.filter(running_sync_id=holder) if holder else query.filter(
        running_sync_id__isnull=True)  # fmt: skip
    if other:
        query = query.filter(
            Q(sync_lease_expires_at__lt=now) | Q(sync_lease_expires_at__isnull=True)
        )
    if not await query.update(running_sync_id=log_id, sync_lease_expires_at=lease_until(now)):
        return False
    if other:
        assert holder is not None
        await supersede(holder, log_id, now)
    return True


async def renew(connection_id: int, log_id: int) -> bool:
    """Extend the lease of sync ``log_id`` on its connection; False if it lost it."""
    until = lease_until()
    async with in_transaction() as conn:
        held = await DeviceConnection.filter(id=connection_id, running_sync_id=log_id).using_db(
            conn).update(sync_lease_expires_at=until)  # fmt: skip
        if held:
            await (
                SyncLog.filter(id=log_id, status=SyncStatus.RUNNING)
                .using_db(conn)
                .update(lease_expires_at=until)
            )
    return bool(held)


async def release(connection_id: int, log_id: int) -> None:
    """Free the connection if sync ``log_id`` still holds it."""
    await DeviceConnection.filter(id=connection_id, running_sync_id=log_id).update(
        running_sync_id=None, sync_lease_expires_at=None
    )


async def supersede(old_id: int, new_id: int, now: datetime | None = None) -> bool:
    """End the unfinished log ``old_id`` as superseded by ``new_id``."""
    return bool(
        await SyncLog.filter(
            id=old_id, status__in=[SyncStatus.RUNNING, SyncStatus.QUEUED, SyncStatus.DEFERRED]
        ).update(
            status=SyncStatus.SUPERSEDED,
            superseded_by=new_id,
            finished_at=now or now_utc(),
            error=f"its worker stopped renewing its lease; sync {new_id} took over",
        )  # fmt: skip
    )


async def take_over(row: SyncLog) -> SyncLog | None:
    """A new queued log that resumes the lost run ``row``; None if ``row`` is alive or taken.

    The old log ends ``superseded`` in the same transaction, conditionally on its lease having
    lapsed, so of any number of processes trying at once exactly one gets the new log.
    """
    now = now_utc()
    who = f"its worker {row.worker}" if row.worker else "its worker"
    details = {key: value for key, value in (row.details or {}).items()
               if key == "requested_window"}  # fmt: skip
    try:
        async with in_transaction() as conn:
            new = await SyncLog.create(
                connection_id=row.connection_id, trigger=row.trigger, data_types=row.data_types,
                details={**details, "took_over": row.id}, using_db=conn,
            )  # fmt: skip
            taken = await SyncLog.filter(lost_runs(now), id=row.id).using_db(conn).update(
                status=SyncStatus.SUPERSEDED, superseded_by=new.id, finished_at=now,
                error=f"{who} stopped renewing its lease; sync {new.id} took over",
            )  # fmt: skip
            if not taken:
                raise _NotTaken
    except _NotTaken:
        return None
    log.warning("sync %s of connection %s lost its worker %s: sync %s takes over",
                row.id, row.connection_id, row.worker, new.id)  # fmt: skip
    return new


async def start_running(row: SyncLog) -> bool:
    """Mark the queued (or deferred) log ``row`` running under this worker's lease."""
    now = now_utc()
    started = await SyncLog.filter(
        id=row.id, status__in=[SyncStatus.QUEUED, SyncStatus.DEFERRED]
    ).update(status=SyncStatus.RUNNING, started_at=now, worker=worker_id(),
             lease_expires_at=lease_until(now))  # fmt: skip
    if started:
        row.status, row.started_at, row.worker = SyncStatus.RUNNING, now, worker_id()
    return bool(started)


async def lost_and_idle(now: datetime) -> tuple[list[SyncLog], list[SyncLog]]:
    """Running logs whose lease lapsed, and queued or deferred ones whose message was lost."""
    lost = await SyncLog.filter(lost_runs(now)).order_by("id").limit(SWEEP_BATCH)
    late = now - REDRIVE_AFTER
    idle = (
        await SyncLog.filter(
            Q(status=SyncStatus.QUEUED, queued_at__lt=late)
            | Q(status=SyncStatus.DEFERRED, retry_at__lt=late)
        )
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .order_by("id")
        .limit(SWEEP_BATCH)
    )
    return lost, idle


async def mark_redriven(row: SyncLog, now: datetime) -> bool:
    """Note that ``row`` (queued or deferred) is queued again now; False if another did it."""
    return bool(
        await SyncLog.filter(
            Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now),
            id=row.id,
            status=row.status,
        ).update(lease_expires_at=now + REDRIVE_AFTER)  # fmt: skip
    )
