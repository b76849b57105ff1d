"""Background jobs of live streaming."""

from __future__ import annotations

import time

from fithub.core.jobs import job
from fithub.streaming.hub import current_hub, finalize_detached


@job("streaming.finalize_abandoned")
async def finalize_abandoned() -> int:
    """Store sessions whose socket dropped and were not resumed in time (e.g. their process died)."""
    hub = current_hub()
    if hub is None:
        return 0
    window = hub.limits.resume_window_s
    done = 0
    for session_id in await hub.store.detached_before(time.time() - window):
        if await finalize_detached(hub.store, session_id, window) is not None:
            done += 1
    return done
