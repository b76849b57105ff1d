"""Strava activities -> fithub records. Pure functions: a dict in, records out, ValueError when unreadable."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fithub.plugins.coerce import Item, datetime_field, id_field, number_field
from fithub.plugins.provider import normalises
from fithub.plugins.records import Activity, Record, Source
from fithub.plugins.strava.const import NAME, SPORTS
from fithub.plugins.types import DataType

# "(GMT-08:00) America/Los_Angeles": the IANA name follows the offset.
_ZONE_NAME = re.compile(r"^\(GMT[+-]\d{2}:\d{2}\)\s+(?P<name>\S+)$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
MAX_OFFSET = timedelta(hours=14)


def sport(item: Item) -> str:
    """fithub's word for ``sport_type`` (or the older ``type``): "Run" -> "running"."""
    kind = item.get("sport_type") or item.get("type")
    if not isinstance(kind, str) or not kind.strip():
        return "other"
    kind = kind.strip()
    return SPORTS.get(kind) or _CAMEL.sub("_", kind).lower().replace(" ", "_")


def local_zone(item: Item, start: datetime) -> tzinfo:
    """The athlete's zone at the start: the IANA name in ``timezone``, else the offset between
    ``start_date_local`` (local wall time, misleadingly suffixed Z) and ``start_date``, else UTC."""
    match = _ZONE_NAME.match(str(item.get("timezone") or "").strip())
    if match:
        try:
            return ZoneInfo(match["name"])
        except (ZoneInfoNotFoundError, ValueError):
            pass
    local = item.get("start_date_local")
    if isinstance(local, str) and local:
        try:
            wall = datetime.fromisoformat(local.replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError:
            return UTC
        offset = wall - start.replace(tzinfo=None)
        if abs(offset) <= MAX_OFFSET and offset % timedelta(minutes=15) == timedelta(0):
            return timezone(offset)
    return UTC


def _positive(value: float | None) -> float | None:
    """Strava reports 0 for what it could not measure (calories, heart rate): that is None."""
    return value if value is not None and value > 0 else None


@normalises(DataType.ACTIVITIES)
def activity(item: Item) -> list[Record]:
    """A SummaryActivity (``/athlete/activities``) or DetailedActivity -> one Activity.

    Start is ``start_date`` in the athlete's zone; end is start + ``elapsed_time`` (pauses
    included). Heart rate only when ``has_heartrate``; calories only where Strava sends them (the
    detailed activity; the list never does).
    """
    start = datetime_field(item, "start_date").astimezone(UTC)
    elapsed = number_field(item, "elapsed_time")
    if elapsed is None or elapsed < 0:
        raise ValueError("elapsed_time is missing or negative")
    start = start.astimezone(local_zone(item, start))
    heart = item.get("has_heartrate") is not False
    name = item.get("name")
    device = item.get("device_name")
    return [
        Activity(
            source=Source(NAME, id_field(item, "id"), device if isinstance(device, str) else None),
            start=start,
            end=start + timedelta(seconds=elapsed),
            sport=sport(item),
            name=name if isinstance(name, str) and name else None,
            calories_kcal=_positive(number_field(item, "calories")),
            distance_m=number_field(item, "distance"),
            avg_heart_rate_bpm=_positive(number_field(item, "average_heartrate"))
            if heart
            else None,
            max_heart_rate_bpm=_positive(number_field(item, "max_heartrate")) if heart else None,
            raw=dict(item),
        )
    ]
