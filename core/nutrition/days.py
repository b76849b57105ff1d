"""Days and meals of the diary: the user's today, the days one may log, meal names."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fithub.core.accounts.models import User
from fithub.core.body.services import user_zone
from fithub.core.errors import ValidationFailed

STANDARD_MEALS = ("breakfast", "lunch", "dinner", "snack")
MEAL_MAX = 40
EARLIEST_DAY = date(1900, 1, 1)


def invalid(field: str, message: str, code: str = "validation_failed") -> ValidationFailed:
    """A 422 naming one field, with a precise code."""
    return ValidationFailed(
        f"{field}: {message}",
        code=code,
        errors=[{"field": field, "message": message, "type": code}],
    )


def normalise_meal(name: str, field: str = "meal") -> str:
    """A meal name trimmed, 1 to 40 characters; the four standard ones in lower case."""
    trimmed = " ".join(name.split())
    if not 1 <= len(trimmed) <= MEAL_MAX:
        raise invalid(field, f"must be 1 to {MEAL_MAX} characters once trimmed")
    folded = trimmed.casefold()
    return folded if folded in STANDARD_MEALS else trimmed


def user_today(user: User) -> date:
    """Today in the user's time zone."""
    return datetime.now(user_zone(user)).date()


def check_day(user: User, day: date, field: str = "day") -> date:
    """``day`` if it lies between 1900-01-01 and one day after the user's today, else 422."""
    latest = user_today(user) + timedelta(days=1)
    if not EARLIEST_DAY <= day <= latest:
        raise invalid(
            field, f"must be between {EARLIEST_DAY} and {latest} (tomorrow)", "implausible_day"
        )
    return day


def parse_day(text: str) -> date:
    """A path segment ``YYYY-MM-DD`` as a date, else 422 naming ``day``."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise invalid("day", "not a date like 2026-01-05") from exc
