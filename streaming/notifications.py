"""The notifications WebSocket, ``/ws/v1/notifications``: a user's new notifications, live.

The socket authenticates as ``/ws/v1/live`` does (a ``bearer.<token>`` subprotocol, else a first
``{type: auth, token}`` message), subscribes to the fan-out topic of the user's inbox, then says
``hello`` with the unread count and forwards every message published there (the in-app notifier
publishes one ``notification`` per delivery, from whichever process delivers it). Subscribing
before counting means nothing falls between the count and the stream. The heartbeat is the live
socket's: the client sends ``ping`` (answered ``pong``) and a socket silent for the idle timeout
is closed with 4408. Protocol: docs/streaming.md, "Notifications socket".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from fithub.core.notifications.live import inbox_topic, unread_count
from fithub.streaming import protocol as p
from fithub.streaming.socket import JsonSocket, first_of

log = logging.getLogger("fithub.streaming.notifications")

PATH = "/ws/v1/notifications"


def forwarded(message: Mapping[str, Any]) -> dict[str, Any]:
    """What the client receives for a fan-out ``message`` of its inbox topic.

    A ``notification`` is re-made field by field (the documented shape); any other message is
    passed on as it is (clients ignore types they do not know).
    """
    if message.get("type") != "notification":
        return dict(message)
    event = p.event(
        "notification",
        id=message.get("id"),
        title=message.get("title"),
        text=message.get("text"),
        data=message.get("data") or {},
        created_at=message.get("created_at"),
    )
    event["kind"] = message.get("kind")  # not a keyword above: p.event's first parameter is kind
    return event


class NotificationSocket(JsonSocket):
    """One client's notifications socket: authenticate, say hello, forward, answer pings."""

    path = PATH
    subprotocol = p.NOTIFICATIONS_SUBPROTOCOL
    messages = p.notifications_client_message
    bad_message_detail = "Only {type: ping} (and {type: auth} first) may be sent on this socket."

    async def serve(self) -> None:
        async with self.runtime.fanout.subscribe(inbox_topic(self.user_id)) as queue:
            self.emit(p.event("hello", unread=await unread_count(self.user_id)))
            await first_of(
                asyncio.create_task(self._receive_loop()),
                asyncio.create_task(self._forward(queue)),
            )

    async def _forward(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            self.emit(forwarded(await queue.get()))

    async def _receive_loop(self) -> None:
        while True:
            message = await self.receive()
            if isinstance(message, p.Ping):
                self.pong()
            elif message is not None:
                self.error(409, "already_authenticated", "This socket is already authenticated.")
