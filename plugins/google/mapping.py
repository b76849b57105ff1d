"""Google Health v4 data points -> fithub records. Pure functions; ValueError when unreadable.

Google writes int64 values as JSON strings (``"count": "8123"``), timestamps as RFC 3339 in UTC
(``"2024-03-05T08:00:00.123456789Z"``), UTC offsets as durations (``"3600s"``) and local dates as
``{"year", "month", "day"}``. Units are metric: grams, millimetres, kilocalories, minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from fithub.plugins import records
from fithub.plugins.coerce import Item, int_field, list_field, number_field, required_number
from fithub.plugins.google.const import MOTION_CONTEXT, NAME, SLEEP_STAGES
from fithub.plugins.provider import normalises
from fithub.plugins.records import Record
from fithub.plugins.types import DataType


def _member(item: Item, key: str) -> Item:
    value = item.get(key)
    if not isinstance(value, Mapping):
        raise ValueError(f"{key} is missing or not an object")
    return value


def _optional_member(item: Item, key: str) -> Item:
    value = item.get(key)
    return value if isinstance(value, Mapping) else {}


def moment(value: Any, what: str = "time") -> datetime:
    """An RFC 3339 timestamp as an aware UTC datetime (nanoseconds are cut to microseconds)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} is missing or not text")
    text = value.strip().replace("z", "Z").replace("Z", "+00:00")
    if "." in text:  # Python reads at most six fractional digits reliably
        head, rest = text.split(".", 1)
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)].ljust(6, '0')}{rest[digits:]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:  # protobuf timestamps are UTC; a bare one is read as UTC too
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def number(item: Item, key: str) -> float | None:
    """A JSON number or an int64-as-string; None when absent."""
    return number_field(item, key, numeric_text=True)


def civil_date(value: Any, what: str = "date") -> date:
    """A google.type.Date ``{"year", "month", "day"}``."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} is missing or not a date object")
    try:
        return date(int(value["year"]), int(value["month"]), int(value["day"]))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{what} is not a full date") from exc


def _source(external_id: str, item: Item) -> records.Source:
    device = _optional_member(_optional_member(item, "dataSource"), "device")
    name = device.get("displayName")
    return records.Source(NAME, external_id, name if isinstance(name, str) and name else None)


def _point_id(item: Item, start: datetime) -> str:
    """The data point's own id (the last segment of ``name``), else its start instant."""
    name = item.get("name")
    if isinstance(name, str) and name.strip("/"):
        return name.rstrip("/").rsplit("/", 1)[-1]
    return start.isoformat()


def _interval(value: Item) -> tuple[datetime, datetime]:
    interval = _member(value, "interval")
    return moment(interval.get("startTime"), "startTime"), moment(
        interval.get("endTime"), "endTime"
    )


# -- daily summary (dailyRollUp) -----------------------------------------------------------------


def rollup_date(point: Item) -> date:
    """The local day a DailyRollupDataPoint covers (its ``civilStartTime.date``)."""
    return civil_date(_member(point, "civilStartTime").get("date"), "civilStartTime.date")


def merge_rollups(points: Iterable[Item]) -> list[dict[str, Any]]:
    """Rollup points of several collections -> one point per local day, every member merged."""
    days: dict[date, dict[str, Any]] = {}
    for point in points:
        merged = days.setdefault(rollup_date(point), {})
        for key, value in point.items():
            merged.setdefault(key, value)
    return [days[day] for day in sorted(days)]


@normalises(DataType.DAILY)
def daily(item: Item) -> list[Record]:
    """A merged DailyRollupDataPoint -> one DailySummary identified by its local day.

    Active minutes add up every activity level Google reports (light, moderate, vigorous). A day
    with none of the metrics gives no record.
    """
    day = rollup_date(item)
    steps = _optional_member(item, "steps")
    distance = _optional_member(item, "distance")
    total = _optional_member(item, "totalCalories")
    active = _optional_member(item, "activeEnergyBurned")
    levels = _optional_member(item, "activeMinutes").get("activeMinutesRollupByActivityLevel")
    minutes: float | None = None
    if levels is not None:
        if not isinstance(levels, list) or not all(isinstance(x, Mapping) for x in levels):
            raise ValueError("activeMinutesRollupByActivityLevel is not a list of objects")
        minutes = sum(number(level, "activeMinutesSum") or 0.0 for level in levels)
    millimetres = number(distance, "millimetersSum")
    summary = records.DailySummary(
        source=records.Source(NAME, day.isoformat()),
        day=day,
        steps=int_field(steps, "countSum", numeric_text=True),
        distance_m=None if millimetres is None else millimetres / 1000,
        total_calories_kcal=number(total, "kcalSum"),
        active_calories_kcal=number(active, "kcalSum"),
        active_minutes=minutes,
        raw=dict(item),
    )
    values = (summary.steps, summary.distance_m, summary.total_calories_kcal,
              summary.active_calories_kcal, summary.active_minutes)  # fmt: skip
    return [summary] if any(v is not None for v in values) else []


# -- sessions ------------------------------------------------------------------------------------


@normalises(DataType.ACTIVITIES)
def exercise(item: Item) -> list[Record]:
    """An ``exercise`` data point -> one Activity (distance in mm, calories in kcal)."""
    value = _member(item, "exercise")
    start, end = _interval(value)
    kind = value.get("exerciseType")
    if not isinstance(kind, str) or not kind:
        raise ValueError("exerciseType is missing")
    sport = "other" if kind == "EXERCISE_TYPE_UNSPECIFIED" else kind.lower()
    summary = _optional_member(value, "metricsSummary")
    millimetres = number(summary, "distanceMillimeters")
    method = _optional_member(item, "dataSource").get("recordingMethod")
    name = value.get("displayName")
    return [
        records.Activity(
            source=_source(_point_id(item, start), item),
            start=start,
            end=end,
            sport=sport,
            name=name if isinstance(name, str) and name else None,
            detected=method == "PASSIVELY_MEASURED",
            calories_kcal=number(summary, "caloriesKcal"),
            distance_m=None if millimetres is None else millimetres / 1000,
            steps=int_field(summary, "steps", numeric_text=True),
            avg_heart_rate_bpm=number(summary, "averageHeartRateBeatsPerMinute"),
            raw=dict(item),
        )
    ]


def _stages(value: Item) -> tuple[records.SleepStage, ...]:
    stages = list_field(value, "stages")
    if stages is None:
        return ()
    found: list[records.SleepStage] = []
    for stage in stages:
        if not isinstance(stage, Mapping):
            raise ValueError("a sleep stage is not an object")
        kind = SLEEP_STAGES.get(str(stage.get("type")))
        if kind is None:  # SLEEP_STAGE_TYPE_UNSPECIFIED and anything newer
            continue
        found.append(
            records.SleepStage(
                records.SleepStageKind(kind),
                moment(stage.get("startTime"), "stage startTime"),
                moment(stage.get("endTime"), "stage endTime"),
            )
        )
    return tuple(sorted(found, key=lambda s: s.start))


@normalises(DataType.SLEEP)
def sleep(item: Item) -> list[Record]:
    """A ``sleep`` data point -> one SleepSession with its stages (durations in minutes)."""
    value = _member(item, "sleep")
    start, end = _interval(value)
    interval = _member(value, "interval")
    civil_end = _optional_member(interval, "civilEndTime").get("date")
    metadata = _optional_member(value, "metadata")
    summary = _optional_member(value, "summary")
    by_stage: dict[str, float] = {}
    stage_summaries = summary.get("stagesSummary") or []
    if not isinstance(stage_summaries, list):
        raise ValueError("stagesSummary is not a list")
    for entry in stage_summaries:
        if isinstance(entry, Mapping) and isinstance(entry.get("type"), str):
            minutes = number(entry, "minutes")
            if minutes is not None:
                by_stage[entry["type"]] = minutes * 60

    def seconds(key: str) -> float | None:
        minutes = number(summary, key)
        return None if minutes is None else minutes * 60

    asleep, in_period = seconds("minutesAsleep"), seconds("minutesInSleepPeriod")
    nap = metadata.get("nap")
    main = metadata.get("mainSleep")
    return [
        records.SleepSession(
            source=_source(_point_id(item, start), item),
            start=start,
            end=end,
            day=civil_date(civil_end, "civilEndTime.date") if civil_end is not None else None,
            is_nap=nap if isinstance(nap, bool) else main is False,
            stages=_stages(value),
            asleep_s=asleep,
            deep_s=by_stage.get("DEEP"),
            light_s=by_stage.get("LIGHT"),
            rem_s=by_stage.get("REM"),
            awake_s=seconds("minutesAwake"),
            latency_s=seconds("minutesToFallAsleep"),
            efficiency=100 * asleep / in_period if asleep is not None and in_period else None,
            raw=dict(item),
        )
    ]


# -- samples -------------------------------------------------------------------------------------


def _sample_time(value: Item) -> datetime:
    return moment(_member(value, "sampleTime").get("physicalTime"), "sampleTime.physicalTime")


@normalises(DataType.HEART_RATE)
def heart_rate(item: Item) -> list[Record]:
    """A ``heart-rate`` data point -> one Sample identified by its instant."""
    value = _member(item, "heartRate")
    time = _sample_time(value)
    motion = _optional_member(value, "metadata").get("motionContext")
    return [
        records.Sample(
            source=_source(time.isoformat(), item),
            kind=records.SampleKind.HEART_RATE,
            time=time,
            value=required_number(value, "beatsPerMinute", numeric_text=True),
            context=MOTION_CONTEXT.get(str(motion)),
            raw=dict(item),
        )
    ]


@normalises(DataType.BODY)
def body(item: Item) -> list[Record]:
    """A ``weight`` (grams -> kg) or ``body-fat`` (percent) data point -> a BodyMeasurement."""
    if isinstance(item.get("weight"), Mapping):
        value, kind = item["weight"], records.BodyKind.WEIGHT
        measured = required_number(value, "weightGrams", numeric_text=True) / 1000
    else:
        value, kind = _member(item, "bodyFat"), records.BodyKind.BODY_FAT
        measured = required_number(value, "percentage", numeric_text=True)
    time = _sample_time(value)
    return [
        records.BodyMeasurement(
            source=_source(time.isoformat(), item),
            kind=kind,
            time=time,
            value=measured,
            raw=dict(item),
        )  # fmt: skip
    ]


@normalises(DataType.HRV)
def hrv(item: Item) -> list[Record]:
    """A ``heart-rate-variability`` data point -> an RMSSD Sample (none when only SDNN came)."""
    value = _member(item, "heartRateVariability")
    time = _sample_time(value)
    rmssd = number(value, "rootMeanSquareOfSuccessiveDifferencesMilliseconds")
    if rmssd is None:
        return []
    return [
        records.Sample(
            source=_source(time.isoformat(), item),
            kind=records.SampleKind.HRV_RMSSD,
            time=time,
            value=rmssd,
            raw=dict(item),
        )  # fmt: skip
    ]


@normalises(DataType.SPO2)
def spo2(item: Item) -> list[Record]:
    """An ``oxygen-saturation`` data point -> one SpO2 Sample (percent)."""
    value = _member(item, "oxygenSaturation")
    time = _sample_time(value)
    return [
        records.Sample(
            source=_source(time.isoformat(), item),
            kind=records.SampleKind.SPO2,
            time=time,
            value=required_number(value, "percentage", numeric_text=True),
            raw=dict(item),
        )  # fmt: skip
    ]
