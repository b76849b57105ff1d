"""Storing what a live camera session counted as a set (journey 2): the one call streaming makes.

The set goes through the same ``create_workout`` / ``log_set`` that REST clients use, so personal
records are detected the same way. Idempotent: a new workout carries the session id as its
``client_ref`` and a set logged into an existing workout carries it in ``custom``, so storing a
session twice (a retry, or two processes racing) stores it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fithub.core.accounts.models import User
from fithub.core.context import ClientInfo
from fithub.core.events.services import emit
from fithub.core.exercises.models import Exercise
from fithub.core.workouts.models import Workout, WorkoutSet
from fithub.core.workouts.schemas import EntryCreate, SetCreate, SetFields, WorkoutCreate
from fithub.core.workouts.services import create_workout
from fithub.core.workouts.sets import log_set


@dataclass(frozen=True)
class LiveSet:
    """What one live session counted, ready to store."""

    session_id: str
    user_id: int
    exercise: str  # the classifier's name, e.g. "pushup"
    catalog_slug: str  # the catalog exercise it counts, e.g. "push-up"
    reps: int
    duration_s: int
    form_score: float | None
    started_at: datetime
    workout_id: int | None = None  # log into this workout of the user's; else make a new one


@dataclass(frozen=True)
class LiveStored:
    """Where the set went; both None when there was nothing to store."""

    workout_id: int | None
    set_id: int | None


NOTHING = LiveStored(None, None)


async def catalog_exercise(slug: str, name: str) -> Exercise | None:
    """The catalog exercise with ``slug`` or, failing that, named like the classifier ``name``."""
    found = await Exercise.get_or_none(slug=slug, owner_id=None)
    if found is None:
        found = await Exercise.filter(owner_id=None, name__iexact=name.replace("_", " ")).first()
    return found


async def store_live_set(live: LiveSet, client: ClientInfo) -> LiveStored:
    """Store a live session's set once: in ``live.workout_id``, else in a new completed workout.

    Returns where it is (also when an earlier call stored it), or :data:`NOTHING` when no rep was
    counted, the user is gone or the catalog has no such exercise.
    """
    user = await User.get_or_none(id=live.user_id)
    if user is None or not live.reps:
        return NOTHING
    exercise = await catalog_exercise(live.catalog_slug, live.exercise)
    if exercise is None:
        return NOTHING
    ref = f"live:{live.session_id}"
    done = await Workout.get_or_none(user_id=user.id, client_ref=ref)
    if done is not None:
        row = await WorkoutSet.filter(workout_id=done.id).order_by("-id").first()
        return LiveStored(done.id, row.id if row else None)
    fields = SetFields(
        reps=live.reps,
        duration_s=live.duration_s,
        form_score=live.form_score,
        completed=True,
        custom={"live_session": live.session_id},
    )
    if live.workout_id:
        for row in await WorkoutSet.filter(workout_id=live.workout_id, user_id=user.id):
            if row.custom.get("live_session") == live.session_id:  # stored by an earlier try
                return LiveStored(live.workout_id, row.id)
        logged = await log_set(
            user,
            client,
            live.workout_id,
            SetCreate(
                exercise_id=exercise.id,
                performed_at=datetime.now(UTC),
                **fields.model_dump(exclude_unset=True),
            ),
        )
        await _announce(live, live.workout_id)
        return LiveStored(live.workout_id, logged.row.id)
    workout_id = await create_workout(
        user,
        client,
        WorkoutCreate(
            name=f"Live {exercise.name}",
            status="completed",
            started_at=live.started_at,
            completed_at=max(
                datetime.now(UTC), live.started_at + timedelta(seconds=live.duration_s)
            ),
            duration_s=live.duration_s,
            tags=["live"],
            exercises=[EntryCreate(exercise_id=exercise.id, sets=[fields])],
        ),
        source="live",
        client_ref=ref,
    )
    row = await WorkoutSet.filter(workout_id=workout_id).first()
    await _announce(live, workout_id)
    return LiveStored(workout_id, row.id if row else None)


async def _announce(live: LiveSet, workout_id: int) -> None:
    """``live.session.completed``, once the session's set is stored (its first store only)."""
    payload = {
        "session_id": live.session_id,
        "workout_id": workout_id,
        "exercise": live.exercise,
        "reps": live.reps,
        "duration_s": live.duration_s,
    }
    await emit("live.session.completed", live.user_id, payload)
