"""One batch of live samples, checked and turned into rows, before anything is stored.

A batch is all or nothing: one impossible value, a time in the future or too far in the past, or a
Bluetooth payload that does not parse rejects the whole batch with :class:`BatchRejected`, whose
``errors`` name each offending item (``samples[3].value``, ``ble[0]``). Bluetooth payloads are
decoded here (core/telemetry/ble.py); cadence and speed from revolution counters need the
previous notification of the same characteristic, kept per stream in :class:`SensorMemory`.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fithub.core.telemetry import ble, ble_cycling
from fithub.core.telemetry.errors import BatchRejected
from fithub.core.telemetry.gatt import PayloadError, short_uuid

#: The physically possible range of each scalar kind; beyond it a value is impossible.
RANGES: dict[str, tuple[float, float]] = {
    "heart_rate": (20, 250),  # bpm
    "power": (0, 3000),  # W
    "cycling_cadence": (0, 250),  # rpm
    "cycling_speed": (0, 40),  # m/s
    "running_speed": (0, 15),  # m/s
    "running_cadence": (0, 300),  # steps/min
    "skin_temperature": (20, 45),  # °C
    "steps": (0, 1000),  # steps since the previous steps sample
}
RR_RANGE_MS = (200.0, 3000.0)
#: Values computed from revolution counters: one out of range is dropped, not the batch.
DERIVED = frozenset({"cycling_cadence", "cycling_speed"})
ALTITUDE_RANGE_M = (-500.0, 9000.0)
ACCURACY_RANGE_M = (0.0, 10_000.0)
#: A bicycle wheel of 700x25c, for speed from wheel revolutions (the sensor does not say).
WHEEL_CIRCUMFERENCE_M = 2.105


@dataclass(frozen=True, slots=True)
class Point:
    """A scalar sample: ``kind`` (a SampleKind value), the phone's time in ms, the value."""

    kind: str
    t_ms: float
    value: float
    rr_ms: tuple[float, ...] = ()
    contact: bool | None = None
    index: int = -1  # where it was in the batch (samples[i], or ble[i] when decoded)

    @property
    def no_reading(self) -> bool:
        """A heart rate sent while the strap has no skin contact (often 0 bpm): not a value."""
        return self.kind == "heart_rate" and (self.contact is False or self.value == 0)


@dataclass(frozen=True, slots=True)
class Fix:
    """A position fix."""

    t_ms: float
    lat: float
    lon: float
    altitude_m: float | None = None
    accuracy_m: float | None = None
    index: int = -1  # where it was in the batch's samples


@dataclass(frozen=True, slots=True)
class RawBle:
    """A Bluetooth notification: characteristic, receive time, the value's bytes as base64."""

    char: str
    t_ms: float
    b64: str


@dataclass
class SensorMemory:
    """The previous revolution data per characteristic (cadence and speed are deltas)."""

    last: dict[str, Any] = field(default_factory=dict)


@dataclass
class Checked:
    """A batch that passed every check: points (including decoded Bluetooth ones) and fixes."""

    points: list[Point]
    fixes: list[Fix]

    @property
    def size(self) -> int:
        return len(self.points) + len(self.fixes)

    def span(self) -> tuple[datetime, datetime] | None:
        times = [p.t_ms for p in self.points] + [f.t_ms for f in self.fixes]
        if not times:
            return None
        return instant(min(times)), instant(max(times))


def instant(t_ms: float) -> datetime:
    return datetime.fromtimestamp(t_ms / 1000, UTC)


