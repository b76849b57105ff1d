"""The guard the training blueprints (workouts, templates, progress) run before each request."""

from __future__ import annotations

from quart import request

from fithub.core.errors import NotFound
from fithub.core.workouts.schemas import MAX_BIGINT, MAX_INT


async def ids_in_range() -> None:
    """404 for an id in the URL that no row can have (the database would refuse the number)."""
    for name, value in (request.view_args or {}).items():
        limit = MAX_INT if name == "exercise_id" else MAX_BIGINT
        if isinstance(value, int) and value > limit:
            raise NotFound(f"No {name.removesuffix('_id')} {value}.")
