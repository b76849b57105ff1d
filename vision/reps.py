"""Rep counting: an exercise turns each frame into a movement signal, a generic counter finds reps.

An :class:`ExerciseModel` knows one exercise: from a :class:`~fithub.vision.landmarks.PoseFrame` it
measures a body-normalised *movement signal* (higher = further into the rep), how well the frame
fits the exercise's position (*posture*, used to ignore setting up and to recognise the exercise),
and form measures; after each rep it names what lowered the form. :class:`RepCounter` does the rest
for every exercise alike, one frame at a time with bounded memory: visibility gating, a start
position to begin from, One-Euro smoothing, adaptive hysteresis (:mod:`fithub.vision.cycles`), rep
events with a form score, and live cues.
Counting a whole clip is the same loop (:func:`count_reps`).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from fithub.vision.body import BodyScale
from fithub.vision.cycles import Cycle, CycleDetector
from fithub.vision.events import Cue, FeedbackEvent, RepEvent, VisionEvent
from fithub.vision.landmarks import PoseFrame
from fithub.vision.signal import Ema, OneEuroFilter


@dataclass(frozen=True)
class Measure:
    """What an exercise reads from one frame.

    ``signal`` rises into the rep, in body-size units (NaN when the joints it needs are not
    visible); ``posture`` is 0..1, how well the frame fits the exercise's *start* position (standing
    for a squat, a straight-armed plank for a push-up); a rep can only begin from it. ``form`` holds
    named measures the exercise judges form by; ``side`` is the working side, if any.
    """

    signal: float
    posture: float = 1.0
    form: Mapping[str, float] = field(default_factory=dict)
    side: str | None = None


NOT_MEASURED = Measure(math.nan, math.nan)


@dataclass(frozen=True)
class RepSummary:
    """One complete rep as the exercise sees it, to judge its form."""

    number: int
    start_ms: float
    extreme_ms: float
    end_ms: float
    rom: float
    typical_rom: float
    #: Form measures at the deepest frame of the rep.
    at_extreme: Mapping[str, float]
    #: Mean of each form measure over the bottom of the rep (the deepest fifth of its range).
    bottom: Mapping[str, float]
    #: Largest and smallest value of each form measure over the rep (robust: 90th and 10th
    #: percentiles, so one bad frame does not decide).
    peak: Mapping[str, float]
    low: Mapping[str, float]
    #: How well the person was in the start position when the rep began (0..1).
    posture: float
    side: str | None = None


class ExerciseModel(ABC):
    """Base class for exercise classifiers built on the generic :class:`RepCounter`.

    Subclasses set ``name``, ``display_name`` and ``min_rom`` (the smallest range of motion, in
    signal units, that could be a rep at all: a floor, the real thresholds adapt to the person),
    and implement :meth:`measure`; :meth:`assess` and :meth:`live_cues` add form feedback.
    Instances hold configuration only, so one instance may serve many streams.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    min_rom: ClassVar[float]
    #: Shortest plausible rep, start to counted.
    min_rep_ms: ClassVar[float] = 350.0
    #: One-Euro smoothing of the signal: cutoff at rest (Hz) and speed coefficient.
    smoothing: ClassVar[tuple[float, float]] = (1.5, 2.0)
    #: Start-position fit a rep needs to begin (walking in or setting up does not fit).
    posture_gate: ClassVar[float] = 0.5

    def create_counter(self) -> RepCounter:
        """A fresh counter for one stream (a live session or one clip)."""
        return RepCounter(self)

    @abstractmethod
    def measure(self, frame: PoseFrame, body: BodyScale) -> Measure:
        """Read the movement signal, posture fit and form measures from one frame."""

    def assess(self, rep: RepSummary) -> list[Cue]:
        """Form problems of a complete rep, each with the penalty it costs (default: none)."""
        return []

    def live_cues(self, measure: Measure, progress: float) -> list[Cue]:
        """Cues worth saying right now, during a rep (``progress``: 0 start .. 1 typical extreme)."""
        return []

    def accept(self, rep: RepSummary) -> bool:
        """Whether a complete movement cycle is a rep of this exercise (default: yes)."""
        return True

    def match(self, rep: RepSummary) -> float:
        """How surely this rep was this exercise, 0..1, for ``auto`` mode (default: posture fit)."""
        return rep.posture


