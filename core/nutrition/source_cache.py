"""The byte cache handed to nutrition sources: Redis when configured (every process shares it), else
this process's memory, bounded in size, each entry with its own time to live."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from redis.asyncio import Redis


class MemorySourceCache:
    """Entries in this process, least recently used dropped beyond ``max_items``."""

    def __init__(self, max_items: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_items = max_items
        self._clock = clock
        self._entries: OrderedDict[str, tuple[bytes, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> bytes | None:
        """The value under ``key`` unless it has expired (an expired one is dropped)."""
        found = self._entries.get(key)
        if found is None:
            return None
        value, expires = found
        if expires <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        """Keep ``value`` for ``ttl_s`` seconds (0 or less: not at all)."""
        if ttl_s <= 0 or self.max_items <= 0:
            return
        self._entries[key] = (value, self._clock() + ttl_s)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_items:
            self._entries.popitem(last=False)


class RedisSourceCache:
    """Entries in Redis under ``prefix`` (every process sees the same ones; Redis expires them)."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def get(self, key: str) -> bytes | None:
        found: bytes | str | None = await self._redis.get(self._prefix + key)
        return found.encode() if isinstance(found, str) else found

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        if ttl_s > 0:
            await self._redis.set(self._prefix + key, value, ex=ttl_s)


class NamespacedCache:
    """One source's view of the shared cache: its keys are prefixed with its name."""

    def __init__(self, cache: MemorySourceCache | RedisSourceCache, namespace: str) -> None:
        self._cache = cache
        self._namespace = namespace

    async def get(self, key: str) -> bytes | None:
        return await self._cache.get(f"{self._namespace}:{key}")

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        await self._cache.set(f"{self._namespace}:{key}", value, ttl_s)
