"""Fan-out of live messages to connected clients: Redis pub/sub when configured, else in-process.

Any process may publish (a worker delivering an in-app notification, a socket storing telemetry);
every process holding a WebSocket for the topic receives it and forwards it. Messages are small
JSON documents. A message published while nobody listens is lost by design: live delivery is a
convenience on top of what is stored, which a client reads when it connects.

With Redis, a process holds **one** pub/sub connection however many sockets it serves: it
subscribes to a topic's channel when the first local subscriber arrives, unsubscribes when the
last leaves, and one reader task hands each message to the local subscribers' queues (parsed
once, the same dict for all of them: subscribers must not change it). A dropped Redis connection
is re-established by redis-py, which subscribes the channels again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("fithub.fanout")

QUEUE_LIMIT = 256  # messages a slow subscriber may fall behind before the oldest are dropped
RECONNECT_PAUSE_S = 0.5


class Fanout:
    """Publish to topics and subscribe to them (one process, or every process through Redis)."""

    def __init__(self, redis: Redis | None = None, namespace: str = "fithub") -> None:
        self.redis = redis
        self.prefix = f"{namespace}:fanout:"
        self._local: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def publish(self, topic: str, message: Mapping[str, Any]) -> int:
        """Send ``message`` to the subscribers of ``topic``; how many received it.

        With Redis the count is of subscribing processes, not of sockets.
        """
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
        await self._add(topic, queue)
        try:
            yield queue
        finally:
            await self._remove(topic, queue)

    async def _add(self, topic: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        async with self._lock:
            first = topic not in self._local
            self._local.setdefault(topic, set()).add(queue)
            if first and self.redis is not None:
                try:
                    await self._channel().subscribe(self.prefix + topic)
                except BaseException:
                    self._discard(topic, queue)
                    raise
                if self._reader is None or self._reader.done():  # after: listen needs a channel
                    self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _remove(self, topic: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        async with self._lock:
            if self._discard(topic, queue) and self._pubsub is not None:
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.unsubscribe(self.prefix + topic)

    def _discard(self, topic: str, queue: asyncio.Queue[dict[str, Any]]) -> bool:
        """Forget ``queue``; True when it was the topic's last local subscriber."""
        queues = self._local.get(topic)
        if queues is None:
            return False
        queues.discard(queue)
        if queues:
            return False
        del self._local[topic]
        return True

    def _channel(self) -> Any:
        """The process's one pub/sub connection (made on first use)."""
        assert self.redis is not None
        if self._pubsub is None:
            self._pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        return self._pubsub

    async def _read(self) -> None:
        """Hand each message to the local subscribers; ends when no channel is subscribed."""
        while self._pubsub is not None and self._pubsub.subscribed:
            try:
                async for item in self._pubsub.listen():
                    if item.get("type") == "message":
                        self._dispatch(item)
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # the connection dropped (redis-py reconnects and resubscribes)
                log.warning("fan-out lost its Redis connection; reconnecting", exc_info=True)
                await asyncio.sleep(RECONNECT_PAUSE_S)

    def _dispatch(self, item: dict[str, Any]) -> None:
        channel = item["channel"]
        topic = (channel.decode() if isinstance(channel, bytes) else channel)[len(self.prefix) :]
        try:
            message = orjson.loads(item["data"])
        except orjson.JSONDecodeError:
            log.warning("dropped an unreadable fan-out message on %s", topic)
            return
        self._deliver_locally(topic, message)

    async def close(self) -> None:
        """Stop the reader and close the pub/sub connection (on shut-down)."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None
