"""When a weekly reminder is next due: pure functions over instants, in the person's time zone.

A reminder fires at a wall-clock time on chosen weekdays (bit 0 = Monday ... bit 6 = Sunday).
Across daylight-saving changes: a time the clocks skip (02:30 on a spring-forward night) fires
at the jump, the first instant after it; a time that happens twice (fall back) fires once, at
its first occurrence. Nothing here reads the clock or the database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fithub.core.notifications.quiet_hours import _wall_to_utc  # the one DST-correct placement

WEEKDAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAYS = 0b1111111


def weekdays_mask(names: list[str] | tuple[str, ...]) -> int:
    """The bitmask of weekday names (``mon`` ... ``sun``); ValueError for an unknown one."""
    mask = 0
    for name in names:
        mask |= 1 << WEEKDAY_NAMES.index(name.lower())
    return mask


def weekday_names(mask: int) -> list[str]:
    """The weekday names set in ``mask``, Monday first."""
    return [name for bit, name in enumerate(WEEKDAY_NAMES) if mask & (1 << bit)]


def wall_to_utc(day: date, wall: time, tz: str) -> datetime:
    """The UTC instant of ``wall`` on ``day`` in zone ``tz`` (gap: the jump; twice: the first)."""
    return _wall_to_utc(day, wall.replace(tzinfo=None, fold=0), ZoneInfo(tz))


def next_due(local_time: time, weekdays: int, tz: str, after: datetime) -> datetime | None:
    """The first instant strictly after ``after`` when the reminder is due; None without weekdays.

    ``after`` must be aware; the result is in UTC. ``zoneinfo.ZoneInfoNotFoundError`` for an
    unknown zone.
    """
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("after must be an aware datetime")
    if not weekdays & ALL_DAYS:
        return None
    after = after.astimezone(UTC)
    today = after.astimezone(ZoneInfo(tz)).date()
    # Yesterday too: a gap's jump can place a day's time on the next local day's clock.
    for offset in range(-1, 9):
        day = today + timedelta(days=offset)
        if not weekdays & (1 << day.weekday()):
            continue
        instant = wall_to_utc(day, local_time, tz)
        if instant > after:
            return instant
    raise AssertionError("a weekday within nine days always follows")  # pragma: no cover


def local_week_start(now: datetime, tz: str) -> date:
    """The Monday of the local week containing ``now`` in zone ``tz``."""
    local = now.astimezone(ZoneInfo(tz)).date()
    return local - timedelta(days=local.weekday())
