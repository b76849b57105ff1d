"""The WebSocket endpoints, ``/ws/v1/live`` and ``/ws/v1/notifications`` (docs/streaming.md)."""

from __future__ import annotations

from quart import Blueprint, current_app, websocket

from fithub.streaming.connection import LiveConnection
from fithub.streaming.notifications import NotificationSocket

bp = Blueprint("streaming", __name__)


@bp.websocket("/ws/v1/live")
async def live() -> None:
    """Stream camera frames or landmarks; receive reps, form cues and a summary."""
    coordinator = current_app.config["FITHUB_LIVE"]
    await LiveConnection(coordinator, websocket._get_current_object()).run()  # type: ignore[attr-defined]


@bp.websocket("/ws/v1/notifications")
async def notifications() -> None:
    """Receive the signed-in user's new notifications as they are delivered."""
    coordinator = current_app.config["FITHUB_LIVE"]
    socket = websocket._get_current_object()  # type: ignore[attr-defined]
    await NotificationSocket(coordinator.runtime, coordinator.limits, socket).run()
