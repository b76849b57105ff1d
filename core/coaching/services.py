"""Coaching rules: trainer profiles, invitations and the relations between trainers and clients.

A relation starts as an invitation a trainer sends to an e-mail address (``pending``); the person
with that address, now or once registered, accepts (``active``, choosing what to share) or
declines. Either side ends an active relation; the trainer may withdraw a pending invitation.
Until a client accepts, nothing tells the trainer whether an account with that address exists.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import CoachingRelation, RelationStatus, Role, User
from fithub.core.accounts.services import normalise_email
from fithub.core.audit import services as audit
from fithub.core.coaching import deadlines
from fithub.core.coaching.access import Scope, require_client_scope
from fithub.core.coaching.models import TrainerProfile
from fithub.core.coaching.schemas import (
    InvitationCreate,
    ShareFlags,
    ShareUpdate,
    TrainerProfileIn,
)
from fithub.core.context import ClientInfo
from fithub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from fithub.core.events.services import emit

OPEN = (RelationStatus.PENDING, RelationStatus.ACTIVE)


def _now() -> datetime:
    return datetime.now(UTC)


def share_flags(relation: CoachingRelation) -> ShareFlags:
    return ShareFlags(
        workouts=relation.share_workouts,
        body_metrics=relation.share_body_metrics,
        goals=relation.share_goals,
        live=relation.share_live,
        nutrition=relation.share_nutrition,
    )


def _share_columns(flags: ShareFlags) -> dict[str, bool]:
    return {
        "share_workouts": flags.workouts,
        "share_body_metrics": flags.body_metrics,
        "share_goals": flags.goals,
        "share_live": flags.live,
        "share_nutrition": flags.nutrition,
    }


async def _record(
    action: str,
    client: ClientInfo,
    actor: User,
    relation: CoachingRelation,
    *,
    also: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Audit a relation change for the actor and, when given, for the other party too."""
    for subject in (actor.id, also) if also is not None else (actor.id,):
        await audit.record(
            action,
            client,
            subject_id=subject,
            actor_id=actor.id,
            target_type="coaching_relation",
            target_id=relation.id,
            details=details,
        )


# -- trainer profiles -------------------------------------------------------------------------


async def trainer_profile(user: User) -> tuple[User, TrainerProfile | None]:
    """The user and their profile (None for a trainer who never saved one); NotFound for non-trainers."""
    profile = await TrainerProfile.get_or_none(user_id=user.id)
    if user.role != Role.TRAINER and profile is None:
        raise NotFound(
            "You have no trainer profile; PUT /api/v1/trainer-profile to become a trainer.",
            code="not_a_trainer",
        )
    return user, profile


async def public_trainer(user_id: int) -> tuple[User, TrainerProfile | None]:
    """A trainer as anyone may see them; NotFound for accounts that are not trainers."""
    user = await User.get_or_none(id=user_id, role=Role.TRAINER, is_active=True)
    if user is None:
        raise NotFound(f"No trainer {user_id}.")
    return user, await TrainerProfile.get_or_none(user_id=user.id)


async def save_trainer_profile(
    user: User, client: ClientInfo, data: TrainerProfileIn
) -> tuple[User, TrainerProfile]:
    """Create or replace the profile. The first save turns a ``user`` account into a ``trainer``.

    Administrators cannot coach from their staff account (Forbidden): they use a separate one.
    """
    if user.role == Role.ADMIN:
        raise Forbidden(
            "Administrator accounts cannot coach; use a separate account.",
            code="admin_cannot_coach",
        )
    values = data.model_dump()
    async with in_transaction() as conn:
        profile = await TrainerProfile.filter(user_id=user.id).using_db(conn).first()
        if profile is None:
            profile = await TrainerProfile.create(user_id=user.id, using_db=conn, **values)
        else:
            profile.update_from_dict(values)
            await profile.save(using_db=conn)
        await audit.record(
            "coaching.profile_saved",
            client,
            subject_id=user.id,
            target_type="user",
            target_id=user.id,
        )
        if user.role != Role.TRAINER:
            previous = user.role
            user.role = Role.TRAINER
            await user.save(using_db=conn, update_fields=["role", "updated_at"])
            await audit.record(
                "user.role_changed",
                client,
                subject_id=user.id,
                target_type="user",
                target_id=user.id,
                details={"from": previous.value, "to": Role.TRAINER.value},
            )
    return user, profile


