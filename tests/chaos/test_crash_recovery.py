"""Crash recovery with real processes on PostgreSQL + Redis: SIGKILL mid-work, then nothing is lost.

A real ``fithub serve`` and a real ``fithub worker`` sync from a fake Oura on loopback. One user's
backfill (minute heart rate, every data request slowed) has its worker killed with SIGKILL twice,
a new worker started each time. The second kill also lands in the middle of a burst of signed
Oura pushes (a tenth of them delivered twice), during which the API server is killed and started
again; pushes the server did not acknowledge are delivered again, as a vendor retries them.

Once the recovery deadline has passed: every sync log is final (succeeded, partial, failed,
skipped or superseded), the backfill stored exactly the samples the fake holds in its window with
no duplicate, every pushed change is one inbox row processed once (its workout deleted), and
nothing is left ``queued``. Recovery settings are short (a 5 s broker heartbeat, a 1 s inbox
sweep), so the run takes about two minutes; the sync lease (30 s) sets most of it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from fithub.core.leases import LEASE_S, SWEEP_EVERY_S
from fithub.plugins.testing.fakes.oura import FakeOura
from tests.chaos.world import FINAL, connect, push, seed_minutes, seed_workouts, sync_log
from tests.integration.conftest import register
from tests.integration.devices.world import query_db
from tests.support import FithubServer, poll, postgres_url, redis_url, running_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(
        not (postgres_url() and redis_url()),
        reason="the chaos test kills real processes on PostgreSQL + Redis: set "
        "FITHUB_DATABASE_URL and FITHUB_REDIS_URL (.ci/run's second pass does)",
    ),
]

BACKFILL_DAYS = 10  # about 14,000 minute samples
PAGE_SIZE = 400  # items per vendor page: about 36 heart-rate pages
SLOW_S = 0.3  # per data request of the backfilled account: the backfill takes 10 s and more
WORKOUTS = 180  # distinct pushes (each deletes one workout) ...
DUPLICATES = 20  # ... plus this many delivered twice: a burst of 200
KILL_WORKER_AT, KILL_SERVER_AT = 30, 100  # pushes sent before each kill
#: A killed run's lease lapses, its message or the sweeper takes it over, a worker starts.
TAKEOVER_S = LEASE_S + SWEEP_EVERY_S + 30
#: After the last kill: the takeover, then the rest of the backfill and of the pushes.
RECOVERY_S = TAKEOVER_S + 60
RECOVERY_ENV = {
    "FITHUB_JOBS_HEARTBEAT_TIMEOUT_S": "5",
    "FITHUB_RECOVERY_SWEEP_EVERY_S": "1",
    "FITHUB_RECOVERY_REDRIVE_AFTER_S": "2",
    "FITHUB_DEVICES_BACKFILL_DAYS": str(BACKFILL_DAYS),
    "FITHUB_DEVICES_HTTP_TIMEOUT_S": "10",
}

@pytest.fixture
def oura() -> Iterator[FakeOura]:
    with FakeOura() as fake:
        fake.page_size = PAGE_SIZE
        yield fake


@pytest.fixture
def world(oura: FakeOura) -> Iterator[FithubServer]:
    with running_server({**oura.fithub_env(), **RECOVERY_ENV}, no_unhandled_errors=False) as srv:
        yield srv


def restart(srv: FithubServer, errors: list[BaseException]) -> None:
    """Start the killed API server again (from a thread, while the burst goes on)."""
    try:
        srv.restart_server()
    except BaseException as exc:  # reported by the test's thread
        errors.append(exc)


def test_sigkill_mid_backfill_and_mid_burst_loses_nothing(
    world: FithubServer, oura: FakeOura
) -> None:
    srv, fake = world, oura
    began = time.monotonic()
    now = datetime.now(UTC)
    worker = srv.processes[-1]
    api_server = srv.processes[0]

    # A user whose workouts will be deleted by pushes: a quick backfill stores them first.
    pushed_user, pushed_account = register(srv), fake.add_account()
    workout_ids = seed_workouts(fake, pushed_account, now, WORKOUTS)
    first_b = connect(srv, fake, pushed_user, pushed_account)
    done_b = poll("the pushed user's backfill",
                  lambda: (s := sync_log(srv, pushed_user, first_b))["status"] in FINAL and s, 60)  # fmt: skip
    assert done_b["status"] == "succeeded", done_b
    ((stored_workouts,),) = query_db(srv, "SELECT count(*) FROM device_activities WHERE user_id = $1",
                                     pushed_user.id)  # fmt: skip
    assert stored_workouts == WORKOUTS

    # A user with a long, slow backfill of minute heart rate.
    user, account = register(srv), fake.add_account()
    expected = seed_minutes(fake, account, now - timedelta(days=BACKFILL_DAYS, hours=-2),
                            now - timedelta(hours=1))  # fmt: skip
    fake.inject(delay_s=SLOW_S, times=10**6, account=account)
    first = connect(srv, fake, user, account)

    # Kill 1: the worker, a few pages into the backfill.
    before = poll("pages committed",
                  lambda: (s := sync_log(srv, user, first))["pages"] >= 4 and s, 60)  # fmt: skip
    assert before["status"] == "running", before
    srv.kill(worker)
    worker = srv.start_worker()
    old = poll("the killed run taken over",
               lambda: (s := sync_log(srv, user, first))["status"] != "running" and s, TAKEOVER_S)  # fmt: skip
    assert old["status"] == "superseded" and old["superseded_by"], old
    second = int(old["superseded_by"])
    resumed = poll("the run that took over at work",
                   lambda: (s := sync_log(srv, user, second))["pages"] >= 2 and s, 60)  # fmt: skip
    assert resumed["status"] == "running" and resumed["details"]["took_over"] == first, resumed

    # The burst: 180 changes, 20 of them delivered twice, interleaved.
    events = [{"event_type": "delete", "data_type": "workout", "object_id": wid,
               "user_id": pushed_account, "event_time": now.isoformat()} for wid in workout_ids]  # fmt: skip
    burst = [*events]
    for i in range(DUPLICATES):
        burst.insert(9 * i + 5, events[9 * i])
    acked = [False] * len(events)
    index = {e["object_id"]: i for i, e in enumerate(events)}
    restarting: threading.Thread | None = None
    restart_errors: list[BaseException] = []
    for sent, event in enumerate(burst):
        if sent == KILL_WORKER_AT:  # Kill 2: the worker, mid-backfill and mid-burst.
            assert sync_log(srv, user, second)["status"] == "running"
            srv.kill(worker)
            worker = srv.start_worker()
        if sent == KILL_SERVER_AT:  # Kill 3: the API server, mid-burst.
            srv.kill(api_server)
            restarting = threading.Thread(target=restart, args=(srv, restart_errors))
            restarting.start()
        fake.items(pushed_account, "workout")[:] = [
            w for w in fake.items(pushed_account, "workout") if w["id"] != event["object_id"]
        ]  # the vendor deleted it
        if push(srv, fake, event):
            acked[index[event["object_id"]]] = True
    assert restarting is not None
    restarting.join(60)
    assert not restart_errors and not restarting.is_alive(), restart_errors
    assert 0 < sum(acked) < len(events), "the server was killed mid-burst: some pushes failed"
    # The vendor delivers again whatever was not acknowledged.
    for i, event in enumerate(events):
        if not acked[i]:
            acked[i] = poll(f"push {i} acknowledged", lambda e=event: push(srv, fake, e), 30)
    kills_done = time.monotonic()

    # Recovery: every sync log final, every inbox row processed.
    def settled() -> bool:
        open_logs = query_db(srv, "SELECT count(*) FROM device_sync_logs WHERE status NOT IN "
                             "('succeeded', 'partial', 'failed', 'skipped', 'superseded')")[0][0]  # fmt: skip
        queued = query_db(srv, "SELECT count(*) FROM device_webhook_events "
                               "WHERE status = 'queued'")[0][0]  # fmt: skip
        return open_logs == 0 and queued == 0

    poll("every sync final and every push processed", settled, RECOVERY_S)
    recovered_s = time.monotonic() - kills_done

    # The backfill: a chain of two takeovers ending succeeded, every sample once.
    chain = [sync_log(srv, user, first)]
    while chain[-1]["status"] == "superseded":
        chain.append(sync_log(srv, user, int(chain[-1]["superseded_by"])))
    assert [s["status"] for s in chain][-1] == "succeeded", chain
    assert len(chain) >= 3, f"two kills mid-backfill, two takeovers: {chain}"
    ((stored, distinct),) = query_db(
        srv, "SELECT count(*), count(DISTINCT time) FROM device_samples "
        "WHERE user_id = $1 AND kind = 'heart_rate'", user.id)  # fmt: skip
    assert (stored, distinct) == (expected, expected)
    assert sum(s["inserted"] for s in chain) == expected, "the logs' counts say what was written"

    # The pushes: one inbox row per change, processed, its workout deleted; nothing queued.
    rows = query_db(srv, "SELECT object_id, status FROM device_webhook_events "
                         "WHERE external_user_id = $1", pushed_account)  # fmt: skip
    assert sorted(r[0] for r in rows) == sorted(workout_ids), "each change stored exactly once"
    assert {r[1] for r in rows} == {"processed"}, rows
    ((left,),) = query_db(srv, "SELECT count(*) FROM device_activities WHERE user_id = $1",
                          pushed_user.id)  # fmt: skip
    assert left == 0, "every acknowledged delete was acted on"
    statuses = query_db(srv, "SELECT DISTINCT status FROM device_sync_logs")
    assert {s for (s,) in statuses} <= FINAL, statuses
    logs = srv.read_logs()
    assert '"unhandled error"' not in logs, logs[-5000:]
    summary = (f"{len(chain) - 1} takeovers, {sum(acked)} pushes, recovered {recovered_s:.0f} s "
               f"after the last kill, {time.monotonic() - began:.0f} s in all")  # fmt: skip
    logging.getLogger(__name__).warning("chaos: %s", summary)
