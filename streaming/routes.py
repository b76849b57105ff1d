"""The live WebSocket endpoint, ``/ws/v1/live`` (protocol: docs/streaming.md)."""

from __future__ import annotations

from quart import Blueprint, current_app, websocket

from fithub.streaming.connection import LiveConnection

bp = Blueprint("streaming", __name__)


@bp.websocket("/ws/v1/live")
async def live() -> None:
    """Stream camera frames or landmarks; receive reps, form cues and a summary."""
    coordinator = current_app.config["FITHUB_LIVE"]
    await LiveConnection(coordinator, websocket._get_current_object()).run()  # type: ignore[attr-defined]
