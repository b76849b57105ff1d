"""Request bodies a route streams (video uploads): read with backpressure, never piled up in memory.

Quart's ASGI layer moves every body chunk into the request as fast as the server hands it over,
however slowly the route reads, so a 100 MB upload could sit in memory. For routes that stream
their body (``FithubRequest.body_limits``), :class:`StreamedBody` holds at most about
:data:`HIGH_WATER` bytes unread, and :class:`FithubHTTPConnection` stops taking chunks from the
server while it is full: hypercorn then stops reading the socket and TCP slows the client down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

from quart.asgi import ASGIHTTPConnection
from quart.wrappers import Body, Request

#: Unread bytes held before the server is asked to wait.
HIGH_WATER = 1024 * 1024


class StreamedBody(Body):
    """A body read piece by piece: its limit caps what waits unread, and a larger declared length
    is not refused up front (the route answers 413 itself, after draining what it can)."""

    def __init__(self, expected_content_length: int | None, max_content_length: int | None) -> None:
        super().__init__(None, max_content_length)
        self._room = asyncio.Event()
        self._room.set()
        self._whole = False

    def append(self, data: bytes) -> None:
        super().append(data)
        if not self._whole and len(self._data) >= HIGH_WATER:
            self._room.clear()

    async def __anext__(self) -> bytes:
        data = await super().__anext__()
        self._room.set()
        return data

    def __await__(self) -> Generator[Any, None, Any]:
        self._whole = True  # the whole body at once (Quart's get_data): no backpressure then
        self._room.set()
        return super().__await__()

    async def room(self) -> None:
        """Wait until the reader has caught up."""
        await self._room.wait()


class FithubHTTPConnection(ASGIHTTPConnection):
    """Quart's HTTP connection, waiting for room in a :class:`StreamedBody` before each chunk."""

    async def handle_messages(self, request: Request, receive: Any) -> None:
        body = request.body
        while True:
            if isinstance(body, StreamedBody):
                await body.room()
            message = await receive()
            if message["type"] == "http.request":
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body.set_complete()
            elif message["type"] == "http.disconnect":
                return
