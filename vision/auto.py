"""``auto`` mode: recognise which supported exercise is being done, then count it.

Every candidate exercise's counter runs on every frame. Each rep a counter completes carries its
exercise's *match* (0..1): how well the start position and the shape of the movement fit that
exercise (horizontal body with straight legs for a push-up, split stance at the bottom for a lunge,
feet jumping apart for a jumping jack, ...). Evidence is the sum of matches; once one exercise has
enough evidence and clearly more than any other, the counter commits to it, reports the choice
(:class:`~fithub.vision.events.ExerciseDetected`) followed by the reps it had already counted, and
from then on runs that counter alone. A stream that ends before committing is decided then, on the
evidence so far, so a one-rep clip is still recognised.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from fithub.plugins.types import ExerciseClassifier, ExerciseCounter
from fithub.vision.events import ExerciseDetected, VisionEvent
from fithub.vision.landmarks import PoseFrame

AUTO = "auto"


class AutoCounter:
    """Runs every candidate counter until one exercise is recognised, then only that one."""

    #: Evidence (sum of rep matches) needed to commit while the stream goes on.
    COMMIT_EVIDENCE = 1.6
    #: The winner's evidence must exceed the runner-up's by this factor.
    COMMIT_MARGIN = 2.0
    #: At the end of a stream, the least evidence that still names an exercise.
    FINAL_EVIDENCE = 0.4
    #: Events kept per candidate while undecided (older ones are dropped, counts are kept).
    MAX_PENDING = 64

    def __init__(self, exercises: Sequence[ExerciseClassifier]) -> None:
        if not exercises:
            raise ValueError("auto mode needs at least one exercise")
        self.counters: dict[str, ExerciseCounter] = {
            ex.name: ex.create_counter() for ex in exercises
        }
        self._pending: dict[str, deque[VisionEvent]] = {
            name: deque(maxlen=self.MAX_PENDING) for name in self.counters
        }
        self.chosen: ExerciseCounter | None = None
        self.chosen_name: str | None = None
        self.detection: ExerciseDetected | None = None
        self._last_t_ms = 0.0

    @property
    def name(self) -> str:
        """The recognised exercise, or ``"auto"`` while undecided."""
        return self.chosen_name if self.chosen_name is not None else AUTO

    @property
    def count(self) -> int:
        """Reps of the recognised exercise (0 while undecided)."""
        return self.chosen.count if self.chosen is not None else 0

    @property
    def evidence(self) -> float:
        """The recognised exercise's evidence (0 while undecided)."""
        return self.chosen.evidence if self.chosen is not None else 0.0

    def scores(self) -> dict[str, float]:
        """Each candidate's evidence so far: the sum of its reps' matches."""
        return {name: c.evidence for name, c in self.counters.items()}

    def update(self, frame: PoseFrame) -> list[VisionEvent]:
        """Take one frame; once decided, the chosen counter's events pass straight through."""
        self._last_t_ms = frame.t_ms
        if self.chosen is not None:
            return self.chosen.update(frame)
        for name, counter in self.counters.items():
            self._pending[name].extend(counter.update(frame))
        return self._decide(frame.t_ms, final=False)

    def finish(self) -> list[VisionEvent]:
        """End of stream: decide on the evidence so far if still undecided."""
        events: list[VisionEvent] = []
        if self.chosen is None:
            events.extend(self._decide(self._last_t_ms, final=True))
        if self.chosen is not None:
            events.extend(self.chosen.finish())
        return events

    def feed(self, frames: Iterable[PoseFrame]) -> list[VisionEvent]:
        """Every event of a sequence of frames, then :meth:`finish`."""
        events: list[VisionEvent] = []
        for frame in frames:
            events.extend(self.update(frame))
        events.extend(self.finish())
        return events

    def _decide(self, t_ms: float, *, final: bool) -> list[VisionEvent]:
        scores = self.scores()
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        best, top = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if final:
            decided = top >= self.FINAL_EVIDENCE and top > runner_up
        else:
            decided = top >= self.COMMIT_EVIDENCE and top >= self.COMMIT_MARGIN * runner_up
        if not decided:
            return []
        self.chosen = self.counters[best]
        self.chosen_name = best
        total = sum(scores.values())
        self.detection = ExerciseDetected(
            exercise=best,
            t_ms=t_ms,
            confidence=top / total if total > 0 else 0.0,
            scores={name: round(value, 3) for name, value in scores.items()},
        )
        events: list[VisionEvent] = [self.detection, *self._pending[best]]
        self._pending.clear()
        self.counters = {best: self.chosen}
        return events


def create_counter(exercise: str, classifiers: Mapping[str, ExerciseClassifier]) -> ExerciseCounter:
    """A counter for one stream: the named exercise's, or an :class:`AutoCounter` for ``"auto"``.

    ``classifiers`` maps names to classifier instances (for instance the built-ins, or every
    ``exercise_classifier`` component the plugin registry found). Raises ``KeyError`` for an
    unknown exercise.
    """
    if exercise == AUTO:
        return AutoCounter(list(classifiers.values()))
    if exercise not in classifiers:
        known = ", ".join(sorted([*classifiers, AUTO]))
        raise KeyError(f"unknown exercise {exercise!r} (known: {known})")
    return classifiers[exercise].create_counter()
