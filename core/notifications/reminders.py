"""Workout reminders: a person's own, at a local time on chosen weekdays, fired exactly once each.

``next_due_at`` (UTC) is computed in the person's time zone by
:func:`~fithub.core.notifications.reminder_times.next_due`. :func:`fire_due` takes due reminders
in batches; per batch, in one transaction, each reminder's ``next_due_at`` moves on with a
compare-and-set (``WHERE id = ? AND next_due_at = <old>``) and only the reminders this worker
moved get a notification (``dedup_key`` ``reminder:<id>:<due>``), so two workers firing at once
make one notification per reminder and due time; the deliveries are enqueued after the commit.
A reminder more than :data:`STALE_AFTER` late (the service was down) is moved on without firing.
"""

from __future__ import annotations

import logging
import time as clock
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.errors import NotFound, ValidationFailed
from fithub.core.notifications.batch_inbox import create_many
from fithub.core.notifications.delivery import enqueue_deliveries
from fithub.core.notifications.inbox import Cause
from fithub.core.notifications.models import Reminder
from fithub.core.notifications.reminder_times import next_due, weekday_names, weekdays_mask
from fithub.core.notifications.service import NotificationService
from fithub.core.pagination import PageQuery, paginate
from fithub.core.workouts.models import WorkoutPlan

log = logging.getLogger("fithub.notifications.reminders")

KIND = "workout.reminder_due"
BATCH = 500
STALE_AFTER = timedelta(hours=1)
MAX_PER_USER = 100


@dataclass(frozen=True)
class Fired:
    """What one :func:`fire_due` run did."""

    fired: int  # notifications made
    skipped: int  # too late to be useful: moved on without firing
    lost: int  # another worker moved them first


def _now() -> datetime:
    return datetime.now(UTC)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"{field}: {message}", errors=[{"field": field, "message": message, "type": "value"}]
    )


def reminder_out(reminder: Reminder, plan_name: str | None = None) -> dict[str, Any]:
    """The API's view of a reminder."""
    return {
        "id": reminder.id,
        "title": reminder.title,
        "local_time": reminder.local_time.strftime("%H:%M"),
        "weekdays": weekday_names(reminder.weekdays),
        "plan_id": reminder.plan_id,
        "plan_name": plan_name,
        "active": reminder.active,
        "next_due_at": reminder.next_due_at.astimezone(UTC) if reminder.next_due_at else None,
        "created_at": reminder.created_at,
    }


async def _plan_name(user: User, plan_id: int | None) -> str | None:
    if plan_id is None:
        return None
    plan = await WorkoutPlan.get_or_none(id=plan_id, owner_id=user.id)
    if plan is None:  # someone else's looks the same as none at all
        raise _invalid("plan_id", "no plan of yours has this id")
    return plan.name


def _mask(weekdays: list[str]) -> int:
    try:
        mask = weekdays_mask(weekdays)
    except ValueError as exc:
        raise _invalid("weekdays", "use mon, tue, wed, thu, fri, sat, sun") from exc
    if not mask:
        raise _invalid("weekdays", "choose at least one weekday")
    return mask


def _schedule(user: User, local_time: time, mask: int, active: bool) -> datetime | None:
    return next_due(local_time, mask, user.timezone, _now()) if active else None


async def create_reminder(user: User, data: dict[str, Any]) -> dict[str, Any]:
    """Store a reminder for ``user``; 422 for no weekday or a plan that is not theirs."""
    mask = _mask(data["weekdays"])
    plan_name = await _plan_name(user, data.get("plan_id"))
    if await Reminder.filter(user_id=user.id).count() >= MAX_PER_USER:
        raise _invalid("reminders", f"at most {MAX_PER_USER} reminders each")
    active = bool(data.get("active", True))
    local_time: time = data["local_time"].replace(second=0, microsecond=0, tzinfo=None)
    reminder = await Reminder.create(
        user_id=user.id,
        plan_id=data.get("plan_id"),
        title=data["title"],
        local_time=local_time,
        weekdays=mask,
        active=active,
        next_due_at=_schedule(user, local_time, mask, active),
    )
    return reminder_out(reminder, plan_name)


async def _owned(user: User, reminder_id: int) -> Reminder:
    reminder = await Reminder.get_or_none(id=reminder_id, user_id=user.id)
    if reminder is None:
        raise NotFound("No reminder of yours has this id.")
    return reminder


async def get_reminder(user: User, reminder_id: int) -> dict[str, Any]:
    """One of the user's reminders (404 when it is not theirs)."""
    reminder = await _owned(user, reminder_id)
    return reminder_out(reminder, await _plan_name_or_none(user, reminder.plan_id))


