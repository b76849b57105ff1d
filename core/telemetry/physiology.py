"""Heart-rate science for live telemetry: maximum, zones, time in zones, RMSSD, TRIMP and energy.

Formulas and their sources are in the reference channels-and-sensors.md §8. Everything here is pure
and fed in time order; ``LiveDerivation`` bundles it for one live stream. Conventions:

* An interval between two samples is credited to the *earlier* sample (its zone, its TRIMP weight,
  its energy rate), and a gap longer than ``max_gap_s`` counts only ``max_gap_s``, so signal loss
  does not inflate time in a zone. A sample older than the previous one is ignored.
* RR artefact filter (a fithub heuristic, no published source): an RR outside 300-2000 ms, or more
  than 20 % away from the previously accepted RR, is dropped; after five consecutive plausible but
  rejected RRs the filter re-anchors on the newest one (a real change of pace, not an artefact).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

Sex = Literal["male", "female"]

#: Zone lower bounds as fractions (of HRmax, or of heart-rate reserve with Karvonen): 5 zones.
ZONE_FRACTIONS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
DEFAULT_MAX_GAP_S = 5.0
RR_MIN_MS, RR_MAX_MS, RR_MAX_CHANGE = 300.0, 2000.0, 0.20
RR_REANCHOR_AFTER = 5
KJ_PER_KCAL = 4.184


@dataclass(frozen=True, slots=True)
class HeartProfile:
    """What a caller knows of the user; any field may be unknown (None)."""

    age: float | None = None
    sex: Sex | None = None
    weight_kg: float | None = None
    resting_bpm: float | None = None
    max_bpm: float | None = None  # measured maximum

    def __post_init__(self) -> None:
        if self.sex not in ("male", "female", None):
            raise ValueError(f"sex must be 'male', 'female' or None, got {self.sex!r}")
        for name in ("age", "weight_kg", "resting_bpm", "max_bpm"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")


@dataclass(frozen=True, slots=True)
class MaxHeartRate:
    """A maximum heart rate and where it came from: ``measured``, or ``tanaka`` (208 - 0.7 age)."""

    bpm: float
    source: Literal["measured", "tanaka"]


def max_heart_rate(profile: HeartProfile) -> MaxHeartRate | None:
    """The measured maximum if known, else Tanaka's 208 - 0.7 x age, else None."""
    if profile.max_bpm is not None:
        return MaxHeartRate(profile.max_bpm, "measured")
    if profile.age is not None:
        return MaxHeartRate(208 - 0.7 * profile.age, "tanaka")
    return None


@dataclass(frozen=True, slots=True)
class HeartRateZones:
    """Five zones: 50-60-70-80-90-100 % of HRmax, or of heart-rate reserve (method ``hrr``)."""

    max_bpm: float
    resting_bpm: float | None
    method: Literal["hrmax", "hrr"]
    lower_bounds: tuple[float, ...]  # bpm where zones 1..5 start, then HRmax

    @classmethod
    def build(cls, max_bpm: float, resting_bpm: float | None = None) -> HeartRateZones:
        """Karvonen zones when a resting rate below ``max_bpm`` is known, else % of HRmax."""
        if resting_bpm is not None and resting_bpm < max_bpm:
            reserve = max_bpm - resting_bpm
            bounds = tuple(resting_bpm + f * reserve for f in ZONE_FRACTIONS)
            return cls(max_bpm, resting_bpm, "hrr", bounds)
        return cls(max_bpm, None, "hrmax", tuple(f * max_bpm for f in ZONE_FRACTIONS))

    @classmethod
    def for_profile(cls, profile: HeartProfile) -> HeartRateZones | None:
        """The zones for a profile, or None when no maximum can be had."""
        found = max_heart_rate(profile)
        return None if found is None else cls.build(found.bpm, profile.resting_bpm)

    def zone_of(self, bpm: float) -> int:
        """0 below zone 1, else 1..5 (a rate above the maximum stays in zone 5)."""
        zone = 0
        for index, bound in enumerate(self.lower_bounds[:5]):
            if bpm >= bound:
                zone = index + 1
        return zone

    def bounds(self) -> list[tuple[float, float]]:
        """(low, high) bpm of zones 1..5, for display."""
        return list(zip(self.lower_bounds[:5], self.lower_bounds[1:], strict=True))