# -- invitations ------------------------------------------------------------------------------


async def invite(trainer: User, client: ClientInfo, data: InvitationCreate) -> CoachingRelation:
    """Invite a person by e-mail. 422 for yourself, 409 if a pending or active relation exists."""
    email = normalise_email(str(data.email))
    if email == trainer.email:
        raise ValidationFailed(
            "You cannot coach yourself.",
            code="self_invitation",
            errors=[{"field": "email", "message": "your own address", "type": "self_invitation"}],
        )
    async with in_transaction() as conn:
        # One trainer's invitations are made one at a time, so two requests cannot both pass.
        await User.filter(id=trainer.id).select_for_update().using_db(conn).first()
        duplicate = Q(invite_email=email) | Q(client__email=email)
        if (
            await CoachingRelation.filter(duplicate, trainer_id=trainer.id, status__in=OPEN)
            .using_db(conn)
            .exists()
        ):
            raise Conflict(
                "You already have a pending invitation or an active relation with this person.",
                code="relation_exists",
            )
        relation = await CoachingRelation.create(
            trainer_id=trainer.id,
            invite_email=email,
            message=data.message,
            using_db=conn,
            **_share_columns(data.share),
        )
        await _record("coaching.invited", client, trainer, relation)
        payload = {"relation_id": relation.id, "trainer_id": trainer.id, "email": email}
        await emit("coaching.invited", trainer.id, payload, using_db=conn)
    return relation


def invitations(user: User, role: str) -> QuerySet[CoachingRelation]:
    """Pending invitations the user received (by e-mail address) or sent."""
    query = CoachingRelation.filter(status=RelationStatus.PENDING)
    if role == "sent":
        return query.filter(trainer_id=user.id)
    return query.filter(invite_email=user.email)


async def _received(user: User, relation_id: int, conn: BaseDBAsyncClient) -> CoachingRelation:
    relation = (
        await CoachingRelation.filter(
            id=relation_id, invite_email=user.email, status=RelationStatus.PENDING
        )
        .using_db(conn)
        .first()
    )
    if relation is None:
        raise NotFound(f"No pending invitation {relation_id} for you.")
    return relation


async def accept(
    user: User, client: ClientInfo, relation_id: int, share: ShareFlags | None
) -> CoachingRelation:
    """Accept an invitation addressed to the user, sharing ``share`` (default: what was asked)."""
    async with in_transaction() as conn:
        relation = await _received(user, relation_id, conn)
        await User.filter(id=relation.trainer_id).select_for_update().using_db(conn).first()
        if (
            await CoachingRelation.filter(
                trainer_id=relation.trainer_id,
                client_id=user.id,
                status=RelationStatus.ACTIVE,
            )
            .using_db(conn)
            .exists()
        ):
            raise Conflict("This trainer already coaches you.", code="relation_exists")
        flags = share or share_flags(relation)
        changes: dict[str, Any] = {
            "status": RelationStatus.ACTIVE,
            "client_id": user.id,
            "responded_at": _now(),
            **_share_columns(flags),
        }
        updated = (
            await CoachingRelation.filter(id=relation.id, status=RelationStatus.PENDING)
            .using_db(conn)
            .update(**changes)
        )
        if not updated:
            raise Conflict("This invitation was already answered.", code="already_answered")
        relation.update_from_dict(changes)
        await _record(
            "coaching.accepted", client, user, relation, details={"share": flags.model_dump()}
        )
        payload = {
            "relation_id": relation.id,
            "trainer_id": relation.trainer_id,
            "client_id": user.id,
            "share": flags.model_dump(),
        }
        await emit("coaching.accepted", user.id, payload, using_db=conn)
    return relation


async def decline(user: User, client: ClientInfo, relation_id: int) -> CoachingRelation:
    """Decline an invitation addressed to the user."""
    async with in_transaction() as conn:
        relation = await _received(user, relation_id, conn)
        changes = {"status": RelationStatus.DECLINED, "client_id": user.id, "responded_at": _now()}
        updated = (
            await CoachingRelation.filter(id=relation.id, status=RelationStatus.PENDING)
            .using_db(conn)
            .update(**changes)
        )
        if not updated:
            raise Conflict("This invitation was already answered.", code="already_answered")
        relation.update_from_dict(changes)
        await _record("coaching.declined", client, user, relation)
    return relation


