"""Strava activities -> fithub records. Pure functions: a dict in, records out, ValueError when unreadable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fithub.plugins.records import Activity, Record, Source
from fithub.plugins.strava.const import NAME, SPORTS

Item = Mapping[str, Any]

# "(GMT-08:00) America/Los_Angeles": the IANA name follows the offset.
_ZONE_NAME = re.compile(r"^\(GMT[+-]\d{2}:\d{2}\)\s+(?P<name>\S+)$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
MAX_OFFSET = timedelta(hours=14)


def _text(item: Item, key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} is missing or not text")
    return value


def _number(item: Item, key: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} is not a number")
    return float(value)


def _utc(item: Item, key: str) -> datetime:
    """A Strava time; ``start_date`` is UTC with a Z, a bare time is taken as UTC."""
    value = datetime.fromisoformat(_text(item, key).replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ident(item: Item) -> str:
    value = item.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value):
        raise ValueError("id is missing")
    return str(value)


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


def activity(item: Item) -> list[Record]:
    """A SummaryActivity (``/athlete/activities``) or DetailedActivity -> one Activity.

    Start is ``start_date`` in the athlete's zone; end is start + ``elapsed_time`` (pauses
    included). Heart rate only when ``has_heartrate``; calories only where Strava sends them (the
    detailed activity; the list never does).
    """
    start = _utc(item, "start_date")
    elapsed = _number(item, "elapsed_time")
    if elapsed is None or elapsed < 0:
        raise ValueError("elapsed_time is missing or negative")
    start = start.astimezone(local_zone(item, start))
    heart = item.get("has_heartrate") is not False
    name = item.get("name")
    device = item.get("device_name")
    return [
        Activity(
            source=Source(NAME, _ident(item), device if isinstance(device, str) else None),
            start=start,
            end=start + timedelta(seconds=elapsed),
            sport=sport(item),
            name=name if isinstance(name, str) and name else None,
            calories_kcal=_positive(_number(item, "calories")),
            distance_m=_number(item, "distance"),
            avg_heart_rate_bpm=_positive(_number(item, "average_heartrate")) if heart else None,
            max_heart_rate_bpm=_positive(_number(item, "max_heartrate")) if heart else None,
            raw=dict(item),
        )
    ]