class _Interval:
    """The seconds to credit to the previous sample: capped gaps, out-of-order samples ignored."""

    __slots__ = ("max_gap_s", "last_t", "last_value")

    def __init__(self, max_gap_s: float) -> None:
        self.max_gap_s = max_gap_s
        self.last_t: float | None = None
        self.last_value = 0.0

    def step(self, t_s: float, value: float) -> tuple[float, float] | None:
        """(seconds, previous value) to credit, or None for the first or an out-of-order sample."""
        if self.last_t is not None and t_s < self.last_t:
            return None
        credit = None
        if self.last_t is not None:
            credit = (min(t_s - self.last_t, self.max_gap_s), self.last_value)
        self.last_t, self.last_value = t_s, value
        return credit


class TimeInZones:
    """Seconds spent in each zone (index 0 = below zone 1), from heart-rate samples in time order."""

    def __init__(self, zones: HeartRateZones, max_gap_s: float = DEFAULT_MAX_GAP_S) -> None:
        self.zones = zones
        self._interval = _Interval(max_gap_s)
        self._seconds = [0.0] * 6

    def add(self, t_s: float, bpm: float) -> None:
        """Record a sample; the interval since the previous one goes to the previous one's zone."""
        credit = self._interval.step(t_s, bpm)
        if credit is not None:
            seconds, previous_bpm = credit
            self._seconds[self.zones.zone_of(previous_bpm)] += seconds

    @property
    def seconds(self) -> tuple[float, ...]:
        """Seconds below zone 1, then in zones 1..5."""
        return tuple(self._seconds)


def edwards_trimp(seconds_by_zone: Sequence[float]) -> float:
    """Edwards TRIMP: minutes in zone k (of %HRmax zones) times k, summed; index 0 weighs 0."""
    return sum(zone * seconds / 60 for zone, seconds in enumerate(seconds_by_zone))


def banister_weight(hrr_fraction: float, sex: Sex | None) -> float:
    """Banister's weighting y(x): 0.64 e^(1.92x) men, 0.86 e^(1.67x) women.

    Unknown sex takes the mean of the two curves (a fithub choice; the sources give none).
    """
    male = 0.64 * math.exp(1.92 * hrr_fraction)
    female = 0.86 * math.exp(1.67 * hrr_fraction)
    return male if sex == "male" else female if sex == "female" else (male + female) / 2


def hrr_fraction(bpm: float, resting_bpm: float, max_bpm: float) -> float:
    """(HR - rest) / (max - rest), clamped to 0..1."""
    return min(1.0, max(0.0, (bpm - resting_bpm) / (max_bpm - resting_bpm)))


def banister_trimp(
    minutes: float, bpm: float, resting_bpm: float, max_bpm: float, sex: Sex | None
) -> float:
    """Banister TRIMP of ``minutes`` at a steady ``bpm``: D x HRr x y(HRr)."""
    x = hrr_fraction(bpm, resting_bpm, max_bpm)
    return minutes * x * banister_weight(x, sex)


class BanisterTrimp:
    """Banister TRIMP accumulated sample by sample (each interval at the earlier sample's rate)."""

    def __init__(
        self,
        resting_bpm: float,
        max_bpm: float,
        sex: Sex | None,
        max_gap_s: float = DEFAULT_MAX_GAP_S,
    ) -> None:
        if not resting_bpm < max_bpm:
            raise ValueError(f"resting rate {resting_bpm} must be below maximum {max_bpm}")
        self.resting_bpm, self.max_bpm, self.sex = resting_bpm, max_bpm, sex
        self._interval = _Interval(max_gap_s)
        self.total = 0.0

    def add(self, t_s: float, bpm: float) -> None:
        """Record a sample."""
        credit = self._interval.step(t_s, bpm)
        if credit is not None:
            seconds, previous_bpm = credit
            self.total += banister_trimp(
                seconds / 60, previous_bpm, self.resting_bpm, self.max_bpm, self.sex
            )


