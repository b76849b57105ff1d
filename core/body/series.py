"""Body-metric series: avg/min/max/count/last per day, week or month, aggregated by the database.

Buckets (day, week from Monday, month) are in the user's time zone at its current UTC offset, as
in the training analytics.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from fithub.core.accounts.models import User
from fithub.core.body.models import MetricKind
from fithub.core.body.quantities import METRICS, Scale
from fithub.core.body.schemas import SeriesOut, SeriesPoint
from fithub.core.body.services import Span, utc_offset_minutes
from fithub.core.sql import Params, bucket_expr, connection

Bucket = Literal["day", "week", "month"]


def as_date(value: Any) -> date:
    """A bucket column as a date (PostgreSQL gives dates, SQLite ISO text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _series_sql(user: User, kind: MetricKind, bucket: Bucket, span: Span) -> tuple[str, Params]:
    conn = connection()
    p = Params(conn)
    where = [f"user_id = {p(user.id)}", f"kind = {p(kind.value)}"]
    if span.start is not None:
        where.append(f"measured_at >= {p(span.start.astimezone(UTC))}")
    if span.end is not None:
        where.append(f"measured_at < {p(span.end.astimezone(UTC))}")
    period = bucket_expr("measured_at", bucket, utc_offset_minutes(user), conn)
    # rn = 1 marks the latest measurement of each bucket, which gives "last".
    sql = f"""
        SELECT bucket, COUNT(*) AS n,
               AVG(value) AS avg, MIN(value) AS min, MAX(value) AS max,
               MAX(CASE WHEN rn = 1 THEN value END) AS last,
               AVG(value2) AS avg2, MIN(value2) AS min2, MAX(value2) AS max2,
               MAX(CASE WHEN rn = 1 THEN value2 END) AS last2
        FROM (
            SELECT bucket, value, value2,
                   ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY measured_at DESC, id DESC) AS rn
            FROM (
                SELECT {period} AS bucket,
                       value, value2, measured_at, id
                FROM body_metrics
                WHERE {" AND ".join(where)}
            ) AS scoped
        ) AS ranked
        GROUP BY bucket
        ORDER BY bucket
    """
    return sql, p


def _shown(scale: Scale, unit: str, value: Any) -> float | None:
    return None if value is None else scale.to_shown(float(value), unit)


async def metric_series(user: User, kind: MetricKind, bucket: Bucket, span: Span) -> SeriesOut:
    """One point per bucket that has measurements, oldest first, in the user's units.

    Buckets are local days, weeks starting Monday and calendar months.
    """
    spec = METRICS[kind]
    unit = spec.scale.shown(user.unit_system)
    sql, params = _series_sql(user, kind, bucket, span)
    points = []
    for row in await connection().execute_query_dict(sql, params.values):
        second = {
            "avg2": _shown(spec.scale, unit, row["avg2"]),
            "min2": _shown(spec.scale, unit, row["min2"]),
            "max2": _shown(spec.scale, unit, row["max2"]),
            "last2": _shown(spec.scale, unit, row["last2"]),
        }
        points.append(
            SeriesPoint(
                start=as_date(row["bucket"]),
                count=int(row["n"]),
                avg=spec.scale.to_shown(float(row["avg"]), unit),
                min=spec.scale.to_shown(float(row["min"]), unit),
                max=spec.scale.to_shown(float(row["max"]), unit),
                last=spec.scale.to_shown(float(row["last"]), unit),
                **(second if spec.has_value2 else {}),
            )
        )
    return SeriesOut(kind=kind, unit=unit, bucket=bucket, points=points)
