"""HTTP routes of the coaching domain: trainer profiles, invitations, relations, client views.

Assignments live in :mod:`fithub.core.coaching.assignment_routes`, a blueprint nested in this one.
"""

from __future__ import annotations

from datetime import date

from quart import Blueprint
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.accounts.models import CoachingRelation, RelationStatus, User
from fithub.core.auth import client_info, current_user, require_auth
from fithub.core.body import services as body
from fithub.core.body.schemas import MetricPage, MetricQuery
from fithub.core.coaching import services
from fithub.core.coaching.access import require_client_scope, require_trainer
from fithub.core.coaching.assignment_routes import bp as assignments_bp
from fithub.core.coaching.models import TrainerProfile
from fithub.core.coaching.schemas import (
    ClientDiary,
    ClientDiaryDay,
    ClientOut,
    ClientPage,
    InvitationAccept,
    InvitationCreate,
    InvitationQuery,
    PartyOut,
    PublicTrainerOut,
    RelationOut,
    RelationPage,
    RelationQuery,
    ShareUpdate,
    TrainerProfileIn,
    TrainerProfileOut,
)
from fithub.core.nutrition import totals as nutrition_totals
from fithub.core.nutrition.diary import entry_out
from fithub.core.nutrition.diary_schemas import DiaryEntryOut
from fithub.core.nutrition.export import diary_entries
from fithub.core.nutrition.target_schemas import DailyTotals, RangeQuery
from fithub.core.pagination import PageQuery, paginate
from fithub.core.progress import goals
from fithub.core.progress.goal_schemas import GoalPage, GoalQuery
from fithub.core.progress.models import GoalKind
from fithub.core.responses import validate_response
from fithub.core.workouts.schemas import WorkoutOut, WorkoutPage, WorkoutQuery
from fithub.core.workouts.services import list_workouts, workout_view

bp = Blueprint("coaching", __name__, url_prefix="/api/v1")
bp.register_blueprint(assignments_bp)

RELATED = ("trainer", "client")


def _profile_out(user: User, profile: TrainerProfile | None) -> TrainerProfileOut:
    return TrainerProfileOut(
        user_id=user.id,
        display_name=user.display_name,
        business_name=profile.business_name if profile else "",
        bio=profile.bio if profile else "",
        certifications=profile.certifications if profile else [],
        created_at=profile.created_at if profile else None,
        updated_at=profile.updated_at if profile else None,
    )


def _party(user: User | None) -> PartyOut | None:
    return PartyOut(id=user.id, display_name=user.display_name) if user is not None else None


def _relation_out(relation: CoachingRelation) -> RelationOut:
    """Needs ``trainer`` and ``client`` fetched; the client shows once the invitation was accepted."""
    accepted = relation.status in (RelationStatus.ACTIVE, RelationStatus.ENDED)
    trainer = _party(relation.trainer)
    assert trainer is not None
    return RelationOut(
        id=relation.id,
        status=relation.status,
        trainer=trainer,
        client=_party(relation.client) if accepted else None,
        invite_email=relation.invite_email,
        message=relation.message,
        share=services.share_flags(relation),
        created_at=relation.created_at,
        responded_at=relation.responded_at,
        ended_at=relation.ended_at,
        ended_by_id=relation.ended_by_id,
    )


async def _relation_view(relation: CoachingRelation) -> RelationOut:
    await relation.fetch_related(*RELATED)
    return _relation_out(relation)


# -- trainer profiles -------------------------------------------------------------------------


@bp.get("/trainer-profile")
@tag(["coaching"])
@require_auth()
@validate_response(TrainerProfileOut)
async def get_trainer_profile() -> TrainerProfileOut:
    """Your trainer profile (404 `not_a_trainer` until you create one)."""
    return _profile_out(*await services.trainer_profile(current_user()))


@bp.put("/trainer-profile")
@tag(["coaching"])
@require_auth()
@validate_request(TrainerProfileIn)
@validate_response(TrainerProfileOut)
async def put_trainer_profile(data: TrainerProfileIn) -> TrainerProfileOut:
    """Create or replace your trainer profile. The first one makes your account a trainer's.

    Being a trainer gives no access to anyone: people choose to accept your invitations and what
    they share. Administrator accounts cannot coach (403).
    """
    return _profile_out(*await services.save_trainer_profile(current_user(), client_info(), data))


@bp.get("/trainers/<int:user_id>")
@tag(["coaching"])
@require_auth()
@validate_response(PublicTrainerOut)
async def get_trainer(user_id: int) -> PublicTrainerOut:
    """A trainer's public profile: name, business, bio and certifications (never the e-mail)."""
    out = _profile_out(*await services.public_trainer(user_id))
    return PublicTrainerOut(**out.model_dump(include=set(PublicTrainerOut.model_fields)))


