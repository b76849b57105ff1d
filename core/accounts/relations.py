"""Who coaches whom, as lower layers need to know it: a trainer's ``clients``-visible items are
visible to the trainer's active clients (exercises, templates). Coaching owns the relation's
lifecycle (invitations, sharing); these reads only look it up."""

from __future__ import annotations

from fithub.core.accounts.models import CoachingRelation, RelationStatus


async def active_relation(trainer_id: int, client_id: int) -> CoachingRelation | None:
    """The active relation between ``trainer_id`` and ``client_id``, if there is one."""
    return await CoachingRelation.get_or_none(
        trainer_id=trainer_id, client_id=client_id, status=RelationStatus.ACTIVE
    )


async def trainers_of(client_id: int) -> list[int]:
    """Ids of the client's active trainers (whose ``clients``-visible items the client may use)."""
    rows = await CoachingRelation.filter(
        client_id=client_id, status=RelationStatus.ACTIVE
    ).values_list("trainer_id", flat=True)
    return [int(value) for value in rows]  # type: ignore[call-overload]
