"""Exercise catalog rules: visibility of custom exercises, look-ups used by other domains."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.expressions import Q

from fithub.core.coaching.access import trainers_of
from fithub.core.errors import ValidationFailed
from fithub.core.exercises.models import Exercise, Visibility


async def visibility_filter(user_id: int) -> Q:
    """Exercises ``user_id`` may use: the public catalog, their own, and their trainers' shared ones."""
    trainers = await trainers_of(user_id)
    visible = Q(owner_id=None) | Q(owner_id=user_id) | Q(visibility=Visibility.PUBLIC)
    if trainers:
        visible |= Q(owner_id__in=trainers, visibility=Visibility.CLIENTS)
    return visible


async def visible_exercises(user_id: int, exercise_ids: Iterable[int]) -> dict[int, Exercise]:
    """Load the given exercises if ``user_id`` may use them; ValidationFailed naming unknown ids."""
    wanted = set(exercise_ids)
    if not wanted:
        return {}
    found = {
        exercise.id: exercise
        for exercise in await Exercise.filter(await visibility_filter(user_id), id__in=wanted)
    }
    missing = sorted(wanted - set(found))
    if missing:
        raise ValidationFailed(
            "Unknown exercise id: " + ", ".join(str(i) for i in missing),
            errors=[{"field": "exercise_id", "message": f"no exercise {i}", "type": "unknown_exercise"}
                    for i in missing],
            code="unknown_exercise",
        )
    return found
