"""From a domain event to the people it concerns: which kind of notification, for whom, saying what.

Each handler returns :class:`~fithub.core.notifications.inbox.Cause` values per user id; the
consumer stores them in its batch's transaction. The dedup key ``event:<id>[:<user>]`` makes a
re-read event harmless.

"A PR is within reach" (``record.within_reach``): after a completed workout, for each exercise
whose best estimated one-rep max (Epley, as the records use) in that workout reaches at least
:data:`WITHIN_REACH` of the person's standing e1RM record without beating it, the person hears
that the record is within reach - at most once per exercise per week.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from fithub.core.accounts.models import User
from fithub.core.events.models import DomainEvent
from fithub.core.exercises.models import Exercise
from fithub.core.notifications.inbox import Cause
from fithub.core.telemetry.models import AlertCondition, TelemetryAlertRule
from fithub.core.workouts.models import PersonalRecord, RecordKind, WorkoutSet

#: Share of the standing e1RM record a workout's best must reach to call a PR "within reach".
WITHIN_REACH = 0.975

Handler = Callable[[BaseDBAsyncClient, DomainEvent], Awaitable[list[tuple[int, Cause]]]]


def _cause(event: DomainEvent, kind: str, context: dict[str, Any], suffix: str = "") -> Cause:
    return Cause(kind, context, dedup_key=f"event:{event.id}{suffix}", event_id=event.id)


async def _exercise_name(conn: BaseDBAsyncClient, exercise_id: Any) -> str | None:
    if not isinstance(exercise_id, int):
        return None
    found = await Exercise.filter(id=exercise_id).using_db(conn).values_list("name", flat=True)
    return str(found[0]) if found else None


async def _to_owner(conn: BaseDBAsyncClient, event: DomainEvent) -> list[tuple[int, Cause]]:
    if event.user_id is None:
        return []
    context = dict(event.payload)
    if "exercise_id" in context:
        context["exercise_name"] = await _exercise_name(conn, context["exercise_id"])
    return [(event.user_id, _cause(event, event.type, context))]


async def _sync_failing(conn: BaseDBAsyncClient, event: DomainEvent) -> list[tuple[int, Cause]]:
    """Three failed syncs in a row, then every tenth: "a sync that keeps failing"."""
    failures = int(event.payload.get("consecutive_failures") or 0)
    if event.user_id is None or failures < 3 or (failures != 3 and failures % 10):
        return []
    context = {**event.payload, "failures": failures}
    return [(event.user_id, _cause(event, "sync.failing", context))]


async def _invited(conn: BaseDBAsyncClient, event: DomainEvent) -> list[tuple[int, Cause]]:
    email = event.payload.get("email")
    invitee = await User.get_or_none(email=email, using_db=conn) if email else None
    trainer = await User.get_or_none(id=event.payload.get("trainer_id"), using_db=conn)
    context = {**event.payload, "trainer_name": trainer.display_name if trainer else None}
    context.pop("email", None)
    if invitee is not None:
        return [(invitee.id, _cause(event, "coaching.invited", context))]
    if trainer is None or not isinstance(email, str):
        return []
    # No account yet: mail the invitation to the address, on the trainer's behalf (the row is the
    # trainer's, outside their inbox; the address is sealed). Signing up with it shows the
    # invitation (coaching's pending relations match the address).
    invitation = Cause(
        "coaching.invited_by_email",
        {**context, "display_name": ""},
        dedup_key=f"event:{event.id}:invite",
        event_id=event.id,
        secret_context={"to_address": email},
    )
    return [(trainer.id, invitation)]


async def _to_client(conn: BaseDBAsyncClient, event: DomainEvent) -> list[tuple[int, Cause]]:
    client_id = event.payload.get("client_id")
    if not isinstance(client_id, int):
        return []
    trainer = await User.get_or_none(id=event.payload.get("trainer_id"), using_db=conn)
    context = {**event.payload, "trainer_name": trainer.display_name if trainer else None}
    return [(client_id, _cause(event, event.type, context))]


async def _within_reach(conn: BaseDBAsyncClient, event: DomainEvent) -> list[tuple[int, Cause]]:
    workout_id = event.payload.get("workout_id")
    if event.user_id is None or not isinstance(workout_id, int):
        return []
    sets = (
        await WorkoutSet.filter(
            workout_id=workout_id, user_id=event.user_id, e1rm_kg__not_isnull=True, is_warmup=False
        )
        .using_db(conn)
        .values_list("exercise_id", "e1rm_kg")
    )
    best: dict[int, float] = {}
    for exercise_id, value in sets:
        if float(value) > best.get(int(exercise_id), 0.0):
            best[int(exercise_id)] = float(value)
    if not best:
        return []
    records = (
        await PersonalRecord.filter(
            user_id=event.user_id, kind=RecordKind.BEST_E1RM, exercise_id__in=list(best)
        )
        .using_db(conn)
        .values_list("exercise_id", "value", "workout_id")
    )
    found: list[tuple[int, Cause]] = []
    week = event.created_at.isocalendar()
    for exercise_id, record_value, record_workout in records:
        if record_workout == workout_id or not record_value:
            continue  # the record was set in this very workout
        ratio = best[int(exercise_id)] / float(record_value)
        if WITHIN_REACH <= ratio < 1.0:
            context = {
                "exercise_id": exercise_id,
                "exercise_name": await _exercise_name(conn, int(exercise_id)),
                "kind": RecordKind.BEST_E1RM.value,
                "value": round(float(record_value), 1),  # the record standing
                "best_e1rm_kg": round(best[int(exercise_id)], 1),  # this workout's best
                "workout_id": workout_id,
            }
            cause = Cause(
                "record.within_reach",
                context,
                dedup_key=f"within-reach:{exercise_id}:{week.year}-W{week.week}",
                event_id=event.id,
            )
            found.append((event.user_id, cause))
    return found


async def _telemetry_alert(conn: BaseDBAsyncClient, event: DomainEvent) -> list[tuple[int, Cause]]:
    """A live alert rule fired: once per rule and firing time, with the rule's threshold."""
    payload = event.payload
    rule_id = payload.get("rule_id")
    if event.user_id is None or not isinstance(rule_id, int):
        return []
    rule = await TelemetryAlertRule.get_or_none(id=rule_id, user_id=event.user_id, using_db=conn)
    condition = payload.get("condition") or (rule.condition.value if rule else None)
    limit = None
    if rule is not None:
        limit = rule.zone if condition == AlertCondition.ABOVE_ZONE else rule.bpm
    context = {
        "rule_id": rule_id,
        "stream_id": payload.get("stream_id"),
        "rule_name": payload.get("name") or (rule.name if rule else None) or None,
        "condition": condition,
        "limit": limit,
        "bpm": payload.get("bpm"),
        "zone": payload.get("zone"),
        "duration_s": payload.get("duration_s"),
        "fired_at": payload.get("t"),
    }
    fired = payload.get("t") or event.created_at.isoformat()
    cause = Cause(
        "telemetry.alert",
        context,
        dedup_key=f"telemetry-alert:{rule_id}:{str(fired)[:64]}",
        event_id=event.id,
    )
    return [(event.user_id, cause)]


HANDLERS: dict[str, Handler] = {
    "record.achieved": _to_owner,
    "goal.achieved": _to_owner,
    "connection.reauth_required": _to_owner,
    "sync.failed": _sync_failing,
    "coaching.invited": _invited,
    "assignment.created": _to_client,
    "assignment.missed": _to_client,
    "workout.completed": _within_reach,
    "telemetry.alert": _telemetry_alert,
}


async def causes(conn: BaseDBAsyncClient, event: DomainEvent) -> list[tuple[int, Cause]]:
    """The notifications ``event`` calls for, by user id (none for most events)."""
    handler = HANDLERS.get(event.type)
    return await handler(conn, event) if handler else []
