"""Fixed-window attempt counters: in Redis when configured (shared by every process), else in memory."""

from __future__ import annotations

import time
from typing import Protocol

from redis.asyncio import Redis


class Limiter(Protocol):
    async def retry_after(self, key: str, limit: int, window: int) -> int | None:
        """Seconds to wait if ``key`` has reached ``limit`` in its window, else None."""

    async def hit(self, key: str, window: int) -> int:
        """Count one attempt for ``key``; return the count in the current window."""

    async def reset(self, key: str) -> None:
        """Forget the attempts for ``key``."""


class MemoryLimiter:
    """Counters in this process only: right for the embedded single-process default."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, float]] = {}

    def _current(self, key: str) -> tuple[int, float]:
        count, ends = self._windows.get(key, (0, 0.0))
        if ends <= time.monotonic():
            return 0, 0.0
        return count, ends

    async def retry_after(self, key: str, limit: int, window: int) -> int | None:
        count, ends = self._current(key)
        if count >= limit:
            return max(1, int(ends - time.monotonic() + 0.999))
        return None

    async def hit(self, key: str, window: int) -> int:
        count, ends = self._current(key)
        if not ends:
            ends = time.monotonic() + window
            if len(self._windows) > 100_000:  # bound memory: drop expired windows
                now = time.monotonic()
                self._windows = {k: v for k, v in self._windows.items() if v[1] > now}
        self._windows[key] = (count + 1, ends)
        return count + 1

    async def reset(self, key: str) -> None:
        self._windows.pop(key, None)


class RedisLimiter:
    """Counters in Redis, so every API process sees the same attempts."""

    def __init__(self, redis: Redis, prefix: str = "fithub:rl:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def retry_after(self, key: str, limit: int, window: int) -> int | None:
        full = self._prefix + key
        count = await self._redis.get(full)
        if count is not None and int(count) >= limit:
            ttl = await self._redis.ttl(full)
            return max(1, int(ttl))
        return None

    async def hit(self, key: str, window: int) -> int:
        full = self._prefix + key
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(full)
            pipe.expire(full, window, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def reset(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)


async def take(limiter: Limiter, key: str, limit: int, window: int) -> int | None:
    """Count one attempt for ``key``; return the seconds to wait if that went over ``limit``.

    Counting first and comparing after (not checking, then counting) holds under parallel
    attempts: each increment is atomic, so 40 requests at once cannot all slip under the limit.
    Refused attempts count too, which keeps a caller that ignores ``Retry-After`` refused.
    """
    if await limiter.hit(key, window) <= limit:
        return None
    return await limiter.retry_after(key, limit, window)  # None: the window has just ended
