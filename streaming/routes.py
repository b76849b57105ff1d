"""The WebSocket endpoints, ``/ws/v1/live`` and ``/ws/v1/notifications`` (docs/streaming.md)."""

from __future__ import annotations

from dataclasses import replace

from quart import Blueprint, current_app, websocket

from fithub.streaming.connection import LiveConnection
from fithub.streaming.notifications import NotificationSocket
from fithub.streaming.telemetry import TelemetrySocket
from fithub.streaming.telemetry_watch import WatchSocket

bp = Blueprint("streaming", __name__)
#: A batch of 500 samples with RR intervals is about 60 KB of JSON.
TELEMETRY_MAX_MESSAGE_BYTES = 256 * 1024


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


@bp.websocket("/ws/v1/telemetry")
async def telemetry() -> None:
    """Stream live samples (heart rate, power, GPS, raw Bluetooth payloads) from a phone."""
    coordinator = current_app.config["FITHUB_LIVE"]
    socket = websocket._get_current_object()  # type: ignore[attr-defined]
    limits = replace(coordinator.limits, max_message_bytes=TELEMETRY_MAX_MESSAGE_BYTES)
    metrics = current_app.config.get("FITHUB_METRICS")
    await TelemetrySocket(coordinator.runtime, limits, socket, metrics).run()


@bp.websocket("/ws/v1/telemetry/watch")
async def telemetry_watch() -> None:
    """Watch live telemetry: your own, a client's who shares it, or a trainer's whole class."""
    coordinator = current_app.config["FITHUB_LIVE"]
    socket = websocket._get_current_object()  # type: ignore[attr-defined]
    await WatchSocket(coordinator.runtime, coordinator.limits, socket).run()
