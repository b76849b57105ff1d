"""Who may see whose data: a trainer reads only active clients, and only what each client shares."""

from __future__ import annotations

from typing import Literal

from fithub.core.coaching.models import CoachingRelation, RelationStatus
from fithub.core.errors import NotFound

Scope = Literal["workouts", "body_metrics", "goals"]


async def active_relation(trainer_id: int, client_id: int) -> CoachingRelation | None:
    return await CoachingRelation.get_or_none(
        trainer_id=trainer_id, client_id=client_id, status=RelationStatus.ACTIVE
    )


async def require_client_scope(trainer_id: int, client_id: int, scope: Scope) -> CoachingRelation:
    """The active relation if the client shares ``scope`` with this trainer; else NotFound.

    NotFound (not Forbidden) so a trainer cannot probe which user ids exist.
    """
    relation = await active_relation(trainer_id, client_id)
    if relation is None or not getattr(relation, f"share_{scope}"):
        raise NotFound("No such client, or the client does not share this with you.")
    return relation


async def trainers_of(client_id: int) -> list[int]:
    """Ids of the client's active trainers (whose ``clients``-visible items the client may use)."""
    rows = await CoachingRelation.filter(
        client_id=client_id, status=RelationStatus.ACTIVE
    ).values_list("trainer_id", flat=True)
    return [int(value) for value in rows]  # type: ignore[call-overload]
