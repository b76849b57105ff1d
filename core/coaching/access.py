"""Who may see whose data: a trainer reads only active clients, and only what each client shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Literal, ParamSpec, TypeVar

from fithub.core.accounts.models import CoachingRelation, Role
from fithub.core.accounts.relations import active_relation
from fithub.core.auth import current_user, require_auth
from fithub.core.errors import Forbidden, NotFound

P = ParamSpec("P")
R = TypeVar("R")

Scope = Literal["workouts", "body_metrics", "goals", "live", "nutrition"]

TRAINERS_ONLY = (
    "Only trainers can do this. Any account becomes a trainer's by saving a trainer profile: "
    "PUT /api/v1/trainer-profile (administrator accounts cannot coach)."
)


def require_trainer() -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Route decorator: a signed-in trainer; anyone else gets a 403 that says how to become one."""

    def decorator(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @wraps(func)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if current_user().role != Role.TRAINER:
                raise Forbidden(TRAINERS_ONLY)
            return await func(*args, **kwargs)

        checked = require_auth()(wrapper)
        # What require_auth(Role.TRAINER) declares, so that the OpenAPI document lists the 403.
        checked._fithub_roles = (Role.TRAINER,)  # type: ignore[attr-defined]
        return checked

    return decorator


async def require_client_scope(trainer_id: int, client_id: int, scope: Scope) -> CoachingRelation:
    """The active relation if the client shares ``scope`` with this trainer; else NotFound.

    NotFound (not Forbidden) so a trainer cannot probe which user ids exist.
    """
    relation = await active_relation(trainer_id, client_id)
    if relation is None or not getattr(relation, f"share_{scope}"):
        raise NotFound("No such client, or the client does not share this with you.")
    return relation
