"""Quiet hours hold non-urgent messages until their end, in the person's zone, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from fithub.core.notifications.quiet_hours import QuietHours, next_allowed

NIGHT = QuietHours(time(22), time(7))  # wraps midnight
OFFICE = QuietHours(time(9), time(17))
BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


CASES = [
    # (why, zone, quiet hours, now (UTC), expected (UTC))
    ("no quiet hours", BERLIN, None, utc(2026, 1, 15, 23), utc(2026, 1, 15, 23)),
    (
        "start == end: none",
        BERLIN,
        QuietHours(time(8), time(8)),
        utc(2026, 1, 15, 7),
        utc(2026, 1, 15, 7),
    ),
    ("before a night's quiet", BERLIN, NIGHT, utc(2026, 1, 15, 20), utc(2026, 1, 15, 20)),
    ("at its start (inclusive)", BERLIN, NIGHT, utc(2026, 1, 15, 21), utc(2026, 1, 16, 6)),
    ("late evening: ends tomorrow", BERLIN, NIGHT, utc(2026, 1, 15, 21, 30), utc(2026, 1, 16, 6)),
    ("after midnight: ends today", BERLIN, NIGHT, utc(2026, 1, 16, 3), utc(2026, 1, 16, 6)),
    ("at its end (exclusive)", BERLIN, NIGHT, utc(2026, 1, 16, 6), utc(2026, 1, 16, 6)),
    ("summer offset", BERLIN, NIGHT, utc(2026, 7, 1, 21), utc(2026, 7, 2, 5)),
    ("daytime quiet", BERLIN, OFFICE, utc(2026, 1, 15, 10), utc(2026, 1, 15, 16)),
    ("after daytime quiet", BERLIN, OFFICE, utc(2026, 1, 15, 16, 1), utc(2026, 1, 15, 16, 1)),
    ("UTC date differs from local", NEW_YORK, NIGHT, utc(2026, 1, 16, 4), utc(2026, 1, 16, 12)),
    # Berlin springs forward on 2026-03-29 at 02:00 CET (01:00 UTC) to 03:00 CEST.
    ("spring night: end moves to CEST", BERLIN, NIGHT, utc(2026, 3, 28, 22), utc(2026, 3, 29, 5)),
    (
        "end 02:30 does not exist: the jump",
        BERLIN,
        QuietHours(time(22), time(2, 30)),
        utc(2026, 3, 28, 22),
        utc(2026, 3, 29, 1),
    ),
    (
        "start in the gap still counts",
        BERLIN,
        QuietHours(time(2, 15), time(6)),
        utc(2026, 3, 29, 1, 30),  # 03:30 CEST
        utc(2026, 3, 29, 4),
    ),
    # Berlin falls back on 2026-10-25 at 03:00 CEST (01:00 UTC) to 02:00 CET: 02:30 happens twice.
    ("autumn night: end moves to CET", BERLIN, NIGHT, utc(2026, 10, 24, 21), utc(2026, 10, 25, 6)),
    (
        "ambiguous end: first occurrence",
        BERLIN,
        QuietHours(time(22), time(2, 30)),
        utc(2026, 10, 24, 21),
        utc(2026, 10, 25, 0, 30),
    ),
    (
        "in the repeated hour after the first end: over",
        BERLIN,
        QuietHours(time(22), time(2, 30)),
        utc(2026, 10, 25, 1, 15),  # 02:15 CET, the second time round
        utc(2026, 10, 25, 1, 15),
    ),
    # New York springs forward on 2026-03-08 at 02:00 EST (07:00 UTC), falls back on 2026-11-01
    # at 02:00 EDT (06:00 UTC).
    (
        "NY end 02:15 does not exist",
        NEW_YORK,
        QuietHours(time(23), time(2, 15)),
        utc(2026, 3, 8, 4, 30),
        utc(2026, 3, 8, 7),
    ),
    (
        "NY daytime-style period ending in the gap",
        NEW_YORK,
        QuietHours(time(1), time(2)),
        utc(2026, 3, 8, 6, 30),  # 01:30 EST
        utc(2026, 3, 8, 7),
    ),
    ("NY spring night", NEW_YORK, NIGHT, utc(2026, 3, 8, 4), utc(2026, 3, 8, 11)),
    (
        "NY ambiguous end 01:30: first (EDT)",
        NEW_YORK,
        QuietHours(time(22), time(1, 30)),
        utc(2026, 11, 1, 3),
        utc(2026, 11, 1, 5, 30),
    ),
    ("NY autumn night", NEW_YORK, NIGHT, utc(2026, 11, 1, 3), utc(2026, 11, 1, 12)),
]


@pytest.mark.parametrize(
    ("zone", "quiet", "now", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_next_allowed(
    zone: str, quiet: QuietHours | None, now: datetime, expected: datetime
) -> None:
    assert next_allowed(now, zone, quiet) == expected


def test_the_answer_is_utc_whatever_the_offset_of_now() -> None:
    now = datetime(2026, 1, 15, 23, 30, tzinfo=ZoneInfo(BERLIN))  # 22:30 UTC
    allowed = next_allowed(now, BERLIN, NIGHT)
    assert allowed == utc(2026, 1, 16, 6)
    assert allowed.tzinfo is UTC


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        (BERLIN, (2026, 3, 28)),
        (BERLIN, (2026, 10, 24)),
        (NEW_YORK, (2026, 3, 7)),
        (NEW_YORK, (2026, 10, 31)),
    ],
)
@pytest.mark.parametrize(
    "quiet",
    [NIGHT, OFFICE, QuietHours(time(22), time(2, 30)), QuietHours(time(1), time(2, 30))],
    ids=["night", "office", "to-02:30", "01:00-02:30"],
)
def test_over_two_days_around_a_change_never_early_never_late(
    zone: str, day: tuple[int, int, int], quiet: QuietHours
) -> None:
    """Every 5 minutes: now when outside, else later, outside, and no later than needed.

    (In the repeated hour of a fall-back night the period may already be over: a table case.)
    """
    tz = ZoneInfo(zone)
    start = datetime(*day, 12, tzinfo=tz).astimezone(UTC)
    for step in range(0, 48 * 12):
        now = start + timedelta(minutes=5 * step)
        allowed = next_allowed(now, zone, quiet)
        assert now <= allowed < now + timedelta(hours=24)
        if now.astimezone(tz).fold:
            continue  # the second pass through a repeated hour
        inside = quiet.contains(now.astimezone(tz).time())
        assert (allowed > now) == inside, now
        assert not quiet.contains(allowed.astimezone(tz).time()), (now, allowed)
        # one second earlier it was still quiet (or it is now): the message waits no longer
        if allowed > now:
            before = (allowed - timedelta(seconds=1)).astimezone(tz).time()
            assert quiet.contains(before), (now, allowed)


def test_contains_treats_start_as_inside_and_end_as_outside() -> None:
    assert NIGHT.contains(time(22)) and NIGHT.contains(time(0)) and NIGHT.contains(time(6, 59))
    assert not NIGHT.contains(time(7)) and not NIGHT.contains(time(21, 59))
    assert not QuietHours(time(3), time(3)).contains(time(3))


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_allowed(datetime(2026, 1, 1, 12), BERLIN, NIGHT)


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ZoneInfoNotFoundError):
        next_allowed(utc(2026, 1, 1, 23), "Mars/Olympus_Mons", NIGHT)


def test_quiet_hours_are_wall_clock_times() -> None:
    with pytest.raises(ValueError, match="wall-clock"):
        QuietHours(time(22, tzinfo=UTC), time(7))
