"""Body-metric rules: plausibility, units, all-or-nothing batches, keyset listing, deletion."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.audit import services as audit
from fithub.core.body.models import BodyMetric, MetricKind
from fithub.core.body.quantities import METRICS, range_message, unit_error
from fithub.core.body.schemas import MetricIn, MetricOut
from fithub.core.context import ClientInfo
from fithub.core.errors import NotFound, ValidationFailed

FUTURE_TOLERANCE = timedelta(minutes=1)
MAX_ID = 2**63 - 1

Errors = list[dict[str, Any]]


def user_zone(user: User) -> ZoneInfo:
    """The user's time zone (UTC if the profile holds an unknown one)."""
    try:
        return ZoneInfo(user.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class Span:
    """A half-open time window [start, end); either side may be open."""

    start: datetime | None = None
    end: datetime | None = None


def utc_offset_minutes(user: User) -> int:
    """The user's current UTC offset: day buckets are local days at this offset."""
    offset = datetime.now(user_zone(user)).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)


def resolve_span(user: User, start: date | datetime | None, end: date | datetime | None) -> Span:
    """Turn ``from``/``to`` (inclusive; naive times and whole days in the user's zone) into a Span.

    ValidationFailed when ``from`` is after ``to``.
    """
    zone = user_zone(user)

    def moment(bound: date | datetime, *, after: bool) -> datetime:
        if isinstance(bound, datetime):
            aware = bound if bound.tzinfo else bound.replace(tzinfo=zone)
            aware = aware + timedelta(microseconds=1) if after else aware
        else:
            aware = datetime.combine(bound + timedelta(days=1) if after else bound, time.min, zone)
        return aware.astimezone(UTC)  # SQLite compares stored UTC text

    span = Span(
        None if start is None else moment(start, after=False),
        None if end is None else moment(end, after=True),
    )
    if span.start is not None and span.end is not None and span.start >= span.end:
        raise ValidationFailed(
            "'from' is after 'to'.",
            errors=[{"field": "from", "message": "must not be after 'to'", "type": "range"}],
        )
    return span


def _error(field: str, message: str, kind: str) -> dict[str, str]:
    return {"field": field, "message": message, "type": kind}


def normalise(user: User, item: MetricIn, now: datetime) -> tuple[dict[str, Any], Errors]:
    """Check one measurement and convert it to stored units; the row's fields, or per-field errors."""
    spec = METRICS[item.kind]
    unit = item.unit or spec.scale.shown(user.unit_system)
    problem = unit_error(spec.scale, unit)
    if problem is not None:
        return {}, [problem]
    errors: Errors = []
    value = spec.scale.to_stored(item.value, unit)
    if not spec.low <= value <= spec.high:
        errors.append(
            _error("value", range_message(spec.scale, spec.low, spec.high, unit), "range")
        )
    value2: float | None = None
    if spec.has_value2:
        low2, high2 = spec.low2 or 0.0, spec.high2 or 0.0
        if item.value2 is None:
            errors.append(_error("value2", f"is required for {item.kind.value}", "missing"))
        else:
            value2 = spec.scale.to_stored(item.value2, unit)
            if not low2 <= value2 <= high2:
                errors.append(
                    _error("value2", range_message(spec.scale, low2, high2, unit), "range")
                )
            elif value <= value2:
                errors.append(_error("value2", "diastolic must be below systolic", "order"))
    elif item.value2 is not None:
        errors.append(_error("value2", "is only for blood_pressure", "not_allowed"))
    measured_at = item.measured_at or now
    if measured_at.tzinfo is None:
        measured_at = measured_at.replace(tzinfo=user_zone(user))
    if measured_at > now + FUTURE_TOLERANCE:
        errors.append(_error("measured_at", "is in the future", "future"))
    fields = {
        "user_id": user.id,
        "kind": item.kind,
        "value": value,
        "value2": value2,
        "measured_at": measured_at.astimezone(UTC),
        "note": item.note.strip(),
    }
    return fields, errors