# -- invitations and relations ----------------------------------------------------------------


@bp.post("/coaching/invitations")
@tag(["coaching"])
@require_trainer()
@validate_request(InvitationCreate)
@validate_response(RelationOut, 201)
async def invite(data: InvitationCreate) -> tuple[RelationOut, int]:
    """Invite a person to be coached, by e-mail (they may register later). Trainers only.

    409 if you already invited or coach them, 422 for your own address. The answer is the same
    whether or not the address has an account.
    """
    relation = await services.invite(current_user(), client_info(), data)
    return await _relation_view(relation), 201


@bp.get("/coaching/invitations")
@tag(["coaching"])
@require_auth()
@validate_querystring(InvitationQuery)
@validate_response(RelationPage)
async def list_invitations(query_args: InvitationQuery) -> RelationPage:
    """Pending invitations addressed to you (`role=received`) or sent by you (`role=sent`)."""
    query = services.invitations(current_user(), query_args.role).prefetch_related(*RELATED)
    return RelationPage(**await paginate(query, query_args, _relation_out))


@bp.post("/coaching/invitations/<int:relation_id>/accept")
@tag(["coaching"])
@require_auth()
@validate_request(InvitationAccept)
@validate_response(RelationOut)
async def accept_invitation(relation_id: int, data: InvitationAccept) -> RelationOut:
    """Accept an invitation addressed to you, choosing what to share (send `{}` for what was asked)."""
    relation = await services.accept(current_user(), client_info(), relation_id, data.share)
    return await _relation_view(relation)


@bp.post("/coaching/invitations/<int:relation_id>/decline")
@tag(["coaching"])
@require_auth()
@validate_response(RelationOut)
async def decline_invitation(relation_id: int) -> RelationOut:
    """Decline an invitation addressed to you."""
    relation = await services.decline(current_user(), client_info(), relation_id)
    return await _relation_view(relation)


@bp.get("/coaching/relations")
@tag(["coaching"])
@require_auth()
@validate_querystring(RelationQuery)
@validate_response(RelationPage)
async def list_relations(query_args: RelationQuery) -> RelationPage:
    """Your relations as a client (`role=client`: your trainers) or as a trainer, newest first."""
    query = services.relations(current_user(), query_args.role, query_args.status)
    return RelationPage(
        **await paginate(query.prefetch_related(*RELATED), query_args, _relation_out)
    )


@bp.get("/coaching/relations/<int:relation_id>")
@tag(["coaching"])
@require_auth()
@validate_response(RelationOut)
async def get_relation(relation_id: int) -> RelationOut:
    """One relation you are part of."""
    return await _relation_view(await services.party_relation(current_user(), relation_id))


@bp.post("/coaching/relations/<int:relation_id>/end")
@tag(["coaching"])
@require_auth()
@validate_response(RelationOut)
async def end_relation(relation_id: int) -> RelationOut:
    """End a relation (either side) or withdraw an invitation (the trainer). Access stops at once."""
    relation = await services.end_relation(current_user(), client_info(), relation_id)
    return await _relation_view(relation)


@bp.patch("/coaching/relations/<int:relation_id>/share")
@tag(["coaching"])
@require_auth()
@validate_request(ShareUpdate)
@validate_response(RelationOut)
async def update_share(relation_id: int, data: ShareUpdate) -> RelationOut:
    """Change what you share with a trainer (clients only); only the flags sent change."""
    relation = await services.update_share(current_user(), client_info(), relation_id, data)
    return await _relation_view(relation)


# -- a trainer's view of their clients --------------------------------------------------------


def _client_out(relation: CoachingRelation) -> ClientOut:
    client = relation.client
    assert client is not None
    return ClientOut(
        relation_id=relation.id,
        client_id=client.id,
        display_name=client.display_name,
        email=relation.invite_email,
        share=services.share_flags(relation),
        since=relation.responded_at,
    )


@bp.get("/coaching/clients")
@tag(["coaching"])
@require_trainer()
@validate_querystring(PageQuery)
@validate_response(ClientPage)
async def list_clients(query_args: PageQuery) -> ClientPage:
    """Your active clients, most recent first, with what each shares with you. Trainers only."""
    query = services.relations(current_user(), "trainer", RelationStatus.ACTIVE)
    return ClientPage(**await paginate(query.prefetch_related("client"), query_args, _client_out))


