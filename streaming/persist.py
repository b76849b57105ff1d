"""Storing a finished live session: its summary, handed to the training service in one call.

:func:`fithub.core.workouts.live.store_live_set` stores the set through the same services REST
clients use, and stores a session once however often it is finalised (a retry, two processes).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fithub.core.context import ClientInfo
from fithub.core.workouts.live import LiveSet, store_live_set

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


async def store_result(state: dict[str, Any], client: ClientInfo) -> dict[str, Any]:
    """Store the session's set; return ``{"workout_id", "set_id"}`` (both None when nothing to store)."""
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
        ),
        client,
    )
    return {"workout_id": stored.workout_id, "set_id": stored.set_id}
