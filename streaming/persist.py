"""Storing a finished live session: its sets, with their heart rate, handed to the training service.

The session's reps are split into sets at each rest (:mod:`fithub.streaming.sets`); when the user's
heart rate was measured meanwhile (a telemetry stream, or a device's samples) each set gets its
average, peak and recovery. :func:`fithub.core.workouts.live.store_live_set` stores the sets
through the same services REST clients use, and stores a session once however often it is
finalised (a retry, two processes).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fithub.core.context import ClientInfo
from fithub.core.telemetry.heart_series import heart_rate_between
from fithub.core.workouts.live import LiveSet, LiveSetPart, store_live_set
from fithub.streaming.sets import (
    NEAREST_SAMPLE_S,
    RECOVERY_WINDOW_S,
    HeartSeries,
    HeartStats,
    heart_stats,
    split_sets,
    wall_time,
)

# Classifier names to catalog slugs (a third-party classifier may name its own ``catalog_slug``).
CATALOG_SLUGS = {
    "squat": "squat",
    "pushup": "push-up",
    "lunge": "lunge",
    "situp": "sit-up",
    "jumping_jack": "jumping-jack",
}


def summarise(state: dict[str, Any]) -> dict[str, Any]:
    """Reps, duration and mean form score of a session's counted reps."""
    reps = state.get("reps", [])
    scores = [r["form_score"] for r in reps if r.get("form_score") is not None]
    duration_ms = max(0.0, reps[-1]["end_ms"] - reps[0]["start_ms"]) if reps else 0.0
    return {
        "exercise": state.get("exercise"),
        "reps": len(reps),
        "duration_s": int(round(duration_ms / 1000)),
        "form_score": round(sum(scores) / len(scores), 3) if scores else None,
    }


def session_end(state: dict[str, Any]) -> datetime:
    """Wall-clock time of the session's last analysed frame."""
    reps = state.get("reps") or [{"end_ms": 0.0}]
    t_ms = max(float(state.get("t_ms") or 0.0), float(reps[-1]["end_ms"]))
    started_at = datetime.fromisoformat(state["started_at"])
    return wall_time(t_ms, state.get("anchors") or [], started_at)


async def set_parts(state: dict[str, Any], heart: HeartSeries | None = None) -> list[LiveSetPart]:
    """The session's sets, with their heart rate from ``heart`` (else looked up for the user)."""
    spans = split_sets(state.get("reps", []))
    if not spans:
        return []
    started_at = datetime.fromisoformat(state["started_at"])
    anchors = state.get("anchors") or []
    ended = session_end(state)
    first = wall_time(spans[0].start_ms, anchors, started_at)
    last = wall_time(spans[-1].end_ms, anchors, started_at)
    if heart is None:
        margin = timedelta(seconds=NEAREST_SAMPLE_S)
        heart = await heart_rate_between(
            state["user_id"],
            min(first, started_at) - margin,
            max(ended, last + timedelta(seconds=RECOVERY_WINDOW_S)) + margin,
        )
    parts = []
    for i, span in enumerate(spans):
        start = wall_time(span.start_ms, anchors, started_at)
        end = wall_time(span.end_ms, anchors, started_at)
        rest_end = (
            wall_time(spans[i + 1].start_ms, anchors, started_at) if i + 1 < len(spans) else ended
        )
        stats = heart_stats(heart, start, end, rest_end) if heart else HeartStats()
        parts.append(
            LiveSetPart(
                reps=span.reps,
                duration_s=span.duration_s,
                form_score=span.form_score,
                time_under_tension_s=span.time_under_tension_s,
                rest_s=span.rest_s,
                heart_rate=stats.average,
                heart_rate_peak=stats.peak,
                heart_rate_recovery_bpm=stats.recovery,
                ended_at=end,
            )
        )
    return parts


async def store_result(state: dict[str, Any], client: ClientInfo) -> dict[str, Any]:
    """Store the session's sets; return ``{"workout_id", "set_id"}`` (the last set's; both None
    when nothing was stored)."""
    summary = summarise(state)
    name = summary["exercise"]
    if not summary["reps"] or not name:
        return {"workout_id": None, "set_id": None}
    stored = await store_live_set(
        LiveSet(
            session_id=state["id"],
            user_id=state["user_id"],
            exercise=name,
            catalog_slug=state.get("catalog_slug") or CATALOG_SLUGS.get(name, name),
            reps=summary["reps"],
            duration_s=summary["duration_s"],
            form_score=summary["form_score"],
            started_at=datetime.fromisoformat(state["started_at"]),
            workout_id=int(state["workout_id"]) if state.get("workout_id") else None,
            sets=tuple(await set_parts(state)),
            ended_at=session_end(state),
        ),
        client,
    )
    return {"workout_id": stored.workout_id, "set_id": stored.set_id}