@bp.get("/coaching/clients/<int:client_id>")
@tag(["coaching"])
@require_trainer()
@validate_response(ClientOut)
async def get_client(client_id: int) -> ClientOut:
    """One active client (404 for anyone who is not)."""
    relation = await services.client_relation(current_user(), client_id)
    await relation.fetch_related("client")
    return _client_out(relation)


@bp.get("/coaching/clients/<int:client_id>/workouts")
@tag(["coaching"])
@require_trainer()
@validate_querystring(WorkoutQuery)
@validate_response(WorkoutPage)
async def client_workouts(client_id: int, query_args: WorkoutQuery) -> WorkoutPage:
    """An active client's workouts, if they share them (404 otherwise). Read-only."""
    await services.shared_client(current_user(), client_id, "workouts")
    return WorkoutPage(**await list_workouts(client_id, query_args))


@bp.get("/coaching/clients/<int:client_id>/workouts/<int:workout_id>")
@tag(["coaching"])
@require_trainer()
@validate_response(WorkoutOut)
async def client_workout(client_id: int, workout_id: int) -> WorkoutOut:
    """One workout of an active client who shares workouts, in your units (404 otherwise)."""
    trainer = current_user()
    await services.shared_client(trainer, client_id, "workouts")
    return await workout_view(trainer, workout_id, owner_id=client_id)


@bp.get("/coaching/clients/<int:client_id>/body-metrics")
@tag(["coaching"])
@require_trainer()
@validate_querystring(MetricQuery)
@validate_response(MetricPage)
async def client_body_metrics(client_id: int, query_args: MetricQuery) -> MetricPage:
    """An active client's measurements, if they share body metrics (404 otherwise), newest first.

    Values are in your units; whole days in `from`/`to` are the client's days.
    """
    trainer = current_user()
    client = await services.shared_client(trainer, client_id, "body_metrics")
    span = body.resolve_span(client, query_args.start, query_args.end)
    rows, next_cursor = await body.list_metrics(
        client, kind=query_args.kind, span=span, limit=query_args.limit, cursor=query_args.cursor
    )
    return MetricPage(
        items=[body.metric_out(row, trainer) for row in rows], next_cursor=next_cursor
    )


@bp.get("/coaching/clients/<int:client_id>/goals")
@tag(["coaching"])
@require_trainer()
@validate_querystring(GoalQuery)
@validate_response(GoalPage)
async def client_goals(client_id: int, query_args: GoalQuery) -> GoalPage:
    """An active client's goals with their progress, if they share goals (404 otherwise);
    nutrition goals only if they share nutrition too.

    Shown as the client sees them: in the client's units, judged by the client's calendar.
    """
    relation = await require_client_scope(current_user().id, client_id, "goals")
    client = await User.get(id=client_id)
    # a nutrition goal's value is a diary average: shown only to trainers the diary is shared with
    hidden = frozenset() if relation.share_nutrition else frozenset({GoalKind.NUTRITION})
    views, next_cursor = await goals.list_goals(
        client, query_args, status=query_args.status, kind=query_args.kind, hidden=hidden
    )
    return GoalPage(items=[goals.goal_out(v, client) for v in views], next_cursor=next_cursor)


@bp.get("/coaching/clients/<int:client_id>/nutrition/diary")
@tag(["coaching"])
@require_trainer()
@validate_querystring(RangeQuery)
@validate_response(ClientDiary)
async def client_diary(client_id: int, query_args: RangeQuery) -> ClientDiary:
    """An active client's food diary from `from` to `to` (their days, at most 366), if they share
    nutrition (404 otherwise, the same whether or not the client exists). Read-only."""
    await services.shared_client(current_user(), client_id, "nutrition")
    days: dict[date, list[DiaryEntryOut]] = {}
    for entry in await diary_entries(client_id, query_args.start, query_args.end):
        days.setdefault(entry.day, []).append(entry_out(entry))
    return ClientDiary(
        first_day=query_args.start,
        last_day=query_args.end,
        days=[ClientDiaryDay(day=day, entries=entries) for day, entries in days.items()],
    )


@bp.get("/coaching/clients/<int:client_id>/nutrition/totals/daily")
@tag(["coaching"])
@require_trainer()
@validate_querystring(RangeQuery)
@validate_response(DailyTotals)
async def client_nutrition_totals(client_id: int, query_args: RangeQuery) -> DailyTotals:
    """An active client's daily totals against their targets, if they share nutrition (404
    otherwise)."""
    client = await services.shared_client(current_user(), client_id, "nutrition")
    return await nutrition_totals.daily_totals(client, query_args.start, query_args.end)