def keytel_kcal_per_min(bpm: float, sex: Sex, weight_kg: float, age: float) -> float:
    """Energy expenditure from heart rate (Keytel 2005, without VO2max), kcal/min, never negative."""
    if sex == "male":
        kj = -55.0969 + 0.6309 * bpm + 0.1988 * weight_kg + 0.2017 * age
    else:
        kj = -20.4022 + 0.4472 * bpm - 0.1263 * weight_kg + 0.074 * age
    return max(0.0, kj / KJ_PER_KCAL)


class EnergyFromHeartRate:
    """Keytel kcal accumulated sample by sample; ``for_profile`` is None without sex, weight, age."""

    def __init__(
        self, sex: Sex, weight_kg: float, age: float, max_gap_s: float = DEFAULT_MAX_GAP_S
    ) -> None:
        self.sex, self.weight_kg, self.age = sex, weight_kg, age
        self._interval = _Interval(max_gap_s)
        self.kcal = 0.0

    @classmethod
    def for_profile(
        cls, profile: HeartProfile, max_gap_s: float = DEFAULT_MAX_GAP_S
    ) -> EnergyFromHeartRate | None:
        """An accumulator for this profile, or None when sex, weight or age is unknown."""
        if profile.sex is None or profile.weight_kg is None or profile.age is None:
            return None
        return cls(profile.sex, profile.weight_kg, profile.age, max_gap_s)

    def add(self, t_s: float, bpm: float) -> None:
        """Record a sample."""
        credit = self._interval.step(t_s, bpm)
        if credit is not None:
            seconds, previous_bpm = credit
            rate = keytel_kcal_per_min(previous_bpm, self.sex, self.weight_kg, self.age)
            self.kcal += rate * seconds / 60


class RrArtefactFilter:
    """Drops implausible RR intervals (fithub heuristic, see the module docstring)."""

    def __init__(self) -> None:
        self.previous: float | None = None
        self._rejected_in_a_row = 0

    def reset(self) -> None:
        """Forget the reference RR (after a gap in the signal)."""
        self.previous, self._rejected_in_a_row = None, 0

    def accept(self, rr_ms: float) -> bool:
        """Whether ``rr_ms`` is a normal interval; an accepted one becomes the new reference."""
        if not RR_MIN_MS <= rr_ms <= RR_MAX_MS:
            return False
        previous = self.previous
        if previous is not None and abs(rr_ms - previous) > RR_MAX_CHANGE * previous:
            self._rejected_in_a_row += 1
            if self._rejected_in_a_row < RR_REANCHOR_AFTER:
                return False
        self.previous, self._rejected_in_a_row = rr_ms, 0
        return True


def rmssd(rr_ms: Sequence[float]) -> float | None:
    """sqrt(mean of squared successive differences) of consecutive RRs; None with fewer than 2."""
    if len(rr_ms) < 2:
        return None
    squares = [(b - a) ** 2 for a, b in zip(rr_ms, rr_ms[1:], strict=False)]
    return math.sqrt(sum(squares) / len(squares))


class RollingRmssd:
    """RMSSD over the RR intervals of the last ``window_s`` seconds, artefacts filtered.

    Successive differences are taken only between RRs that were adjacent beats: not across a dropped
    artefact, nor across a gap of more than ``max_gap_s`` between notifications.
    """

    def __init__(
        self,
        window_s: float = 60.0,
        min_intervals: int = 10,
        max_gap_s: float = DEFAULT_MAX_GAP_S,
    ) -> None:
        self.window_s, self.min_intervals, self.max_gap_s = window_s, min_intervals, max_gap_s
        self.filter = RrArtefactFilter()
        self._beats: deque[tuple[float, float, bool]] = deque()  # (beat time, rr, follows previous)
        self._last_t: float | None = None
        self._previous_kept = False
        self.rejected = 0

    def add(self, t_s: float, rr_ms: Sequence[float]) -> None:
        """Add one notification's RRs (oldest first) received at ``t_s``."""
        if self._last_t is not None and t_s < self._last_t:
            return
        if self._last_t is not None and t_s - self._last_t > self.max_gap_s:
            self.filter.reset()
            self._previous_kept = False
        self._last_t = t_s
        ends_before = sum(rr_ms) / 1000  # the newest beat ends at t_s, earlier ones before it
        for rr in rr_ms:
            ends_before -= rr / 1000
            if self.filter.accept(rr):
                self._beats.append((t_s - ends_before, rr, self._previous_kept))
                self._previous_kept = True
            else:
                self.rejected += 1
                self._previous_kept = False
        while self._beats and self._beats[0][0] < t_s - self.window_s:
            self._beats.popleft()

    def value(self) -> float | None:
        """RMSSD in ms, or None with fewer than ``min_intervals`` RRs (or no adjacent pair)."""
        if len(self._beats) < self.min_intervals:
            return None
        squares = [
            (beat[1] - before[1]) ** 2
            for before, beat in zip(self._beats, list(self._beats)[1:], strict=False)
            if beat[2]
        ]
        return math.sqrt(sum(squares) / len(squares)) if squares else None


