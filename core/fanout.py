"""Fan-out of live messages to connected clients: Redis pub/sub when configured, else in-process.

Any process may publish (a worker delivering an in-app notification); every process holding a
WebSocket for the topic receives it and forwards it. Messages are small JSON documents. A message
published while nobody listens is lost by design: live delivery is a convenience on top of the
stored inbox, which a client reads when it connects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from redis.asyncio import Redis

log = logging.getLogger("fithub.fanout")

QUEUE_LIMIT = 256  # messages a slow subscriber may fall behind before the oldest are dropped


class Fanout:
    """Publish to topics and subscribe to them (one process, or every process through Redis)."""

    def __init__(self, redis: Redis | None = None, namespace: str = "fithub") -> None:
        self.redis = redis
        self.prefix = f"{namespace}:fanout:"
        self._local: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}

    async def publish(self, topic: str, message: Mapping[str, Any]) -> int:
        """Send ``message`` to the subscribers of ``topic``; how many received it."""
        if self.redis is not None:
            return int(await self.redis.publish(self.prefix + topic, orjson.dumps(dict(message))))
        return self._deliver_locally(topic, dict(message))

    def _deliver_locally(self, topic: str, message: dict[str, Any]) -> int:
        queues = self._local.get(topic, set())
        for queue in queues:
            if queue.full():  # newest wins: a client that cannot keep up misses the oldest
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)
        return len(queues)

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """A queue receiving the messages of ``topic`` while the block runs."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_LIMIT)
        if self.redis is None:
            self._local.setdefault(topic, set()).add(queue)
            try:
                yield queue
            finally:
                self._local[topic].discard(queue)
                if not self._local[topic]:
                    del self._local[topic]
            return
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(self.prefix + topic)
        reader = asyncio.create_task(self._read(pubsub, topic, queue))
        try:
            yield queue
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            with contextlib.suppress(Exception):
                await pubsub.unsubscribe()
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _read(self, pubsub: Any, topic: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        async for item in pubsub.listen():
            if item.get("type") != "message":
                continue
            try:
                message = orjson.loads(item["data"])
            except orjson.JSONDecodeError:
                log.warning("dropped an unreadable fan-out message on %s", topic)
                continue
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)
