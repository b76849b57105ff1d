"""One-repetition-maximum estimates.

Epley (1985): ``1RM = w * (1 + r / 30)``; Brzycki (1993): ``1RM = w * 36 / (37 - r)``.
Both equal ``w`` at one rep. They agree closely up to about ten reps and drift apart beyond, so
fithub estimates only for 1 to 12 reps and stores Epley (``WorkoutSet.e1rm_kg``); analytics return
both.
"""

from __future__ import annotations

MAX_REPS_FOR_ESTIMATE = 12


def epley(weight: float | None, reps: int | None) -> float | None:
    """Epley estimate of the one-rep max, or None outside 1..12 reps or without weight."""
    if not weight or not reps or reps < 1 or reps > MAX_REPS_FOR_ESTIMATE:
        return None
    return weight if reps == 1 else weight * (1 + reps / 30)


def brzycki(weight: float | None, reps: int | None) -> float | None:
    """Brzycki estimate of the one-rep max, or None outside 1..12 reps or without weight."""
    if not weight or not reps or reps < 1 or reps > MAX_REPS_FOR_ESTIMATE:
        return None
    return weight * 36 / (37 - reps)
