"""WHOOP v2 items -> fithub records. Pure functions: a dict in, records out, ValueError when unreadable.

Only items whose ``score_state`` is ``SCORED`` carry a ``score``; the others (``PENDING_SCORE``,
``UNSCORABLE``) keep what WHOOP knows without one: a workout or a sleep still has its times, so it
becomes a record with no measurements (updated once scored); a cycle or a recovery without a score
has nothing to say and gives no record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from fithub.plugins.records import (
    Activity,
    BodyKind,
    BodyMeasurement,
    DailySummary,
    Record,
    Sample,
    SampleKind,
    SleepSession,
    Source,
)
from fithub.plugins.whoop.const import BODY_DAY_KEY, KJ_PER_KCAL, NAME, SCORED, SPORT_IDS

Item = Mapping[str, Any]
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
# A cycle starts when the person falls asleep; it is filed under the day its waking hours fall on.
CYCLE_DAY_SHIFT = timedelta(hours=12)


def _text(item: Item, key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} is missing or not text")
    return value


def _ident(item: Item, key: str) -> str:
    """An id: v2 UUIDs are text, v1 and cycle ids are integers."""
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise ValueError(f"{key} is missing or not an id")
    return str(value)


def _moment(item: Item, key: str) -> datetime:
    value = datetime.fromisoformat(_text(item, key).replace("Z", "+00:00"))
    if value.tzinfo is None:  # WHOOP sends UTC ("...Z"); a bare time is taken as UTC too
        value = value.replace(tzinfo=UTC)
    return value


def _zone(item: Item) -> tzinfo:
    """The person's offset when the item was recorded (``timezone_offset``: ``-05:00`` or ``Z``)."""
    text = item.get("timezone_offset")
    match = _OFFSET.match(text) if isinstance(text, str) else None
    if match is None:
        return UTC
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def _number(item: Item, key: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} is not a number")
    return float(value)


def _seconds(item: Item, key: str) -> float | None:
    milli = _number(item, key)
    return None if milli is None else milli / 1000


def _kcal(item: Item, key: str = "kilojoule") -> float | None:
    kilojoule = _number(item, key)
    return None if kilojoule is None else kilojoule / KJ_PER_KCAL


def _score(item: Item) -> Mapping[str, Any] | None:
    """The item's score when WHOOP scored it; None for PENDING_SCORE and UNSCORABLE."""
    state = _text(item, "score_state")
    score = item.get("score")
    if state != SCORED or score is None:
        return None
    if not isinstance(score, Mapping):
        raise ValueError("score is not an object")
    return score


def _source(external_id: str) -> Source:
    return Source(provider=NAME, external_id=external_id)


def _sport(item: Item) -> str:
    name = item.get("sport_name")
    if isinstance(name, str) and name.strip():
        return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_") or "activity"
    sport_id = item.get("sport_id")
    if isinstance(sport_id, int) and not isinstance(sport_id, bool):
        return SPORT_IDS.get(sport_id, f"whoop_sport_{sport_id}")
    raise ValueError("sport_name and sport_id are both missing")


def workout(item: Item) -> list[Record]:
    """``/v2/activity/workout`` -> one Activity (kilojoules -> kcal); unscored: times only."""
    zone = _zone(item)
    score = _score(item) or {}
    return [
        Activity(
            source=_source(_ident(item, "id")),
            start=_moment(item, "start").astimezone(zone),
            end=_moment(item, "end").astimezone(zone),
            sport=_sport(item),
            calories_kcal=_kcal(score),
            distance_m=_number(score, "distance_meter"),
            avg_heart_rate_bpm=_number(score, "average_heart_rate"),
            max_heart_rate_bpm=_number(score, "max_heart_rate"),
            raw=dict(item),
        )
    ]


