"""Goal progress from logged data, computed by the database at read time.

Lifts count working sets (completed, not warm-up), as personal records do; distance, calories and
streaks count completed workouts by when they were completed. A goal's window runs from the start
of ``starts_on`` to the end of ``due_on`` in the user's time zone (open-ended without ``due_on``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from tortoise.expressions import Subquery
from tortoise.functions import Max, Sum
from tortoise.queryset import QuerySet

from fithub.core.body.models import BodyMetric, MetricKind
from fithub.core.body.quantities import DISTANCE, MASS, METRICS, Scale, fixed
from fithub.core.progress.goals_nutrition import measure_nutrition, nutrient_scale
from fithub.core.progress.goals_nutrition import ratio as nutrition_ratio
from fithub.core.progress.models import Goal, GoalKind
from fithub.core.sql import Params, bucket_expr, connection
from fithub.core.workouts.models import Workout, WorkoutSet, WorkoutStatus

EPSILON = 1e-6  # targets converted from lb or mi must still match the same value logged in lb
LIFT_COLUMNS = {GoalKind.WEIGHT: "weight_kg", GoalKind.REPS: "reps", GoalKind.ONE_RM: "e1rm_kg"}
SCALES: dict[GoalKind, Scale] = {
    GoalKind.WEIGHT: MASS,
    GoalKind.ONE_RM: MASS,
    GoalKind.REPS: fixed("reps"),
    GoalKind.DISTANCE: DISTANCE,
    GoalKind.CALORIES: fixed("kcal"),
    GoalKind.STREAK: fixed("days"),
}


def goal_scale(kind: GoalKind, metric: str | None) -> Scale:
    """The units a goal's values are stored and shown in."""
    if kind == GoalKind.BODY_METRIC:
        return METRICS[MetricKind(metric or "")].scale
    if kind == GoalKind.NUTRITION:
        return nutrient_scale(metric)
    return SCALES[kind]


