"""The overlap-merge rule (docs/adr/0005-device-data.md): the same thing seen by two providers counts once.

Pure functions over plain rows (dicts with the model's columns). Records of one provider never
merge with each other: a vendor's own ids already tell its records apart. Across providers:

- activities are the same when they overlap for at least half of the shorter one and their sports
  agree (equal, or one of them is generic such as "other");
- sleep sessions are the same when they overlap for at least half of the shorter one;
- daily summaries are the same when they are for the same day.

Of a group of the same thing, one row is primary and the others point at it (``duplicate_of``).
The primary is the most complete: for activities one the person recorded beats one the device
guessed (``detected``), then more measured values, then the longer one; for sleep one with stages,
then more values, then the longer; for days more values, then more steps. Ties go to the provider
whose name sorts first, then the older row, so the choice never flips between two syncs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

Row = dict[str, Any]
GENERIC_SPORTS = frozenset({"other", "workout", "unknown", "activity", "generic", ""})
OVERLAP_SHARE = 0.5
ACTIVITY_VALUES = ("calories_kcal", "distance_m", "steps", "avg_heart_rate_bpm",
                   "max_heart_rate_bpm")  # fmt: skip
SLEEP_VALUES = ("asleep_s", "deep_s", "light_s", "rem_s", "awake_s", "efficiency",
                "avg_heart_rate_bpm", "avg_hrv_ms")  # fmt: skip
DAILY_VALUES = ("steps", "active_calories_kcal", "total_calories_kcal", "distance_m",
                "active_minutes", "resting_heart_rate_bpm")  # fmt: skip


def overlap_share(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> float:
    """How much of the shorter span the two spans share (0..1); zero-length spans never overlap."""
    shared = (min(a_end, b_end) - max(a_start, b_start)).total_seconds()
    shorter = min((a_end - a_start).total_seconds(), (b_end - b_start).total_seconds())
    if shared <= 0 or shorter <= 0:
        return 0.0
    return shared / shorter


def _sports_agree(a: str, b: str) -> bool:
    return a == b or a in GENERIC_SPORTS or b in GENERIC_SPORTS


def same_activity(a: Row, b: Row) -> bool:
    return bool(
        a["provider"] != b["provider"]
        and _sports_agree(a["sport"], b["sport"])
        and overlap_share(a["start_time"], a["end_time"], b["start_time"], b["end_time"])
        >= OVERLAP_SHARE
    )


def same_sleep(a: Row, b: Row) -> bool:
    return bool(
        a["provider"] != b["provider"]
        and overlap_share(a["start_time"], a["end_time"], b["start_time"], b["end_time"])
        >= OVERLAP_SHARE
    )


def same_day(a: Row, b: Row) -> bool:
    return bool(a["provider"] != b["provider"] and a["day"] == b["day"])


def _filled(row: Row, names: Sequence[str]) -> int:
    return sum(row.get(name) is not None for name in names)


def _length(row: Row) -> float:
    return float((row["end_time"] - row["start_time"]).total_seconds())


def activity_rank(row: Row) -> tuple[Any, ...]:
    return (not row["detected"], _filled(row, ACTIVITY_VALUES), _length(row))


def sleep_rank(row: Row) -> tuple[Any, ...]:
    return (bool(row.get("stages")), _filled(row, SLEEP_VALUES), _length(row))


def daily_rank(row: Row) -> tuple[Any, ...]:
    return (_filled(row, DAILY_VALUES), row.get("steps") or 0)


def groups(rows: Sequence[Row], same: Callable[[Row, Row], bool]) -> list[list[Row]]:
    """Rows joined into groups of the same thing (transitively: union-find over the pairs)."""
    parent = list(range(len(rows)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            if same(rows[i], rows[j]):
                parent[root(j)] = root(i)
    found: dict[int, list[Row]] = {}
    for i, row in enumerate(rows):
        found.setdefault(root(i), []).append(row)
    return list(found.values())


def primary(group: Iterable[Row], rank: Callable[[Row], tuple[Any, ...]]) -> Row:
    """The row that represents the group: best rank, then provider name, then the oldest id."""
    ordered = sorted(group, key=lambda r: (r["provider"], r["id"]))
    return max(ordered, key=rank)  # max keeps the first of equals: the name order decides


def duplicate_links(
    rows: Sequence[Row], same: Callable[[Row, Row], bool], rank: Callable[[Row], tuple[Any, ...]]
) -> dict[int, int | None]:
    """For each row id, the id of the primary it duplicates (None for primaries and loners)."""
    links: dict[int, int | None] = {}
    for group in groups(rows, same):
        head = primary(group, rank)
        for row in group:
            links[row["id"]] = None if row is head else head["id"]
    return links
