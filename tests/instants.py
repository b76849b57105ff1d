"""Awkward instants to freeze date-sensitive tests at, so none depends on when the suite runs."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

INSTANTS: dict[str, datetime] = {
    "midnight-utc": datetime(2026, 6, 1, 0, 0, tzinfo=UTC),  # a Monday, a new month
    "02:00-utc": datetime(2026, 6, 2, 2, 0, tzinfo=UTC),  # the middle of a UTC night
    "23:30-utc": datetime(2026, 6, 7, 23, 30, tzinfo=UTC),  # a Sunday, half an hour to go
    "europe-dst": datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # Paris springs 02:00 -> 03:00
    "america-dst": datetime(2026, 11, 1, 6, 0, tzinfo=UTC),  # New York falls 02:00 -> 01:00
    # 23:59 on New Year's Eve at UTC+14: the first place where the next day (and year) begins.
    "23:59-utc+14": datetime(2026, 12, 31, 23, 59, tzinfo=ZoneInfo("Pacific/Kiritimati")),
}

at_each_instant = pytest.mark.parametrize("instant", list(INSTANTS.values()), ids=list(INSTANTS))
"""Run a test once per instant in :data:`INSTANTS`; it takes an ``instant`` argument."""