@dataclass(frozen=True)
class Window:
    """When a goal's data counts, [start, end) in UTC, and the user's current UTC offset (days)."""

    start: datetime
    end: datetime | None
    offset_minutes: int
    zone: tzinfo

    @classmethod
    def of(cls, goal: Goal, zone: tzinfo) -> Window:
        start = datetime.combine(goal.starts_on, time.min, zone).astimezone(UTC)
        end = None
        if goal.due_on is not None:
            end = datetime.combine(goal.due_on + timedelta(days=1), time.min, zone)
        offset = datetime.now(zone).utcoffset() or timedelta(0)
        end_utc = end.astimezone(UTC) if end else None
        return cls(start, end_utc, int(offset.total_seconds() // 60), zone)

    def local_today(self) -> date:
        return (datetime.now(UTC) + timedelta(minutes=self.offset_minutes)).date()


@dataclass(frozen=True)
class Measure:
    """The goal's current value (stored units) and, when asked, when the data first reached it."""

    current: float | None
    reached_at: datetime | None = None
    current_streak: int | None = None


def progress_ratio(goal: Goal, current: float | None) -> float:
    """0..1: the share of the way from the start (0, or start_value for body metrics) to target."""
    if current is None:
        return 0.0
    if goal.kind == GoalKind.NUTRITION:
        ratio = nutrition_ratio(goal, current)
    elif goal.kind == GoalKind.BODY_METRIC:
        start = goal.start_value if goal.start_value is not None else current
        span = start - goal.target_value
        ratio = (start - current) / span if span else 1.0
    else:
        ratio = current / goal.target_value
    return round(min(1.0, max(0.0, ratio)), 4)


def _between(query: QuerySet[Any], column: str, window: Window) -> QuerySet[Any]:
    query = query.filter(**{f"{column}__gte": window.start})
    return query.filter(**{f"{column}__lt": window.end}) if window.end is not None else query


def _completed_workouts(goal: Goal, window: Window) -> QuerySet[Workout]:
    query = Workout.filter(user_id=goal.user_id, status=WorkoutStatus.COMPLETED)
    return _between(query, "completed_at", window)


async def _lift(goal: Goal, window: Window, find: bool) -> Measure:
    column = LIFT_COLUMNS[goal.kind]
    sets = WorkoutSet.filter(
        user_id=goal.user_id, exercise_id=goal.exercise_id, completed=True, is_warmup=False
    )
    sets = _between(sets, "performed_at", window)
    if goal.kind == GoalKind.WEIGHT:
        sets = sets.filter(reps__gte=1)
    row = await sets.annotate(best=Max(column)).first().values("best")
    best = None if not row or row["best"] is None else float(row["best"])
    reached = None
    if find and best is not None and best >= goal.target_value - EPSILON:
        hit = (
            await sets.filter(**{f"{column}__gte": goal.target_value - EPSILON})
            .order_by("performed_at", "id")
            .first()
            .values("performed_at")
        )
        reached = hit["performed_at"] if hit else None
    return Measure(best, reached)


async def _first_running_total(goal: Goal, window: Window, amounts: str) -> datetime | None:
    """When the running total over completed workouts first reached the target.

    ``amounts`` is a SQL fragment yielding (workout id, completed_at, amount) rows in ``w``.
    """
    conn = connection()
    p = Params(conn)
    user = p(goal.user_id)
    until = f"AND w.completed_at < {p(window.end)}" if window.end is not None else ""
    sql = f"""
        SELECT moment FROM (
            SELECT w.completed_at AS moment,
                   SUM(w.amount) OVER (ORDER BY w.completed_at, w.id
                                       ROWS UNBOUNDED PRECEDING) AS running
            FROM ({amounts.format(user=user)}) AS w
            WHERE w.completed_at >= {p(window.start)} {until}
        ) AS totals
        WHERE running >= {p(goal.target_value - EPSILON)}
        ORDER BY moment
        LIMIT 1
    """
    rows = await conn.execute_query_dict(sql, p.values)
    return _as_datetime(rows[0]["moment"]) if rows else None


CALORIES_SQL = """
    SELECT id, completed_at, calories AS amount FROM workouts
    WHERE user_id = {user} AND status = 'completed' AND calories IS NOT NULL
"""
DISTANCE_SQL = """
    SELECT wk.id, wk.completed_at, d.metres AS amount
    FROM workouts wk
    JOIN (SELECT workout_id, SUM(distance_m) AS metres FROM workout_sets
          WHERE user_id = {user} AND completed = TRUE AND distance_m IS NOT NULL
          GROUP BY workout_id) AS d ON d.workout_id = wk.id
    WHERE wk.user_id = {user} AND wk.status = 'completed'
"""


async def _total(goal: Goal, window: Window, find: bool) -> Measure:
    workouts = _completed_workouts(goal, window)
    if goal.kind == GoalKind.CALORIES:
        row = await workouts.annotate(total=Sum("calories")).first().values("total")
        amounts = CALORIES_SQL
    else:
        sets = WorkoutSet.filter(
            user_id=goal.user_id, completed=True, workout_id__in=Subquery(workouts.values("id"))
        )
        row = await sets.annotate(total=Sum("distance_m")).first().values("total")
        amounts = DISTANCE_SQL
    total = float(row["total"] or 0) if row else 0.0
    reached = None
    if find and total >= goal.target_value - EPSILON:
        reached = await _first_running_total(goal, window, amounts)
    return Measure(total, reached)


def _longest_run(days: list[date], target: int) -> tuple[int, date | None]:
    """The longest run of consecutive days, and the day a run first reached ``target`` days."""
    longest, length, reached = 0, 0, None
    previous: date | None = None
    for day in days:
        length = length + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, length)
        if reached is None and length >= target:
            reached = day
        previous = day
    return longest, reached


def _trailing_run(days: list[date]) -> int:
    """The length of the run of consecutive days that ends on the last day."""
    length = 0
    for index in range(len(days) - 1, -1, -1):
        length += 1
        if index == 0 or days[index] - days[index - 1] != timedelta(days=1):
            break
    return length


async def _streak(goal: Goal, window: Window, find: bool) -> Measure:
    conn = connection()
    p = Params(conn)
    day = bucket_expr("completed_at", "day", window.offset_minutes, conn)
    until = f"AND completed_at < {p(window.end)}" if window.end is not None else ""
    sql = f"""
        SELECT DISTINCT {day} AS day FROM workouts
        WHERE user_id = {p(goal.user_id)} AND status = 'completed'
          AND completed_at >= {p(window.start)} {until}
        ORDER BY 1
    """
    days = [_as_date(row["day"]) for row in await conn.execute_query_dict(sql, p.values)]
    longest, reached_day = _longest_run(days, round(goal.target_value))
    alive = bool(days) and window.local_today() - days[-1] <= timedelta(days=1)
    current = _trailing_run(days) if alive else 0
    reached = None
    if find and reached_day is not None:
        local = timezone(timedelta(minutes=window.offset_minutes))
        day_start = datetime.combine(reached_day, time.min, local).astimezone(UTC)
        first = (
            await _completed_workouts(goal, window)
            .filter(completed_at__gte=day_start, completed_at__lt=day_start + timedelta(days=1))
            .order_by("completed_at")
            .first()
            .values("completed_at")
        )
        reached = first["completed_at"] if first else day_start
    return Measure(float(longest), reached, current)


async def _body_metric(goal: Goal, window: Window, find: bool) -> Measure:
    readings = _between(
        BodyMetric.filter(user_id=goal.user_id, kind=goal.metric), "measured_at", window
    )
    latest = await readings.order_by("-measured_at", "-id").first().values("value")
    current = float(latest["value"]) if latest else None
    reached = None
    if find and current is not None:
        losing = (goal.start_value or 0.0) > goal.target_value
        hits = (
            readings.filter(value__lte=goal.target_value + EPSILON)
            if losing
            else readings.filter(value__gte=goal.target_value - EPSILON)
        )
        hit = await hits.order_by("measured_at", "id").first().values("measured_at")
        reached = hit["measured_at"] if hit else None
    return Measure(current, reached)


async def measure(goal: Goal, window: Window, *, find: bool) -> Measure:
    """The goal's current value; with ``find``, also when the data first reached the target."""
    if goal.kind in LIFT_COLUMNS:
        return await _lift(goal, window, find)
    if goal.kind in (GoalKind.DISTANCE, GoalKind.CALORIES):
        return await _total(goal, window, find)
    if goal.kind == GoalKind.STREAK:
        return await _streak(goal, window, find)
    if goal.kind == GoalKind.NUTRITION:
        current, reached = await measure_nutrition(goal, window.local_today(), window.zone)
        return Measure(current, reached if find else None)
    return await _body_metric(goal, window, find)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _as_datetime(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
