"""Error handlers answer a WebSocket too: an unexpected error in a socket handler is rendered, not
turned into a second error because the handler read ``request`` outside an HTTP request."""

from __future__ import annotations

import asyncio
import logging

import pytest
from quart import Quart, websocket

from fithub.core import problems


async def test_an_unexpected_error_in_a_websocket_is_handled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Quart(__name__)
    problems.install(app)

    @app.websocket("/ws/boom")
    async def boom() -> None:
        await websocket.accept()
        raise RuntimeError("the socket's handler broke")

    with caplog.at_level(logging.ERROR):
        # Before the fix the handler itself raised and the socket never closed: a deadline.
        async with asyncio.timeout(10), app.test_client().websocket("/ws/boom") as socket:
            with pytest.raises(Exception):  # noqa: B017, PT011 - the socket closes, whatever the type
                await socket.receive()
    messages = [r.getMessage() for r in caplog.records]
    assert "unhandled error" in messages  # rendered by the handler, which read the socket's path
    assert not any("Not within a request context" in str(r.exc_info) for r in caplog.records)