class LiveDerivation:
    """Everything derived live from one heart-rate stream, fed in time order.

    A rate of 0 or less (a strap without contact) is no reading: it updates nothing but RMSSD.
    """

    def __init__(
        self,
        profile: HeartProfile,
        *,
        rmssd_window_s: float = 60.0,
        max_gap_s: float = DEFAULT_MAX_GAP_S,
    ) -> None:
        self.profile = profile
        self.max = max_heart_rate(profile)
        self.zones = HeartRateZones.for_profile(profile)
        self.time_in_zones = None if self.zones is None else TimeInZones(self.zones, max_gap_s)
        self._edwards = self.time_in_zones  # Edwards counts %HRmax zones
        if self.max is not None and self.zones is not None and self.zones.method == "hrr":
            self._edwards = TimeInZones(HeartRateZones.build(self.max.bpm), max_gap_s)
        self.banister: BanisterTrimp | None = None
        if self.zones is not None and self.zones.resting_bpm is not None:
            self.banister = BanisterTrimp(
                self.zones.resting_bpm, self.zones.max_bpm, profile.sex, max_gap_s
            )
        self.energy = EnergyFromHeartRate.for_profile(profile, max_gap_s)
        self.rmssd = RollingRmssd(rmssd_window_s, max_gap_s=max_gap_s)
        everything = (self.time_in_zones, self._edwards, self.banister, self.energy)
        self._accumulators: list[TimeInZones | BanisterTrimp | EnergyFromHeartRate] = []
        for accumulator in everything:
            if accumulator is not None and accumulator not in self._accumulators:
                self._accumulators.append(accumulator)
        self.t_s: float | None = None
        self.bpm: float | None = None

    def add_heart_rate(self, t_s: float, bpm: float, rr_ms: Sequence[float] = ()) -> None:
        """Record one heart-rate sample (and the RR intervals that came with it) at ``t_s``."""
        if self.t_s is not None and t_s < self.t_s:
            return
        self.t_s = t_s
        if rr_ms:
            self.rmssd.add(t_s, rr_ms)
        if not (math.isfinite(bpm) and bpm > 0):
            return
        self.bpm = bpm
        for accumulator in self._accumulators:
            accumulator.add(t_s, bpm)

    def snapshot(self) -> dict[str, Any]:
        """The current values as a JSON-able dict; a value that cannot be known is None."""
        zones, rmssd_ms = self.zones, self.rmssd.value()
        return {
            "t": self.t_s,
            "bpm": self.bpm,
            "zone": None if zones is None or self.bpm is None else zones.zone_of(self.bpm),
            "max_bpm": None if self.max is None else round(self.max.bpm, 1),
            "max_source": None if self.max is None else self.max.source,
            "zone_method": None if zones is None else zones.method,
            "zone_bounds_bpm": None
            if zones is None
            else [[round(low), round(high)] for low, high in zones.bounds()],
            "time_in_zones_s": None
            if self.time_in_zones is None
            else [round(s, 1) for s in self.time_in_zones.seconds],
            "rmssd_ms": None if rmssd_ms is None else round(rmssd_ms, 1),
            "trimp_banister": None if self.banister is None else round(self.banister.total, 2),
            "trimp_edwards": None
            if self._edwards is None
            else round(edwards_trimp(self._edwards.seconds), 2),
            "energy_kcal": None if self.energy is None else round(self.energy.kcal, 1),
        }
