"""A reminder's next due instant, in the person's zone, across DST changes (fixed instants only)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from fithub.core.notifications.reminder_times import (
    ALL_DAYS,
    local_week_start,
    next_due,
    weekday_names,
    weekdays_mask,
)
from fithub.core.notifications.summaries import dedup_key, due_in, summarised_week

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
MON, THU, SUN = 1 << 0, 1 << 3, 1 << 6


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


CASES = [
    # (why, local time, weekdays, zone, after (UTC), expected (UTC))
    ("later today", time(7), ALL_DAYS, BERLIN, utc(2026, 1, 15, 5), utc(2026, 1, 15, 6)),
    ("passed today: tomorrow", time(7), ALL_DAYS, BERLIN, utc(2026, 1, 15, 6), utc(2026, 1, 16, 6)),
    ("strictly after", time(7), ALL_DAYS, BERLIN, utc(2026, 1, 15, 6, 0, 1), utc(2026, 1, 16, 6)),
    # 2026-01-15 is a Thursday: the next Monday is the 19th
    ("next chosen weekday", time(7), MON, BERLIN, utc(2026, 1, 15, 5), utc(2026, 1, 19, 6)),
    ("a week on", time(7), THU, BERLIN, utc(2026, 1, 15, 6), utc(2026, 1, 22, 6)),
    (
        "local day, not UTC day",
        time(23, 30),
        THU,
        NEW_YORK,
        utc(2026, 1, 16, 3),
        utc(2026, 1, 16, 4, 30),
    ),
    ("summer offset", time(7), ALL_DAYS, BERLIN, utc(2026, 7, 1, 12), utc(2026, 7, 2, 5)),
    # Berlin springs forward on Sunday 2026-03-29 at 02:00 CET (01:00 UTC) to 03:00 CEST.
    (
        "skipped time fires at the jump",
        time(2, 30),
        SUN,
        BERLIN,
        utc(2026, 3, 28),
        utc(2026, 3, 29, 1),
    ),
    (
        "after the gap: next week",
        time(2, 30),
        SUN,
        BERLIN,
        utc(2026, 3, 29, 1),
        utc(2026, 4, 5, 0, 30),
    ),
    ("just before the gap", time(1, 59), SUN, BERLIN, utc(2026, 3, 28), utc(2026, 3, 29, 0, 59)),
    ("just after the gap", time(3), SUN, BERLIN, utc(2026, 3, 28), utc(2026, 3, 29, 1)),
    # ...and falls back on Sunday 2026-10-25 at 03:00 CEST (01:00 UTC) to 02:00 CET.
    ("twice: the first", time(2, 30), SUN, BERLIN, utc(2026, 10, 24), utc(2026, 10, 25, 0, 30)),
    (
        "twice: only once",
        time(2, 30),
        ALL_DAYS,
        BERLIN,
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 26, 1, 30),
    ),
    (
        "twice, asked in between: tomorrow",
        time(2, 30),
        ALL_DAYS,
        BERLIN,
        utc(2026, 10, 25, 1, 0),
        utc(2026, 10, 26, 1, 30),
    ),
    # New York springs forward on 2026-03-08 at 02:00 EST (07:00 UTC).
    ("New York gap", time(2, 15), ALL_DAYS, NEW_YORK, utc(2026, 3, 8, 5), utc(2026, 3, 8, 7)),
]


@pytest.mark.parametrize(
    ("why", "wall", "days", "zone", "after", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_next_due(
    why: str, wall: time, days: int, zone: str, after: datetime, expected: datetime
) -> None:
    found = next_due(wall, days, zone, after)
    assert found == expected, why
    assert found is not None and found.tzinfo is not None


def test_no_weekday_means_never() -> None:
    assert next_due(time(7), 0, BERLIN, utc(2026, 1, 15)) is None


def test_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_due(time(7), ALL_DAYS, BERLIN, datetime(2026, 1, 15))


def test_a_daily_reminder_fires_once_per_local_day_through_a_year() -> None:
    """Chained from each due time: one fire per local day, 365 in 2026, DST days included."""
    at, fired = utc(2025, 12, 31, 12), []
    while True:
        found = next_due(time(2, 30), ALL_DAYS, BERLIN, at)
        assert found is not None and found > at
        if found.year > 2026 or (found.year == 2026 and found >= utc(2026, 12, 31, 12)):
            break
        fired.append(found)
        at = found
    local_days = {f.astimezone(ZoneInfo(BERLIN)).date() for f in fired}
    assert len(fired) == 365 and len(local_days) == 365


def test_weekday_names_round_trip() -> None:
    assert weekdays_mask(["mon", "thu", "sun"]) == MON | THU | SUN
    assert weekday_names(MON | THU | SUN) == ["mon", "thu", "sun"]
    with pytest.raises(ValueError):
        weekdays_mask(["someday"])


def test_weekly_summary_window() -> None:
    # Monday 2026-12-07 08:10 in Berlin is 07:10 UTC.
    now = utc(2026, 12, 7, 7, 10)
    assert due_in(BERLIN, now) and not due_in(NEW_YORK, now)
    assert not due_in(BERLIN, utc(2026, 12, 7, 8, 0))  # 09:00 local
    monday, start, end = summarised_week(BERLIN, now)
    assert monday == date(2026, 11, 30)
    assert (start, end) == (utc(2026, 11, 29, 23), utc(2026, 12, 6, 23))
    assert dedup_key(monday) == "summary:2026-W49"
    assert local_week_start(now, BERLIN) == date(2026, 12, 7)


def test_weekly_summary_window_spans_a_dst_change() -> None:
    # The week of 2026-10-19..25 ends after Berlin falls back: it lasts 7 days and 1 hour.
    monday, start, end = summarised_week(BERLIN, utc(2026, 10, 26, 7, 30))
    assert monday == date(2026, 10, 19)
    assert (start, end) == (utc(2026, 10, 18, 22), utc(2026, 10, 25, 23))
