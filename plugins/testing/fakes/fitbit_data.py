"""Items of the fake Fitbit: realistic, deterministic daily summaries, activity, sleep and weight logs.

Each builder gives the same item for the same account and day, shaped as the Fitbit Web API
returns it (local times as Fitbit writes them: sleep without an offset, activities with one).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as clock
from typing import Any

from fithub.plugins.testing.fake import noise

STAGE_CYCLE = (("light", 1800), ("deep", 1200), ("light", 900), ("rem", 1200))
CLASSIC_CYCLE = (("asleep", 1500), ("restless", 120), ("asleep", 1200), ("awake", 60))


def _local(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).replace(tzinfo=None).isoformat(timespec="milliseconds")


def daily_summary(account: str, day: date) -> dict[str, Any]:
    n = noise(account, day, "daily")
    steps = 3000 + n % 9000
    fairly, very, lightly = 10 + n % 30, 5 + n % 40, 150 + n % 120
    active_kcal = 300 + steps // 20
    km = round(steps * 0.00075, 2)
    return {
        "date": day.isoformat(),
        "summary": {
            "activeScore": -1,
            "activityCalories": active_kcal,
            "caloriesBMR": 1650,
            "caloriesOut": 1650 + active_kcal,
            "distances": [
                {"activity": "total", "distance": km},
                {"activity": "tracker", "distance": km},
                {"activity": "loggedActivities", "distance": 0},
            ],
            "elevation": 9.14,
            "fairlyActiveMinutes": fairly,
            "floors": 3,
            "lightlyActiveMinutes": lightly,
            "marginalCalories": active_kcal // 2,
            "restingHeartRate": 55 + n % 10,
            "sedentaryMinutes": 1440 - fairly - very - lightly,
            "steps": steps,
            "veryActiveMinutes": very,
        },
        "goals": {
            "activeMinutes": 30,
            "caloriesOut": 2500,
            "distance": 8.05,
            "floors": 10,
            "steps": 10000,
        },
    }


def activity(account: str, day: date, kind: str, tz: tzinfo) -> dict[str, Any]:
    n = noise(account, day, kind)
    if kind == "walk":
        begins, minutes, name, type_id, log_type = (
            clock(12, 10),
            25 + n % 20,
            "Walk",
            90013,
            "auto_detected",
        )
    else:
        begins, minutes, name, type_id = clock(17, 30), 30 + n % 30, "Run", 90009
        log_type = ("mobile_run", "manual", "tracker")[n % 3]
    start = datetime.combine(day, begins, tz)
    steps = minutes * (110 if kind == "walk" else 160)
    return {
        "activeDuration": minutes * 60_000,
        "activityLevel": [
            {"minutes": minutes // 3, "name": "lightly"},
            {"minutes": minutes - minutes // 3, "name": "very"},
        ],
        "activityName": name,
        "activityTypeId": type_id,
        "averageHeartRate": 95 + n % 50,
        "calories": 5 * minutes + n % 60,
        "distance": round(steps * 0.00078, 3),
        "distanceUnit": "Kilometer",
        "duration": minutes * 60_000,
        "hasActiveZoneMinutes": True,
        "lastModified": start.astimezone(UTC).isoformat(timespec="milliseconds"),
        "logId": 10_000_000_000 + noise(account, day, kind, "id") % 9_000_000_000,
        "logType": log_type,
        "originalDuration": minutes * 60_000,
        "originalStartTime": start.isoformat(timespec="milliseconds"),
        "startTime": start.isoformat(timespec="milliseconds"),
        "steps": steps,
    }


def sleep_log(account: str, day: date, tz: tzinfo, *, nap: bool) -> dict[str, Any]:
    """The night before ``day`` ("stages") or a nap on ``day`` (short sleeps are "classic")."""
    n = noise(account, day, "nap" if nap else "sleep")
    if nap:
        start = datetime.combine(day, clock(14, 0), tz)
        duration, cycle, first = 3000 + (n % 20) * 60, CLASSIC_CYCLE, ("awake", 60)
    else:
        start = datetime.combine(day - timedelta(days=1), clock(22, 45), tz)
        start += timedelta(minutes=n % 60)
        duration, cycle, first = 7 * 3600 + (n % 60) * 60, STAGE_CYCLE, ("wake", 300)
    data: list[dict[str, Any]] = []
    offset = 0
    for level, seconds in (first, *[cycle[k % len(cycle)] for k in range(100)]):
        seconds = min(seconds, duration - offset)
        if seconds <= 0:
            break
        data.append(
            {
                "dateTime": _local(start + timedelta(seconds=offset), tz),
                "level": level,
                "seconds": seconds,
            }
        )
        offset += seconds
    summary: dict[str, dict[str, int]] = {}
    for entry in data:
        counts = summary.setdefault(entry["level"], {"count": 0, "minutes": 0})
        counts["count"] += 1
        counts["minutes"] += entry["seconds"] // 60
    awake_levels = ("awake", "restless") if nap else ("wake",)
    awake = sum(summary.get(name, {}).get("minutes", 0) for name in awake_levels)
    in_bed = duration // 60
    return {
        "dateOfSleep": day.isoformat(),
        "duration": duration * 1000,
        "efficiency": round(100 * (in_bed - awake) / in_bed),
        "endTime": _local(start + timedelta(seconds=duration), tz),
        "infoCode": 0,
        "isMainSleep": not nap,
        "levels": {"data": data, "shortData": [], "summary": summary},
        "logId": 20_000_000_000 + noise(account, day, nap, "id") % 9_000_000_000,
        "logType": "auto_detected",
        "minutesAfterWakeup": 0,
        "minutesAsleep": in_bed - awake,
        "minutesAwake": awake,
        "minutesToFallAsleep": 0,
        "startTime": _local(start, tz),
        "timeInBed": in_bed,
        "type": "classic" if nap else "stages",
    }


def weight_log(account: str, day: date, tz: tzinfo) -> dict[str, Any]:
    n = noise(account, day, "weight")
    moment = datetime.combine(day, clock(7, 5, n % 60), tz)
    weight = round(70 + (n % 50) / 10, 1)
    return {
        "bmi": round(weight / 1.78**2, 2),
        "date": day.isoformat(),
        "fat": round(18 + (n % 40) / 10, 1),
        "logId": int(moment.timestamp() * 1000),
        "source": "Aria",
        "time": moment.strftime("%H:%M:%S"),
        "weight": weight,
    }
