"""Online filters for noisy landmark signals: One-Euro smoothing and rolling quantiles.

Everything here takes one sample at a time with its timestamp, keeps bounded state, and accepts NaN
for "not measured in this frame" (no pose, or the joints needed were not visible), so the same
objects serve a live stream and a whole clip.
"""

from __future__ import annotations

import bisect
import math
from collections import deque


class OneEuroFilter:
    """Casiez et al.'s 1€ filter: little jitter when still, little lag when moving fast.

    ``min_cutoff`` (Hz) sets the smoothing at rest, ``beta`` how quickly the cutoff rises with the
    signal's speed (in signal units per second). A gap (NaN) longer than ``max_gap_ms`` restarts the
    filter so that it does not glide across the gap; a NaN sample returns NaN.
    """

    def __init__(
        self,
        min_cutoff: float = 1.0,
        beta: float = 0.5,
        d_cutoff: float = 1.0,
        max_gap_ms: float = 1000.0,
    ) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.max_gap_ms = max_gap_ms
        self._x: float | None = None
        self._dx = 0.0
        self._t = 0.0

    @staticmethod
    def _alpha(cutoff: float, dt_s: float) -> float:
        tau = 1.0 / (2.0 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt_s)

    def reset(self) -> None:
        """Forget the past: the next sample is passed through as it is."""
        self._x = None
        self._dx = 0.0

    def __call__(self, t_ms: float, x: float) -> float:
        """Filter one sample taken at ``t_ms``; NaN in, NaN out."""
        if not math.isfinite(x):
            if self._x is not None and t_ms - self._t > self.max_gap_ms:
                self.reset()
            return math.nan
        if self._x is None or t_ms - self._t > self.max_gap_ms:
            self._x, self._dx, self._t = x, 0.0, t_ms
            return x
        dt_s = max(1e-3, (t_ms - self._t) / 1000.0)
        dx = (x - self._x) / dt_s
        self._dx += self._alpha(self.d_cutoff, dt_s) * (dx - self._dx)
        cutoff = self.min_cutoff + self.beta * abs(self._dx)
        self._x += self._alpha(cutoff, dt_s) * (x - self._x)
        self._t = t_ms
        return self._x


class RollingQuantile:
    """A quantile of the finite samples seen in the last ``window_ms`` (at most ``max_samples``).

    Used for body lengths: the 90th percentile of a limb's image length over a few seconds is its
    length seen side-on, robust to foreshortening in some frames and to single bad detections.
    Samples are kept in arrival order and in sorted order, so each update costs O(window).
    """

    def __init__(self, q: float, window_ms: float, max_samples: int = 256) -> None:
        if not 0.0 <= q <= 1.0:
            raise ValueError("q must be within 0..1")
        self.q = q
        self.window_ms = window_ms
        self.max_samples = max_samples
        self._samples: deque[tuple[float, float]] = deque()
        self._sorted: list[float] = []

    def __len__(self) -> int:
        return len(self._samples)

    def add(self, t_ms: float, x: float) -> None:
        """Add one sample (NaN is ignored) and drop those older than the window."""
        if math.isfinite(x):
            self._samples.append((t_ms, x))
            bisect.insort(self._sorted, x)
        while self._samples and (
            t_ms - self._samples[0][0] > self.window_ms or len(self._samples) > self.max_samples
        ):
            _, old = self._samples.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, old)]

    def value(self) -> float:
        """The quantile of the samples in the window, NaN when there are none."""
        ordered = self._sorted
        if not ordered:
            return math.nan
        pos = self.q * (len(ordered) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(ordered) - 1)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


class Ema:
    """Exponential moving average with a time constant, tolerant of irregular sampling and NaN."""

    def __init__(self, tau_ms: float) -> None:
        self.tau_ms = tau_ms
        self.value = math.nan
        self._t = 0.0

    def __call__(self, t_ms: float, x: float) -> float:
        """Update with one sample and return the average (NaN samples leave it unchanged)."""
        if math.isfinite(x):
            if not math.isfinite(self.value):
                self.value = x
            else:
                a = 1.0 - math.exp(-max(0.0, t_ms - self._t) / self.tau_ms)
                self.value += a * (x - self.value)
            self._t = t_ms
        return self.value
