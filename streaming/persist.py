"""Storing a finished live session as a workout with one set, through the training services.

The same ``create_workout`` / ``log_set`` that REST clients use, so personal records are detected
the same way. Idempotent: the workout carries the session id as its ``client_ref``, so finalising
a session twice (a retry, or two processes racing) stores it once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fithub.core.accounts.models import User
from fithub.core.context import ClientInfo
from fithub.core.exercises.models import Exercise
from fithub.core.workouts import services as workouts
from fithub.core.workouts import sets as set_logging
from fithub.core.workouts.models import Workout, WorkoutSet
from fithub.core.workouts.schemas import EntryCreate, SetCreate, SetFields, WorkoutCreate

# Classifier names to catalog slugs (a third-party classifier may name its own ``catalog_slug``).
CATALOG_SLUGS = {
    "squat": "squat",
    "pushup": "push-up",
    "lunge": "lunge",
    "situp": "sit-up",
    "jumping_jack": "jumping-jack",
}


async def catalog_exercise(name: str, slug: str | None = None) -> Exercise | None:
    """The catalog exercise a classifier counts, by its slug or, failing that, its name."""
    found = await Exercise.get_or_none(slug=slug or CATALOG_SLUGS.get(name, name), owner_id=None)
    if found is None:
        found = await Exercise.filter(owner_id=None, name__iexact=name.replace("_", " ")).first()
    return found


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
    user = await User.get_or_none(id=state["user_id"])
    if user is None or not summary["reps"] or not summary["exercise"]:
        return {"workout_id": None, "set_id": None}
    exercise = await catalog_exercise(summary["exercise"], state.get("catalog_slug"))
    if exercise is None:
        return {"workout_id": None, "set_id": None}
    ref = f"live:{state['id']}"
    done = await Workout.get_or_none(user_id=user.id, client_ref=ref)
    if done is not None:
        row = await WorkoutSet.filter(workout_id=done.id).order_by("-id").first()
        return {"workout_id": done.id, "set_id": row.id if row else None}
    fields = SetFields(
        reps=summary["reps"],
        duration_s=summary["duration_s"],
        form_score=summary["form_score"],
        completed=True,
        custom={"live_session": state["id"]},
    )
    started = datetime.fromisoformat(state["started_at"])
    if state.get("workout_id"):
        for row in await WorkoutSet.filter(workout_id=int(state["workout_id"]), user_id=user.id):
            if row.custom.get("live_session") == state["id"]:  # already stored by an earlier try
                return {"workout_id": int(state["workout_id"]), "set_id": row.id}
        logged = await set_logging.log_set(
            user,
            client,
            int(state["workout_id"]),
            SetCreate(
                exercise_id=exercise.id,
                performed_at=datetime.now(UTC),
                **fields.model_dump(exclude_unset=True),
            ),
        )
        return {"workout_id": int(state["workout_id"]), "set_id": logged.row.id}
    workout_id = await workouts.create_workout(
        user,
        client,
        WorkoutCreate(
            name=f"Live {exercise.name}",
            status="completed",
            started_at=started,
            completed_at=max(datetime.now(UTC), started + timedelta(seconds=summary["duration_s"])),
            duration_s=summary["duration_s"],
            tags=["live"],
            exercises=[EntryCreate(exercise_id=exercise.id, sets=[fields])],
        ),
        source="live",
        client_ref=ref,
    )
    row = await WorkoutSet.filter(workout_id=workout_id).first()
    return {"workout_id": workout_id, "set_id": row.id if row else None}
