"""Cycling sensor payloads: Cycling Power (0x2A63), Cycling Speed and Cadence (0x2A5B), and rates.

Layouts follow the Bluetooth SIG characteristic definitions (reference
channels-and-sensors.md §6.2 and §6.4). Sensors report *cumulative* revolutions and the time of the
last revolution event; cadence and speed come from the difference between two notifications
(``crank_cadence_rpm``, ``wheel_speed_mps``), allowing for the counters wrapping around.
"""

from __future__ import annotations

from dataclasses import dataclass

from fithub.core.telemetry.gatt import FieldReader

__all__ = [
    "CscMeasurement",
    "CyclingPowerMeasurement",
    "RevolutionData",
    "crank_cadence_rpm",
    "parse_csc",
    "parse_cycling_power",
    "revolutions_per_second",
    "wheel_speed_mps",
]

#: Event times are uint16 counters: they wrap to 0 after 65535 ticks.
EVENT_TIME_MODULUS = 1 << 16
#: Cumulative crank revolutions are uint16, cumulative wheel revolutions uint32.
CRANK_REVS_MODULUS = 1 << 16
WHEEL_REVS_MODULUS = 1 << 32

# Cycling Power Measurement flag bits (uint16).
_CP_BALANCE = 1 << 0
_CP_BALANCE_LEFT = 1 << 1
_CP_TORQUE = 1 << 2
_CP_TORQUE_CRANK = 1 << 3
_CP_WHEEL = 1 << 4
_CP_CRANK = 1 << 5
_CP_EXTREME_FORCE = 1 << 6
_CP_EXTREME_TORQUE = 1 << 7
_CP_EXTREME_ANGLES = 1 << 8
_CP_TOP_DEAD_SPOT = 1 << 9
_CP_BOTTOM_DEAD_SPOT = 1 << 10
_CP_ENERGY = 1 << 11
_CP_OFFSET_COMPENSATION = 1 << 12
_CP_RESERVED = 0xE000  # bits 13-15

# CSC Measurement flag bits (uint8).
_CSC_WHEEL = 1 << 0
_CSC_CRANK = 1 << 1
_CSC_RESERVED = 0xFC  # bits 2-7


@dataclass(frozen=True, slots=True)
class RevolutionData:
    """A cumulative revolution count and the time of its last event, as the sensor sent them.

    ``event_time`` is in raw ticks of ``1 / time_resolution`` s; ``revs_modulus`` is where the
    revolution counter wraps (2**16 for crank counts, 2**32 for wheel counts).
    """

    revolutions: int
    event_time: int
    time_resolution: int
    revs_modulus: int

    @property
    def event_time_s(self) -> float:
        """The last event time in seconds (it wraps every 65536 ticks)."""
        return self.event_time / self.time_resolution


@dataclass(frozen=True, slots=True)
class CyclingPowerMeasurement:
    """A decoded Cycling Power Measurement (0x2A63); an absent optional field is None."""

    flags: int
    power_w: int
    pedal_power_balance_pct: float | None = None
    balance_reference_left: bool = False
    accumulated_torque_nm: float | None = None
    torque_source_crank: bool = False
    wheel: RevolutionData | None = None
    crank: RevolutionData | None = None
    max_force_n: int | None = None
    min_force_n: int | None = None
    max_torque_nm: float | None = None
    min_torque_nm: float | None = None
    max_angle_deg: int | None = None
    min_angle_deg: int | None = None
    top_dead_spot_deg: int | None = None
    bottom_dead_spot_deg: int | None = None
    accumulated_energy_kj: int | None = None
    offset_compensation: bool = False


@dataclass(frozen=True, slots=True)
class CscMeasurement:
    """A decoded CSC Measurement (0x2A5B); wheel and crank data are each optional."""

    flags: int
    wheel: RevolutionData | None = None
    crank: RevolutionData | None = None


