"""Quiet hours: when a non-urgent message may go out, in the person's own time zone.

Pure functions over instants; nothing here reads the clock or the database. The wall-clock
period ``[start, end)`` repeats every day and may wrap midnight (22:00-07:00); ``start == end``
means no quiet hours. Across daylight-saving changes the end is placed DST-correctly: an end
that does not exist that day (clocks spring forward over it) becomes the first valid instant
after it, the moment the clocks jump; an end that happens twice (clocks fall back) is its first
occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    """A daily wall-clock period ``[start, end)`` in which non-urgent messages wait."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are wall-clock times: give them without a time zone")

    @property
    def active(self) -> bool:
        """False when start equals end: no quiet hours at all."""
        return self.start != self.end

    def contains(self, wall: time) -> bool:
        """Whether the wall-clock time ``wall`` falls within the quiet period."""
        if not self.active:
            return False
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end  # wraps midnight


def next_allowed(now_utc: datetime, tz: str, quiet: QuietHours | None) -> datetime:
    """The UTC instant at or after ``now_utc`` when a non-urgent message may be sent.

    ``now_utc`` itself when it lies outside the quiet hours of the zone ``tz`` (an IANA name),
    else the end of the current quiet period. ValueError for a naive ``now_utc``;
    ``zoneinfo.ZoneInfoNotFoundError`` for an unknown zone.
    """
    if now_utc.tzinfo is None or now_utc.utcoffset() is None:
        raise ValueError("now_utc must be an aware datetime")
    now_utc = now_utc.astimezone(UTC)
    if quiet is None or not quiet.active:
        return now_utc
    zone = ZoneInfo(tz)
    local = now_utc.astimezone(zone)
    wall = local.time().replace(tzinfo=None, fold=0)
    if not quiet.contains(wall):
        return now_utc
    end_day = local.date()
    if quiet.start > quiet.end and wall >= quiet.start:
        end_day += timedelta(days=1)  # the period wrapped past midnight: it ends tomorrow
    # The period ended at the first occurrence of an ambiguous end; if that is already past
    # (we are in the repeated hour, before the end's second occurrence), it is over: send now.
    return max(now_utc, _wall_to_utc(end_day, quiet.end, zone))


def _wall_to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The instant of the wall-clock time ``wall`` on ``day`` in ``zone``.

    Ambiguous (repeated) wall times give the first occurrence; non-existent ones (skipped by a
    spring-forward gap) give the first valid instant after them, the end of the gap.
    """
    first = datetime.combine(day, wall, zone).replace(fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == first.replace(tzinfo=None):
        return instant  # exists (fold=0 is the first occurrence when it is ambiguous)
    # In a gap: fold=0 reads the wall time with the offset before the jump, fold=1 with the
    # offset after it; the jump itself lies between the two instants. Find it to the second.
    low = first.replace(fold=1).astimezone(UTC)  # before the jump
    high = instant  # at or after the jump
    before = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) // 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == before:
            low = mid
        else:
            high = mid
    return high
