"""WHOOP v2 items -> fithub records. Pure functions: a dict in, records out, ValueError when unreadable.

Only items whose ``score_state`` is ``SCORED`` carry a ``score``; the others (``PENDING_SCORE``,
``UNSCORABLE``) keep what WHOOP knows without one: a workout or a sleep still has its times, so it
becomes a record with no measurements (updated once scored); a cycle or a recovery without a score
has nothing to say and gives no record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from fithub.plugins import records
from fithub.plugins.coerce import (
    Item,
    date_field,
    datetime_field,
    id_field,
    number_field,
    scaled_field,
    text_field,
)
from fithub.plugins.provider import normalises
from fithub.plugins.records import Record
from fithub.plugins.types import DataType
from fithub.plugins.whoop.const import BODY_DAY_KEY, KJ_PER_KCAL, NAME, SCORED, SPORT_IDS

_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
# A cycle starts when the person falls asleep; it is filed under the day its waking hours fall on.
CYCLE_DAY_SHIFT = timedelta(hours=12)


def _zone(item: Item) -> tzinfo:
    """The person's offset when the item was recorded (``timezone_offset``: ``-05:00`` or ``Z``)."""
    text = item.get("timezone_offset")
    match = _OFFSET.match(text) if isinstance(text, str) else None
    if match is None:
        return UTC
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def _score(item: Item) -> Mapping[str, Any] | None:
    """The item's score when WHOOP scored it; None for PENDING_SCORE and UNSCORABLE."""
    state = text_field(item, "score_state")
    score = item.get("score")
    if state != SCORED or score is None:
        return None
    if not isinstance(score, Mapping):
        raise ValueError("score is not an object")
    return score


def _source(external_id: str) -> records.Source:
    return records.Source(provider=NAME, external_id=external_id)


def _sport(item: Item) -> str:
    name = item.get("sport_name")
    if isinstance(name, str) and name.strip():
        return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_") or "activity"
    sport_id = item.get("sport_id")
    if isinstance(sport_id, int) and not isinstance(sport_id, bool):
        return SPORT_IDS.get(sport_id, f"whoop_sport_{sport_id}")
    raise ValueError("sport_name and sport_id are both missing")


@normalises(DataType.ACTIVITIES)
def workout(item: Item) -> list[Record]:
    """``/v2/activity/workout`` -> one Activity (kilojoules -> kcal); unscored: times only."""
    zone = _zone(item)
    score = _score(item) or {}
    return [
        records.Activity(
            source=_source(id_field(item, "id")),
            start=datetime_field(item, "start").astimezone(zone),
            end=datetime_field(item, "end").astimezone(zone),
            sport=_sport(item),
            calories_kcal=scaled_field(score, "kilojoule", per=KJ_PER_KCAL),
            distance_m=number_field(score, "distance_meter"),
            avg_heart_rate_bpm=number_field(score, "average_heart_rate"),
            max_heart_rate_bpm=number_field(score, "max_heart_rate"),
            raw=dict(item),
        )
    ]


@normalises(DataType.SLEEP)
def sleep(item: Item) -> list[Record]:
    """``/v2/activity/sleep`` -> a SleepSession (stage totals in ms -> s) and its breathing rate."""
    sleep_id = id_field(item, "id")
    zone = _zone(item)
    end = datetime_field(item, "end").astimezone(zone)
    nap = item.get("nap")
    if not isinstance(nap, bool):
        raise ValueError("nap is missing or not true/false")
    score = _score(item) or {}
    stages = score.get("stage_summary") or {}
    if not isinstance(stages, Mapping):
        raise ValueError("score.stage_summary is not an object")
    deep = scaled_field(stages, "total_slow_wave_sleep_time_milli", per=1000)
    light = scaled_field(stages, "total_light_sleep_time_milli", per=1000)
    rem = scaled_field(stages, "total_rem_sleep_time_milli", per=1000)
    parts = [p for p in (deep, light, rem) if p is not None]
    out: list[Record] = [
        records.SleepSession(
            source=_source(sleep_id),
            start=datetime_field(item, "start").astimezone(zone),
            end=end,
            day=end.date(),  # the wake-up day, in the person's time zone
            is_nap=nap,
            asleep_s=sum(parts) if parts else None,
            deep_s=deep,
            light_s=light,
            rem_s=rem,
            awake_s=scaled_field(stages, "total_awake_time_milli", per=1000),
            efficiency=number_field(score, "sleep_efficiency_percentage"),
            raw=dict(item),
        )
    ]
    breathing = number_field(score, "respiratory_rate")
    if breathing is not None:
        out.append(
            records.Sample(
                source=_source(sleep_id),
                kind=records.SampleKind.RESPIRATORY_RATE,
                time=end,
                value=breathing,
                context="sleep",
                raw={"sleep_id": sleep_id, "respiratory_rate": breathing},
            )
        )
    return out


