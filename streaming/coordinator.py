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

#: The sweeper (``streaming.finalize_abandoned``) runs every minute; state outlives that.
SWEEPER_SLACK_S = 180
#: How far past its resume window a session's own timer stores it.
TIMER_SLACK_S = 0.25
#: How long shut-down waits to store one in-memory session.
SHUTDOWN_STORE_S = 10.0


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
    close_drain_s: float = 10.0
    #: A socket silent this long is closed (its session detached, so resumable): a phone that
    #: changed networks leaves a half-open connection the server would otherwise keep forever,
    #: and the session could not be resumed meanwhile.
    idle_timeout_s: float = 60.0


@dataclass
class LiveCoordinator:
    """Built once per API process (``create_live_coordinator``)."""

    runtime: Runtime
    store: SessionStore
    pool: PosePool
    limits: LiveLimits = field(default_factory=LiveLimits)
    _timers: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _warming: asyncio.Task[None] | None = None

    def classifiers(self) -> dict[str, Any]:
        """Exercise classifiers by name, from the plugin registry (built-in and third-party)."""
        found = self.runtime.plugins.components("exercise_classifier")
        return {name: component.cls() for name, component in found.items()}

    def ensure_warm(self) -> None:
        """Start the pose workers in the background when the first stream begins."""
        if self._warming is None:
            self._warming = asyncio.create_task(self.pool.warm_up())

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
            # A little past the window: the detach time is wall-clock, this sleep is monotonic.
            await asyncio.sleep(self.limits.resume_window_s + TIMER_SLACK_S)
            await finalize_detached(self.store, session_id, self.limits.resume_window_s)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("finalising live session %s failed; the sweeper will retry", session_id)
        finally:
            if self._timers.get(session_id) is asyncio.current_task():  # not a newer timer
                del self._timers[session_id]

    async def close(self) -> None:
        """On shut-down: stop the timers; sessions kept in this process's memory are stored now.

        That includes sessions whose sockets are still open: hypercorn's grace period is over by
        then and Quart abandons their handlers. Sessions in Redis stay resumable through other
        processes, and the sweeper stores them.
        """
        for task in list(self._timers.values()):
            task.cancel()
        if isinstance(self.store, MemorySessionStore):
            for session_id, status in await self.store.unfinished():
                try:
                    await asyncio.wait_for(
                        finalize(self.store, session_id, status, 60), SHUTDOWN_STORE_S
                    )
                except Exception:
                    log.exception("could not store live session %s on shut-down", session_id)
        self.pool.close()


def session_ttl(window: int) -> int:
    """How long a session's state is kept: past its resume window and the sweeper's next run."""
    return max(4 * window, window + SWEEPER_SLACK_S)


async def finalize(
    store: SessionStore, session_id: str, expect: str, ttl: int
) -> dict[str, Any] | None:
    """Move a session to ``finished`` exactly once and store its set; return the final state.

    ``expect`` is the status the session must have. If storing fails the session goes back to it,
    so a later try (the sweeper, for a detached session) stores it; ``store_result`` is idempotent.
    """
    state = await store.transition(session_id, {expect}, {"status": "finalizing"}, ttl)
    if state is None:
        return None
    try:
        result = await store_result(state, ClientInfo(user_agent="fithub-live"))
    except BaseException:
        await store.transition(session_id, {"finalizing"}, {"status": expect}, ttl)
        raise
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
    return await finalize(store, session_id, "detached", session_ttl(window))


def session_prefix(namespace: str) -> str:
    """Where sessions live in Redis, under the deployment's namespace (``FITHUB_REDIS_NAMESPACE``)."""
    return f"{namespace}:live:"


def create_live_coordinator(runtime: Runtime) -> LiveCoordinator:
    settings = runtime.settings
    store: SessionStore = (
        RedisSessionStore(runtime.redis, prefix=session_prefix(settings.redis_namespace))
        if runtime.redis is not None
        else MemorySessionStore()
    )
    limits = LiveLimits(
        max_message_bytes=settings.live_max_message_bytes,
        resume_window_s=settings.live_resume_window_s,
    )
    coordinator = LiveCoordinator(
        runtime=runtime,
        store=store,
        pool=PosePool(settings.pose_workers or None),
        limits=limits,
    )
    _hubs.append(coordinator)
    return coordinator


_hubs: list[LiveCoordinator] = []


def current_coordinator() -> LiveCoordinator | None:
    """The coordinator of this process, for jobs running in it (the sweeper)."""
    return _hubs[-1] if _hubs else None
