"""Adaptive hysteresis over a movement signal: finds complete repetitions online.

The signal rises as the person goes into a rep (deeper squat, lower push-up) and falls as they come
back. A rep starts from the recent low (the start position, a sliding-window minimum). It is *under
way* once the signal has risen from there by the larger of an absolute floor (``min_rom``, the
smallest movement that could be a rep at all) and ``enter_frac`` of the person's own typical range
of motion, and - once they have done a few reps - has reached into the band where their reps
usually bottom out (``band_frac`` of the way from their usual start level to their usual extreme),
so that shuffling about between reps does not count. It is *complete* once the signal has come back
by ``return_frac`` of the rep's own depth. There are no joint-angle thresholds: every level except
the floor is relative to what this person has just done, and forgotten after ``rom_memory_ms``.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Cycle:
    """One complete repetition as seen in the signal."""

    start_ms: float
    extreme_ms: float
    end_ms: float
    start_level: float
    extreme_level: float

    @property
    def rom(self) -> float:
        """Range of motion: how far the signal went from the start position."""
        return self.extreme_level - self.start_level


class SlidingMin:
    """Minimum (and its time) of the samples in the last ``window_ms``: O(1) amortised, bounded."""

    def __init__(self, window_ms: float) -> None:
        self.window_ms = window_ms
        self._q: deque[tuple[float, float]] = deque()

    def clear(self) -> None:
        """Forget every sample."""
        self._q.clear()

    def add(self, t_ms: float, x: float) -> None:
        """Add one sample; older ones leave the window."""
        while self._q and self._q[-1][1] >= x:
            self._q.pop()
        self._q.append((t_ms, x))
        while self._q and t_ms - self._q[0][0] > self.window_ms:
            self._q.popleft()

    def min(self) -> tuple[float, float] | None:
        """``(t_ms, value)`` of the minimum, or ``None`` when empty."""
        return self._q[0] if self._q else None


class CycleDetector:
    """Online detector of complete repetitions in one movement signal (higher = into the rep)."""

    #: Within this fraction of the entry threshold of the rest level, the person is at rest: a rep
    #: starts when they last were.
    REST_FRAC = 0.2
    #: Holding a new, higher level this long makes it the rest level (a wider stance, say).
    SETTLE_MS = 1000.0

    def __init__(
        self,
        min_rom: float,
        *,
        enter_frac: float = 0.5,
        band_frac: float = 0.5,
        return_frac: float = 0.6,
        min_rep_ms: float = 300.0,
        max_rep_ms: float = 20000.0,
        max_gap_ms: float = 1500.0,
        start_window_ms: float = 4000.0,
        rom_memory: int = 5,
        rom_memory_ms: float = 30000.0,
    ) -> None:
        if min_rom <= 0:
            raise ValueError("min_rom must be positive")
        self.min_rom = min_rom
        self.enter_frac = enter_frac
        self.band_frac = band_frac
        self.return_frac = return_frac
        self.min_rep_ms = min_rep_ms
        self.max_rep_ms = max_rep_ms
        self.max_gap_ms = max_gap_ms
        self.rom_memory_ms = rom_memory_ms
        self.state: Literal["start", "in_rep"] = "start"
        self._start = SlidingMin(start_window_ms)
        #: (end time, start level, extreme level) of recent reps.
        self._recent: deque[tuple[float, float, float]] = deque(maxlen=rom_memory)
        self._last_t: float | None = None
        self._rep_start: tuple[float, float] = (0.0, 0.0)
        self._extreme: tuple[float, float] = (0.0, 0.0)
        self._rest: tuple[float, float] | None = None  # (since when, level) at rest
        self._settle: tuple[float, float] | None = None  # a level being held, maybe a new rest

    @property
    def typical_rom(self) -> float:
        """Median range of motion of the person's recent reps (NaN before the first)."""
        if not self._recent:
            return math.nan
        return statistics.median(hi - lo for _, lo, hi in self._recent)

    def typical_band(self) -> float:
        """Signal level a rep must reach, from the person's usual start and extreme (or -inf)."""
        if not self._recent:
            return -math.inf
        lo = statistics.median(lo for _, lo, _ in self._recent)
        hi = statistics.median(hi for _, _, hi in self._recent)
        return lo + self.band_frac * (hi - lo)

    def enter_threshold(self) -> float:
        """How far the signal must rise from the start position for a rep to be under way."""
        typical = self.typical_rom
        if not math.isfinite(typical):
            return self.min_rom
        return max(self.min_rom, self.enter_frac * typical)

    def progress(self, x: float) -> float:
        """Where ``x`` lies between the start position (0) and a typical rep's extreme (1)."""
        if not math.isfinite(x):
            return math.nan
        start = self._rep_start[1] if self.state == "in_rep" else None
        if start is None:
            low = self._start.min()
            if low is None:
                return math.nan
            start = low[1]
        typical = self.typical_rom
        span = typical if math.isfinite(typical) else 2.0 * self.enter_threshold()
        return (x - start) / span

    def forget_last(self) -> None:
        """Leave the last rep out of the person's typical range (it was not a rep after all)."""
        if self._recent:
            self._recent.pop()

    def reset(self) -> None:
        """Abandon any rep in progress (the person left, or the posture no longer fits)."""
        self.state = "start"
        self._start.clear()
        self._rest = self._settle = None
        self._last_t = None

    def update(self, t_ms: float, x: float, ready: bool = True) -> Cycle | None:
        """Feed one (smoothed) sample; returns the rep it completes, if any.

        NaN means no data for this frame; ``ready`` says whether the person is in the exercise's
        start position, which a rep needs to begin (not to go on).
        """
        while self._recent and t_ms - self._recent[0][0] > self.rom_memory_ms:
            self._recent.popleft()
        if not math.isfinite(x):
            if self._last_t is not None and t_ms - self._last_t > self.max_gap_ms:
                self.reset()
            return None
        self._last_t = t_ms
        if self.state == "start":
            if not ready:  # the start position only counts while the person is in it
                self._start.clear()
                self._rest = self._settle = None
                return None
            self._start.add(t_ms, x)
            low = self._start.min()
            assert low is not None
            threshold = self.enter_threshold()
            rest = self._track_rest(t_ms, x, self.REST_FRAC * threshold)
            base = max(low[1], rest[1])
            if x - base >= threshold and x >= self.typical_band():
                self.state = "in_rep"
                self._rep_start = (rest[0], base)
                self._extreme = (t_ms, x)
            return None
        if x >= self._extreme[1]:
            self._extreme = (t_ms, x)
        start_t, start_x = self._rep_start
        depth = self._extreme[1] - start_x
        if t_ms - start_t > self.max_rep_ms:
            self._restart(t_ms, x)  # held too long to be one rep: start afresh from here
            return None
        if self._extreme[1] - x >= self.return_frac * depth:
            self._restart(t_ms, x)
            if t_ms - start_t < self.min_rep_ms:
                return None
            self._recent.append((t_ms, start_x, self._extreme[1]))
            return Cycle(start_t, self._extreme[0], t_ms, start_x, self._extreme[1])
        return None

    def _track_rest(self, t_ms: float, x: float, tolerance: float) -> tuple[float, float]:
        """The start position: the last time and level the person was still (or lowest)."""
        if self._rest is None or x <= self._rest[1] + tolerance:
            level = x if self._rest is None else min(self._rest[1], x)
            self._rest = (t_ms, level)
            self._settle = None
        elif self._settle is None or abs(x - self._settle[1]) > tolerance:
            self._settle = (t_ms, x)
        elif t_ms - self._settle[0] >= self.SETTLE_MS:
            self._rest = (t_ms, min(x, self._settle[1]))  # held a new level: the new rest
        return self._rest

    def _restart(self, t_ms: float, x: float) -> None:
        self.state = "start"
        self._start.clear()
        self._start.add(t_ms, x)
        self._rest = self._settle = None