@dataclass
class Checker:
    """Checks batches against the clock window: not after ``now + future_s``, not before ``now - past_s``."""

    future_s: float
    past_s: float
    errors: list[dict[str, str]] = field(default_factory=list)

    def _fail(self, where: str, message: str, kind: str) -> None:
        if len(self.errors) < 20:
            self.errors.append({"field": where, "message": message, "type": kind})

    def _time(self, where: str, t_ms: float, now_ms: float) -> None:
        if not math.isfinite(t_ms) or t_ms > now_ms + self.future_s * 1000:
            self._fail(where + ".t", "in the future (phone clock ahead?)", "future_time")
        elif t_ms < now_ms - self.past_s * 1000:
            self._fail(where + ".t", f"older than {self.past_s / 86400:g} days", "stale_time")

    def _range(self, where: str, value: float, bounds: tuple[float, float]) -> None:
        low, high = bounds
        if not math.isfinite(value) or not low <= value <= high:
            self._fail(where, f"physically impossible: must be within {low:g}..{high:g}", "range")

    def check(
        self,
        points: Sequence[Point],
        fixes: Sequence[Fix],
        raw: Sequence[RawBle],
        memory: SensorMemory,
        now: datetime,
    ) -> Checked:
        """The batch's points and fixes, with Bluetooth payloads decoded; or BatchRejected."""
        self.errors = []
        now_ms = now.timestamp() * 1000
        for i, point in enumerate(points):
            where = f"samples[{point.index if point.index >= 0 else i}]"
            self._time(where, point.t_ms, now_ms)
            if not point.no_reading:
                self._range(where + ".value", point.value, RANGES[point.kind])
            for j, rr in enumerate(point.rr_ms):
                self._range(f"{where}.rr_ms[{j}]", rr, RR_RANGE_MS)
        for i, fix in enumerate(fixes):
            where = f"samples[{fix.index if fix.index >= 0 else i}]"
            self._time(where, fix.t_ms, now_ms)
            self._range(where + ".lat", fix.lat, (-90, 90))
            self._range(where + ".lon", fix.lon, (-180, 180))
            if fix.altitude_m is not None:
                self._range(where + ".altitude_m", fix.altitude_m, ALTITUDE_RANGE_M)
            if fix.accuracy_m is not None:
                self._range(where + ".accuracy_m", fix.accuracy_m, ACCURACY_RANGE_M)
        decoded = self._decode(raw, memory, now_ms)
        if self.errors:
            raise BatchRejected(
                "The batch was refused and nothing of it was stored: see errors.",
                errors=self.errors,
            )
        return Checked([*points, *decoded], list(fixes))

    def _decode(self, raw: Sequence[RawBle], memory: SensorMemory, now_ms: float) -> list[Point]:
        out: list[Point] = []
        staged = dict(memory.last)  # committed only when the whole batch passes
        for i, item in enumerate(raw):
            where = f"ble[{i}]"
            self._time(where, item.t_ms, now_ms)
            try:
                data = base64.b64decode(item.b64, validate=True)
                measurement = ble.decode(item.char, data)
            except (binascii.Error, ValueError) as exc:
                reason = str(exc) if isinstance(exc, PayloadError) else "not base64"
                self._fail(where, reason, "bad_payload")
                continue
            out.extend(_points(measurement, item, staged, i))
        kept = []
        for point in out:
            if point.kind in DERIVED or point.no_reading:
                low, high = RANGES[point.kind]  # a counter reset after a sensor reboot: drop it
                if point.no_reading or low <= point.value <= high:
                    kept.append(point)
            else:
                self._range(f"ble[{point.index}]", point.value, RANGES[point.kind])
                kept.append(point)
        if not self.errors:
            memory.last = staged
        return kept


def _points(measurement: Any, item: RawBle, last: dict[str, Any], index: int) -> list[Point]:
    t = item.t_ms
    if isinstance(measurement, ble.HeartRateMeasurement):
        return [
            Point(
                "heart_rate",
                t,
                float(measurement.bpm),
                measurement.rr_ms,
                measurement.contact,
                index,
            )
        ]
    if isinstance(measurement, ble.RscMeasurement):  # walking or running: stored alike
        return [
            Point("running_speed", t, measurement.speed_mps, index=index),
            Point("running_cadence", t, float(measurement.cadence_spm), index=index),
        ]
    points: list[Point] = []
    key = short_uuid(item.char)
    if isinstance(measurement, ble_cycling.CyclingPowerMeasurement):
        points.append(Point("power", t, float(measurement.power_w), index=index))
    if isinstance(measurement, ble_cycling.CyclingPowerMeasurement | ble_cycling.CscMeasurement):
        crank, wheel = measurement.crank, measurement.wheel
        previous = last.get(key)
        if previous is not None:
            cadence = ble_cycling.crank_cadence_rpm(previous[0], crank)
            if cadence is not None:
                points.append(Point("cycling_cadence", t, cadence, index=index))
            speed = ble_cycling.wheel_speed_mps(previous[1], wheel, WHEEL_CIRCUMFERENCE_M)
            if speed is not None:
                points.append(Point("cycling_speed", t, speed, index=index))
        last[key] = (crank or (previous[0] if previous else None),
                     wheel or (previous[1] if previous else None))  # fmt: skip
    return points
