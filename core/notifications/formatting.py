"""Template filters for notification messages: dates, numbers and units as each person reads them.

Every filter takes a plain JSON value from an event payload (ISO 8601 strings for instants and
days, numbers in the stored metric units) and renders it in the person's locale, time zone and
unit system, which the renderer puts into the template context as ``_format``. A missing value
(None or undefined) renders as an empty string, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_decimal
from jinja2 import Undefined, pass_context
from jinja2.runtime import Context

from fithub.core.accounts.models import UnitSystem
from fithub.core.body.quantities import CM_PER_IN
from fithub.core.units import distance_unit, from_kg, from_m, to_m, weight_unit

FORMAT_KEY = "_format"  # the context variable holding the Format of the current render

Length = Literal["full", "long", "medium", "short"]  # Babel's predefined date/time formats


@dataclass(frozen=True)
class Format:
    """How one person reads values: a Babel locale, a time zone and a unit system."""

    locale: Locale
    zone: tzinfo
    units: UnitSystem

    @classmethod
    def of(cls, locale: str, timezone: str, unit_system: str) -> Format:
        """ValueError for an unknown unit system, ZoneInfoNotFoundError for an unknown zone."""
        return cls(Locale.parse(locale), ZoneInfo(timezone), UnitSystem(unit_system))

    def number(self, value: float, decimals: int = 1) -> str:
        """A number with up to ``decimals`` fraction digits, grouped as the locale does."""
        pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def instant(self, value: Any) -> datetime | None:
        """An aware datetime in the person's zone from an ISO string or datetime (naive = UTC)."""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(moment, datetime):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone)


def _missing(value: Any) -> bool:
    if isinstance(value, Undefined):
        str(value)  # a StrictUndefined (tests) raises here; the lenient kinds render as nothing
        return True
    return value is None or value == ""


def _fmt(ctx: Context) -> Format:
    fmt = ctx.get(FORMAT_KEY)
    if not isinstance(fmt, Format):
        raise RuntimeError("notification templates are rendered through rendering.render()")
    return fmt


@pass_context
def datetime_filter(ctx: Context, value: Any, format: Length = "medium") -> str:
    """An instant in the person's zone: the locale's date (``format``) and short time."""
    fmt = _fmt(ctx)
    moment = None if _missing(value) else fmt.instant(value)
    if moment is None:
        return ""
    pattern = str(get_datetime_format(format, locale=fmt.locale)).replace("'", "")
    day = format_date(moment.date(), format, locale=fmt.locale)
    clock = format_time(moment, "short", tzinfo=fmt.zone, locale=fmt.locale)
    return pattern.replace("{1}", day).replace("{0}", clock)


@pass_context
def date_filter(ctx: Context, value: Any, format: str = "medium") -> str:
    """A calendar day (``2026-12-07``) as is, or the day an instant falls on in the person's zone."""
    fmt = _fmt(ctx)
    if _missing(value):
        return ""
    day: date | None
    if isinstance(value, str) and len(value) == 10:
        day = date.fromisoformat(value)
    elif isinstance(value, date) and not isinstance(value, datetime):
        day = value
    else:
        moment = fmt.instant(value)
        day = moment.date() if moment else None
    return "" if day is None else format_date(day, format, locale=fmt.locale)


@pass_context
def time_filter(ctx: Context, value: Any, format: str = "short") -> str:
    """The wall-clock time of an instant in the person's zone."""
    fmt = _fmt(ctx)
    moment = None if _missing(value) else fmt.instant(value)
    return "" if moment is None else format_time(moment, format, locale=fmt.locale)


@pass_context
def number_filter(ctx: Context, value: Any, decimals: int = 1) -> str:
    """A number in the locale's notation (``1,234.5`` / ``1.234,5``)."""
    return "" if _missing(value) else _fmt(ctx).number(float(value), decimals)


@pass_context
def weight_filter(ctx: Context, kg: Any) -> str:
    """A weight stored in kg, shown as ``100 kg`` or ``220.5 lb``."""
    if _missing(kg):
        return ""
    fmt = _fmt(ctx)
    unit = weight_unit(fmt.units)
    return f"{fmt.number(from_kg(float(kg), unit) or 0.0)} {unit}"


@pass_context
def distance_filter(ctx: Context, metres: Any) -> str:
    """A distance stored in metres, shown as ``5 km`` or ``3.11 mi``."""
    if _missing(metres):
        return ""
    fmt = _fmt(ctx)
    unit = distance_unit(fmt.units)
    return f"{fmt.number(from_m(float(metres), unit) or 0.0, 2)} {unit}"


@pass_context
def length_filter(ctx: Context, cm: Any) -> str:
    """A body length stored in cm, shown as ``80 cm`` or ``31.5 in``."""
    if _missing(cm):
        return ""
    fmt = _fmt(ctx)
    if fmt.units == UnitSystem.IMPERIAL:
        return f"{fmt.number(float(cm) / CM_PER_IN)} in"
    return f"{fmt.number(float(cm))} cm"


def _clock(seconds: float) -> str:
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def duration_filter(seconds: Any) -> str:
    """A duration in seconds as ``1:05:00`` (or ``42:10`` under an hour)."""
    return "" if _missing(seconds) else _clock(float(seconds))


@pass_context
def pace_filter(ctx: Context, seconds_per_km: Any) -> str:
    """A pace stored in seconds per km, shown as ``5:00 /km`` or ``8:03 /mi``."""
    if _missing(seconds_per_km):
        return ""
    unit = distance_unit(_fmt(ctx).units)
    per_unit = float(seconds_per_km) * to_m(1.0, unit) / 1000.0
    return f"{_clock(per_unit)} /{unit}"


@pass_context
def quantity_filter(ctx: Context, value: Any, unit: Any) -> str:
    """A value in a stored unit (``kg``, ``m``, ``cm`` converted; others as they are: ``80 bpm``)."""
    if _missing(value):
        return ""
    converters = {"kg": weight_filter, "m": distance_filter, "cm": length_filter}
    if unit in converters:
        return str(converters[unit](ctx, value))
    number = _fmt(ctx).number(float(value))
    return number if _missing(unit) else f"{number} {unit}"


FILTERS: dict[str, Callable[..., str]] = {
    "datetime": datetime_filter,
    "date": date_filter,
    "time": time_filter,
    "number": number_filter,
    "weight": weight_filter,
    "distance": distance_filter,
    "length": length_filter,
    "duration": duration_filter,
    "pace": pace_filter,
    "quantity": quantity_filter,
}