# -- relations --------------------------------------------------------------------------------


def relations(user: User, role: str, status: RelationStatus | None) -> QuerySet[CoachingRelation]:
    """The user's relations as a client (their trainers) or as a trainer."""
    query = CoachingRelation.filter(
        **({"trainer_id": user.id} if role == "trainer" else {"client_id": user.id})
    )
    return query.filter(status=status) if status is not None else query


async def party_relation(user: User, relation_id: int) -> CoachingRelation:
    """A relation the user is part of (or a pending invitation to them); NotFound otherwise."""
    mine = Q(trainer_id=user.id) | Q(client_id=user.id)
    mine |= Q(invite_email=user.email, status=RelationStatus.PENDING)
    relation = await CoachingRelation.filter(mine, id=relation_id).first()
    if relation is None:
        raise NotFound(f"No coaching relation {relation_id}.")
    return relation


async def client_relation(trainer: User, client_id: int) -> CoachingRelation:
    """The trainer's active relation with ``client_id``; NotFound for anyone else."""
    relation = await CoachingRelation.get_or_none(
        trainer_id=trainer.id, client_id=client_id, status=RelationStatus.ACTIVE
    )
    if relation is None:
        raise NotFound(f"No active client {client_id}.")
    return relation


async def shared_client(trainer: User, client_id: int, scope: Scope) -> User:
    """The client, if an active client of ``trainer`` who shares ``scope``; NotFound otherwise."""
    await require_client_scope(trainer.id, client_id, scope)
    return await User.get(id=client_id)


async def end_relation(user: User, client: ClientInfo, relation_id: int) -> CoachingRelation:
    """End an active relation (either side) or withdraw a pending invitation (the trainer).

    The trainer's access stops at once. Assignments still pending are closed: those already
    overdue become missed, the rest are removed.
    """
    relation = await party_relation(user, relation_id)
    is_trainer = relation.trainer_id == user.id
    if relation.status == RelationStatus.PENDING and not is_trainer:
        raise Conflict("Decline the invitation instead.", code="invalid_transition")
    if relation.status not in OPEN:
        raise Conflict(
            f"This relation is already {relation.status.value}.", code="invalid_transition"
        )
    was = relation.status
    changes = {"status": RelationStatus.ENDED, "ended_at": _now(), "ended_by_id": user.id}
    async with in_transaction() as conn:
        updated = (
            await CoachingRelation.filter(id=relation.id, status=was)
            .using_db(conn)
            .update(**changes)
        )
        if not updated:
            raise Conflict("This relation changed meanwhile; reload it.", code="invalid_transition")
        relation.update_from_dict(changes)
        details: dict[str, Any] = {"was": was.value}
        if was == RelationStatus.ACTIVE:
            details["missed"] = len(await deadlines.mark_missed(conn, relation_id=relation.id))
            details["removed"] = await deadlines.drop_pending(conn, relation.id)
        other = relation.client_id if is_trainer else relation.trainer_id
        await _record("coaching.ended", client, user, relation, also=other, details=details)
        payload = {
            "relation_id": relation.id,
            "trainer_id": relation.trainer_id,
            "client_id": relation.client_id,
            "ended_by": "trainer" if is_trainer else "client",
        }
        await emit("coaching.ended", user.id, payload, using_db=conn)
    return relation


async def update_share(
    user: User, client: ClientInfo, relation_id: int, data: ShareUpdate
) -> CoachingRelation:
    """The client changes what an active relation shares; takes effect on the trainer's next read."""
    relation = await party_relation(user, relation_id)
    if relation.status != RelationStatus.ACTIVE:
        raise Conflict(f"This relation is {relation.status.value}.", code="invalid_transition")
    if relation.client_id != user.id:
        raise Forbidden("Only the client decides what is shared.", code="client_only")
    flags = ShareFlags(
        **{**share_flags(relation).model_dump(), **data.model_dump(exclude_none=True)}
    )
    changes = _share_columns(flags)
    async with in_transaction() as conn:
        await CoachingRelation.filter(id=relation.id).using_db(conn).update(**changes)
        relation.update_from_dict(changes)
        await _record("coaching.share_changed", client, user, relation, details=flags.model_dump())
    return relation
