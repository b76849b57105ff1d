"""Data for the fake Google Health API: its data types, time formats and seeded data points.

Builders return DataPoints as the v4 API writes them: int64 values as strings, RFC 3339 UTC
times, UTC offsets as durations (``"3600s"``) and local ("civil") times as
``{"date": {"year", "month", "day"}, "time": {"hours", "minutes", "seconds"}}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fithub.plugins.testing.fake import noise

_SCOPE = "https://www.googleapis.com/auth/googlehealth.{}.readonly"
ACTIVITY, METRICS, SLEEP = (_SCOPE.format(s) for s in
                            ("activity_and_fitness", "health_metrics_and_measurements", "sleep"))  # fmt: skip


@dataclass(frozen=True)
class Kind:
    """How the fake stores and filters one data type."""

    member: str  # the DataPoint union member
    record: str  # "interval", "sample", "exercise" or "sleep"
    scope: str
    max_page: int = 10_000
    rollup_days: int | None = None  # None: no dailyRollUp


KINDS: dict[str, Kind] = {
    "steps": Kind("steps", "interval", ACTIVITY, rollup_days=90),
    "distance": Kind("distance", "interval", ACTIVITY, rollup_days=90),
    "total-calories": Kind("totalCalories", "interval", ACTIVITY, rollup_days=14),
    "active-energy-burned": Kind("activeEnergyBurned", "interval", ACTIVITY, rollup_days=90),
    "active-minutes": Kind("activeMinutes", "interval", ACTIVITY, rollup_days=14),
    "exercise": Kind("exercise", "exercise", ACTIVITY, max_page=25),
    "sleep": Kind("sleep", "sleep", SLEEP, max_page=25),
    "heart-rate": Kind("heartRate", "sample", METRICS),
    "weight": Kind("weight", "sample", METRICS),
    "body-fat": Kind("bodyFat", "sample", METRICS),
    "heart-rate-variability": Kind("heartRateVariability", "sample", METRICS),
    "oxygen-saturation": Kind("oxygenSaturation", "sample", METRICS),
}
FILTER_FIELDS = {
    "interval": ("interval.start_time", "interval.civil_start_time"),
    "sample": ("sample_time.physical_time", "sample_time.civil_time"),
    "exercise": ("interval.civil_start_time",),
    "sleep": ("interval.end_time", "interval.civil_end_time"),
}

# One night: (stage, minutes) runs from falling asleep to waking.
NIGHT: tuple[tuple[str, int], ...] = (
    ("AWAKE", 10), ("LIGHT", 40), ("DEEP", 50), ("LIGHT", 30), ("REM", 25), ("LIGHT", 45),
    ("DEEP", 35), ("LIGHT", 40), ("REM", 30), ("AWAKE", 5), ("LIGHT", 50), ("REM", 35),
    ("AWAKE", 10),
)  # fmt: skip
NIGHT_START = time(23, 15)  # UTC, the evening before the day it is filed under
OFFSETS = (3600, -18000, 19800)  # an account lives at UTC+1, UTC-5 or UTC+5:30


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def civil_json(moment: datetime, offset_s: int) -> dict[str, Any]:
    local = moment.astimezone(UTC) + timedelta(seconds=offset_s)
    clock = {k: v for k, v in (("hours", local.hour), ("minutes", local.minute),
                               ("seconds", local.second)) if v}  # fmt: skip
    return {"date": {"year": local.year, "month": local.month, "day": local.day}, "time": clock}


def civil_value(value: dict[str, Any]) -> datetime:
    day, clock = value["date"], value.get("time") or {}
    return datetime(day["year"], day["month"], day["day"], clock.get("hours", 0),
                    clock.get("minutes", 0), clock.get("seconds", 0))  # fmt: skip


def interval(start: datetime, end: datetime, offset_s: int) -> dict[str, Any]:
    """An ObservationTimeInterval / SessionTimeInterval."""
    return {"startTime": rfc3339(start), "endTime": rfc3339(end),
            "startUtcOffset": f"{offset_s}s", "endUtcOffset": f"{offset_s}s",
            "civilStartTime": civil_json(start, offset_s),
            "civilEndTime": civil_json(end, offset_s)}  # fmt: skip


def sample_time(moment: datetime, offset_s: int) -> dict[str, Any]:
    return {"physicalTime": rfc3339(moment), "utcOffset": f"{offset_s}s",
            "civilTime": civil_json(moment, offset_s)}  # fmt: skip


def tracker(method: str = "PASSIVELY_MEASURED") -> dict[str, Any]:
    return {"recordingMethod": method, "platform": "FITBIT",
            "device": {"displayName": "Pixel Watch 3", "formFactor": "WATCH",
                       "manufacturer": "Google"}}  # fmt: skip


def activity_hour(account: str, hour: datetime, offset: int) -> dict[str, dict[str, Any]]:
    """One hour of steps, distance, calories and active minutes (quiet at local night)."""
    local = (hour + timedelta(seconds=offset)).hour
    n = noise(account, hour)
    steps = n % 40 if local < 7 else 200 + n % 1200
    span = interval(hour, hour + timedelta(hours=1), offset)
    levels = [{"activityLevel": "LIGHT", "activeMinutes": str(2 + n % 20)}]
    if steps > 900:
        levels.append({"activityLevel": "MODERATE", "activeMinutes": str(5 + n % 10)})
    if steps > 1250:
        levels.append({"activityLevel": "VIGOROUS", "activeMinutes": str(n % 8)})
    source = tracker()
    return {
        "steps": {"dataSource": source, "steps": {"interval": span, "count": str(steps)}},
        "distance": {"dataSource": source,
                     "distance": {"interval": span, "millimeters": str(steps * 760)}},
        "total-calories": {"dataSource": source,
                           "totalCalories": {"interval": span, "kcal": 68.5 + steps * 0.045}},
        "active-energy-burned": {"dataSource": source, "activeEnergyBurned": {
            "interval": span, "kcal": round(steps * 0.045, 3)}},
        "active-minutes": {"dataSource": source, "activeMinutes": {
            "interval": span, "activeMinutesByActivityLevel": levels}},
    }  # fmt: skip


def exercise(account: str, day: date, offset: int = 3600) -> dict[str, Any]:
    n = noise(account, day, "exercise")
    start = datetime.combine(day, time(17, 0), UTC)
    kind = ("WALKING", "RUNNING", "BIKING")[n % 3]
    minutes = 30 + n % 40
    return {
        "name": f"users/{account}/dataTypes/exercise/dataPoints/{n * 10_000 + day.toordinal()}",
        "dataSource": tracker("ACTIVELY_MEASURED" if n % 2 else "PASSIVELY_MEASURED"),
        "exercise": {
            "interval": interval(start, start + timedelta(minutes=minutes), offset),
            "exerciseType": kind,
            "displayName": kind.title(),
            "activeDuration": f"{minutes * 60}s",
            "metricsSummary": {
                "caloriesKcal": 150.0 + n % 400,
                "distanceMillimeters": float(2_000_000 + n % 8_000_000),
                "steps": str(3000 + n % 4000),
                "averageHeartRateBeatsPerMinute": str(110 + n % 40),
                "activeZoneMinutes": str(10 + n % 20),
            },
            "createTime": rfc3339(start + timedelta(minutes=minutes + 5)),
            "updateTime": rfc3339(start + timedelta(minutes=minutes + 5)),
        },
    }


def sleep(account: str, day: date, offset: int = 3600) -> dict[str, Any]:
    """The night that ends on the morning of ``day`` (UTC), with its stages and summary."""
    fell = datetime.combine(day - timedelta(days=1), NIGHT_START, UTC)
    stages: list[dict[str, Any]] = []
    minutes: dict[str, int] = {}
    counts: dict[str, int] = {}
    moment = fell
    for kind, length in NIGHT:
        until = moment + timedelta(minutes=length)
        stages.append(
            {
                "type": kind,
                "startTime": rfc3339(moment),
                "endTime": rfc3339(until),
                "startUtcOffset": f"{offset}s",
                "endUtcOffset": f"{offset}s",
            }
        )
        minutes[kind] = minutes.get(kind, 0) + length
        counts[kind] = counts.get(kind, 0) + 1
        moment = until
    total = sum(length for _, length in NIGHT)
    return {
        "name": f"users/{account}/dataTypes/sleep/dataPoints/{account}-{day:%Y%m%d}",
        "dataSource": tracker(),
        "sleep": {
            "interval": interval(fell, moment, offset),
            "type": "STAGES",
            "stages": stages,
            "metadata": {"mainSleep": True, "nap": False, "processed": True,
                         "stagesStatus": "SUCCEEDED"},
            "summary": {
                "minutesInSleepPeriod": str(total),
                "minutesAsleep": str(total - minutes["AWAKE"]),
                "minutesAwake": str(minutes["AWAKE"]),
                "minutesToFallAsleep": str(NIGHT[0][1]),
                "minutesAfterWakeUp": str(NIGHT[-1][1]),
                "stagesSummary": [{"type": k, "minutes": str(v), "count": str(counts[k])}
                                  for k, v in minutes.items()],
            },
            "createTime": rfc3339(moment + timedelta(minutes=20)),
            "updateTime": rfc3339(moment + timedelta(minutes=20)),
        },
    }  # fmt: skip


def heart_rate(account: str, moment: datetime, offset: int = 3600) -> dict[str, Any]:
    local = (moment + timedelta(seconds=offset)).hour
    resting = local < 7
    bpm = 50 + noise(account, moment) % 8 if resting else 58 + noise(account, moment) % 45
    return {"dataSource": tracker(), "heartRate": {
        "sampleTime": sample_time(moment, offset), "beatsPerMinute": str(bpm),
        "metadata": {"motionContext": "SEDENTARY" if resting else "ACTIVE",
                     "sensorLocation": "WRIST"}}}  # fmt: skip


def hrv(account: str, moment: datetime, offset: int = 3600) -> dict[str, Any]:
    n = noise(account, moment, "hrv")
    return {"dataSource": tracker(), "heartRateVariability": {
        "sampleTime": sample_time(moment, offset),
        "rootMeanSquareOfSuccessiveDifferencesMilliseconds": 28.0 + n % 400 / 10,
        "standardDeviationMilliseconds": 40.0 + n % 300 / 10}}  # fmt: skip


def spo2(account: str, moment: datetime, offset: int = 3600) -> dict[str, Any]:
    n = noise(account, moment, "spo2")
    return {
        "dataSource": tracker(),
        "oxygenSaturation": {
            "sampleTime": sample_time(moment, offset),
            "percentage": 94.0 + n % 50 / 10,
        },
    }


def weight(account: str, moment: datetime, offset: int = 3600) -> dict[str, Any]:
    grams = 70_000.0 + noise(account, moment.date(), "weight") % 3000
    return {
        "dataSource": {
            "recordingMethod": "ACTIVELY_MEASURED",
            "platform": "FITBIT",
            "device": {"displayName": "Aria Air", "formFactor": "SCALE"},
        },
        "weight": {"sampleTime": sample_time(moment, offset), "weightGrams": grams},
    }


def body_fat(account: str, moment: datetime, offset: int = 3600) -> dict[str, Any]:
    percent = 18.0 + noise(account, moment.date(), "fat") % 60 / 10
    return {
        "dataSource": {
            "recordingMethod": "ACTIVELY_MEASURED",
            "platform": "FITBIT",
            "device": {"displayName": "Aria Air", "formFactor": "SCALE"},
        },
        "bodyFat": {"sampleTime": sample_time(moment, offset), "percentage": percent},
    }


def notification(account: str, data_type: str, start: datetime, end: datetime,
                 operation: str = "UPSERT") -> dict[str, Any]:  # fmt: skip
    """One change notification as Google sends it (UNCONFIRMED extras: version, civil)."""
    return {"data": {
        "version": "1", "clientProvidedSubscriptionName": "fithub",
        "healthUserId": account, "operation": operation, "dataType": data_type,
        "intervals": [{"physicalTimeInterval": {"startTime": rfc3339(start),
                                                "endTime": rfc3339(end)}}]}}  # fmt: skip


def date_json(day: date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


def rollup_value(data_type: str, values: list[dict[str, Any]]) -> dict[str, Any]:
    if data_type == "steps":
        return {"countSum": str(sum(int(v["count"]) for v in values))}
    if data_type == "distance":
        return {"millimetersSum": str(sum(int(v["millimeters"]) for v in values))}
    if data_type in ("total-calories", "active-energy-burned"):
        return {"kcalSum": round(sum(float(v["kcal"]) for v in values), 3)}
    levels: dict[str, int] = {}
    for value in values:
        for entry in value["activeMinutesByActivityLevel"]:
            level = entry["activityLevel"]
            levels[level] = levels.get(level, 0) + int(entry["activeMinutes"])
    return {"activeMinutesRollupByActivityLevel": [
        {"activityLevel": level, "activeMinutesSum": str(total)}
        for level, total in sorted(levels.items())]}  # fmt: skip