async def _plan_name_or_none(user: User, plan_id: int | None) -> str | None:
    if plan_id is None:
        return None
    plan = await WorkoutPlan.get_or_none(id=plan_id, owner_id=user.id)
    return plan.name if plan else None


async def list_reminders(user: User, page: PageQuery) -> tuple[list[dict[str, Any]], str | None]:
    """The user's reminders, newest first, a page at a time."""
    shaped = await paginate(Reminder.filter(user_id=user.id), page, lambda r: r)
    plan_ids = {r.plan_id for r in shaped["items"] if r.plan_id is not None}
    names = dict(
        await WorkoutPlan.filter(id__in=plan_ids, owner_id=user.id).values_list("id", "name")
    )
    items = [reminder_out(r, names.get(r.plan_id)) for r in shaped["items"]]
    return items, shaped["next_cursor"]


async def update_reminder(user: User, reminder_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change a reminder; a new time, weekdays or state reschedules it from now."""
    reminder = await _owned(user, reminder_id)
    for field in ("title", "local_time", "weekdays", "active"):
        if field in changes and changes[field] is None:
            raise _invalid(field, "cannot be null")
    if "plan_id" in changes:
        await _plan_name(user, changes["plan_id"])
        reminder.plan_id = changes["plan_id"]
    if "title" in changes:
        reminder.title = changes["title"]
    if "weekdays" in changes:
        reminder.weekdays = _mask(changes["weekdays"])
    if "local_time" in changes:
        reminder.local_time = changes["local_time"].replace(second=0, microsecond=0, tzinfo=None)
    if "active" in changes:
        reminder.active = bool(changes["active"])
    reminder.next_due_at = _schedule(user, reminder.local_time, reminder.weekdays, reminder.active)
    await reminder.save()
    return reminder_out(reminder, await _plan_name_or_none(user, reminder.plan_id))


async def delete_reminder(user: User, reminder_id: int) -> None:
    """Delete one of the user's reminders (404 when it is not theirs)."""
    reminder = await _owned(user, reminder_id)
    await reminder.delete()


async def fire_due(
    service: NotificationService, now: datetime | None = None, batch: int = BATCH
) -> Fired:
    """Fire every reminder due at ``now`` (default: the clock), a batch per transaction."""
    fired = skipped = lost = 0
    while True:
        at = now or _now()
        rows = (
            await Reminder.filter(active=True, next_due_at__lte=at)
            .order_by("next_due_at", "id")
            .limit(batch)
        )
        if not rows:
            break
        started = clock.perf_counter()
        made, late, gone, delivery_ids = await _fire_batch(service, rows, at)
        fired, skipped, lost = fired + made, skipped + late, lost + gone
        await enqueue_deliveries(delivery_ids)
        log.info(
            "fired %d reminders (%d stale, %d taken by another worker) in %.0f ms",
            made,
            late,
            gone,
            (clock.perf_counter() - started) * 1000,
        )
        if len(rows) < batch or (made + late) == 0:
            break
    return Fired(fired, skipped, lost)


async def _fire_batch(
    service: NotificationService, rows: list[Reminder], now: datetime
) -> tuple[int, int, int, list[int]]:
    users = {u.id: u for u in await User.filter(id__in={r.user_id for r in rows})}
    plan_ids = {r.plan_id for r in rows if r.plan_id is not None}
    plans = dict(await WorkoutPlan.filter(id__in=plan_ids).values_list("id", "name"))
    items: list[tuple[User, Cause]] = []
    late = gone = 0
    async with in_transaction() as conn:
        for reminder in sorted(rows, key=lambda r: r.id):  # one lock order for every worker
            due = reminder.next_due_at
            user = users.get(reminder.user_id)
            if due is None or user is None:
                continue
            following = next_due(
                reminder.local_time, reminder.weekdays, user.timezone, max(due, now)
            )
            moved = (
                await Reminder.filter(id=reminder.id, next_due_at=due)
                .using_db(conn)
                .update(next_due_at=following)
            )
            if not moved:
                gone += 1
                continue
            if now - due > STALE_AFTER:
                late += 1
                continue
            due_iso = due.astimezone(UTC).isoformat().replace("+00:00", "Z")
            context = {
                "title": reminder.title,
                "due_at": due_iso,
                "local_time": reminder.local_time.strftime("%H:%M"),
                "plan_name": plans.get(reminder.plan_id) if reminder.plan_id else None,
                "reminder_id": reminder.id,
            }
            items.append((user, Cause(KIND, context, f"reminder:{reminder.id}:{due_iso}")))
        delivery_ids = await create_many(conn, items, channels=service.channels, now=now)
    return len(items), late, gone, delivery_ids
