"""Lease rules: who may take over a sync or a video analysis, decided by conditional updates.

These run on a real database (a SQLite file, or PostgreSQL when FITHUB_DATABASE_URL is set),
since the rule is the SQL itself; no server, broker or vendor is involved.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fithub.core import leases
from fithub.core.accounts.models import User
from fithub.core.devices import recovery
from fithub.core.devices.errors import LeaseLost
from fithub.core.devices.models import DeviceConnection, DeviceSample, SyncLog, SyncStatus
from fithub.core.devices.sync import SyncRun
from fithub.core.media import services as media
from fithub.core.media.models import Container, Video, VideoStatus
from fithub.plugins.records import Sample, SampleKind, Source
from fithub.plugins.types import DataType
from tests.support import in_process_database

PAST = timedelta(seconds=5)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[None]:
    async with in_process_database(tmp_path):
        yield


async def _connection() -> DeviceConnection:
    user = await User.create(email=f"{os.urandom(4).hex()}@x.test", password_hash="-",
                             display_name="x")  # fmt: skip
    return await DeviceConnection.create(user_id=user.id, provider="oura")


async def _running(connection: DeviceConnection, expires_in: timedelta) -> SyncLog:
    """A log some worker runs, holding the connection until now + ``expires_in``."""
    row = await SyncLog.create(connection_id=connection.id, trigger="backfill")
    assert await recovery.claim(connection.id, row.id)
    assert await recovery.start_running(row)
    until = datetime.now(UTC) + expires_in
    await DeviceConnection.filter(id=connection.id).update(sync_lease_expires_at=until)
    await SyncLog.filter(id=row.id).update(lease_expires_at=until)
    return await SyncLog.get(id=row.id)


def test_worker_id_names_host_and_process_and_is_stable() -> None:
    first = leases.worker_id()
    assert first == leases.worker_id()
    host, pid, tail = first.rsplit(":", 2)
    assert host and int(pid) == os.getpid() and len(tail) == 8


def test_a_lease_lapses_only_after_its_expiry() -> None:
    now = datetime.now(UTC)
    assert leases.lapsed(None, now)
    assert leases.lapsed(now - timedelta(microseconds=1), now)
    assert not leases.lapsed(leases.lease_until(now), now)
    assert leases.lease_until(now) - now == timedelta(seconds=leases.LEASE_S)
    assert leases.RENEW_EVERY_S * 2 < leases.LEASE_S  # one missed renewal never loses it


async def test_renewing_calls_renew_until_the_lease_is_lost() -> None:
    calls: list[float] = []

    async def renew() -> bool:
        calls.append(time.monotonic())
        return len(calls) < 3

    async with leases.renewing(renew, every_s=0.01) as lost:
        await asyncio.wait_for(lost.wait(), timeout=5)
    assert len(calls) == 3


async def test_a_live_run_keeps_its_connection(db: None) -> None:
    connection = await _connection()
    live = await _running(connection, timedelta(seconds=30))
    other = await SyncLog.create(connection_id=connection.id, trigger="manual")
    assert not await recovery.claim(connection.id, other.id)
    assert await recovery.take_over(live) is None  # a redelivered message leaves it alone
    assert (await SyncLog.get(id=live.id)).status == SyncStatus.RUNNING
    assert await recovery.renew(connection.id, live.id)


async def test_a_lapsed_run_is_superseded_by_the_one_claiming_it(db: None) -> None:
    connection = await _connection()
    lost = await _running(connection, -PAST)
    other = await SyncLog.create(connection_id=connection.id, trigger="manual")
    assert await recovery.claim(connection.id, other.id)
    old = await SyncLog.get(id=lost.id)
    assert (old.status, old.superseded_by) == (SyncStatus.SUPERSEDED, other.id)
    assert old.finished_at is not None
    # The old worker, if it was only slow, finds out at its next renewal or page.
    assert not await recovery.renew(connection.id, lost.id)
    await recovery.release(connection.id, lost.id)  # not its own any more: changes nothing
    held = await DeviceConnection.get(id=connection.id)
    assert held.running_sync_id == other.id


async def test_exactly_one_of_many_takers_gets_a_lapsed_run(db: None) -> None:
    connection = await _connection()
    lost = await _running(connection, -PAST)
    successors = await asyncio.gather(*(recovery.take_over(lost) for _ in range(6)))
    taken = [s for s in successors if s is not None]
    assert len(taken) == 1
    old = await SyncLog.get(id=lost.id)
    assert (old.status, old.superseded_by) == (SyncStatus.SUPERSEDED, taken[0].id)
    assert taken[0].details["took_over"] == lost.id and taken[0].trigger == "backfill"
    assert await SyncLog.filter(connection_id=connection.id).count() == 2  # no stray logs
    assert await recovery.claim(connection.id, taken[0].id)  # the lapsed lease is displaced


async def test_the_sweeper_finds_lost_runs_and_idle_queued_logs(db: None) -> None:
    connection = await _connection()
    lost = await _running(connection, -PAST)
    fresh = await SyncLog.create(connection_id=connection.id, trigger="manual")
    idle = await SyncLog.create(connection_id=connection.id, trigger="scheduled")
    long_ago = datetime.now(UTC) - recovery.REDRIVE_AFTER - PAST
    await SyncLog.filter(id=idle.id).update(queued_at=long_ago)
    now = datetime.now(UTC)
    found, waiting = await recovery.lost_and_idle(now)
    assert [r.id for r in found] == [lost.id]
    assert [r.id for r in waiting] == [idle.id] and fresh.id not in [r.id for r in waiting]
    assert await recovery.mark_redriven(waiting[0], now)
    assert not await recovery.mark_redriven(waiting[0], now)  # once per REDRIVE_AFTER
    assert (await recovery.lost_and_idle(now))[1] == []


async def test_videos_whose_job_was_lost_are_found_and_live_ones_are_not(db: None) -> None:
    connection = await _connection()
    now = datetime.now(UTC)
    quiet = now - timedelta(seconds=media.REDRIVE_AFTER_S + 5)

    async def video(status: VideoStatus, updated: datetime, lease: datetime | None) -> int:
        row = await Video.create(owner_id=connection.user_id, status=status, size_bytes=1,
                                 container=Container.MP4, storage_key="k", job_token="t")  # fmt: skip
        await Video.filter(id=row.id).update(updated_at=updated, lease_expires_at=lease)
        return row.id

    dead = await video(VideoStatus.PROCESSING, quiet, now - PAST)
    queued_long = await video(VideoStatus.UPLOADED, quiet, None)
    alive = await video(VideoStatus.PROCESSING, quiet, now + timedelta(seconds=20))
    just_queued = await video(VideoStatus.UPLOADED, now, None)
    done = await video(VideoStatus.DONE, quiet, None)
    found = set(await Video.filter(media._lost(now)).values_list("id", flat=True))
    assert found == {dead, queued_long}
    assert not found & {alive, just_queued, done}


async def test_a_run_that_was_taken_over_commits_no_page(db: None) -> None:
    """The fence: a page moves the cursor, and is written, only while its run holds the connection."""
    connection = await _connection()
    slow = await _running(connection, -PAST)
    page = [Sample(source=Source("oura", f"hr-{i}"), kind=SampleKind.HEART_RATE,
                   time=datetime(2026, 1, 1, 0, i, tzinfo=UTC), value=60.0) for i in range(3)]  # fmt: skip
    run = SyncRun(None, connection, None, slow)  # type: ignore[arg-type]  # a page needs neither
    counts = await run._commit_page(DataType.HEART_RATE, page[:2], {"since": "a"})
    assert counts.inserted == 2
    assert (await SyncLog.get(id=slow.id)).inserted == 2  # the log's counts move with the page
    successor = await recovery.take_over(slow)
    assert successor is not None and await recovery.claim(connection.id, successor.id)
    with pytest.raises(LeaseLost):
        await run._commit_page(DataType.HEART_RATE, page[2:], {"since": "b"})
    assert await DeviceSample.filter(user_id=connection.user_id).count() == 2
    assert (await DeviceConnection.get(id=connection.id)).cursors == {"heart_rate": {"since": "a"}}
