"""permessage-deflate only where it pays: the live camera socket refuses it.

hypercorn (0.18) accepts the extension on every WebSocket whose client offers it, and most clients
offer it by default. A camera frame is JPEG (or base64 of JPEG): deflate barely shrinks it, yet the
phone spends CPU compressing every frame and the server inflating it, and the server deflates every
pose event back; on a server whose cores run pose estimation, that is time taken from the frames.
Telemetry batches and notifications are JSON that compresses well, so their sockets keep it.

hypercorn has no setting for this; :func:`refuse_deflate_on` wraps its WebSocket accept step so that
the handshake of the listed paths answers without the extension (the client then sends plain
frames, as RFC 7692 requires). ``fithub serve`` calls it; tests/e2e checks what is negotiated.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: Paths whose sockets never negotiate permessage-deflate.
UNCOMPRESSED_PATHS = frozenset({"/ws/v1/live"})

_refused: set[str] = set()


def refuse_deflate_on(paths: Iterable[str] = UNCOMPRESSED_PATHS) -> None:
    """Make hypercorn accept WebSockets on ``paths`` without permessage-deflate (idempotent)."""
    from hypercorn.protocol.ws_stream import WSStream

    _refused.update(paths)
    if getattr(WSStream, "_fithub_deflate_refused", False):
        return
    accept = WSStream._accept

    async def _accept(self: Any, message: Any) -> None:
        if self.scope.get("path") in _refused:
            self.handshake.extensions = None  # as if the client had offered none
        await accept(self, message)

    WSStream._accept = _accept  # type: ignore[method-assign]
    WSStream._fithub_deflate_refused = True  # type: ignore[attr-defined]
