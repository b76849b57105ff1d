"""A live session's set stored through the training service: once, where it belongs, or not at all.

In process on a real database (a SQLite file, or PostgreSQL when FITHUB_DATABASE_URL is set); the
live socket end to end is tests/e2e/test_live_stream.py.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fithub.core.accounts.models import User
from fithub.core.context import ClientInfo
from fithub.core.exercises.models import Exercise, ExerciseType
from fithub.core.workouts.live import NOTHING, LiveSet, LiveSetPart, store_live_set
from fithub.core.workouts.models import Workout, WorkoutSet, WorkoutStatus
from tests.support import in_process_database

CLIENT = ClientInfo(user_agent="fithub-live")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[None]:
    async with in_process_database(tmp_path):
        yield


@pytest.fixture
async def live(db: None) -> LiveSet:
    """Twelve push-ups a fresh user did a minute ago, not yet stored."""
    user = await User.create(email=f"{os.urandom(4).hex()}@x.test", password_hash="-",
                             display_name="x")  # fmt: skip
    await Exercise.create(slug="push-up", name="Push-up", type=ExerciseType.STRENGTH)
    return LiveSet(
        session_id=os.urandom(8).hex(), user_id=user.id, exercise="pushup", catalog_slug="push-up",
        reps=12, duration_s=30, form_score=0.875,
        started_at=datetime.now(UTC) - timedelta(minutes=1),
    )  # fmt: skip


async def test_a_session_becomes_one_completed_workout_stored_once(live: LiveSet) -> None:
    stored = await store_live_set(live, CLIENT)
    assert stored.workout_id is not None and stored.set_id is not None
    workout = await Workout.get(id=stored.workout_id)
    assert (workout.user_id, workout.source, workout.status) == (
        live.user_id,
        "live",
        WorkoutStatus.COMPLETED,
    )
    assert (workout.name, workout.tags, workout.client_ref) == (
        "Live Push-up",
        ["live"],
        f"live:{live.session_id}",
    )
    row = await WorkoutSet.get(id=stored.set_id)
    assert (row.workout_id, row.reps, row.duration_s, row.form_score) == (workout.id, 12, 30, 0.875)
    assert row.custom == {"live_session": live.session_id}

    assert await store_live_set(live, CLIENT) == stored  # a retry finds it
    assert await Workout.filter(user_id=live.user_id).count() == 1
    assert await WorkoutSet.filter(user_id=live.user_id).count() == 1


async def test_a_session_started_in_a_workout_logs_its_set_there_once(live: LiveSet) -> None:
    workout = await Workout.create(user_id=live.user_id, name="Upper body",
                                   status=WorkoutStatus.IN_PROGRESS, started_at=datetime.now(UTC))  # fmt: skip
    into = replace(live, workout_id=workout.id)
    stored = await store_live_set(into, CLIENT)
    assert stored.workout_id == workout.id and stored.set_id is not None
    row = await WorkoutSet.get(id=stored.set_id)
    assert (row.workout_id, row.reps, row.custom) == (
        workout.id,
        12,
        {"live_session": live.session_id},
    )

    assert await store_live_set(into, CLIENT) == stored
    assert await WorkoutSet.filter(workout_id=workout.id).count() == 1
    assert await Workout.filter(user_id=live.user_id).count() == 1  # no live-made workout


async def test_the_exercise_is_found_by_name_when_the_slug_names_nothing(live: LiveSet) -> None:
    await Exercise.create(slug="jumping-jacks", name="Jumping jack", type=ExerciseType.CARDIO)
    stored = await store_live_set(replace(live, exercise="jumping_jack", catalog_slug="jj"), CLIENT)
    assert stored.set_id is not None
    workout = await Workout.get(id=stored.workout_id)
    assert workout.name == "Live Jumping jack"


async def test_nothing_is_stored_without_reps_a_user_or_a_catalog_exercise(live: LiveSet) -> None:
    assert await store_live_set(replace(live, reps=0), CLIENT) == NOTHING
    assert await store_live_set(replace(live, user_id=live.user_id + 1000), CLIENT) == NOTHING
    unknown = replace(live, exercise="burpee", catalog_slug="burpee")
    assert await store_live_set(unknown, CLIENT) == NOTHING
    await Exercise.create(slug="my-burpee", name="Burpee", type=ExerciseType.CARDIO,
                          owner_id=live.user_id)  # fmt: skip
    assert await store_live_set(unknown, CLIENT) == NOTHING  # only catalog exercises count
    assert await Workout.filter(user_id=live.user_id).count() == 0
    assert await WorkoutSet.filter(user_id=live.user_id).count() == 0


def two_sets(live: LiveSet) -> LiveSet:
    """The session split at a rest: 5 push-ups, then 7, each with its heart rate."""
    first = LiveSetPart(reps=5, duration_s=12, form_score=0.9, time_under_tension_s=7.5,
                        rest_s=45, heart_rate=120, heart_rate_peak=135,
                        heart_rate_recovery_bpm=30)  # fmt: skip
    second = LiveSetPart(reps=7, duration_s=18, form_score=0.85, time_under_tension_s=10.2,
                         heart_rate=128, heart_rate_peak=150)  # fmt: skip
    return replace(live, sets=(first, second))


async def test_a_session_of_several_sets_stores_each_with_its_numbers_once(live: LiveSet) -> None:
    session = two_sets(live)
    stored = await store_live_set(session, CLIENT)
    rows = await WorkoutSet.filter(workout_id=stored.workout_id).order_by("set_number")
    assert [(r.reps, r.rest_s, r.heart_rate, r.heart_rate_peak, r.heart_rate_recovery_bpm,
             r.time_under_tension_s) for r in rows] == [
        (5, 45, 120, 135, 30, 7.5), (7, None, 128, 150, None, 10.2)]  # fmt: skip
    assert [r.custom for r in rows] == [
        {"live_session": live.session_id},
        {"live_session": live.session_id, "live_set": 2},
    ]
    assert stored.set_id == rows[-1].id  # the last set's
    assert await store_live_set(session, CLIENT) == stored
    assert await WorkoutSet.filter(user_id=live.user_id).count() == 2


async def test_a_retry_into_a_workout_adds_only_the_sets_still_missing(live: LiveSet) -> None:
    workout = await Workout.create(user_id=live.user_id, name="Upper body",
                                   status=WorkoutStatus.IN_PROGRESS, started_at=datetime.now(UTC))  # fmt: skip
    session = replace(two_sets(live), workout_id=workout.id)
    # an earlier try stored the first set only, then failed
    first_only = replace(session, sets=session.sets[:1])
    partial = await store_live_set(first_only, CLIENT)
    stored = await store_live_set(session, CLIENT)
    rows = await WorkoutSet.filter(workout_id=workout.id).order_by("set_number")
    assert [r.reps for r in rows] == [5, 7]
    assert rows[0].id == partial.set_id and stored.set_id == rows[1].id
    assert await store_live_set(session, CLIENT) == stored
    assert await WorkoutSet.filter(workout_id=workout.id).count() == 2
