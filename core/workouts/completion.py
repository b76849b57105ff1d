"""What higher layers do, in the same transaction, when a workout is completed.

Workouts sits below coaching, so it never calls coaching; it declares this small interface instead
and coaching registers its fulfiller on import (``fithub.core.coaching``). Tortoise imports
every model module, ``fithub.core.coaching.models`` among them, before any workout can be stored,
so every process that completes workouts has the fulfiller registered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from tortoise.backends.base.client import BaseDBAsyncClient


class AssignmentFulfiller(Protocol):
    """Marks the assignments a completed workout fulfils; returns their ids."""

    async def __call__(
        self,
        conn: BaseDBAsyncClient,
        *,
        user_id: int,
        workout_id: int,
        exercise_ids: set[int],
        assignment_id: int | None,
        completed_at: datetime,
    ) -> list[int]: ...


_fulfillers: dict[str, AssignmentFulfiller] = {}


def register_fulfiller(name: str, fulfiller: AssignmentFulfiller) -> None:
    """Have ``fulfiller`` called for every completed workout; a second call with ``name`` replaces it."""
    _fulfillers[name] = fulfiller


def fulfillers() -> dict[str, AssignmentFulfiller]:
    """The registered fulfillers by name (a copy)."""
    return dict(_fulfillers)


async def fulfil_assignments(
    conn: BaseDBAsyncClient,
    *,
    user_id: int,
    workout_id: int,
    exercise_ids: set[int],
    assignment_id: int | None,
    completed_at: datetime,
) -> list[int]:
    """Ids of the assignments ``workout_id`` fulfils, as the registered fulfillers mark them."""
    done: list[int] = []
    for fulfiller in _fulfillers.values():
        done += await fulfiller(
            conn,
            user_id=user_id,
            workout_id=workout_id,
            exercise_ids=exercise_ids,
            assignment_id=assignment_id,
            completed_at=completed_at,
        )
    return done
