"""Bluetooth GATT sensor payloads as phones forward them: parsers and one ``decode`` entry point.

Layouts follow the Bluetooth SIG characteristic definitions (reference channels-and-sensors.md §6):
little-endian fields, optional fields in the order of their flags. Heart Rate Measurement (0x2A37),
Body Sensor Location (0x2A38) and RSC Measurement (0x2A53) live here; Cycling Power (0x2A63) and CSC
(0x2A5B) in ``ble_cycling``, re-exported. A malformed value raises ``PayloadError`` (a
``ValueError``) whose message names the field and the bytes expected versus left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fithub.core.telemetry.ble_cycling import (
    CscMeasurement,
    CyclingPowerMeasurement,
    RevolutionData,
    crank_cadence_rpm,
    parse_csc,
    parse_cycling_power,
    revolutions_per_second,
    wheel_speed_mps,
)
from fithub.core.telemetry.gatt import FieldReader, PayloadError, short_uuid

__all__ = [
    "BodySensorLocation",
    "CscMeasurement",
    "CyclingPowerMeasurement",
    "HeartRateMeasurement",
    "Measurement",
    "PayloadError",
    "RevolutionData",
    "RscMeasurement",
    "crank_cadence_rpm",
    "decode",
    "parse_body_sensor_location",
    "parse_csc",
    "parse_cycling_power",
    "parse_heart_rate",
    "parse_rsc",
    "revolutions_per_second",
    "short_uuid",
    "wheel_speed_mps",
]

# Heart Rate Measurement flag bits (uint8).
_HR_UINT16 = 1 << 0
_HR_CONTACT_SHIFT = 1  # bits 1-2: 0/1 not supported, 2 not detected, 3 detected
_HR_ENERGY = 1 << 3
_HR_RR = 1 << 4
_HR_RESERVED = 0xE0  # bits 5-7

# RSC Measurement flag bits (uint8).
_RSC_STRIDE = 1 << 0
_RSC_DISTANCE = 1 << 1
_RSC_RUNNING = 1 << 2
_RSC_RESERVED = 0xF8  # bits 3-7

#: RR intervals are sent in units of 1/1024 s.
RR_RESOLUTION = 1024

_BODY_LOCATIONS = ("other", "chest", "wrist", "finger", "hand", "ear lobe", "foot")


@dataclass(frozen=True, slots=True)
class HeartRateMeasurement:
    """A decoded Heart Rate Measurement (0x2A37).

    ``contact`` is None when the sensor does not report contact, False when it reports no contact,
    True when skin contact is detected. ``rr_ms`` holds the RR intervals in milliseconds, oldest
    first (a notification may carry none or several).
    """

    flags: int
    bpm: int
    contact: bool | None
    energy_kj: int | None
    rr_ms: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class BodySensorLocation:
    """A decoded Body Sensor Location (0x2A38): the raw code and its name ("reserved" for 7-255)."""

    code: int
    name: str


@dataclass(frozen=True, slots=True)
class RscMeasurement:
    """A decoded Running Speed and Cadence Measurement (0x2A53); absent optional fields are None."""

    flags: int
    speed_mps: float
    cadence_spm: int
    stride_length_m: float | None
    total_distance_m: float | None
    running: bool


Measurement = (
    HeartRateMeasurement
    | BodySensorLocation
    | RscMeasurement
    | CyclingPowerMeasurement
    | CscMeasurement
)


def parse_heart_rate(data: bytes) -> HeartRateMeasurement:
    """Decode a Heart Rate Measurement value; raises ``PayloadError`` when it is malformed.

    The rate is uint8 or uint16 (flag bit 0); energy expended is uint16 kJ; each RR interval is a
    uint16 in 1/1024 s, repeated to the end of the value, converted here to milliseconds.
    """
    r = FieldReader("2a37 heart rate measurement", data)
    flags = r.u8("flags")
    r.reject_reserved(flags, _HR_RESERVED)
    bpm = r.u16("heart rate (uint16)") if flags & _HR_UINT16 else r.u8("heart rate (uint8)")
    contact_bits = (flags >> _HR_CONTACT_SHIFT) & 0b11
    contact = None if contact_bits < 2 else contact_bits == 3
    energy = r.u16("energy expended") if flags & _HR_ENERGY else None
    rr: list[float] = []
    if flags & _HR_RR:
        if r.remaining == 0:
            raise r.error(
                "truncated: RR-interval flag set but no RR interval follows",
                field="rr interval",
                expected=2,
                got=0,
            )
        if r.remaining % 2:
            raise r.error(
                f"RR intervals are uint16 each, but {r.remaining} bytes remain (odd)",
                field="rr interval",
                expected=r.remaining + 1,
                got=r.remaining,
            )
        while r.remaining:
            rr.append(r.u16("rr interval") * 1000 / RR_RESOLUTION)
    r.finish()
    return HeartRateMeasurement(flags, bpm, contact, energy, tuple(rr))


def parse_body_sensor_location(data: bytes) -> BodySensorLocation:
    """Decode a Body Sensor Location value (one uint8)."""
    r = FieldReader("2a38 body sensor location", data)
    code = r.u8("body sensor location")
    r.finish()
    name = _BODY_LOCATIONS[code] if code < len(_BODY_LOCATIONS) else "reserved"
    return BodySensorLocation(code, name)


def parse_rsc(data: bytes) -> RscMeasurement:
    """Decode an RSC Measurement value: speed 1/256 m/s, stride 1/100 m, distance 1/10 m."""
    r = FieldReader("2a53 rsc measurement", data)
    flags = r.u8("flags")
    r.reject_reserved(flags, _RSC_RESERVED)
    speed = r.u16("instantaneous speed") / 256
    cadence = r.u8("instantaneous cadence")
    stride = r.u16("instantaneous stride length") / 100 if flags & _RSC_STRIDE else None
    distance = r.u32("total distance") / 10 if flags & _RSC_DISTANCE else None
    r.finish()
    return RscMeasurement(flags, speed, cadence, stride, distance, bool(flags & _RSC_RUNNING))


#: Parsers by 16-bit characteristic UUID.
PARSERS: dict[str, Callable[[bytes], Measurement]] = {
    "2a37": parse_heart_rate,
    "2a38": parse_body_sensor_location,
    "2a53": parse_rsc,
    "2a5b": parse_csc,
    "2a63": parse_cycling_power,
}


def decode(characteristic: str, data: bytes) -> Measurement:
    """Decode ``data`` as the value of ``characteristic``.

    ``characteristic`` may be ``"2a37"``, ``"2A37"``, ``"0x2a37"`` or the full 128-bit UUID
    ``"00002a37-0000-1000-8000-00805f9b34fb"``. Raises ``PayloadError`` for an unknown
    characteristic or a malformed value.
    """
    uuid = short_uuid(characteristic)
    parser = PARSERS.get(uuid)
    if parser is None:
        supported = ", ".join(sorted(PARSERS))
        raise PayloadError(characteristic, f"unsupported characteristic (supported: {supported})")
    return parser(data)
