"""Templates (immutable versions, may include other templates) and weekly plans made of them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.accounts.relations import trainers_of
from fithub.core.audit import services as audit
from fithub.core.context import ClientInfo
from fithub.core.errors import NotFound, ValidationFailed
from fithub.core.exercises.models import Visibility
from fithub.core.exercises.services import visible_exercises
from fithub.core.units import distance_unit, from_kg, from_m, weight_unit
from fithub.core.workouts.inputs import distance_m, weight_kg
from fithub.core.workouts.models import (
    PlanEntry,
    TemplateVersion,
    Workout,
    WorkoutExercise,
    WorkoutPlan,
    WorkoutSet,
    WorkoutStatus,
    WorkoutTemplate,
)
from fithub.core.workouts.schemas import (
    PlanCreate,
    StartFromTemplate,
    TemplateCreate,
    TemplateItem,
    TemplateOut,
    TemplateUpdate,
)
from fithub.core.workouts.services import now

MAX_INCLUDE_DEPTH = 5


async def _visible_q(user_id: int) -> Q:
    trainers = await trainers_of(user_id)
    visible = Q(owner_id=user_id) | Q(visibility=Visibility.PUBLIC)
    if trainers:
        visible |= Q(owner_id__in=trainers, visibility=Visibility.CLIENTS)
    return visible


async def visible_template(user_id: int, template_id: int) -> WorkoutTemplate:
    template = await WorkoutTemplate.filter(await _visible_q(user_id), id=template_id).first()
    if template is None:
        raise NotFound(f"No template {template_id}.")
    return template


async def own_template(user_id: int, template_id: int) -> WorkoutTemplate:
    template = await WorkoutTemplate.filter(id=template_id, owner_id=user_id).first()
    if template is None:
        raise NotFound(f"No template {template_id} of yours.")
    return template


def _invalid(message: str, code: str, field: str = "items") -> ValidationFailed:
    return ValidationFailed(
        message, code=code, errors=[{"field": field, "message": message, "type": code}]
    )


async def _current_items(template_id: int) -> list[dict[str, Any]]:
    template = await WorkoutTemplate.get(id=template_id)
    version = await TemplateVersion.get(template_id=template_id, version=template.current_version)
    return version.items


async def _check_includes(user: User, self_id: int | None, items: list[TemplateItem]) -> None:
    """Each included template must be visible, and including must never lead back to ``self_id``."""
    stack = [(i.template_id, 1) for i in items if i.template_id is not None]
    while stack:
        template_id, depth = stack.pop()
        if template_id is None:
            continue
        if template_id == self_id:
            raise _invalid(
                "A template cannot include itself, directly or through others.", "template_cycle"
            )
        if depth > MAX_INCLUDE_DEPTH:
            raise _invalid(f"Templates nest at most {MAX_INCLUDE_DEPTH} deep.", "template_too_deep")
        await visible_template(user.id, template_id)
        stack.extend(
            (item["template_id"], depth + 1)
            for item in await _current_items(template_id)
            if item.get("template_id")
        )


async def _stored_items(
    user: User, self_id: int | None, items: list[TemplateItem]
) -> list[dict[str, Any]]:
    await visible_exercises(user.id, {i.exercise_id for i in items if i.exercise_id is not None})
    await _check_includes(user, self_id, items)
    stored: list[dict[str, Any]] = []
    for item in items:
        if item.template_id is not None:
            stored.append({"template_id": item.template_id})
            continue
        stored.append(
            {
                "exercise_id": item.exercise_id,
                "superset": item.superset,
                "notes": item.notes,
                "sets": [
                    {
                        "reps": s.reps,
                        "weight_kg": weight_kg(s.weight, s.weight_unit, user.unit_system),
                        "duration_s": s.duration_s,
                        "distance_m": distance_m(s.distance, s.distance_unit, user.unit_system),
                        "rest_s": s.rest_s,
                    }
                    for s in item.sets
                ],
            }
        )
    return stored


async def create_template(user: User, client: ClientInfo, data: TemplateCreate) -> int:
    items = await _stored_items(user, None, data.items)
    async with in_transaction() as conn:
        template = await WorkoutTemplate.create(
            owner_id=user.id,
            name=data.name,
            description=data.description,
            visibility=data.visibility,
            using_db=conn,
        )
        await TemplateVersion.create(
            template_id=template.id, version=1, name=data.name, items=items, using_db=conn
        )
        await audit.record(
            "template.created",
            client,
            subject_id=user.id,
            target_type="template",
            target_id=template.id,
        )
    return int(template.id)


async def update_template(
    user: User, client: ClientInfo, template_id: int, data: TemplateUpdate
) -> None:
    """Name or items make a new version; workouts made from older versions keep theirs."""
    template = await own_template(user.id, template_id)
    changes = data.model_dump(exclude_unset=True)
    items = await _stored_items(user, template.id, data.items) if data.items is not None else None
    async with in_transaction() as conn:
        if items is not None or data.name is not None:
            current = (
                await TemplateVersion.filter(
                    template_id=template.id, version=template.current_version
                )
                .using_db(conn)
                .first()
            )
            if current is None:
                raise NotFound(f"Template {template_id} lost its current version.")
            template.current_version += 1
            await TemplateVersion.create(
                template_id=template.id,
                version=template.current_version,
                name=data.name or current.name,
                items=items if items is not None else current.items,
                using_db=conn,
            )
        for field in ("name", "description", "visibility"):
            if changes.get(field) is not None:
                setattr(template, field, changes[field])
        await template.save(using_db=conn)
        await audit.record(
            "template.updated",
            client,
            subject_id=user.id,
            target_type="template",
            target_id=template.id,
            details={"version": template.current_version},
        )


async def delete_template(user: User, client: ClientInfo, template_id: int) -> None:
    template = await own_template(user.id, template_id)
    async with in_transaction() as conn:
        await template.delete(using_db=conn)
        await audit.record(
            "template.deleted",
            client,
            subject_id=user.id,
            target_type="template",
            target_id=template_id,
        )


def _items_out(items: list[dict[str, Any]], user: User) -> list[dict[str, Any]]:
    w_unit, d_unit = weight_unit(user.unit_system), distance_unit(user.unit_system)
    shown: list[dict[str, Any]] = []
    for item in items:
        if "template_id" in item:
            shown.append({"template_id": item["template_id"]})
            continue
        shown.append(
            {
                **{k: item[k] for k in ("exercise_id", "superset", "notes")},
                "sets": [
                    {
                        "reps": s["reps"],
                        "weight": from_kg(s["weight_kg"], w_unit),
                        "weight_unit": w_unit,
                        "duration_s": s["duration_s"],
                        "distance": from_m(s["distance_m"], d_unit),
                        "distance_unit": d_unit,
                        "rest_s": s["rest_s"],
                    }
                    for s in item["sets"]
                ],
            }
        )
    return shown


async def template_view(user: User, template_id: int, version: int | None = None) -> TemplateOut:
    template = await visible_template(user.id, template_id)
    wanted = version or template.current_version
    row = await TemplateVersion.get_or_none(template_id=template.id, version=wanted)
    if row is None:
        raise NotFound(f"Template {template_id} has no version {wanted}.")
    return TemplateOut(
        id=template.id,
        owner_id=template.owner_id,
        name=row.name,
        description=template.description,
        visibility=template.visibility,
        version=row.version,
        version_id=row.id,
        items=_items_out(row.items, user),
        created_at=template.created_at,
        updated_at=template.updated_at,
    )


async def template_scope(user: User, scope: str) -> Any:
    if scope == "mine":
        return WorkoutTemplate.filter(owner_id=user.id)
    if scope == "public":
        return WorkoutTemplate.filter(visibility=Visibility.PUBLIC)
    trainers = await trainers_of(user.id)
    return WorkoutTemplate.filter(owner_id__in=trainers or [0], visibility=Visibility.CLIENTS)


async def _expand(items: list[dict[str, Any]], depth: int = 0) -> list[dict[str, Any]]:
    flat: list[dict[str, Any]] = []
    for item in items:
        if "template_id" in item:
            if depth < MAX_INCLUDE_DEPTH and await WorkoutTemplate.exists(id=item["template_id"]):
                flat.extend(await _expand(await _current_items(item["template_id"]), depth + 1))
        else:
            flat.append(item)
    return flat


async def start_from_template(
    user: User,
    client: ClientInfo,
    template_id: int,
    data: StartFromTemplate,
    *,
    assignment_id: int | None = None,
) -> int:
    """Make a workout from a template version: its exercises in order with target sets to fill in."""
    template = await visible_template(user.id, template_id)
    version = await TemplateVersion.get_or_none(
        template_id=template.id, version=data.version or template.current_version
    )
    if version is None:
        raise NotFound(f"Template {template_id} has no version {data.version}.")
    items = await _expand(version.items)
    status = WorkoutStatus(data.status)
    started = now() if status == WorkoutStatus.IN_PROGRESS else None
    async with in_transaction() as conn:
        workout = await Workout.create(
            user_id=user.id,
            name=data.name or version.name,
            status=status,
            started_at=started,
            scheduled_at=data.scheduled_at,
            source="template",
            template_version_id=version.id,
            assignment_id=assignment_id,
            using_db=conn,
        )
        for position, item in enumerate(items, start=1):
            entry = await WorkoutExercise.create(
                workout_id=workout.id,
                exercise_id=item["exercise_id"],
                position=position,
                superset=item.get("superset"),
                notes=item.get("notes", ""),
                using_db=conn,
            )
            rows = [
                WorkoutSet(
                    entry_id=entry.id,
                    user_id=user.id,
                    workout_id=workout.id,
                    exercise_id=item["exercise_id"],
                    set_number=n,
                    reps=s["reps"],
                    weight_kg=s["weight_kg"],
                    duration_s=s["duration_s"],
                    distance_m=s["distance_m"],
                    rest_s=s["rest_s"],
                    completed=False,
                    performed_at=data.scheduled_at or now(),
                )
                for n, s in enumerate(item["sets"], start=1)
            ]
            if rows:
                await WorkoutSet.bulk_create(rows, using_db=conn)
        await audit.record(
            "workout.created",
            client,
            subject_id=user.id,
            target_type="workout",
            target_id=workout.id,
            details={"template_id": template.id, "version": version.version},
        )
    return int(workout.id)


# -- plans -----------------------------------------------------------------------------------


async def create_plan(user: User, client: ClientInfo, data: PlanCreate) -> int:
    for template_id in {e.template_id for e in data.entries}:
        await visible_template(user.id, template_id)
    async with in_transaction() as conn:
        plan = await WorkoutPlan.create(
            owner_id=user.id,
            name=data.name,
            description=data.description,
            weeks=data.weeks,
            visibility=data.visibility,
            using_db=conn,
        )
        await PlanEntry.bulk_create(
            [
                PlanEntry(
                    plan_id=plan.id, template_id=e.template_id, week=e.week, weekday=e.weekday
                )
                for e in data.entries
            ],
            using_db=conn,
        )
        await audit.record(
            "plan.created", client, subject_id=user.id, target_type="plan", target_id=plan.id
        )
    return int(plan.id)


async def visible_plan(user_id: int, plan_id: int) -> WorkoutPlan:
    plan = await WorkoutPlan.filter(await _visible_q(user_id), id=plan_id).first()
    if plan is None:
        raise NotFound(f"No plan {plan_id}.")
    return plan


async def plan_view(plan: WorkoutPlan) -> dict[str, Any]:
    entries = await PlanEntry.filter(plan_id=plan.id).order_by("week", "weekday", "id")
    return {
        "id": plan.id,
        "owner_id": plan.owner_id,
        "name": plan.name,
        "description": plan.description,
        "weeks": plan.weeks,
        "visibility": plan.visibility,
        "created_at": plan.created_at,
        "entries": [
            {"week": e.week, "weekday": e.weekday, "template_id": e.template_id} for e in entries
        ],
    }


async def delete_plan(user: User, client: ClientInfo, plan_id: int) -> None:
    deleted = await WorkoutPlan.filter(id=plan_id, owner_id=user.id).delete()
    if not deleted:
        raise NotFound(f"No plan {plan_id} of yours.")
    await audit.record(
        "plan.deleted", client, subject_id=user.id, target_type="plan", target_id=plan_id
    )


async def schedule_plan(user: User, client: ClientInfo, plan_id: int, start: Any) -> list[int]:
    """Create planned workouts for every plan entry, weeks counted from the Monday of ``start``."""
    plan = await visible_plan(user.id, plan_id)
    entries = await PlanEntry.filter(plan_id=plan.id).order_by("week", "weekday", "id")
    for template_id in {e.template_id for e in entries}:
        await visible_template(user.id, template_id)  # all or nothing: check before creating
    monday = start - timedelta(days=start.weekday())
    zone = ZoneInfo(user.timezone)
    ids = []
    for entry in entries:
        day = monday + timedelta(weeks=entry.week - 1, days=entry.weekday)
        if day < start:
            continue
        when = datetime.combine(day, time(9, 0), tzinfo=zone)
        ids.append(
            await start_from_template(
                user,
                client,
                entry.template_id,
                StartFromTemplate(status="planned", scheduled_at=when),
            )
        )
    return ids