@normalises(DataType.DAILY)
def cycle(item: Item) -> list[Record]:
    """``/v2/cycle`` -> a DailySummary of one physiological cycle (energy in kJ -> kcal).

    The cycle is filed under the local day of its start plus 12 hours: a cycle that starts at
    23:00 (falling asleep) is the next day's. The current cycle has no ``end`` yet.
    """
    score = _score(item)
    if score is None:
        return []
    start = datetime_field(item, "start").astimezone(_zone(item))
    return [
        records.DailySummary(
            source=_source(id_field(item, "id")),
            day=(start + CYCLE_DAY_SHIFT).date(),
            total_calories_kcal=scaled_field(score, "kilojoule", per=KJ_PER_KCAL),
            raw=dict(item),
        )
    ]


def _recovery(item: Item) -> tuple[str, datetime, Mapping[str, Any]] | None:
    """The sleep id (the recovery's stable id), when it was scored, and its score (None: unscored)."""
    sleep_id = id_field(item, "sleep_id")
    when = datetime_field(item, "created_at")
    score = _score(item)
    return None if score is None else (sleep_id, when, score)


def _recovery_sample(
    sleep_id: str,
    when: datetime,
    kind: records.SampleKind,
    value: float | None,
    context: str,
    key: str,
) -> list[Record]:
    if value is None:
        return []
    raw = {"sleep_id": sleep_id, key: value}
    return [records.Sample(source=_source(sleep_id), kind=kind, time=when, value=value, context=context,
                   raw=raw)]  # fmt: skip


@normalises(DataType.HRV)
def recovery_hrv(item: Item) -> list[Record]:
    """``/v2/recovery`` -> the night's HRV (RMSSD, ms) and resting heart rate, keyed by sleep id."""
    found = _recovery(item)
    if found is None:
        return []
    sleep_id, when, score = found
    hrv = number_field(score, "hrv_rmssd_milli")
    if hrv is None:
        raise ValueError("score.hrv_rmssd_milli is missing")
    return [
        *_recovery_sample(sleep_id, when, records.SampleKind.HRV_RMSSD, hrv, "sleep", "hrv_rmssd_milli"),
        *_recovery_sample(sleep_id, when, records.SampleKind.HEART_RATE,
                          number_field(score, "resting_heart_rate"), "rest", "resting_heart_rate"),
    ]  # fmt: skip


@normalises(DataType.SPO2)
def recovery_spo2(item: Item) -> list[Record]:
    """``/v2/recovery`` -> the night's SpO2 (%), keyed by sleep id (only WHOOP 4.0 and later)."""
    found = _recovery(item)
    if found is None:
        return []
    sleep_id, when, score = found
    spo2 = number_field(score, "spo2_percentage")
    return _recovery_sample(
        sleep_id, when, records.SampleKind.SPO2, spo2, "sleep", "spo2_percentage"
    )


@normalises(DataType.BODY)
def body(item: Item) -> list[Record]:
    """``/v2/user/measurement/body`` -> weight (kg) and height (m) on the day fithub saw them.

    WHOOP keeps no history and no time for these: the client stamps the item with the day it was
    fetched (``fithub_observed_on``), which is the record's id and time (midnight UTC), so syncing
    again the same day changes nothing and each day keeps what it saw.
    """
    day = date_field(item, BODY_DAY_KEY)
    moment = datetime.combine(day, time.min, UTC)
    out: list[Record] = []
    for key, kind in (
        ("weight_kilogram", records.BodyKind.WEIGHT),
        ("height_meter", records.BodyKind.HEIGHT),
    ):
        value = number_field(item, key)
        if value is not None:
            out.append(records.BodyMeasurement(source=_source(f"body-{day.isoformat()}"), kind=kind,
                                           time=moment, value=value, raw=dict(item)))  # fmt: skip
    if not out:
        raise ValueError("neither weight_kilogram nor height_meter is given")
    return out
