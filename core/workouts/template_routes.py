"""HTTP routes for workout templates and weekly plans."""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import client_info, current_user, require_auth
from fithub.core.pagination import PageQuery, paginate
from fithub.core.responses import validate_response
from fithub.core.workouts import services, templates
from fithub.core.workouts.ids import ids_in_range
from fithub.core.workouts.models import WorkoutPlan, WorkoutTemplate
from fithub.core.workouts.schemas import (
    PlanCreate,
    PlanOut,
    PlanPage,
    ScheduledOut,
    ScheduleRequest,
    StartFromTemplate,
    TemplateCreate,
    TemplateOut,
    TemplatePage,
    TemplateQuery,
    TemplateSummary,
    TemplateUpdate,
    VersionQuery,
    WorkoutOut,
)

bp = Blueprint("templates", __name__, url_prefix="/api/v1")
bp.before_request(ids_in_range)


def _summary(template: WorkoutTemplate) -> TemplateSummary:
    return TemplateSummary(
        id=template.id,
        owner_id=template.owner_id,
        name=template.name,
        visibility=template.visibility,
        version=template.current_version,
        updated_at=template.updated_at,
    )


@bp.post("/templates")
@tag(["templates"])
@require_auth()
@validate_request(TemplateCreate)
@validate_response(TemplateOut, 201)
async def create_template(data: TemplateCreate) -> tuple[TemplateOut, int]:
    """Create a template (version 1). Items are exercises with target sets, or other templates."""
    user = current_user()
    template_id = await templates.create_template(user, client_info(), data)
    return await templates.template_view(user, template_id), 201


@bp.get("/templates")
@tag(["templates"])
@require_auth()
@validate_querystring(TemplateQuery)
@validate_response(TemplatePage)
async def list_templates(query_args: TemplateQuery) -> TemplatePage:
    """Templates: yours (`scope=mine`), your trainers' shared with you (`shared`), or public ones."""
    query = await templates.template_scope(current_user(), query_args.scope)
    return TemplatePage(**await paginate(query, query_args, _summary))


@bp.get("/templates/<int:template_id>")
@tag(["templates"])
@require_auth()
@validate_querystring(VersionQuery)
@validate_response(TemplateOut)
async def get_template(template_id: int, query_args: VersionQuery) -> TemplateOut:
    """A template at its current version, or at `?version=N`."""
    return await templates.template_view(current_user(), template_id, query_args.version)


@bp.put("/templates/<int:template_id>")
@tag(["templates"])
@require_auth()
@validate_request(TemplateUpdate)
@validate_response(TemplateOut)
async def update_template(template_id: int, data: TemplateUpdate) -> TemplateOut:
    """Edit your template: new items or name make a new version; earlier workouts keep theirs."""
    user = current_user()
    await templates.update_template(user, client_info(), template_id, data)
    return await templates.template_view(user, template_id)


@bp.delete("/templates/<int:template_id>")
@tag(["templates"])
@require_auth()
async def delete_template(template_id: int) -> Response:
    """Delete your template (workouts made from it stay)."""
    await templates.delete_template(current_user(), client_info(), template_id)
    return Response(status=204)


@bp.post("/templates/<int:template_id>/start")
@tag(["templates"])
@require_auth()
@validate_request(StartFromTemplate)
@validate_response(WorkoutOut, 201)
async def start_template(template_id: int, data: StartFromTemplate) -> tuple[WorkoutOut, int]:
    """Start (or plan) a workout from a template: its exercises and target sets, ready to log."""
    user = current_user()
    workout_id = await templates.start_from_template(user, client_info(), template_id, data)
    return await services.workout_view(user, workout_id), 201


@bp.post("/plans")
@tag(["plans"])
@require_auth()
@validate_request(PlanCreate)
@validate_response(PlanOut, 201)
async def create_plan(data: PlanCreate) -> tuple[PlanOut, int]:
    """Create a weekly plan: templates placed on weekdays for a number of weeks."""
    user = current_user()
    plan_id = await templates.create_plan(user, client_info(), data)
    return PlanOut(**await templates.plan_view(await templates.visible_plan(user.id, plan_id))), 201


@bp.get("/plans")
@tag(["plans"])
@require_auth()
@validate_querystring(PageQuery)
@validate_response(PlanPage)
async def list_plans(query_args: PageQuery) -> PlanPage:
    """Your plans, newest first."""
    page = await paginate(WorkoutPlan.filter(owner_id=current_user().id), query_args, lambda p: p)
    return PlanPage(
        items=[PlanOut(**await templates.plan_view(p)) for p in page["items"]],
        next_cursor=page["next_cursor"],
    )


@bp.get("/plans/<int:plan_id>")
@tag(["plans"])
@require_auth()
@validate_response(PlanOut)
async def get_plan(plan_id: int) -> PlanOut:
    """A plan (yours, public, or shared by your trainer) with the templates on each weekday."""
    return PlanOut(
        **await templates.plan_view(await templates.visible_plan(current_user().id, plan_id))
    )


@bp.delete("/plans/<int:plan_id>")
@tag(["plans"])
@require_auth()
async def delete_plan(plan_id: int) -> Response:
    """Delete your plan; workouts already scheduled from it stay in your calendar."""
    await templates.delete_plan(current_user(), client_info(), plan_id)
    return Response(status=204)


@bp.post("/plans/<int:plan_id>/schedule")
@tag(["plans"])
@require_auth()
@validate_request(ScheduleRequest)
@validate_response(ScheduledOut, 201)
async def schedule_plan(plan_id: int, data: ScheduleRequest) -> tuple[ScheduledOut, int]:
    """Put the plan in your calendar from `start_date`: one planned workout per entry."""
    ids = await templates.schedule_plan(current_user(), client_info(), plan_id, data.start_date)
    return ScheduledOut(workout_ids=ids), 201
