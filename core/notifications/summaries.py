"""The weekly summary: on Monday between 08:00 and 08:59 local time, last week's training.

An hourly job calls :func:`send_weekly`; it picks the time zones where it is Monday 08:xx now,
and for the active people in them counts last week's (Monday to Sunday, local) completed
workouts, the volume lifted (completed working sets) and personal records set, with a few
grouped queries per zone. ``dedup_key`` ``summary:<ISO year>-W<week>`` names the week
summarised, so a second run in the same hour (or a second worker) sends nothing more.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.notifications.batch_inbox import create_many
from fithub.core.notifications.delivery import enqueue_deliveries
from fithub.core.notifications.inbox import Cause
from fithub.core.notifications.reminder_times import local_week_start, wall_to_utc
from fithub.core.notifications.service import NotificationService
from fithub.core.workouts.models import PersonalRecord, Workout, WorkoutSet, WorkoutStatus

log = logging.getLogger("fithub.notifications.summaries")

KIND = "summary.weekly"
SEND_HOUR = 8  # local, on Mondays
BATCH = 500


def due_in(tz: str, now: datetime) -> bool:
    """Whether it is Monday between 08:00 and 08:59 in zone ``tz`` at ``now``."""
    local = now.astimezone(ZoneInfo(tz))
    return local.weekday() == 0 and local.hour == SEND_HOUR


def summarised_week(tz: str, now: datetime) -> tuple[date, datetime, datetime]:
    """Last week's Monday in ``tz`` and the UTC instants its local week starts and ends."""
    monday = local_week_start(now, tz) - timedelta(days=7)
    midnight = datetime.min.time()
    start = wall_to_utc(monday, midnight, tz)
    end = wall_to_utc(monday + timedelta(days=7), midnight, tz)
    return monday, start, end


def dedup_key(monday: date) -> str:
    """The cause of the summary of the week starting ``monday``."""
    year, week, _ = monday.isocalendar()
    return f"summary:{year}-W{week:02d}"


async def week_facts(
    user_ids: list[int], start: datetime, end: datetime
) -> dict[int, dict[str, Any]]:
    """Per person: workouts completed, volume lifted (kg) and records set in ``[start, end)``."""
    facts: dict[int, dict[str, Any]] = {
        uid: {"workouts": 0, "volume_kg": 0.0, "records": 0} for uid in user_ids
    }
    workouts = (
        await Workout.filter(
            user_id__in=user_ids,
            status=WorkoutStatus.COMPLETED,
            completed_at__gte=start,
            completed_at__lt=end,
        )
        .annotate(n=Count("id"))
        .group_by("user_id")
        .values_list("user_id", "n")
    )
    for uid, n in cast("list[tuple[int, int]]", workouts):
        facts[int(uid)]["workouts"] = int(n)
    volume = (
        await WorkoutSet.filter(
            user_id__in=user_ids,
            completed=True,
            is_warmup=False,
            performed_at__gte=start,
            performed_at__lt=end,
        )
        .annotate(total=Sum("volume_kg"))
        .group_by("user_id")
        .values_list("user_id", "total")
    )
    for uid, total in cast("list[tuple[int, float | None]]", volume):
        facts[int(uid)]["volume_kg"] = round(float(total or 0.0), 1)
    records = (
        await PersonalRecord.filter(
            user_id__in=user_ids, achieved_at__gte=start, achieved_at__lt=end
        )
        .annotate(n=Count("id"))
        .group_by("user_id")
        .values_list("user_id", "n")
    )
    for uid, n in cast("list[tuple[int, int]]", records):
        facts[int(uid)]["records"] = int(n)
    return facts


async def send_weekly(service: NotificationService, now: datetime | None = None) -> int:
    """Make the weekly summary of everyone for whom it is Monday 08:xx; how many were made."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    zones = cast(
        "list[str]",
        await User.filter(is_active=True).distinct().values_list("timezone", flat=True),
    )
    made = 0
    for tz in sorted(set(zones)):
        try:
            if not due_in(tz, now):
                continue
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("a user has an unknown time zone %r: no weekly summary", tz)
            continue
        monday, start, end = summarised_week(tz, now)
        key = dedup_key(monday)
        users = await User.filter(is_active=True, timezone=tz).order_by("id")
        for offset in range(0, len(users), BATCH):
            chunk = users[offset : offset + BATCH]
            facts = await week_facts([u.id for u in chunk], start, end)
            items = [
                (user, Cause(KIND, {**facts[user.id], "week_start": monday.isoformat()}, key))
                for user in chunk
            ]
            async with in_transaction() as conn:
                ids = await create_many(conn, items, channels=service.channels, now=now)
            await enqueue_deliveries(ids)
            made += len(items)
    return made
