"""Where live-session state lives between connections: Redis when configured, else this process.

A session is ``active`` while a socket owns it, ``detached`` for a grace period after its socket
dropped (any process may resume it), then ``finalizing`` and ``finished`` once its result is stored.
State changes are compare-and-set, so two processes never both resume or both finalise a session.
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import WatchError

State = dict[str, Any]


class SessionStore(Protocol):
    async def save(self, state: State, ttl: int) -> None:
        """Write the state (replacing what was there) for ``ttl`` seconds."""

    async def load(self, session_id: str) -> State | None:
        """The stored state, or None when unknown or expired."""

    async def transition(
        self, session_id: str, expect: set[str], changes: State, ttl: int
    ) -> State | None:
        """Apply ``changes`` if the status is one of ``expect``; return the new state, else None."""

    async def detached_before(self, cutoff: float) -> list[str]:
        """Ids of sessions detached before ``cutoff`` (epoch seconds)."""


class MemorySessionStore:
    """For the embedded single-process default."""

    def __init__(self) -> None:
        self._states: dict[str, tuple[float, State]] = {}

    def _purge(self) -> None:
        now = time.time()
        for key in [k for k, (expires, _) in self._states.items() if expires <= now]:
            del self._states[key]

    async def save(self, state: State, ttl: int) -> None:
        self._purge()
        self._states[state["id"]] = (time.time() + ttl, json.loads(json.dumps(state)))

    async def load(self, session_id: str) -> State | None:
        self._purge()
        entry = self._states.get(session_id)
        return json.loads(json.dumps(entry[1])) if entry else None

    async def transition(
        self, session_id: str, expect: set[str], changes: State, ttl: int
    ) -> State | None:
        state = await self.load(session_id)
        if state is None or state.get("status") not in expect:
            return None
        state.update(changes)
        await self.save(state, ttl)
        return state

    async def unfinished(self) -> list[tuple[str, str]]:
        """``(id, status)`` of every session still active or detached (for shut-down)."""
        self._purge()
        return [
            (key, str(state["status"]))
            for key, (_, state) in self._states.items()
            if state.get("status") in {"active", "detached"}
        ]

    async def detached_before(self, cutoff: float) -> list[str]:
        self._purge()
        return [
            key
            for key, (_, state) in self._states.items()
            if state.get("status") == "detached" and state.get("detached_at", cutoff) < cutoff
        ]


class RedisSessionStore:
    """Shared by every API process, so a phone may reconnect to any of them."""

    def __init__(self, redis: Redis, prefix: str = "fithub:live:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._detached = prefix + "detached"  # sorted set: session id by detach time

    async def save(self, state: State, ttl: int) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._prefix + state["id"], json.dumps(state), ex=ttl)
            self._index(pipe, state)
            await pipe.execute()

    def _index(self, pipe: Any, state: State) -> None:
        if state.get("status") == "detached":
            pipe.zadd(self._detached, {state["id"]: float(state.get("detached_at", time.time()))})
        else:
            pipe.zrem(self._detached, state["id"])

    async def load(self, session_id: str) -> State | None:
        raw = await self._redis.get(self._prefix + session_id)
        return json.loads(raw) if raw else None

    async def transition(
        self, session_id: str, expect: set[str], changes: State, ttl: int
    ) -> State | None:
        key = self._prefix + session_id
        async with self._redis.pipeline(transaction=True) as pipe:
            for _ in range(5):
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    state: State | None = json.loads(raw) if raw else None
                    if state is None or state.get("status") not in expect:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        return None
                    state.update(changes)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(key, json.dumps(state), ex=ttl)
                    self._index(pipe, state)
                    await pipe.execute()
                    return state
                except WatchError:
                    continue
        return None

    async def detached_before(self, cutoff: float) -> list[str]:
        found = await self._redis.zrangebyscore(self._detached, "-inf", cutoff)
        ids = [i.decode() if isinstance(i, bytes) else str(i) for i in found]
        if not ids:
            return []
        alive = await self._redis.mget([self._prefix + i for i in ids])
        gone = [i for i, raw in zip(ids, alive, strict=True) if raw is None]
        if gone:  # expired before anyone finalised them: drop them from the index too
            await self._redis.zrem(self._detached, *gone)
        return [i for i, raw in zip(ids, alive, strict=True) if raw is not None]