def sleep(item: Item) -> list[Record]:
    """``/v2/activity/sleep`` -> a SleepSession (stage totals in ms -> s) and its breathing rate."""
    sleep_id = _ident(item, "id")
    zone = _zone(item)
    end = _moment(item, "end").astimezone(zone)
    nap = item.get("nap")
    if not isinstance(nap, bool):
        raise ValueError("nap is missing or not true/false")
    score = _score(item) or {}
    stages = score.get("stage_summary") or {}
    if not isinstance(stages, Mapping):
        raise ValueError("score.stage_summary is not an object")
    deep = _seconds(stages, "total_slow_wave_sleep_time_milli")
    light = _seconds(stages, "total_light_sleep_time_milli")
    rem = _seconds(stages, "total_rem_sleep_time_milli")
    parts = [p for p in (deep, light, rem) if p is not None]
    records: list[Record] = [
        SleepSession(
            source=_source(sleep_id),
            start=_moment(item, "start").astimezone(zone),
            end=end,
            day=end.date(),  # the wake-up day, in the person's time zone
            is_nap=nap,
            asleep_s=sum(parts) if parts else None,
            deep_s=deep,
            light_s=light,
            rem_s=rem,
            awake_s=_seconds(stages, "total_awake_time_milli"),
            efficiency=_number(score, "sleep_efficiency_percentage"),
            raw=dict(item),
        )
    ]
    breathing = _number(score, "respiratory_rate")
    if breathing is not None:
        records.append(
            Sample(
                source=_source(sleep_id),
                kind=SampleKind.RESPIRATORY_RATE,
                time=end,
                value=breathing,
                context="sleep",
                raw={"sleep_id": sleep_id, "respiratory_rate": breathing},
            )
        )
    return records


def cycle(item: Item) -> list[Record]:
    """``/v2/cycle`` -> a DailySummary of one physiological cycle (energy in kJ -> kcal).

    The cycle is filed under the local day of its start plus 12 hours: a cycle that starts at
    23:00 (falling asleep) is the next day's. The current cycle has no ``end`` yet.
    """
    score = _score(item)
    if score is None:
        return []
    start = _moment(item, "start").astimezone(_zone(item))
    return [
        DailySummary(
            source=_source(_ident(item, "id")),
            day=(start + CYCLE_DAY_SHIFT).date(),
            total_calories_kcal=_kcal(score),
            raw=dict(item),
        )
    ]


def _recovery(item: Item) -> tuple[str, datetime, Mapping[str, Any]] | None:
    """The sleep id (the recovery's stable id), when it was scored, and its score (None: unscored)."""
    sleep_id = _ident(item, "sleep_id")
    when = _moment(item, "created_at")
    score = _score(item)
    return None if score is None else (sleep_id, when, score)


def _recovery_sample(
    sleep_id: str, when: datetime, kind: SampleKind, value: float | None, context: str, key: str
) -> list[Record]:
    if value is None:
        return []
    raw = {"sleep_id": sleep_id, key: value}
    return [Sample(source=_source(sleep_id), kind=kind, time=when, value=value, context=context,
                   raw=raw)]  # fmt: skip


def recovery_hrv(item: Item) -> list[Record]:
    """``/v2/recovery`` -> the night's HRV (RMSSD, ms) and resting heart rate, keyed by sleep id."""
    found = _recovery(item)
    if found is None:
        return []
    sleep_id, when, score = found
    hrv = _number(score, "hrv_rmssd_milli")
    if hrv is None:
        raise ValueError("score.hrv_rmssd_milli is missing")
    return [
        *_recovery_sample(sleep_id, when, SampleKind.HRV_RMSSD, hrv, "sleep", "hrv_rmssd_milli"),
        *_recovery_sample(sleep_id, when, SampleKind.HEART_RATE,
                          _number(score, "resting_heart_rate"), "rest", "resting_heart_rate"),
    ]  # fmt: skip


def recovery_spo2(item: Item) -> list[Record]:
    """``/v2/recovery`` -> the night's SpO2 (%), keyed by sleep id (only WHOOP 4.0 and later)."""
    found = _recovery(item)
    if found is None:
        return []
    sleep_id, when, score = found
    spo2 = _number(score, "spo2_percentage")
    return _recovery_sample(sleep_id, when, SampleKind.SPO2, spo2, "sleep", "spo2_percentage")


def body(item: Item) -> list[Record]:
    """``/v2/user/measurement/body`` -> weight (kg) and height (m) on the day fithub saw them.

    WHOOP keeps no history and no time for these: the client stamps the item with the day it was
    fetched (``fithub_observed_on``), which is the record's id and time (midnight UTC), so syncing
    again the same day changes nothing and each day keeps what it saw.
    """
    day = date.fromisoformat(_text(item, BODY_DAY_KEY))
    moment = datetime.combine(day, time.min, UTC)
    records: list[Record] = []
    for key, kind in (("weight_kilogram", BodyKind.WEIGHT), ("height_meter", BodyKind.HEIGHT)):
        value = _number(item, key)
        if value is not None:
            records.append(BodyMeasurement(source=_source(f"body-{day.isoformat()}"), kind=kind,
                                           time=moment, value=value, raw=dict(item)))  # fmt: skip
    if not records:
        raise ValueError("neither weight_kilogram nor height_meter is given")
    return records
