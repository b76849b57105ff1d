"""Per-process machinery shared by every live stream: state store, pose pool, classifiers, timers."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from fithub.core.context import ClientInfo
from fithub.core.runtime import Runtime
from fithub.streaming.persist import store_result
from fithub.streaming.pose_pool import PosePool
from fithub.streaming.store import MemorySessionStore, RedisSessionStore, SessionStore

log = logging.getLogger("fithub.streaming")


@dataclass
class LiveLimits:
    """What one stream may do; see docs/streaming.md."""

    max_message_bytes: int = 1024 * 1024
    auth_timeout_s: float = 10.0
    resume_window_s: int = 180
    messages_per_second: float = 90.0
    burst: float = 180.0
    bad_messages_before_close: int = 20
    outbox_size: int = 512
    state_every_s: float = 1.0


@dataclass
class LiveHub:
    """Built once per API process (``create_live_hub``)."""

    runtime: Runtime
    store: SessionStore
    pool: PosePool
    limits: LiveLimits = field(default_factory=LiveLimits)
    _timers: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    def classifiers(self) -> dict[str, Any]:
        """Exercise classifiers by name, from the plugin registry (built-in and third-party)."""
        found = self.runtime.plugins.components("exercise_classifier")
        return {name: component.cls() for name, component in found.items()}

    def finalize_later(self, session_id: str) -> None:
        """Store a detached session's result once its resume window has passed (unless resumed)."""
        self.cancel_timer(session_id)
        self._timers[session_id] = asyncio.create_task(self._finalize_after(session_id))

    def cancel_timer(self, session_id: str) -> None:
        task = self._timers.pop(session_id, None)
        if task is not None:
            task.cancel()

    async def _finalize_after(self, session_id: str) -> None:
        try:
            await asyncio.sleep(self.limits.resume_window_s)
            await finalize_detached(self.store, session_id, self.limits.resume_window_s)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("finalising live session %s failed; the sweeper will retry", session_id)
        finally:
            self._timers.pop(session_id, None)

    async def close(self) -> None:
        for task in list(self._timers.values()):
            task.cancel()
        self.pool.close()


async def finalize(
    store: SessionStore, session_id: str, expect: set[str], ttl: int
) -> dict[str, Any] | None:
    """Move a session to ``finished`` exactly once and store its set; return the final state."""
    state = await store.transition(session_id, expect, {"status": "finalizing"}, ttl)
    if state is None:
        return None
    result = await store_result(state, ClientInfo(user_agent="fithub-live"))
    return await store.transition(
        session_id, {"finalizing"}, {"status": "finished", "result": result}, ttl
    )


async def finalize_detached(
    store: SessionStore, session_id: str, window: int
) -> dict[str, Any] | None:
    """Finalise a session detached for longer than ``window`` seconds (or nothing)."""
    state = await store.load(session_id)
    if state is None or state.get("status") != "detached":
        return None
    if time.time() - float(state.get("detached_at", 0)) < window:
        return None
    return await finalize(store, session_id, {"detached"}, window * 4)


def create_live_hub(runtime: Runtime) -> LiveHub:
    store: SessionStore = (
        RedisSessionStore(runtime.redis) if runtime.redis is not None else MemorySessionStore()
    )
    hub = LiveHub(
        runtime=runtime, store=store, pool=PosePool(runtime.settings.pose_workers or None)
    )
    _hubs.append(hub)
    return hub


_hubs: list[LiveHub] = []


def current_hub() -> LiveHub | None:
    """The hub of this process, for jobs running in it (the sweeper)."""
    return _hubs[-1] if _hubs else None
