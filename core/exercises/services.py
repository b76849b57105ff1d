"""Exercise catalog rules: visibility of custom exercises, look-ups used by other domains, and the
life of custom exercises (create, change, delete; each audited)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.accounts.relations import trainers_of
from fithub.core.audit import services as audit
from fithub.core.context import ClientInfo
from fithub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from fithub.core.exercises.models import Exercise, ExerciseMuscle, Visibility
from fithub.core.exercises.schemas import ExerciseCreate, ExerciseUpdate
from fithub.core.exercises.search import normalise, search_text, slugify
from fithub.core.problems import pydantic_errors

SLUG_ATTEMPTS = 5


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
            errors=[
                {"field": "exercise_id", "message": f"no exercise {i}", "type": "unknown_exercise"}
                for i in missing
            ],
            code="unknown_exercise",
        )
    return found


async def get_exercise(user_id: int, exercise_id: int) -> Exercise:
    """One exercise ``user_id`` may use; NotFound otherwise (whether or not it exists)."""
    exercise = await Exercise.filter(await visibility_filter(user_id), id=exercise_id).first()
    if exercise is None:
        raise NotFound(f"No exercise {exercise_id}.")
    return exercise


async def _own_exercise(user_id: int, exercise_id: int) -> Exercise:
    exercise = await get_exercise(user_id, exercise_id)
    if exercise.owner_id is None:
        raise Forbidden(
            "Catalog exercises cannot be changed; create a custom exercise instead.",
            code="catalog_exercise",
        )
    if exercise.owner_id != user_id:
        raise Forbidden("Only the person who made this exercise can change it.", code="not_owner")
    return exercise


async def _check_name_free(user_id: int, name: str, *, except_id: int | None = None) -> None:
    wanted = normalise(name)
    mine = Exercise.filter(owner_id=user_id)
    if except_id is not None:
        mine = mine.exclude(id=except_id)
    if any(normalise(str(name)) == wanted for name in await mine.values_list("name", flat=True)):
        raise Conflict(
            f"You already have a custom exercise called {name!r}.",
            errors=[{"field": "name", "message": "already used by another of your exercises"}],
            code="exercise_exists",
        )


async def _free_slug(name: str) -> str:
    """``<name>-<6 hex>``: custom slugs never collide with catalog slugs, which have no suffix."""
    base = slugify(name)[:100].strip("-") or "exercise"
    for _ in range(SLUG_ATTEMPTS):
        slug = f"{base}-{secrets.token_hex(3)}"
        if not await Exercise.exists(slug=slug):
            return slug
    raise Conflict("Could not find a free slug; try again.", code="slug_taken")


async def _replace_muscles(exercise: Exercise) -> None:
    await ExerciseMuscle.filter(exercise_id=exercise.id).delete()
    primary = list(exercise.primary_muscles)
    rows = [ExerciseMuscle(exercise_id=exercise.id, muscle=m, is_primary=True) for m in primary]
    rows += [
        ExerciseMuscle(exercise_id=exercise.id, muscle=m, is_primary=False)
        for m in exercise.secondary_muscles
        if m not in primary
    ]
    await ExerciseMuscle.bulk_create(rows)


def _columns(data: ExerciseCreate) -> dict[str, Any]:
    return {
        "name": data.name,
        "aliases": list(data.aliases),
        "type": data.type,
        "primary_muscles": [m.value for m in data.primary_muscles],
        "secondary_muscles": [m.value for m in data.secondary_muscles],
        "equipment": data.equipment.value,
        "instructions": data.instructions,
        "visibility": Visibility(data.visibility),
        "search_text": search_text(data.name, data.aliases),
    }


async def create_exercise(user: User, client: ClientInfo, data: ExerciseCreate) -> Exercise:
    """Make a custom exercise owned by ``user``; Conflict if they already have one so named."""
    await _check_name_free(user.id, data.name)
    slug = await _free_slug(data.name)
    try:
        async with in_transaction():
            exercise = await Exercise.create(slug=slug, owner_id=user.id, **_columns(data))
            await _replace_muscles(exercise)
            await audit.record(
                "exercise.created",
                client,
                subject_id=user.id,
                target_type="exercise",
                target_id=exercise.id,
                details={"name": exercise.name, "visibility": exercise.visibility.value},
            )
    except IntegrityError as exc:  # another request took the slug in between
        raise Conflict("Could not save the exercise; try again.", code="slug_taken") from exc
    return exercise


async def update_exercise(
    user: User, client: ClientInfo, exercise_id: int, data: ExerciseUpdate
) -> Exercise:
    """Change fields of one of ``user``'s custom exercises (NotFound/Forbidden for others)."""
    exercise = await _own_exercise(user.id, exercise_id)
    changes = data.changes()
    current = {
        "name": exercise.name,
        "aliases": exercise.aliases,
        "type": exercise.type,
        "primary_muscles": exercise.primary_muscles,
        "secondary_muscles": exercise.secondary_muscles,
        "equipment": exercise.equipment,
        "instructions": exercise.instructions,
        "visibility": exercise.visibility.value,
    }
    try:
        merged = ExerciseCreate.model_validate({**current, **changes})
    except ValidationError as exc:
        raise ValidationFailed(
            "The exercise would not be valid.", errors=pydantic_errors(exc)
        ) from exc
    if "name" in changes:
        await _check_name_free(user.id, merged.name, except_id=exercise.id)
    async with in_transaction():
        await exercise.update_from_dict(_columns(merged)).save()
        await _replace_muscles(exercise)
        await audit.record(
            "exercise.updated",
            client,
            subject_id=user.id,
            target_type="exercise",
            target_id=exercise.id,
            details={"fields": sorted(changes)},
        )
    return exercise


async def delete_exercise(user: User, client: ClientInfo, exercise_id: int) -> None:
    """Delete one of ``user``'s custom exercises; Conflict while logged workouts use it."""
    exercise = await _own_exercise(user.id, exercise_id)
    in_use = Conflict(
        "Logged workouts use this exercise, so it cannot be deleted; rename it or make it "
        "private instead.",
        code="exercise_in_use",
    )
    try:  # logged workouts refer to it with ON DELETE RESTRICT: the delete fails as a whole
        async with in_transaction():
            await exercise.delete()
            await audit.record(
                "exercise.deleted",
                client,
                subject_id=user.id,
                target_type="exercise",
                target_id=exercise_id,
                details={"name": exercise.name},
            )
    except IntegrityError as exc:
        raise in_use from exc
