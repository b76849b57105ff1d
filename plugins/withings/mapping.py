"""Withings items -> fithub records. Pure functions: a dict in, records out, ValueError when unreadable.

Times are Unix epochs (UTC); days are the user's local dates as Withings files them. Measures
are ``value * 10**unit`` in SI units.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qsl

from fithub.plugins import records
from fithub.plugins.coerce import Item, date_field, epoch_field, id_field, int_field, number_field
from fithub.plugins.provider import normalises
from fithub.plugins.records import Record
from fithub.plugins.types import DataType, PushEvent
from fithub.plugins.withings.const import (
    AMBIGUOUS,
    BODY_TYPES,
    CONFIRMED_DETECTION,
    DEAUTHORIZE_ACTIONS,
    NAME,
    NOTIFY_DATA_TYPES,
    REAL_MEASURES,
    SAMPLE_TYPES,
    USER_APPLI,
    WORKOUT_CATEGORIES,
)


def _device(item: Item) -> str | None:
    model = item.get("model")
    return model if isinstance(model, str) and model else None


def _data(item: Item) -> Item:
    data = item.get("data", {})
    if not isinstance(data, Mapping):
        raise ValueError("data is not an object")
    return data


def _manual_or_tracked(data: Item, key: str) -> float | None:
    """What the user entered (``manual_<key>``, 0 when they did not) over what was tracked."""
    manual = number_field(data, f"manual_{key}")
    return manual if manual else number_field(data, key)


def measure_value(measure: Item) -> float:
    """The real value of one measure: ``value * 10**unit``."""
    value, unit = measure.get("value"), measure.get("unit")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a measure has no numeric value")
    if isinstance(unit, bool) or not isinstance(unit, int):
        raise ValueError("a measure has no integer unit")
    return round(value * 10.0**unit, 6)


@normalises(DataType.BODY)
def measure_group(item: Item) -> list[Record]:
    """``getmeas`` group -> a BodyMeasurement per known type (pulse and SpO2 as Samples).

    The group id is the external id (its kind tells the measures apart). Groups that may belong
    to another person on the same device (``attrib`` 1) and the user's objectives give nothing.
    """
    grpid = id_field(item, "grpid")
    moment = epoch_field(item, "date")
    measures = item.get("measures")
    if not isinstance(measures, list):
        raise ValueError("measures is not a list")
    if item.get("attrib") == AMBIGUOUS or item.get("category", REAL_MEASURES) != REAL_MEASURES:
        return []
    source = records.Source(provider=NAME, external_id=grpid, device=_device(item))
    out: list[Record] = []
    for measure in measures:
        if not isinstance(measure, Mapping):
            raise ValueError("a measure is not an object")
        kind = measure.get("type")
        raw = {**item, "measures": [measure]}
        if kind in BODY_TYPES:
            out.append(
                records.BodyMeasurement(
                    source=source,
                    kind=BODY_TYPES[kind],
                    time=moment,
                    value=measure_value(measure),
                    raw=raw,
                )  # fmt: skip
            )
        elif kind in SAMPLE_TYPES:
            sample_kind = SAMPLE_TYPES[kind]
            out.append(
                records.Sample(
                    source=records.Source(NAME, f"grp-{grpid}", source.device),
                    kind=sample_kind,
                    time=moment,
                    value=measure_value(measure),
                    context="rest" if sample_kind is records.SampleKind.HEART_RATE else None,
                    raw=raw,
                )  # fmt: skip
            )
    return out


@normalises(DataType.DAILY)
def activity(item: Item) -> list[Record]:
    """``getactivity`` day -> one DailySummary, identified by its date."""
    day = date_field(item, "date")
    moderate, intense = number_field(item, "moderate"), number_field(item, "intense")
    active = number_field(item, "active")
    if active is None and (moderate is not None or intense is not None):
        active = (moderate or 0.0) + (intense or 0.0)
    return [
        records.DailySummary(
            source=records.Source(NAME, day.isoformat(), _device(item)),
            day=day,
            steps=int_field(item, "steps"),
            active_calories_kcal=number_field(item, "calories"),
            total_calories_kcal=number_field(item, "totalcalories"),
            distance_m=number_field(item, "distance"),
            active_minutes=None if active is None else active / 60,
            raw=dict(item),
        )
    ]


@normalises(DataType.ACTIVITIES)
def workout(item: Item) -> list[Record]:
    """``getworkouts`` item -> one Activity (its ``data`` holds what was asked for)."""
    data = _data(item)
    category = int_field(item, "category")
    distance = _manual_or_tracked(data, "distance")
    calories = _manual_or_tracked(data, "calories")
    return [
        records.Activity(
            source=records.Source(NAME, id_field(item, "id")),
            start=epoch_field(item, "startdate"),
            end=epoch_field(item, "enddate"),
            sport=WORKOUT_CATEGORIES.get(category, "other") if category is not None else "other",
            detected=item.get("attrib") == CONFIRMED_DETECTION,
            calories_kcal=calories,
            distance_m=distance,
            steps=int_field(data, "steps"),
            avg_heart_rate_bpm=number_field(data, "hr_average") or None,
            max_heart_rate_bpm=number_field(data, "hr_max") or None,
            raw=dict(item),
        )
    ]


@normalises(DataType.SLEEP)
def sleep_summary(item: Item) -> list[Record]:
    """``getsummary`` night -> one SleepSession (no stages: those need ``action=get`` per night)."""
    data = _data(item)
    efficiency = number_field(data, "sleep_efficiency")
    if efficiency is not None and efficiency <= 1:  # a ratio; fithub keeps percent
        efficiency = round(efficiency * 100, 2)
    asleep = number_field(data, "total_sleep_time")
    if asleep is None:
        asleep = number_field(data, "asleepduration")  # a night from an external source
    return [
        records.SleepSession(
            source=records.Source(NAME, id_field(item, "id")),
            start=epoch_field(item, "startdate"),
            end=epoch_field(item, "enddate"),
            day=date_field(item, "date") if item.get("date") is not None else None,
            asleep_s=asleep,
            deep_s=number_field(data, "deepsleepduration"),
            light_s=number_field(data, "lightsleepduration"),
            rem_s=number_field(data, "remsleepduration"),
            awake_s=number_field(data, "wakeupduration"),
            latency_s=number_field(data, "sleep_latency"),
            efficiency=efficiency,
            avg_heart_rate_bpm=number_field(data, "hr_average"),
            lowest_heart_rate_bpm=number_field(data, "hr_min"),
            raw=dict(item),
        )
    ]


@normalises(DataType.HEART_RATE)
def intraday_heart_rate(item: Item) -> list[Record]:
    """An intraday sample (``timestamp`` added by the client) -> a heart-rate Sample, if it has one."""
    moment = epoch_field(item, "timestamp")
    bpm = number_field(item, "heart_rate")
    if bpm is None:
        return []
    return [
        records.Sample(
            source=records.Source(NAME, moment.isoformat(), _device(item)),
            kind=records.SampleKind.HEART_RATE,
            time=moment,
            value=bpm,
            raw=dict(item),
        )
    ]


def _form_int(form: Mapping[str, str], key: str) -> int | None:
    value = form.get(key)
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise ValueError(f"{key} is not a whole number")
    return int(value)


def notification(body: bytes) -> tuple[PushEvent, ...]:
    """A notification (``userid, appli, startdate, enddate`` or ``date``, ``action``) as events.

    Data categories ask fithub to sync their data types over the window the notification names
    (a ``date`` is the user's local day: a day of padding on each side covers every time zone);
    appli 46 with ``action`` unlink or delete means the user withdrew the grant. Categories fithub
    does not read (bed in/out, ECG, ...) announce nothing.
    """
    try:
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError("the body is not application/x-www-form-urlencoded") from exc
    userid, appli = form.get("userid", ""), _form_int(form, "appli")
    if not userid or appli is None:
        raise ValueError("userid and appli are required")
    if appli == USER_APPLI:
        if form.get("action") in DEAUTHORIZE_ACTIONS:
            return (PushEvent(external_user_id=userid, data_type=None, action="deauthorize"),)
        return ()
    first, last = _form_int(form, "startdate"), _form_int(form, "enddate")
    start = end = None
    if first is not None and last is not None:
        if last < first:
            raise ValueError("enddate is before startdate")
        start = datetime.fromtimestamp(first, UTC)
        end = datetime.fromtimestamp(last + 1, UTC)
    elif form.get("date"):
        midnight = datetime.combine(date.fromisoformat(form["date"]), time.min, UTC)
        start, end = midnight - timedelta(days=1), midnight + timedelta(days=2)
    return tuple(
        PushEvent(external_user_id=userid, data_type=data_type, start=start, end=end)
        for data_type in NOTIFY_DATA_TYPES.get(appli, ())
    )