def parse_cycling_power(data: bytes) -> CyclingPowerMeasurement:
    """Decode a Cycling Power Measurement value; raises ``PayloadError`` when it is malformed.

    Wheel event time is in 1/2048 s here (1/1024 s in CSC); crank event time in 1/1024 s.
    """
    r = FieldReader("2a63 cycling power", data)
    flags = r.u16("flags")
    r.reject_reserved(flags, _CP_RESERVED)
    power = r.s16("instantaneous power")
    balance = torque = None
    wheel = crank = None
    max_force = min_force = None
    max_torque = min_torque = None
    max_angle = min_angle = None
    top = bottom = energy = None
    if flags & _CP_BALANCE:
        balance = r.u8("pedal power balance") / 2
    if flags & _CP_TORQUE:
        torque = r.u16("accumulated torque") / 32
    if flags & _CP_WHEEL:
        revs = r.u32("cumulative wheel revolutions")
        wheel = RevolutionData(revs, r.u16("last wheel event time"), 2048, WHEEL_REVS_MODULUS)
    if flags & _CP_CRANK:
        revs = r.u16("cumulative crank revolutions")
        crank = RevolutionData(revs, r.u16("last crank event time"), 1024, CRANK_REVS_MODULUS)
    if flags & _CP_EXTREME_FORCE:
        max_force = r.s16("maximum force magnitude")
        min_force = r.s16("minimum force magnitude")
    if flags & _CP_EXTREME_TORQUE:
        max_torque = r.s16("maximum torque magnitude") / 32
        min_torque = r.s16("minimum torque magnitude") / 32
    if flags & _CP_EXTREME_ANGLES:
        packed = r.u24("extreme angles")  # max in the low 12 bits, min in the high 12 bits
        max_angle, min_angle = packed & 0xFFF, packed >> 12
    if flags & _CP_TOP_DEAD_SPOT:
        top = r.u16("top dead spot angle")
    if flags & _CP_BOTTOM_DEAD_SPOT:
        bottom = r.u16("bottom dead spot angle")
    if flags & _CP_ENERGY:
        energy = r.u16("accumulated energy")
    r.finish()
    return CyclingPowerMeasurement(
        flags=flags,
        power_w=power,
        pedal_power_balance_pct=balance,
        balance_reference_left=bool(flags & _CP_BALANCE_LEFT),
        accumulated_torque_nm=torque,
        torque_source_crank=bool(flags & _CP_TORQUE_CRANK),
        wheel=wheel,
        crank=crank,
        max_force_n=max_force,
        min_force_n=min_force,
        max_torque_nm=max_torque,
        min_torque_nm=min_torque,
        max_angle_deg=max_angle,
        min_angle_deg=min_angle,
        top_dead_spot_deg=top,
        bottom_dead_spot_deg=bottom,
        accumulated_energy_kj=energy,
        offset_compensation=bool(flags & _CP_OFFSET_COMPENSATION),
    )


def parse_csc(data: bytes) -> CscMeasurement:
    """Decode a CSC Measurement value (wheel and crank times both in 1/1024 s)."""
    r = FieldReader("2a5b cycling speed and cadence", data)
    flags = r.u8("flags")
    r.reject_reserved(flags, _CSC_RESERVED)
    wheel = crank = None
    if flags & _CSC_WHEEL:
        revs = r.u32("cumulative wheel revolutions")
        wheel = RevolutionData(revs, r.u16("last wheel event time"), 1024, WHEEL_REVS_MODULUS)
    if flags & _CSC_CRANK:
        revs = r.u16("cumulative crank revolutions")
        crank = RevolutionData(revs, r.u16("last crank event time"), 1024, CRANK_REVS_MODULUS)
    r.finish()
    return CscMeasurement(flags=flags, wheel=wheel, crank=crank)


def revolutions_per_second(prev: RevolutionData | None, cur: RevolutionData | None) -> float | None:
    """Revolutions per second between two readings of the same counter, or None.

    None when either reading is missing, the counters differ in kind, or the event time did not move
    (no new revolution since the previous notification: the caller decides when that means "stopped").
    Both counters are taken modulo their width, so one wrap between the readings is handled; more
    than one wrap of the event time (32 s at 1/2048 s, 64 s at 1/1024 s) cannot be detected.
    """
    if prev is None or cur is None:
        return None
    if (prev.time_resolution, prev.revs_modulus) != (cur.time_resolution, cur.revs_modulus):
        return None
    ticks = (cur.event_time - prev.event_time) % EVENT_TIME_MODULUS
    if ticks == 0:
        return None
    revs = (cur.revolutions - prev.revolutions) % cur.revs_modulus
    return revs * cur.time_resolution / ticks


def crank_cadence_rpm(prev: RevolutionData | None, cur: RevolutionData | None) -> float | None:
    """Cadence in revolutions per minute from two crank readings (see ``revolutions_per_second``)."""
    rate = revolutions_per_second(prev, cur)
    return None if rate is None else rate * 60


def wheel_speed_mps(
    prev: RevolutionData | None, cur: RevolutionData | None, circumference_m: float
) -> float | None:
    """Speed in m/s from two wheel readings and the wheel's circumference in metres.

    The time resolution (1/2048 s for Cycling Power, 1/1024 s for CSC) travels with the readings.
    """
    if not circumference_m > 0:
        raise ValueError(f"wheel circumference must be positive, got {circumference_m}")
    rate = revolutions_per_second(prev, cur)
    return None if rate is None else rate * circumference_m