def metric_out(metric: BodyMetric, user: User) -> MetricOut:
    """A measurement in the user's units, the unit named."""
    scale = METRICS[metric.kind].scale
    unit = scale.shown(user.unit_system)
    return MetricOut(
        id=metric.id,
        kind=metric.kind,
        value=scale.to_shown(metric.value, unit),
        value2=None if metric.value2 is None else scale.to_shown(metric.value2, unit),
        unit=unit,
        measured_at=metric.measured_at,
        note=metric.note,
        source=metric.source,
        created_at=metric.created_at,
    )


async def record_metric(user: User, client: ClientInfo, item: MetricIn) -> BodyMetric:
    """Store one measurement; ValidationFailed with per-field errors when it is implausible."""
    fields, errors = normalise(user, item, datetime.now(UTC))
    if errors:
        raise ValidationFailed("The measurement is not plausible.", errors=errors)
    async with in_transaction():
        metric = await BodyMetric.create(**fields)
        await audit.record(
            "body_metric.created",
            client,
            subject_id=user.id,
            target_type="body_metric",
            target_id=metric.id,
            details={"kind": item.kind.value},
        )
    return metric


async def record_batch(user: User, client: ClientInfo, items: Sequence[MetricIn]) -> int:
    """Store every measurement or none: one bad item fails the batch, naming ``items.<i>.<field>``."""
    now = datetime.now(UTC)
    rows: list[BodyMetric] = []
    errors: Errors = []
    for index, item in enumerate(items):
        fields, item_errors = normalise(user, item, now)
        errors.extend({**e, "field": f"items.{index}.{e['field']}"} for e in item_errors)
        if not item_errors:
            rows.append(BodyMetric(**fields))
    if errors:
        raise ValidationFailed(
            "Some measurements are not plausible; none was stored.", errors=errors
        )
    async with in_transaction():
        await BodyMetric.bulk_create(rows)
        await audit.record(
            "body_metric.batch_created",
            client,
            subject_id=user.id,
            target_type="body_metric",
            details={"count": len(rows), "kinds": sorted({row.kind.value for row in rows})},
        )
    return len(rows)


def _encode_cursor(metric: BodyMetric) -> str:
    raw = f"{metric.measured_at.astimezone(UTC).isoformat()}|{metric.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
        moment, _, ident = raw.partition("|")
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            "The cursor is not valid.",
            errors=[{"field": "cursor", "message": "not a cursor from this API", "type": "cursor"}],
        ) from exc


async def list_metrics(
    user: User,
    *,
    kind: MetricKind | None,
    span: Span,
    limit: int,
    cursor: str | None,
) -> tuple[list[BodyMetric], str | None]:
    """The user's measurements, newest first, one keyset page on (measured_at, id)."""
    query = BodyMetric.filter(user_id=user.id)
    if kind is not None:
        query = query.filter(kind=kind)
    if span.start is not None:
        query = query.filter(measured_at__gte=span.start)
    if span.end is not None:
        query = query.filter(measured_at__lt=span.end)
    if cursor:
        moment, ident = _decode_cursor(cursor)
        query = query.filter(Q(measured_at__lt=moment) | Q(measured_at=moment, id__lt=ident))
    rows = list(await query.order_by("-measured_at", "-id").limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, _encode_cursor(rows[-1]) if more and rows else None


async def delete_metric(user: User, client: ClientInfo, metric_id: int) -> None:
    """Delete one of the user's measurements; NotFound for anyone else's."""
    if metric_id > MAX_ID:
        raise NotFound("No such measurement.")
    async with in_transaction():
        deleted = await BodyMetric.filter(id=metric_id, user_id=user.id).delete()
        if not deleted:
            raise NotFound("No such measurement.")
        await audit.record(
            "body_metric.deleted",
            client,
            subject_id=user.id,
            target_type="body_metric",
            target_id=metric_id,
        )
