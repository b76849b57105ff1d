"""Storing what a live camera session counted as sets (journey 2): the one call streaming makes.

The sets go through the same ``create_workout`` / ``log_set`` that REST clients use, so personal
records are detected the same way. Streaming splits a session into sets at each rest and works out
their heart rate (this layer knows nothing of devices); here they are only stored. Idempotent: a
new workout carries the session id as its ``client_ref`` and a set logged into an existing workout
carries it in ``custom`` (``live_session``, and ``live_set`` = its number from the second set on),
so storing a session twice (a retry, or two processes racing) stores it once.
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

#: The longest rest a set records (as the workouts API accepts); a longer pause is stored as this.
MAX_REST_S = 3600


@dataclass(frozen=True)
class LiveSetPart:
    """One set of a live session (a session is split into sets at each rest the camera saw)."""

    reps: int
    duration_s: int
    form_score: float | None
    time_under_tension_s: float | None = None
    rest_s: int | None = None  # the rest after it; None for the last set
    heart_rate: int | None = None  # average bpm during the set
    heart_rate_peak: int | None = None
    heart_rate_recovery_bpm: int | None = None
    ended_at: datetime | None = None  # wall-clock time of its last rep's end


@dataclass(frozen=True)
class LiveSet:
    """What one live session counted, ready to store: its totals and, when known, its sets."""

    session_id: str
    user_id: int
    exercise: str  # the classifier's name, e.g. "pushup"
    catalog_slug: str  # the catalog exercise it counts, e.g. "push-up"
    reps: int
    duration_s: int
    form_score: float | None
    started_at: datetime
    workout_id: int | None = None  # log into this workout of the user's; else make a new one
    sets: tuple[LiveSetPart, ...] = ()  # none given: one set of the session's totals
    ended_at: datetime | None = None  # wall-clock time of the session's last frame

    def parts(self) -> tuple[LiveSetPart, ...]:
        """The sets to store (those with reps)."""
        given = self.sets or (LiveSetPart(self.reps, self.duration_s, self.form_score),)
        return tuple(part for part in given if part.reps > 0)


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
    parts = live.parts()
    if not parts:
        return NOTHING
    if live.workout_id:
        return await _log_into(user, client, live, live.workout_id, exercise.id, parts)
    workout_id = await create_workout(
        user,
        client,
        WorkoutCreate(
            name=f"Live {exercise.name}",
            status="completed",
            started_at=live.started_at,
            completed_at=max(
                datetime.now(UTC),
                live.started_at + timedelta(seconds=live.duration_s),
                live.ended_at or live.started_at,
            ),
            duration_s=live.duration_s,
            tags=["live"],
            exercises=[
                EntryCreate(
                    exercise_id=exercise.id,
                    sets=[_fields(live, n, part) for n, part in enumerate(parts, 1)],
                )
            ],
        ),
        source="live",
        client_ref=ref,
    )
    row = await WorkoutSet.filter(workout_id=workout_id).order_by("-id").first()
    await _announce(live, workout_id)
    return LiveStored(workout_id, row.id if row else None)


def _fields(live: LiveSet, number: int, part: LiveSetPart) -> SetFields:
    """A set's fields; ``custom`` names the session (and, from the second set on, its number)."""
    custom: dict[str, str | int | float | bool | None] = {"live_session": live.session_id}
    if number > 1:
        custom["live_set"] = number
    return SetFields(
        reps=part.reps,
        duration_s=part.duration_s,
        form_score=part.form_score,
        time_under_tension_s=part.time_under_tension_s,
        rest_s=None if part.rest_s is None else min(part.rest_s, MAX_REST_S),
        heart_rate=part.heart_rate,
        heart_rate_peak=part.heart_rate_peak,
        heart_rate_recovery_bpm=part.heart_rate_recovery_bpm,
        completed=True,
        custom=custom,
    )


async def _log_into(
    user: User,
    client: ClientInfo,
    live: LiveSet,
    workout_id: int,
    exercise_id: int,
    parts: tuple[LiveSetPart, ...],
) -> LiveStored:
    """Log the session's sets into an existing workout, skipping those an earlier try stored."""
    stored: dict[int, int] = {}
    for row in await WorkoutSet.filter(workout_id=workout_id, user_id=user.id):
        if row.custom.get("live_session") == live.session_id:
            stored[int(row.custom.get("live_set") or 1)] = row.id
    logged_any = False
    for number, part in enumerate(parts, 1):
        if number in stored:
            continue
        fields = _fields(live, number, part)
        logged = await log_set(
            user,
            client,
            workout_id,
            SetCreate(
                exercise_id=exercise_id,
                performed_at=part.ended_at or datetime.now(UTC),
                **fields.model_dump(exclude_unset=True),
            ),
        )
        stored[number] = logged.row.id
        logged_any = True
    if logged_any:
        await _announce(live, workout_id)
    return LiveStored(workout_id, stored[max(stored)])


async def _announce(live: LiveSet, workout_id: int) -> None:
    """``live.session.completed``, once the session's sets are stored (its first store only)."""
    payload = {
        "session_id": live.session_id,
        "workout_id": workout_id,
        "exercise": live.exercise,
        "reps": live.reps,
        "duration_s": live.duration_s,
    }
    await emit("live.session.completed", live.user_id, payload)