@dataclass
class _Sample:
    t_ms: float
    signal: float
    posture: float
    measure: Measure


class RepCounter:
    """Counts one exercise's reps in one stream, frame by frame, with bounded memory."""

    #: How much recent history is kept to summarise a rep (longer reps are summarised partly).
    HISTORY_MS = 20000.0
    HISTORY_SAMPLES = 1200
    #: Frames a live cue must persist before it is said.
    CUE_PERSISTENCE = 3
    #: A rep may begin this long after the person was last seen in the start position.
    READY_MS = 1500.0
    #: Percentile used for a rep's "smallest" form measures (and 1 - it for the largest).
    ROBUST_Q = 0.1
    #: The bottom of a rep: samples within this fraction of its range from the extreme.
    BOTTOM_FRAC = 0.2
    #: Share of a rep's frames a form measure needs to be judged on.
    MIN_COVERAGE = 0.3

    def __init__(self, exercise: ExerciseModel) -> None:
        self.exercise = exercise
        self.body = BodyScale()
        cutoff, beta = exercise.smoothing
        self._filter = OneEuroFilter(min_cutoff=cutoff, beta=beta)
        self._posture = Ema(tau_ms=400.0)
        self.detector = CycleDetector(exercise.min_rom, min_rep_ms=exercise.min_rep_ms)
        self._history: deque[_Sample] = deque(maxlen=self.HISTORY_SAMPLES)
        self.count = 0
        #: ``match`` of the most recent reps (all of them count towards :attr:`evidence`).
        self.matches: deque[float] = deque(maxlen=64)
        self._evidence = 0.0
        self._said: set[str] = set()
        self._streak: dict[str, int] = {}
        self._ready_until = -math.inf
        self.last_t_ms = 0.0

    @property
    def name(self) -> str:
        """The exercise's name."""
        return self.exercise.name

    @property
    def evidence(self) -> float:
        """How surely the reps so far were this exercise: the sum of their matches (0..1 each)."""
        return self._evidence

    @property
    def posture(self) -> float:
        """Recent posture fit, 0..1 (NaN before any pose)."""
        return self._posture.value

    def update(self, frame: PoseFrame) -> list[VisionEvent]:
        """Take one frame; returns the events it caused (a rep, cues), usually none."""
        self.last_t_ms = t = frame.t_ms
        if frame.present:  # not an empty, black or unseen frame (visibility ~0 everywhere)
            self.body.update(frame)
            measure = self.exercise.measure(frame, self.body)
        else:
            measure = NOT_MEASURED
        posture = self._posture(t, measure.posture)
        if posture >= self.exercise.posture_gate:
            self._ready_until = t + self.READY_MS
        signal = self._filter(t, measure.signal)
        self._history.append(_Sample(t, signal, posture, measure))
        while self._history and t - self._history[0].t_ms > self.HISTORY_MS:
            self._history.popleft()
        events: list[VisionEvent] = []
        was_in_rep = self.detector.state == "in_rep"
        cycle = self.detector.update(t, signal, ready=t <= self._ready_until)
        if cycle is not None:
            events.extend(self._complete(cycle))
        elif self.detector.state == "in_rep":
            events.extend(self._live(t, measure, signal))
        elif was_in_rep:
            self._said.clear()  # the rep was abandoned
            self._streak.clear()
        return events

    def finish(self) -> list[VisionEvent]:
        """End of stream: a rep still in progress is incomplete and is not counted."""
        self.detector.reset()
        self._said.clear()
        self._streak.clear()
        return []

    def feed(self, frames: Iterable[PoseFrame]) -> list[VisionEvent]:
        """Every event of a sequence of frames, then :meth:`finish`."""
        events: list[VisionEvent] = []
        for frame in frames:
            events.extend(self.update(frame))
        events.extend(self.finish())
        return events

    def _live(self, t_ms: float, measure: Measure, signal: float) -> list[VisionEvent]:
        progress = self.detector.progress(signal)
        seen = {cue.code: cue for cue in self.exercise.live_cues(measure, progress)}
        for code in list(self._streak):
            if code not in seen:
                del self._streak[code]
        events: list[VisionEvent] = []
        for code, cue in seen.items():
            self._streak[code] = self._streak.get(code, 0) + 1
            if self._streak[code] >= self.CUE_PERSISTENCE and code not in self._said:
                self._said.add(code)
                events.append(FeedbackEvent(self.exercise.name, t_ms, cue, self.count + 1))
        return events

    def _summary(self, cycle: Cycle) -> RepSummary:
        during = [s for s in self._history if cycle.start_ms <= s.t_ms <= cycle.end_ms]
        during = during or list(self._history)[-1:]  # a rep longer than the history: its end
        extreme = min(during, key=lambda s: abs(s.t_ms - cycle.extreme_ms))
        values: dict[str, list[float]] = {}
        deep: dict[str, list[float]] = {}
        bottom_level = cycle.extreme_level - self.BOTTOM_FRAC * cycle.rom
        for sample in during:
            for key, value in sample.measure.form.items():
                if math.isfinite(value):
                    values.setdefault(key, []).append(value)
                    if sample.signal >= bottom_level:
                        deep.setdefault(key, []).append(value)
        # A measure seen in only a few frames of the rep (joints mostly hidden) says nothing.
        enough = max(3, int(self.MIN_COVERAGE * len(during)))
        values = {key: v for key, v in values.items() if len(v) >= enough}
        peak = {key: _quantile(v, 1.0 - self.ROBUST_Q) for key, v in values.items()}
        low = {key: _quantile(v, self.ROBUST_Q) for key, v in values.items()}
        postures = [
            s.posture
            for s in self._history
            if cycle.start_ms - self.READY_MS <= s.t_ms <= cycle.start_ms
            and math.isfinite(s.posture)
        ]
        return RepSummary(
            number=self.count + 1,
            start_ms=cycle.start_ms,
            extreme_ms=cycle.extreme_ms,
            end_ms=cycle.end_ms,
            rom=cycle.rom,
            typical_rom=self.detector.typical_rom,
            at_extreme=dict(extreme.measure.form),
            bottom={key: sum(v) / len(v) for key, v in deep.items()},
            peak=peak,
            low=low,
            posture=max(postures, default=0.0),
            side=extreme.measure.side,
        )

    def _complete(self, cycle: Cycle) -> list[VisionEvent]:
        summary = self._summary(cycle)
        if not self.exercise.accept(summary):
            self.detector.forget_last()
            return []
        cues = self.exercise.assess(summary)
        score = max(0.0, min(1.0, 1.0 - sum(c.penalty for c in cues)))
        self.count += 1
        match = max(0.0, min(1.0, self.exercise.match(summary)))
        self.matches.append(match)
        self._evidence += match
        rep = RepEvent(
            exercise=self.exercise.name,
            number=self.count,
            start_ms=cycle.start_ms,
            extreme_ms=cycle.extreme_ms,
            end_ms=cycle.end_ms,
            rom=cycle.rom,
            form_score=score,
            cues=tuple(cues),
            side=summary.side,
        )
        events: list[VisionEvent] = [rep]
        events.extend(
            FeedbackEvent(self.exercise.name, cycle.end_ms, cue, self.count)
            for cue in cues
            if cue.code not in self._said
        )
        self._said.clear()
        self._streak.clear()
        return events


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def count_reps(exercise: ExerciseModel, frames: Iterable[PoseFrame]) -> list[RepEvent]:
    """The reps of a whole clip: the same online counter, fed every frame."""
    return [e for e in exercise.create_counter().feed(frames) if isinstance(e, RepEvent)]
