"""A live session's reps split into sets, and each set's heart rate (pure computation).

Rest is what the camera sees: no rep for :data:`REST_GAP_S` seconds or more (from one rep's end to
the next one's start) ends a set, and the gap is the set's ``rest_s``. Each set keeps its reps,
duration (first rep's start to last rep's end), mean form score and time under tension (the sum of
its reps' own durations, start to end, so pauses between reps do not count).

Times: rep events are on the session's clock (``start_ms``/``end_ms``); the session records
*anchors* (``[t_ms, epoch_ms]``: the first frame analysed by a socket, and its wall-clock time minus
its ``t_ms``), so a session time maps to wall-clock time exactly, across resumes too.

Heart rate, from the user's samples during the session: a set's average and peak are over the
samples taken between its first rep's start and its last rep's end. Its *recovery* is the heart
rate at the set's end minus the heart rate at the end of the rest after it, or
:data:`RECOVERY_WINDOW_S` after the set's end when the rest is longer (the usual one-minute
recovery); for the last set the rest ends with the session's last frame, and recovery is left out
when that is under :data:`MIN_RECOVERY_S`. "The heart rate at" an instant is the sample nearest
to it within :data:`NEAREST_SAMPLE_S` (none: no recovery).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

#: No rep for this long (a rep's end to the next one's start) is a rest between two sets.
REST_GAP_S = 20.0
#: Heart-rate recovery is measured over the rest, but over this long at most.
RECOVERY_WINDOW_S = 60.0
#: A last set's recovery needs the session to go on at least this long after it.
MIN_RECOVERY_S = 10.0
#: The heart rate "at" an instant is the nearest sample no further away than this.
NEAREST_SAMPLE_S = 5.0
#: Accepted per-set heart rates (as the workouts API accepts them).
MIN_BPM, MAX_BPM = 20, 250

HeartSeries = Sequence[tuple[datetime, float]]


@dataclass(frozen=True)
class SetSpan:
    """One set of a session, on the session's clock."""

    reps: int
    start_ms: float
    end_ms: float
    form_score: float | None
    time_under_tension_s: float
    rest_ms: float | None  # the rest after it; None for the last set

    @property
    def duration_s(self) -> int:
        return int(round(max(0.0, self.end_ms - self.start_ms) / 1000))

    @property
    def rest_s(self) -> int | None:
        return None if self.rest_ms is None else int(round(self.rest_ms / 1000))


@dataclass(frozen=True)
class HeartStats:
    """A set's heart rate: average and peak during it, recovery after it (bpm, None if unknown)."""

    average: int | None = None
    peak: int | None = None
    recovery: int | None = None


def split_sets(reps: Sequence[dict[str, Any]], rest_gap_s: float = REST_GAP_S) -> list[SetSpan]:
    """The session's reps (rep events, in order) grouped into sets at each rest gap."""
    groups: list[list[dict[str, Any]]] = []
    for rep in reps:
        if groups and rep["start_ms"] - groups[-1][-1]["end_ms"] < rest_gap_s * 1000:
            groups[-1].append(rep)
        else:
            groups.append([rep])
    spans = []
    for i, group in enumerate(groups):
        scores = [r["form_score"] for r in group if r.get("form_score") is not None]
        following = groups[i + 1][0]["start_ms"] if i + 1 < len(groups) else None
        spans.append(
            SetSpan(
                reps=len(group),
                start_ms=float(group[0]["start_ms"]),
                end_ms=float(group[-1]["end_ms"]),
                form_score=round(sum(scores) / len(scores), 3) if scores else None,
                time_under_tension_s=round(
                    sum(max(0.0, r["end_ms"] - r["start_ms"]) for r in group) / 1000, 1
                ),
                rest_ms=None if following is None else following - group[-1]["end_ms"],
            )
        )
    return spans


def wall_time(t_ms: float, anchors: Sequence[Sequence[float]], started_at: datetime) -> datetime:
    """The wall-clock (UTC) time of session time ``t_ms``.

    Uses the last anchor ``[from_t_ms, epoch_ms]`` at or before ``t_ms`` (the first if none is);
    without anchors the session's clock is taken to have started at ``started_at``.
    """
    if not anchors:
        return started_at + timedelta(milliseconds=t_ms)
    chosen = anchors[0]
    for anchor in anchors:
        if anchor[0] <= t_ms:
            chosen = anchor
    return datetime.fromtimestamp((chosen[1] + t_ms) / 1000, UTC)


def nearest_bpm(series: HeartSeries, when: datetime) -> float | None:
    """The sample nearest to ``when`` (the earlier on a tie), within :data:`NEAREST_SAMPLE_S`."""
    best: tuple[float, float] | None = None
    for at, bpm in series:
        distance = abs((at - when).total_seconds())
        if distance <= NEAREST_SAMPLE_S and (best is None or distance < best[0]):
            best = (distance, bpm)
    return None if best is None else best[1]


def _bpm(value: float | None) -> int | None:
    if value is None:
        return None
    bpm = int(round(value))
    return bpm if MIN_BPM <= bpm <= MAX_BPM else None


def heart_stats(
    series: HeartSeries, start: datetime, end: datetime, rest_end: datetime | None
) -> HeartStats:
    """Average and peak over [start, end]; recovery from ``end`` to ``rest_end`` (capped at 60 s).

    ``rest_end`` None (or too soon after the set, see :data:`MIN_RECOVERY_S`) leaves recovery out.
    """
    during = [bpm for at, bpm in series if start <= at <= end]
    average = _bpm(sum(during) / len(during)) if during else None
    peak = _bpm(max(during)) if during else None
    recovery = None
    if rest_end is not None and (rest_end - end).total_seconds() >= MIN_RECOVERY_S:
        until = min(rest_end, end + timedelta(seconds=RECOVERY_WINDOW_S))
        at_end, after = nearest_bpm(series, end), nearest_bpm(series, until)
        if at_end is not None and after is not None:
            recovery = int(round(at_end - after))
    return HeartStats(average, peak if average is not None else None, recovery)
