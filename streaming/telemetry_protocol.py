"""The live telemetry WebSocket protocol (v1): ``/ws/v1/telemetry`` and ``/ws/v1/telemetry/watch``.

Documented in docs/telemetry.md and docs/asyncapi.yaml. Client messages are JSON text frames.
Authentication, close codes, ``ping``/``pong`` and ``error`` events follow the live-camera
protocol (streaming/protocol.py). Sample times ``t`` are the phone's clock in milliseconds since
the Unix epoch (for a Bluetooth notification: the moment the phone received it).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from fithub.streaming.protocol import Auth, Ping

SUBPROTOCOL = "fithub.telemetry.v1"
WATCH_SUBPROTOCOL = "fithub.telemetry-watch.v1"

MAX_BATCH_ITEMS = 500  # samples in one batch, and Bluetooth payloads in one batch
MAX_RR_PER_SAMPLE = 16


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Device(_Message):
    id: str = Field(min_length=1, max_length=64, description="stable id of the source device")
    name: str = Field("", max_length=100)


class StartTelemetry(_Message):
    type: Literal["start"]
    device: Device
    sport: str = Field(
        "workout",
        min_length=1,
        max_length=64,
        description="running, cycling, walking... (as device vendors name sports; workout: any)",
    )
    stream_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="resume this stream (after a reconnect)"
    )


class HeartRateSample(_Message):
    kind: Literal["heart_rate"]
    t: float = Field(description="ms since the Unix epoch")
    value: float = Field(description="beats per minute")
    rr_ms: list[float] = Field(
        default_factory=list, max_length=MAX_RR_PER_SAMPLE, description="RR intervals, oldest first"
    )
    contact: bool | None = Field(None, description="sensor contact; null when not reported")


class ScalarSample(_Message):
    kind: Literal[
        "power",
        "cycling_cadence",
        "cycling_speed",
        "running_speed",
        "running_cadence",
        "skin_temperature",
        "steps",
    ]
    t: float
    value: float


class PositionSample(_Message):
    kind: Literal["position"]
    t: float
    lat: float
    lon: float
    altitude_m: float | None = None
    accuracy_m: float | None = Field(None, description="horizontal accuracy radius")


Sample = Annotated[HeartRateSample | ScalarSample | PositionSample, Field(discriminator="kind")]


class BlePayload(_Message):
    """A Bluetooth GATT notification as the phone received it."""

    char: str = Field(
        min_length=4, max_length=36, description="characteristic: 2a37, 2a63, 2a53 or 2a5b"
    )
    t: float = Field(description="the phone's receive time, ms since the Unix epoch")
    b64: str = Field(min_length=1, max_length=128, description="the value's bytes, base64")


class Batch(_Message):
    type: Literal["batch"]
    seq: int = Field(ge=0, le=2**62, description="0, 1, 2... per stream")
    samples: list[Sample] = Field(default_factory=list, max_length=MAX_BATCH_ITEMS)
    ble: list[BlePayload] = Field(default_factory=list, max_length=MAX_BATCH_ITEMS)


class StopTelemetry(_Message):
    type: Literal["stop"]


telemetry_client_message: TypeAdapter[Any] = TypeAdapter(
    Annotated[Auth | StartTelemetry | Batch | StopTelemetry | Ping, Field(discriminator="type")]
)


class Watch(_Message):
    """Choose whom to watch: yourself (the default), one client, or every active client."""

    type: Literal["watch"]
    user_ids: list[int] | None = Field(
        None, max_length=200, description="users to watch; null: yourself"
    )
    all_clients: bool = Field(False, description="a trainer's class view of every active client")


watch_client_message: TypeAdapter[Any] = TypeAdapter(
    Annotated[Auth | Watch | Ping, Field(discriminator="type")]
)


def topic(user_id: int) -> str:
    """The fan-out topic carrying a user's live values."""
    return f"telemetry:{user_id}"
