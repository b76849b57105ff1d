"""Training analytics computed by the database: progress per exercise, volume by muscle group,
workout frequency and streaks. Buckets (day, week from Monday, month) are in the user's time zone
at its current UTC offset."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fithub.core.accounts.models import User
from fithub.core.sql import Params, bucket_expr, connection

WORKING_SET = "s.completed = TRUE AND s.is_warmup = FALSE"


def utc_offset_minutes(user: User) -> int:
    offset = datetime.now(ZoneInfo(user.timezone)).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    end = (end or datetime.now(UTC)).astimezone(UTC)
    start = (start or end - timedelta(days=365)).astimezone(UTC)
    return start, end


async def exercise_progress(
    user: User, exercise_id: int, bucket: str, start: datetime | None, end: datetime | None
) -> list[dict[str, Any]]:
    """Per bucket: heaviest weight, best e1RM (Epley and Brzycki), volume, sets, reps, best set."""
    conn = connection()
    p = Params(conn)
    since, until = _window(start, end)
    period = bucket_expr("s.performed_at", bucket, utc_offset_minutes(user), conn)
    sql = f"""
        WITH s AS (
            SELECT {period} AS period, s.weight_kg, s.reps, s.e1rm_kg, s.volume_kg,
                   ROW_NUMBER() OVER (PARTITION BY {period}
                                      ORDER BY COALESCE(s.e1rm_kg, 0) DESC, s.weight_kg DESC, s.id) AS rank
              FROM workout_sets s
             WHERE s.user_id = {p(user.id)} AND s.exercise_id = {p(exercise_id)} AND {WORKING_SET}
               AND s.performed_at >= {p(since)} AND s.performed_at < {p(until)}
        )
        SELECT period, MAX(weight_kg) AS best_weight_kg, MAX(e1rm_kg) AS best_e1rm_epley_kg,
               MAX(CASE WHEN reps BETWEEN 1 AND 12 AND weight_kg > 0
                        THEN weight_kg * 36.0 / (37 - reps) END) AS best_e1rm_brzycki_kg,
               SUM(volume_kg) AS volume_kg, COUNT(*) AS sets, SUM(reps) AS reps,
               MAX(CASE WHEN rank = 1 THEN weight_kg END) AS best_set_weight_kg,
               MAX(CASE WHEN rank = 1 THEN reps END) AS best_set_reps
          FROM s GROUP BY period ORDER BY period
    """
    rows = await conn.execute_query_dict(sql, p.values)
    return [{**row, "period": _as_date(row["period"])} for row in rows]


async def volume_by_muscle(
    user: User, bucket: str, start: datetime | None, end: datetime | None
) -> list[dict[str, Any]]:
    """Per bucket and primary muscle group: volume (kg), sets and reps."""
    conn = connection()
    p = Params(conn)
    since, until = _window(start, end)
    period = bucket_expr("s.performed_at", bucket, utc_offset_minutes(user), conn)
    sql = f"""
        SELECT {period} AS period, m.muscle AS muscle, SUM(s.volume_kg) AS volume_kg,
               COUNT(*) AS sets, SUM(s.reps) AS reps
          FROM workout_sets s JOIN exercise_muscles m ON m.exercise_id = s.exercise_id AND m.is_primary = TRUE
         WHERE s.user_id = {p(user.id)} AND {WORKING_SET}
           AND s.performed_at >= {p(since)} AND s.performed_at < {p(until)}
         GROUP BY 1, 2 ORDER BY 1, 2
    """
    rows = await conn.execute_query_dict(sql, p.values)
    return [{**row, "period": _as_date(row["period"])} for row in rows]


async def frequency(
    user: User, bucket: str, start: datetime | None, end: datetime | None
) -> list[dict[str, Any]]:
    """Completed workouts per bucket, with their total duration and calories."""
    conn = connection()
    p = Params(conn)
    since, until = _window(start, end)
    period = bucket_expr("w.completed_at", bucket, utc_offset_minutes(user), conn)
    sql = f"""
        SELECT {period} AS period, COUNT(*) AS workouts, SUM(w.duration_s) AS duration_s,
               SUM(w.calories) AS calories
          FROM workouts w
         WHERE w.user_id = {p(user.id)} AND w.status = 'completed'
           AND w.completed_at >= {p(since)} AND w.completed_at < {p(until)}
         GROUP BY 1 ORDER BY 1
    """
    rows = await conn.execute_query_dict(sql, p.values)
    return [{**row, "period": _as_date(row["period"])} for row in rows]


def _runs(days: list[date], step: timedelta) -> list[tuple[date, date, int]]:
    runs: list[tuple[date, date, int]] = []
    for day in days:
        if runs and day - runs[-1][1] == step:
            first, _, length = runs[-1]
            runs[-1] = (first, day, length + 1)
        else:
            runs.append((day, day, 1))
    return runs


async def streaks(user: User) -> dict[str, Any]:
    """Current and longest runs of consecutive training days and weeks (local dates)."""
    conn = connection()
    p = Params(conn)
    offset = utc_offset_minutes(user)
    day = bucket_expr("w.completed_at", "day", offset, conn)
    sql = f"""SELECT DISTINCT {day} AS day FROM workouts w
               WHERE w.user_id = {p(user.id)} AND w.status = 'completed' AND w.completed_at IS NOT NULL
               ORDER BY 1"""
    days = [_as_date(row["day"]) for row in await conn.execute_query_dict(sql, p.values)]
    today = (datetime.now(UTC) + timedelta(minutes=offset)).date()
    day_runs = _runs(days, timedelta(days=1))
    weeks = sorted({d - timedelta(days=d.weekday()) for d in days})
    week_runs = _runs(weeks, timedelta(weeks=1))
    this_week = today - timedelta(days=today.weekday())

    def current(runs: list[tuple[date, date, int]], latest_ok: set[date]) -> int:
        return runs[-1][2] if runs and runs[-1][1] in latest_ok else 0

    return {
        "current_days": current(day_runs, {today, today - timedelta(days=1)}),
        "longest_days": max((r[2] for r in day_runs), default=0),
        "current_weeks": current(week_runs, {this_week, this_week - timedelta(weeks=1)}),
        "longest_weeks": max((r[2] for r in week_runs), default=0),
        "training_days": len(days),
        "last_workout_day": days[-1] if days else None,
    }
