"""The alert rules a person keeps, and their live streams, as the REST API reads and writes them.

Ranges are checked by the request schemas; this module checks what depends on the condition
(``above_zone`` needs ``zone``, ``below_rate``/``above_rate`` need ``bpm``, ``signal_lost``
neither), the per-user limit of :data:`MAX_RULES`, and ownership (another user's rule is a 404).
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.errors import Conflict, NotFound, ValidationFailed
from fithub.core.pagination import PageQuery, paginate_rows
from fithub.core.telemetry.models import (
    AlertCondition,
    StreamStatus,
    TelemetryAlertRule,
    TelemetryStream,
)

MAX_RULES = 20
#: Which of ``zone`` and ``bpm`` each condition uses.
NEEDS: dict[AlertCondition, tuple[str, ...]] = {
    AlertCondition.ABOVE_ZONE: ("zone",),
    AlertCondition.BELOW_RATE: ("bpm",),
    AlertCondition.ABOVE_RATE: ("bpm",),
    AlertCondition.SIGNAL_LOST: (),
}
RULE_FIELDS = ("name", "condition", "zone", "bpm", "duration_s", "quiet_s", "enabled")


def _settle(values: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the thresholds its condition does not use dropped; 422 for a missing one,
    or one ``sent`` non-null that the condition does not use."""
    condition = AlertCondition(values["condition"])
    needed = NEEDS[condition]
    errors = []
    for field in ("zone", "bpm"):
        if field in needed and values.get(field) is None:
            errors.append({"field": field, "message": f"required for {condition.value}"})
        elif field not in needed:
            if sent.get(field) is not None:
                errors.append({"field": field, "message": f"not used by {condition.value}"})
            values[field] = None
    if errors:
        raise ValidationFailed("The alert rule does not fit its condition.", errors=errors)
    return values


RULE_COLUMNS = ("id", "name", "condition", "zone", "bpm", "duration_s", "quiet_s", "enabled",
                "last_fired_at", "created_at", "updated_at")  # fmt: skip
STREAM_COLUMNS = ("id", "device_id", "device_name", "sport", "status", "last_seq", "batches",
                  "batches_rejected", "samples", "first_sample_at", "last_sample_at", "started_at",
                  "last_batch_at", "ended_at", "summary")  # fmt: skip


def rule_out(rule: TelemetryAlertRule) -> dict[str, Any]:
    """The API's view of one rule."""
    return {
        "id": rule.id,
        "name": rule.name,
        "condition": rule.condition,
        "zone": rule.zone,
        "bpm": rule.bpm,
        "duration_s": rule.duration_s,
        "quiet_s": rule.quiet_s,
        "enabled": rule.enabled,
        "last_fired_at": rule.last_fired_at,
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
    }


async def create_rule(user: User, data: dict[str, Any]) -> TelemetryAlertRule:
    """Store a new rule; 422 when it does not fit its condition, 409 past :data:`MAX_RULES`."""
    values = _settle({k: data[k] for k in RULE_FIELDS if k in data}, data)
    async with in_transaction() as conn:
        # lock the person's row so two creations at once cannot both pass the count
        await User.filter(id=user.id).select_for_update().using_db(conn).first()
        if await TelemetryAlertRule.filter(user_id=user.id).using_db(conn).count() >= MAX_RULES:
            raise Conflict(
                f"You have {MAX_RULES} alert rules already; delete one first.",
                code="too_many_alert_rules",
            )
        return await TelemetryAlertRule.create(user_id=user.id, using_db=conn, **values)


async def get_rule(user: User, rule_id: int) -> TelemetryAlertRule:
    """One of the person's rules; 404 when it is not theirs (or not there)."""
    rule = await TelemetryAlertRule.get_or_none(id=rule_id, user_id=user.id)
    if rule is None:
        raise NotFound("No such alert rule.", code="alert_rule_not_found")
    return rule


async def list_rules(user: User, page: PageQuery) -> dict[str, Any]:
    """The person's rules, newest first, one page."""
    return await paginate_rows(TelemetryAlertRule.filter(user_id=user.id), page, RULE_COLUMNS)


async def update_rule(user: User, rule_id: int, changes: dict[str, Any]) -> TelemetryAlertRule:
    """Change the fields sent; the result must still fit its condition (422 otherwise)."""
    rule = await get_rule(user, rule_id)
    current = {field: getattr(rule, field) for field in RULE_FIELDS}
    for field in ("name", "condition", "duration_s", "quiet_s", "enabled"):
        if field in changes and changes[field] is None:
            raise ValidationFailed(
                f"{field} cannot be null.", errors=[{"field": field, "message": "may not be null"}]
            )
    values = _settle({**current, **changes}, changes)
    for field, value in values.items():
        setattr(rule, field, value)
    # Only what changed: a firing meanwhile moved last_fired_at, which must stay as it is.
    await rule.save(update_fields=[*values, "updated_at"])
    return rule


async def delete_rule(user: User, rule_id: int) -> None:
    """Delete one of the person's rules (404 when it is not theirs)."""
    rule = await get_rule(user, rule_id)
    await rule.delete()


def stream_out(stream: TelemetryStream) -> dict[str, Any]:
    """The API's view of one live stream."""
    return {
        "id": stream.id,
        "device_id": stream.device_id,
        "device_name": stream.device_name,
        "sport": stream.sport,
        "status": stream.status,
        "last_seq": stream.last_seq,
        "batches": stream.batches,
        "batches_rejected": stream.batches_rejected,
        "samples": stream.samples,
        "first_sample_at": stream.first_sample_at,
        "last_sample_at": stream.last_sample_at,
        "started_at": stream.started_at,
        "last_batch_at": stream.last_batch_at,
        "ended_at": stream.ended_at,
        "summary": dict(stream.summary or {}),
    }


async def list_streams(user: User, page: PageQuery, status: StreamStatus | None) -> dict[str, Any]:
    """The person's live streams, newest first, optionally only those in ``status``."""
    query = TelemetryStream.filter(user_id=user.id)
    if status is not None:
        query = query.filter(status=status)
    return await paginate_rows(query, page, STREAM_COLUMNS, _stream_row)


def _stream_row(row: dict[str, Any]) -> dict[str, Any]:
    row["summary"] = dict(row["summary"] or {})
    return row


async def get_stream(user: User, stream_id: int) -> TelemetryStream:
    """One of the person's streams; 404 when it is not theirs."""
    stream = await TelemetryStream.get_or_none(id=stream_id, user_id=user.id)
    if stream is None:
        raise NotFound("No such telemetry stream.", code="stream_not_found")
    return stream
