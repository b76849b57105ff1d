"""Background jobs of live streaming."""

from __future__ import annotations

import time

from fithub.core.jobs import job, job_runtime
from fithub.streaming.coordinator import current_coordinator, finalize_detached, session_prefix
from fithub.streaming.store import RedisSessionStore, SessionStore


@job("streaming.finalize_abandoned")
async def finalize_abandoned() -> int:
    """Store sessions whose socket dropped and were not resumed in time (e.g. their process died).

    Runs in an API process (embedded mode, its own coordinator) or in ``fithub worker``, which has no coordinator
    but reaches the sessions every API process keeps in Redis.
    """
    coordinator = current_coordinator()
    store: SessionStore
    if coordinator is not None:
        store, window = coordinator.store, coordinator.limits.resume_window_s
    else:
        runtime = job_runtime()
        if runtime.redis is None:  # embedded sessions live only in their API process
            return 0
        settings = runtime.settings
        store = RedisSessionStore(runtime.redis, prefix=session_prefix(settings.redis_namespace))
        window = settings.live_resume_window_s
    done = 0
    for session_id in await store.detached_before(time.time() - window):
        if await finalize_detached(store, session_id, window) is not None:
            done += 1
    return done
