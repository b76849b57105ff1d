"""Leases on long background work: which worker runs a unit of work, and until when it may.

A worker holding a lease renews it every :data:`RENEW_EVERY_S` while it works; one whose lease
lapsed (its process died, or stalled past :data:`LEASE_S`) may be taken over with a conditional
UPDATE (``... WHERE lease_expires_at < now``), which one process wins on SQLite and PostgreSQL
alike. The holder's own writes filter on its worker id, so a run that was taken over cannot
write after its successor. See docs/adr/0009-leases.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

log = logging.getLogger("fithub.leases")

#: Seconds a lease lasts from its last renewal.
LEASE_S = 30.0
#: Seconds between renewals while the holder works (a third of the lease: two may fail).
RENEW_EVERY_S = 10.0
#: Seconds between sweeps that take over lapsed work (core/schedules.py).
SWEEP_EVERY_S = 15

_worker: tuple[int, str] | None = None


def worker_id() -> str:
    """This process's id as a lease holder: host, pid and a random part (a pid may be reused)."""
    global _worker
    pid = os.getpid()
    if _worker is None or _worker[0] != pid:  # a forked child is another worker
        _worker = (pid, f"{socket.gethostname()[:40]}:{pid}:{secrets.token_hex(4)}")
    return _worker[1]


def now_utc() -> datetime:
    return datetime.now(UTC)


def lease_until(now: datetime | None = None, lease_s: float = LEASE_S) -> datetime:
    """When a lease taken or renewed at ``now`` lapses."""
    return (now or now_utc()) + timedelta(seconds=lease_s)


def lapsed(expires_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether a lease expiring at ``expires_at`` may be taken over (None: no lease held)."""
    return expires_at is None or expires_at < (now or now_utc())


@contextlib.asynccontextmanager
async def renewing(
    renew: Callable[[], Awaitable[bool]], every_s: float = RENEW_EVERY_S
) -> AsyncIterator[asyncio.Event]:
    """Call ``renew`` every ``every_s`` seconds while the block runs.

    Yields an event that is set once ``renew`` returns False (the lease was lost: another worker
    took the work over); the block should stop at its next step. A failing renewal (the database
    hiccuped) is logged and tried again at the next period.
    """
    lost = asyncio.Event()

    async def loop() -> None:
        while not lost.is_set():
            await asyncio.sleep(every_s)
            try:
                if not await renew():
                    lost.set()
            except Exception:
                log.exception("could not renew a lease; trying again in %.0f s", every_s)

    task = asyncio.create_task(loop())
    try:
        yield lost
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
