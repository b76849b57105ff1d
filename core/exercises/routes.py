"""HTTP routes of the exercises domain: the catalog, search, auto-suggest and custom exercises."""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import client_info, current_user, require_auth
from fithub.core.exercises import queries, services
from fithub.core.exercises.schemas import (
    ExerciseCreate,
    ExerciseOut,
    ExercisePage,
    ExerciseQuery,
    ExerciseUpdate,
    SuggestionList,
    SuggestionOut,
    SuggestQuery,
    Vocabulary,
    VocabularyItem,
)
from fithub.core.exercises.vocabulary import EQUIPMENT_LABELS, MUSCLE_LABELS
from fithub.core.pagination import decode_cursor, encode_cursor
from fithub.core.responses import validate_response

bp = Blueprint("exercises", __name__, url_prefix="/api/v1")


@bp.get("/exercises")
@tag(["exercises"])
@require_auth()
@validate_querystring(ExerciseQuery)
@validate_response(ExercisePage)
async def list_exercises(query_args: ExerciseQuery) -> ExercisePage:
    """The exercises you may use: the catalog, yours and those your trainers share with you.

    With ``q``, ranked by how well the name or an alias matches (typos forgiven); without, by
    name. ``muscle``, ``equipment`` and ``type`` filter.
    """
    user = current_user()
    offset = decode_cursor(query_args.cursor) if query_args.cursor else 0
    filters = queries.ExerciseFilters(
        q=query_args.q,
        muscle=query_args.muscle,
        primary_only=query_args.primary_only,
        equipment=query_args.equipment,
        type=query_args.type,
    )
    rows, more = await queries.find_exercises(
        user.id, filters, offset=offset, limit=query_args.limit
    )
    return ExercisePage(
        items=[ExerciseOut.of(row, user.id) for row in rows],
        next_cursor=encode_cursor(offset + query_args.limit) if more else None,
    )


@bp.get("/exercises/suggest")
@tag(["exercises"])
@require_auth()
@validate_querystring(SuggestQuery)
@validate_response(SuggestionList)
async def suggest(query_args: SuggestQuery) -> SuggestionList:
    """Auto-suggest while typing: names and aliases that start with ``q``, most likely first."""
    found = await queries.suggest_exercises(current_user().id, query_args.q, query_args.limit)
    return SuggestionList(
        items=[
            SuggestionOut(id=e.id, slug=e.slug, name=e.name, type=e.type, matched=m.matched)
            for e, m in found
        ]
    )


@bp.get("/exercises/muscles")
@tag(["exercises"])
@require_auth()
@validate_response(Vocabulary)
async def muscles() -> Vocabulary:
    """The muscle groups exercises are tagged with (values for ``muscle`` and ``*_muscles``)."""
    return Vocabulary(items=[VocabularyItem(value=m, label=t) for m, t in MUSCLE_LABELS.items()])


@bp.get("/exercises/equipment")
@tag(["exercises"])
@require_auth()
@validate_response(Vocabulary)
async def equipment() -> Vocabulary:
    """The equipment values (for ``equipment``)."""
    return Vocabulary(items=[VocabularyItem(value=e, label=t) for e, t in EQUIPMENT_LABELS.items()])


@bp.get("/exercises/<int:exercise_id>")
@tag(["exercises"])
@require_auth()
@validate_response(ExerciseOut)
async def get_exercise(exercise_id: int) -> ExerciseOut:
    """One exercise you may use; 404 otherwise."""
    user = current_user()
    return ExerciseOut.of(await services.get_exercise(user.id, exercise_id), user.id)


@bp.post("/exercises")
@tag(["exercises"])
@require_auth()
@validate_request(ExerciseCreate)
@validate_response(ExerciseOut, 201)
async def create_exercise(data: ExerciseCreate) -> tuple[ExerciseOut, int]:
    """Make a custom exercise: ``private`` (only you) or ``clients`` (your active clients too).
    409 if you already have one with this name."""
    user = current_user()
    exercise = await services.create_exercise(user, client_info(), data)
    return ExerciseOut.of(exercise, user.id), 201


@bp.patch("/exercises/<int:exercise_id>")
@tag(["exercises"])
@require_auth()
@validate_request(ExerciseUpdate)
@validate_response(ExerciseOut)
async def update_exercise(exercise_id: int, data: ExerciseUpdate) -> ExerciseOut:
    """Change one of your custom exercises; only the fields sent change. 403 for catalog
    exercises and ones shared with you, 404 for ones you cannot see."""
    user = current_user()
    exercise = await services.update_exercise(user, client_info(), exercise_id, data)
    return ExerciseOut.of(exercise, user.id)


@bp.delete("/exercises/<int:exercise_id>")
@tag(["exercises"])
@require_auth()
async def delete_exercise(exercise_id: int) -> Response:
    """Delete one of your custom exercises; 409 ``exercise_in_use`` while workouts use it."""
    await services.delete_exercise(current_user(), client_info(), exercise_id)
    return Response(status=204)
