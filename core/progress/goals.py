"""Goal rules: what each kind needs, units, progress computed at read time, ``goal.achieved`` once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.audit import services as audit
from fithub.core.body.models import BodyMetric, MetricKind
from fithub.core.body.quantities import METRICS, Scale, range_message, unit_error
from fithub.core.body.services import user_zone
from fithub.core.context import ClientInfo
from fithub.core.errors import Conflict, NotFound, ValidationFailed
from fithub.core.events.services import emit
from fithub.core.exercises.services import visible_exercises
from fithub.core.pagination import PageQuery, paginate
from fithub.core.progress.goal_progress import (
    EPSILON,
    LIFT_COLUMNS,
    Window,
    goal_scale,
    measure,
    progress_ratio,
)
from fithub.core.progress.goal_schemas import GoalIn, GoalOut, GoalStatus
from fithub.core.progress.goals_nutrition import (
    goal_metric,
    last_day,
    shape_errors,
    target_range,
)
from fithub.core.progress.models import Goal, GoalKind

MAX_OPEN_GOALS = 100
MAX_ID = 2**63 - 1
WHOLE_KINDS = frozenset({GoalKind.REPS, GoalKind.STREAK})
TARGET_RANGES: dict[GoalKind, tuple[float, float]] = {  # stored units
    GoalKind.WEIGHT: (1, 1000),
    GoalKind.ONE_RM: (1, 1000),
    GoalKind.REPS: (1, 1000),
    GoalKind.DISTANCE: (1, 100_000_000),
    GoalKind.CALORIES: (1, 10_000_000),
    GoalKind.STREAK: (1, 3660),
}
RESETTING = frozenset({"target_value", "start_value", "starts_on", "due_on"})

Errors = list[dict[str, Any]]


@dataclass(frozen=True)
class GoalView:
    """A goal with its progress as of now (values in stored units)."""

    goal: Goal
    current: float | None
    progress: float
    current_streak: int | None

    def status(self, today: date) -> GoalStatus:
        if self.goal.achieved_at is not None:
            return "achieved"
        due = self.goal.due_on
        return "expired" if due is not None and due < today else "active"


def _error(field: str, message: str, kind: str) -> dict[str, str]:
    return {"field": field, "message": message, "type": kind}


def local_today(user: User) -> date:
    return datetime.now(user_zone(user)).date()


def _unit(user: User, kind: GoalKind, metric: str | None, unit: str | None) -> tuple[Scale, str]:
    """The goal's scale and the unit the client's values are in (default: the user's)."""
    scale = goal_scale(kind, metric)
    unit = unit or scale.shown(user.unit_system)
    problem = unit_error(scale, unit)
    if problem is not None:
        raise ValidationFailed("The goal is not valid.", errors=[problem])
    return scale, unit


def _check_values(
    kind: GoalKind,
    metric: str | None,
    unit: str,
    *,
    target: float,
    start: float | None,
    starts_on: date,
    due_on: date | None,
) -> None:
    """Check a target and start in stored units (errors speak ``unit``) and the goal's window."""
    scale = goal_scale(kind, metric)
    if kind == GoalKind.BODY_METRIC:
        spec = METRICS[MetricKind(metric or "")]
        low, high = spec.low, spec.high
    elif kind == GoalKind.NUTRITION:
        low, high = target_range(metric)
    else:
        low, high = TARGET_RANGES[kind]
    errors: Errors = []
    if kind in WHOLE_KINDS and not target.is_integer():
        errors.append(_error("target_value", "must be a whole number", "integer"))
    elif not low - EPSILON <= target <= high + EPSILON:
        errors.append(_error("target_value", range_message(scale, low, high, unit), "range"))
    if start is not None and not low - EPSILON <= start <= high + EPSILON:
        errors.append(_error("start_value", range_message(scale, low, high, unit), "range"))
    elif start is not None and abs(start - target) < EPSILON:
        errors.append(_error("target_value", "equals the start value", "no_change"))
    if due_on is not None and due_on < starts_on:
        errors.append(_error("due_on", "must not be before starts_on", "order"))
    if errors:
        raise ValidationFailed("The goal is not valid.", errors=errors)


def _check_shape(data: GoalIn) -> Errors:
    """Which of exercise_id, metric and start_value the kind needs or forbids."""
    needs_exercise = data.kind in LIFT_COLUMNS
    needs_metric = data.kind in (GoalKind.BODY_METRIC, GoalKind.NUTRITION)
    errors: Errors = shape_errors(data)
    if needs_exercise and data.exercise_id is None:
        errors.append(_error("exercise_id", f"is required for {data.kind.value} goals", "missing"))
    if not needs_exercise and data.exercise_id is not None:
        errors.append(_error("exercise_id", f"is not used by {data.kind.value} goals", "extra"))
    if needs_metric and data.metric is None:
        errors.append(_error("metric", f"is required for {data.kind.value} goals", "missing"))
    if not needs_metric and data.metric is not None:
        errors.append(_error("metric", f"is not used by {data.kind.value} goals", "extra"))
    if data.kind != GoalKind.BODY_METRIC and data.start_value is not None:
        errors.append(_error("start_value", "is only for body_metric goals", "extra"))
    return errors


async def _latest_reading(user_id: int, metric: str) -> float | None:
    row = (
        await BodyMetric.filter(user_id=user_id, kind=metric)
        .order_by("-measured_at", "-id")
        .first()
        .values("value")
    )
    return float(row["value"]) if row else None


async def create_goal(user: User, client: ClientInfo, data: GoalIn) -> GoalView:
    """Create a goal; ValidationFailed naming each bad field, Conflict past MAX_OPEN_GOALS."""
    errors = _check_shape(data)
    if errors:
        raise ValidationFailed("The goal is not valid.", errors=errors)
    metric = data.metric.value if data.metric is not None else None
    scale, unit = _unit(user, data.kind, metric, data.unit)
    target = scale.to_stored(data.target_value, unit)
    start = None if data.start_value is None else scale.to_stored(data.start_value, unit)
    if data.kind == GoalKind.BODY_METRIC and metric is not None and start is None:
        start = await _latest_reading(user.id, metric)
        if start is None:
            raise ValidationFailed(
                f"No {metric} measurement yet: log one or send start_value.",
                errors=[_error("start_value", f"no {metric} measurement to start from", "missing")],
            )
    starts_on = data.starts_on or local_today(user)
    due_on = data.due_on
    if data.window_days is not None:  # nutrition: the window's last day
        due_on = last_day(starts_on, data.window_days)
    _check_values(
        data.kind,
        metric,
        unit,
        target=target,
        start=start,
        starts_on=starts_on,
        due_on=due_on,
    )
    if data.exercise_id is not None:
        await visible_exercises(user.id, [data.exercise_id])
    if await Goal.filter(user_id=user.id, achieved_at=None).count() >= MAX_OPEN_GOALS:
        raise Conflict(
            f"You have {MAX_OPEN_GOALS} open goals; delete some first.", code="too_many_goals"
        )
    async with in_transaction() as conn:
        goal = await Goal.create(
            using_db=conn,
            user_id=user.id,
            kind=data.kind,
            title=data.title,
            exercise_id=data.exercise_id,
            metric=metric,
            target_value=target,
            start_value=start,
            comparison=data.comparison,
            window_days=data.window_days,
            starts_on=starts_on,
            due_on=due_on,
        )
        await audit.record(
            "goal.created",
            client,
            subject_id=user.id,
            target_type="goal",
            target_id=goal.id,
            details={"kind": data.kind.value},
        )
    return await evaluate(user, goal)


async def _owned(user: User, goal_id: int) -> Goal:
    goal = await Goal.get_or_none(id=goal_id, user_id=user.id) if goal_id <= MAX_ID else None
    if goal is None:
        raise NotFound("No such goal.")
    return goal


async def get_goal(user: User, goal_id: int) -> GoalView:
    """One of the user's goals with its progress; NotFound for anyone else's."""
    return await evaluate(user, await _owned(user, goal_id))


async def evaluate(user: User, goal: Goal) -> GoalView:
    """Compute progress from the logged data; the first time it reaches the target, record when
    (the moment of the data point that reached it) and emit ``goal.achieved``, exactly once."""
    window = Window.of(goal, user_zone(user))
    measured = await measure(goal, window, find=goal.achieved_at is None)
    if goal.achieved_at is None and measured.reached_at is not None:
        await _mark_achieved(goal, measured.reached_at)
    return GoalView(
        goal, measured.current, progress_ratio(goal, measured.current), measured.current_streak
    )


async def _mark_achieved(goal: Goal, reached_at: datetime) -> None:
    async with in_transaction() as conn:
        # Only the request that flips achieved_at from null emits; a concurrent one updates nothing.
        updated = (
            await Goal.filter(id=goal.id, achieved_at=None)
            .using_db(conn)
            .update(achieved_at=reached_at)
        )
        if updated:
            await emit(
                "goal.achieved",
                goal.user_id,
                {
                    "goal_id": goal.id,
                    "kind": goal.kind.value,
                    "title": goal.title,
                    "target_value": goal.target_value,
                    "unit": goal_scale(goal.kind, goal.metric).stored,
                    "achieved_at": reached_at.astimezone(UTC).isoformat(),
                },
                using_db=conn,
            )
    if updated:
        goal.achieved_at = reached_at
    else:
        await goal.refresh_from_db(fields=["achieved_at"])


async def list_goals(
    user: User,
    page: PageQuery,
    *,
    status: GoalStatus | None,
    kind: GoalKind | None,
    hidden: frozenset[GoalKind] = frozenset(),
) -> tuple[list[GoalView], str | None]:
    """The user's goals, newest first, without the ``hidden`` kinds (a trainer's view of a client
    who does not share what they measure). With a status filter every open goal is evaluated
    first, so a goal whose data reached its target lists as achieved."""
    fresh: dict[int, GoalView] = {}
    if status is not None:
        for goal in await Goal.filter(user_id=user.id, achieved_at=None):
            fresh[goal.id] = await evaluate(user, goal)
    query = Goal.filter(user_id=user.id)
    if hidden:
        query = query.exclude(kind__in=list(hidden))
    if kind is not None:
        query = query.filter(kind=kind)
    today = local_today(user)
    if status == "achieved":
        query = query.filter(achieved_at__isnull=False)
    elif status == "active":
        query = query.filter(Q(due_on=None) | Q(due_on__gte=today), achieved_at=None)
    elif status == "expired":
        query = query.filter(achieved_at=None, due_on__lt=today)
    shaped = await paginate(query, page, lambda goal: goal)
    views = [fresh.get(goal.id) or await evaluate(user, goal) for goal in shaped["items"]]
    return views, shaped["next_cursor"]


async def update_goal(
    user: User, client: ClientInfo, goal_id: int, changes: dict[str, Any]
) -> GoalView:
    """Change a goal; a new target, start or window means an achieved goal is judged again."""
    goal = await _owned(user, goal_id)
    if "start_value" in changes and goal.kind != GoalKind.BODY_METRIC:
        raise ValidationFailed(
            "Only body_metric goals have a start value.",
            errors=[_error("start_value", "is only for body_metric goals", "extra")],
        )
    if goal.kind == GoalKind.NUTRITION and "due_on" in changes:
        raise ValidationFailed(
            "A nutrition goal ends window_days after starts_on.",
            errors=[_error("due_on", "is starts_on + window_days - 1 for nutrition", "extra")],
        )
    scale, unit = _unit(user, goal.kind, goal.metric, changes.pop("unit", None))
    new = dict(changes)
    if goal.kind == GoalKind.NUTRITION and "starts_on" in new and goal.window_days:
        new["due_on"] = last_day(new["starts_on"], goal.window_days)
    for field in ("target_value", "start_value"):  # values not sent stay exactly as stored
        if field in new:
            new[field] = scale.to_stored(new[field], unit)
    _check_values(
        goal.kind,
        goal.metric,
        unit,
        target=new.get("target_value", goal.target_value),
        start=new.get("start_value", goal.start_value),
        starts_on=new.get("starts_on", goal.starts_on),
        due_on=new.get("due_on", goal.due_on),
    )
    changed = [field for field, value in new.items() if getattr(goal, field) != value]
    if not changed:
        return await evaluate(user, goal)
    was_achieved = goal.achieved_at is not None
    for field in changed:
        setattr(goal, field, new[field])
    if was_achieved and RESETTING.intersection(changed):
        # Judged again under the new terms. Still met: it stays achieved (maybe at another moment),
        # without a second goal.achieved; not met: it reopens, and reaching it later emits again.
        measured = await measure(goal, Window.of(goal, user_zone(user)), find=True)
        goal.achieved_at = measured.reached_at
        changed.append("achieved_at")
    async with in_transaction() as conn:
        await goal.save(using_db=conn, update_fields=changed)
        await audit.record(
            "goal.updated",
            client,
            subject_id=user.id,
            target_type="goal",
            target_id=goal.id,
            details={"fields": sorted(set(changed) - {"achieved_at"})},
        )
    return await evaluate(user, goal)


async def delete_goal(user: User, client: ClientInfo, goal_id: int) -> None:
    """Delete one of the user's goals; NotFound for anyone else's."""
    async with in_transaction() as conn:
        deleted = (
            await Goal.filter(id=goal_id, user_id=user.id).using_db(conn).delete()
            if goal_id <= MAX_ID
            else 0
        )
        if not deleted:
            raise NotFound("No such goal.")
        await audit.record(
            "goal.deleted", client, subject_id=user.id, target_type="goal", target_id=goal_id
        )


def goal_out(view: GoalView, user: User) -> GoalOut:
    """A goal in the user's units."""
    goal = view.goal
    scale = goal_scale(goal.kind, goal.metric)
    unit = scale.shown(user.unit_system)

    def shown(value: float | None) -> float | None:
        return None if value is None else scale.to_shown(value, unit)

    direction = None
    if goal.kind == GoalKind.BODY_METRIC and goal.start_value is not None:
        direction = "losing" if goal.start_value > goal.target_value else "gaining"
    return GoalOut(
        id=goal.id,
        kind=goal.kind,
        title=goal.title,
        exercise_id=goal.exercise_id,
        metric=goal_metric(goal),
        comparison=goal.comparison if goal.comparison in ("at_least", "at_most") else None,
        window_days=goal.window_days,
        unit=unit,
        target_value=scale.to_shown(goal.target_value, unit),
        start_value=shown(goal.start_value),
        current_value=shown(view.current),
        progress=view.progress,
        achieved=goal.achieved_at is not None,
        achieved_at=goal.achieved_at,
        status=view.status(local_today(user)),
        direction=direction,
        current_streak=view.current_streak,
        starts_on=goal.starts_on,
        due_on=goal.due_on,
        created_at=goal.created_at,
    )
