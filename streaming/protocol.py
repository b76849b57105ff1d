"""The live-workout WebSocket protocol (v1) and the notifications socket's: messages, close codes.

Documented in docs/streaming.md and docs/asyncapi.yaml. Client messages are JSON text frames,
except camera frames, which may also be sent as binary messages (the raw JPEG/PNG/WebP bytes).
An ``error`` event carries the problem-details object of the REST API, its ``type`` URI renamed
``problem_type`` (``type`` names the message). A socket that sends nothing for a minute is closed
(4408) and its session left resumable: send ``ping`` while no frames flow.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

SUBPROTOCOL = "fithub.live.v1"
NOTIFICATIONS_SUBPROTOCOL = "fithub.notifications.v1"  # /ws/v1/notifications
BEARER_PREFIX = "bearer."  # a second subprotocol "bearer.<access token>" authenticates the socket

# Close codes (4000-4999 are ours; the reason says more).
CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008  # flooding, or a client too slow to read its events
CLOSE_TOO_BIG = 1009
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_AUTH_TIMEOUT = 4408
CLOSE_IDLE = 4408  # nothing received for a while (send {type: ping} when there are no frames)
CLOSE_CONFLICT = 4409


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Auth(_Message):
    type: Literal["auth"]
    token: str = Field(min_length=10, max_length=4096)


class Start(_Message):
    type: Literal["start"]
    exercise: str = Field(
        "auto", min_length=1, max_length=64, description="a classifier name or auto"
    )
    workout_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="log the set into this workout"
    )
    send_pose: bool = Field(False, description="also send the landmarks of every analysed frame")


class Resume(_Message):
    type: Literal["resume"]
    session_id: str = Field(min_length=8, max_length=64)


class Frame(_Message):
    """A camera frame as base64, for clients that cannot send binary messages."""

    type: Literal["frame"]
    data: str = Field(min_length=4, description="base64 of JPEG, PNG or WebP bytes")
    t_ms: float | None = Field(None, ge=0, description="capture time; default: arrival time")


class Landmarks(_Message):
    """33 MediaPipe pose landmarks computed on the phone: x, y (0..1 of the frame), z, visibility."""

    type: Literal["landmarks"]
    t_ms: float = Field(ge=0)
    landmarks: list[Annotated[list[float], Field(min_length=4, max_length=4)]] = Field(
        min_length=33, max_length=33
    )
    world: list[Annotated[list[float], Field(min_length=3, max_length=4)]] | None = Field(
        None, min_length=33, max_length=33, description="world landmarks in metres, if available"
    )
    aspect: float = Field(1.0, gt=0.1, lt=10, description="frame width / height")


class Stop(_Message):
    type: Literal["stop"]


class Ping(_Message):
    type: Literal["ping"]


ClientMessage = Annotated[
    Auth | Start | Resume | Frame | Landmarks | Stop | Ping, Field(discriminator="type")
]
client_message: TypeAdapter[Any] = TypeAdapter(ClientMessage)
#: What a client may send on /ws/v1/notifications: its token (unless sent as a subprotocol), pings.
notifications_client_message: TypeAdapter[Any] = TypeAdapter(
    Annotated[Auth | Ping, Field(discriminator="type")]
)


def event(kind: str, **fields: Any) -> dict[str, Any]:
    """A server message: ``{"type": kind, ...}``."""
    return {"type": kind, **fields}
