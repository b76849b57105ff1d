"""Daily and weekly nutrient totals from the diary, against the user's targets.

The database sums each day's entries (``SUM ... GROUP BY day`` through the ORM, the same on SQLite
and PostgreSQL); weeks are ISO weeks (Monday to Sunday) summed from those days. A nutrient a food
does not state counts as 0. Percent of energy per macronutrient uses 4 kcal/g for protein and
carbohydrate and 9 kcal/g for fat, over the energy of the three (not the logged energy_kcal).
Grams per kg of body weight use the latest weight measured on or before the day (user's zone).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.functions import Count, Sum

from fithub.core.accounts.models import User
from fithub.core.body.models import BodyMetric, MetricKind
from fithub.core.body.services import user_zone
from fithub.core.nutrition.models import DiaryEntry, NutritionTargets
from fithub.core.nutrition.target_schemas import (
    AgainstTarget,
    DailyTotals,
    DayTotals,
    EnergyShare,
    Nutrients,
    PerKg,
    WeeklyTotals,
    WeekTotals,
)
from fithub.core.nutrition.targets import TARGET_FIELDS, targets_out
from fithub.plugins.nutrition import NUTRIENT_FIELDS

KCAL_PER_G = {"protein": 4.0, "carbohydrate": 4.0, "fat": 9.0}
DECIMALS = 2
PER_KG = ("protein_g", "carbohydrate_g", "fat_g")


@dataclass(frozen=True)
class DaySum:
    """One day's summed nutrients (by ``NUTRIENT_FIELDS`` name) and how many entries it has."""

    entries: int
    nutrients: dict[str, float]


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _zero() -> dict[str, float]:
    return dict.fromkeys(NUTRIENT_FIELDS, 0.0)


async def daily_sums(user_id: int, first: date, last: date) -> dict[date, DaySum]:
    """The summed nutrients of each day from ``first`` to ``last`` (inclusive) that has entries."""
    sums = {f"sum_{name}": Sum(name) for name in NUTRIENT_FIELDS}
    rows = (
        await DiaryEntry.filter(user_id=user_id, day__gte=first, day__lte=last)
        .annotate(entries=Count("id"), **sums)
        .group_by("day")
        .values("day", "entries", *sums)
    )
    return {
        _as_date(row["day"]): DaySum(
            int(row["entries"]),
            {name: float(row[f"sum_{name}"] or 0.0) for name in NUTRIENT_FIELDS},
        )
        for row in rows
    }


def energy_share(nutrients: dict[str, float]) -> EnergyShare:
    """Each macronutrient's share of the energy of the three, in percent."""
    kcal = {macro: nutrients[f"{macro}_g"] * per_g for macro, per_g in KCAL_PER_G.items()}
    whole = sum(kcal.values())
    if whole <= 0:
        return EnergyShare(protein=None, carbohydrate=None, fat=None)
    return EnergyShare(
        **{macro: round(100 * part / whole, DECIMALS) for macro, part in kcal.items()}
    )


def against_targets(
    nutrients: dict[str, float], targets: NutritionTargets | None, factor: float = 1.0
) -> dict[str, AgainstTarget]:
    """Eaten against each set target (times ``factor``: 7 for a week)."""
    shown: dict[str, AgainstTarget] = {}
    for name in TARGET_FIELDS:
        daily = getattr(targets, name) if targets is not None else None
        if daily is None:
            continue
        target = daily * factor
        eaten = nutrients[name]
        # a target that rounds to 0 (5e-324 g) has no percentage: eaten / it was Infinity
        counts = round(target, DECIMALS) > 0
        shown[name] = AgainstTarget(
            target=round(target, DECIMALS),
            remaining=round(target - eaten, DECIMALS),
            percent=round(100 * eaten / target, DECIMALS) if counts else None,
        )
    return shown


def _rounded(nutrients: dict[str, float]) -> Nutrients:
    return Nutrients(**{name: round(value, DECIMALS) for name, value in nutrients.items()})


async def weight_on(user: User, first: date, last: date) -> Callable[[date], float | None]:
    """A lookup of the latest weight (kg) measured on or before a day from ``first`` to ``last``."""
    zone = user_zone(user)

    def start_of(day: date) -> datetime:
        return datetime.combine(day, time.min, zone).astimezone(UTC)

    weights = BodyMetric.filter(user_id=user.id, kind=MetricKind.WEIGHT)
    before = (
        await weights.filter(measured_at__lt=start_of(first))
        .order_by("-measured_at", "-id")
        .first()
        .values("measured_at", "value")
    )
    during = (
        await weights.filter(
            measured_at__gte=start_of(first), measured_at__lt=start_of(last + timedelta(days=1))
        )
        .order_by("measured_at", "id")
        .values("measured_at", "value")
    )
    rows = ([before] if before else []) + list(during)
    moments = [row["measured_at"] for row in rows]

    def lookup(day: date) -> float | None:
        index = bisect_left(moments, start_of(day + timedelta(days=1)))  # first one after the day
        return float(rows[index - 1]["value"]) if index else None

    return lookup


def _per_kg(nutrients: dict[str, float], weight: float | None) -> PerKg | None:
    if weight is None or weight <= 0:
        return None
    grams = {name: round(nutrients[name] / weight, DECIMALS) for name in PER_KG}
    return PerKg(**{**grams, "weight_kg": weight})


async def daily_totals(user: User, first: date, last: date) -> DailyTotals:
    """Every day from ``first`` to ``last``: totals, against targets, energy shares, g/kg."""
    sums = await daily_sums(user.id, first, last)
    targets = await NutritionTargets.get_or_none(user_id=user.id)
    weight = await weight_on(user, first, last)
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        found = sums.get(day, DaySum(0, _zero()))
        days.append(
            DayTotals(
                day=day,
                entries=found.entries,
                totals=_rounded(found.nutrients),
                targets=against_targets(found.nutrients, targets),
                energy_percent=energy_share(found.nutrients),
                per_kg=_per_kg(found.nutrients, weight(day)),
            )
        )
    return DailyTotals(first_day=first, last_day=last, targets=targets_out(targets), days=days)


def iso_weeks(first: date, last: date) -> tuple[date, date]:
    """The Monday of ``first``'s ISO week and the Sunday of ``last``'s."""
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


async def weekly_totals(user: User, first: date, last: date) -> WeeklyTotals:
    """Each ISO week touching ``first``..``last`` (whole weeks): totals, averages, 7 x targets."""
    monday, sunday = iso_weeks(first, last)
    sums = await daily_sums(user.id, monday, sunday)
    targets = await NutritionTargets.get_or_none(user_id=user.id)
    weeks = []
    start = monday
    while start <= sunday:
        days = [sums[d] for i in range(7) if (d := start + timedelta(days=i)) in sums]
        total = {name: sum(day.nutrients[name] for day in days) for name in NUTRIENT_FIELDS}
        average = {name: value / len(days) for name, value in total.items()} if days else None
        year, week, _ = start.isocalendar()
        weeks.append(
            WeekTotals(
                week=f"{year}-W{week:02d}",
                starts_on=start,
                ends_on=start + timedelta(days=6),
                logged_days=len(days),
                totals=_rounded(total),
                average_per_logged_day=_rounded(average) if average is not None else None,
                targets=against_targets(total, targets, factor=7),
                energy_percent=energy_share(total),
            )
        )
        start += timedelta(days=7)
    return WeeklyTotals(
        first_day=monday, last_day=sunday, targets=targets_out(targets), weeks=weeks
    )
