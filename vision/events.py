"""What rep counting reports: completed reps, live form feedback and the exercise recognised.

Plain frozen dataclasses with ``to_dict()`` for JSON; nothing here knows how they are delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Cue:
    """One form problem: a stable ``code`` for programs and a ``message`` for people."""

    code: str
    message: str
    #: How much this problem lowered the rep's form score (0..1).
    penalty: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"code": self.code, "message": self.message, "penalty": round(self.penalty, 3)}


@dataclass(frozen=True)
class RepEvent:
    """A complete repetition: the extreme was reached and the person came back towards the start.

    Times are the stream's milliseconds: ``start_ms`` when the movement left the start position,
    ``extreme_ms`` at its deepest point, ``end_ms`` when the rep was counted. ``rom`` is the range
    of motion in the exercise's body-normalised units (fractions of a leg, arm or torso length);
    ``form_score`` is 0..1, lowered by each of ``cues``.
    """

    exercise: str
    number: int
    start_ms: float
    extreme_ms: float
    end_ms: float
    rom: float
    form_score: float
    cues: tuple[Cue, ...] = ()
    side: str | None = None
    kind: Literal["rep"] = field(default="rep", init=False)

    @property
    def duration_ms(self) -> float:
        """From leaving the start position to being counted."""
        return self.end_ms - self.start_ms

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": self.kind,
            "exercise": self.exercise,
            "number": self.number,
            "start_ms": round(self.start_ms, 1),
            "extreme_ms": round(self.extreme_ms, 1),
            "end_ms": round(self.end_ms, 1),
            "rom": round(self.rom, 3),
            "form_score": round(self.form_score, 3),
            "cues": [c.to_dict() for c in self.cues],
            "side": self.side,
        }


@dataclass(frozen=True)
class FeedbackEvent:
    """A live form cue, sent as soon as it is seen (during a rep) or right after the rep."""

    exercise: str
    t_ms: float
    cue: Cue
    #: The rep this cue belongs to (the one in progress, or the one just counted).
    rep: int
    kind: Literal["feedback"] = field(default="feedback", init=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": self.kind,
            "exercise": self.exercise,
            "t_ms": round(self.t_ms, 1),
            "rep": self.rep,
            **{k: v for k, v in self.cue.to_dict().items() if k != "penalty"},
        }


@dataclass(frozen=True)
class ExerciseDetected:
    """``auto`` mode committed to an exercise; ``scores`` are each candidate's evidence (0..1)."""

    exercise: str
    t_ms: float
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)
    kind: Literal["exercise"] = field(default="exercise", init=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": self.kind,
            "exercise": self.exercise,
            "t_ms": round(self.t_ms, 1),
            "confidence": round(self.confidence, 3),
            "scores": {k: round(v, 3) for k, v in self.scores.items()},
        }


VisionEvent = RepEvent | FeedbackEvent | ExerciseDetected
