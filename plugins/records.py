"""Normalised records: what a device provider turns its vendor's payloads into, and fithub stores.

Every record carries its :class:`Source` (provider name, the vendor's id for the thing, optionally
the device) and the vendor's ``raw`` payload it came from. Times are timezone-aware; units are
metric and named in each field (``_kcal``, ``_m``, ``_s``, ``_bpm``). ``None`` means the vendor did
not say, never zero. ``validate_record`` checks the rules below; fithub refuses a record that
breaks them and counts it as an error of the sync, keeping the rest of the page.

The external id is what makes writes idempotent: fithub upserts on (user, provider, external id)
(samples: plus their ``kind``), so a provider must give the same thing the same id every time.

A dense time series (a sample a minute, a sample a second) can come as one :class:`SampleSeries`
(columns: times, values, ...) instead of one :class:`Sample` per measurement; fithub stores the
same rows either way (see ``DeviceProvider.normalise_page`` in :mod:`fithub.plugins.types`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timezone
from enum import StrEnum
from math import isnan
from typing import Any, TypeAlias


class SampleKind(StrEnum):
    """What a :class:`Sample` measures, with its unit."""

    HEART_RATE = "heart_rate"  # beats per minute
    HRV_RMSSD = "hrv_rmssd"  # milliseconds
    SPO2 = "spo2"  # percent
    RESPIRATORY_RATE = "respiratory_rate"  # breaths per minute
    SKIN_TEMPERATURE_DELTA = "skin_temperature_delta"  # degrees Celsius from the person's baseline
    STEPS = "steps"  # count in the sample's interval
    RR_INTERVAL = "rr_interval"  # milliseconds between two heart beats, timed at the second beat
    POWER = "power"  # watts
    CYCLING_CADENCE = "cycling_cadence"  # crank revolutions per minute
    CYCLING_SPEED = "cycling_speed"  # metres per second
    RUNNING_SPEED = "running_speed"  # metres per second
    RUNNING_CADENCE = "running_cadence"  # steps per minute
    SKIN_TEMPERATURE = "skin_temperature"  # degrees Celsius


SAMPLE_UNITS: dict[SampleKind, str] = {
    SampleKind.HEART_RATE: "bpm",
    SampleKind.HRV_RMSSD: "ms",
    SampleKind.SPO2: "%",
    SampleKind.RESPIRATORY_RATE: "breaths/min",
    SampleKind.SKIN_TEMPERATURE_DELTA: "°C",
    SampleKind.STEPS: "count",
    SampleKind.RR_INTERVAL: "ms",
    SampleKind.POWER: "W",
    SampleKind.CYCLING_CADENCE: "rpm",
    SampleKind.CYCLING_SPEED: "m/s",
    SampleKind.RUNNING_SPEED: "m/s",
    SampleKind.RUNNING_CADENCE: "steps/min",
    SampleKind.SKIN_TEMPERATURE: "°C",
}


class SleepStageKind(StrEnum):
    AWAKE = "awake"
    LIGHT = "light"
    DEEP = "deep"
    REM = "rem"
    ASLEEP = "asleep"  # asleep, stage unknown (classic trackers)


class BodyKind(StrEnum):
    """What a :class:`BodyMeasurement` measures, with its unit."""

    WEIGHT = "weight"  # kg
    BODY_FAT = "body_fat"  # percent
    MUSCLE_MASS = "muscle_mass"  # kg
    BONE_MASS = "bone_mass"  # kg
    HEIGHT = "height"  # m
    BMI = "bmi"  # kg/m²
    SYSTOLIC = "systolic"  # mmHg
    DIASTOLIC = "diastolic"  # mmHg
    BODY_TEMPERATURE = "body_temperature"  # °C


@dataclass(frozen=True, slots=True)
class Source:
    """Where a record came from: the provider's ``name`` and the vendor's id for the thing."""

    provider: str
    external_id: str
    device: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity:
    """A workout or an activity session (a run, a ride, a detected walk)."""

    source: Source
    start: datetime
    end: datetime
    sport: str  # the vendor's word, lower-case with underscores ("running", "cycling", "walking")
    name: str | None = None
    detected: bool = False  # found by the device on its own rather than started by the person
    calories_kcal: float | None = None
    distance_m: float | None = None
    steps: int | None = None
    avg_heart_rate_bpm: float | None = None
    max_heart_rate_bpm: float | None = None
    intensity: str | None = None  # the vendor's word ("easy", "moderate", "hard")
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class DailySummary:
    """One calendar day (the person's local day, as the vendor counts it)."""

    source: Source
    day: date
    steps: int | None = None
    active_calories_kcal: float | None = None
    total_calories_kcal: float | None = None
    distance_m: float | None = None
    active_minutes: float | None = None
    resting_heart_rate_bpm: float | None = None
    score: float | None = None  # the vendor's 0..100 activity score, when it has one
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    """One measurement at one instant (heart rate, HRV, SpO2, ...), in the unit of its kind."""

    source: Source
    kind: SampleKind
    time: datetime
    value: float
    context: str | None = None  # what the person was doing ("rest", "sleep", "workout")
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class SleepStage:
    stage: SleepStageKind
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SleepSession:
    """One sleep period (a night or a nap) with its stages when the vendor gives them."""

    source: Source
    start: datetime
    end: datetime
    day: date | None = None  # the day the vendor files the sleep under (usually the wake-up day)
    is_nap: bool = False
    stages: tuple[SleepStage, ...] = ()
    asleep_s: float | None = None
    deep_s: float | None = None
    light_s: float | None = None
    rem_s: float | None = None
    awake_s: float | None = None
    latency_s: float | None = None
    efficiency: float | None = None  # percent of the time in bed spent asleep
    avg_heart_rate_bpm: float | None = None
    lowest_heart_rate_bpm: float | None = None
    avg_hrv_ms: float | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyMeasurement:
    """A measurement of the body (weight, fat, blood pressure, ...) at one instant."""

    source: Source
    kind: BodyKind
    time: datetime
    value: float
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleSeries:
    """Many samples of one ``kind`` from one provider, in columns: sample ``i`` is measured at
    ``times[i]`` with ``values[i]``.

    The optional columns have one entry per sample when given: ``external_ids`` (default: each
    time in UTC, ISO 8601, as ``datetime.isoformat`` writes it), ``contexts`` (or one ``context``
    for all) and ``raws`` (each sample's vendor payload; default ``{}``). It stands for exactly the
    :class:`Sample` objects :meth:`samples` returns, and fithub stores the same rows for both.
    """

    provider: str
    kind: SampleKind
    times: Sequence[datetime]
    values: Sequence[float]
    external_ids: Sequence[str] | None = None
    context: str | None = None
    contexts: Sequence[str | None] | None = None
    raws: Sequence[Mapping[str, Any]] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.times)

    def ids(self) -> list[str]:
        """The external id of each sample."""
        if self.external_ids is not None:
            return list(self.external_ids)
        return [t.astimezone(UTC).isoformat() for t in self.times]

    def context_column(self) -> list[str | None]:
        """The context of each sample."""
        if self.contexts is not None:
            return list(self.contexts)
        return [self.context] * len(self.times)

    def samples(self) -> list[Sample]:
        """The same samples, one object each."""
        raws = self.raws if self.raws is not None else [{}] * len(self.times)
        return [
            Sample(source=Source(self.provider, ident), kind=self.kind, time=t, value=v,
                   context=c, raw=raw)
            for ident, t, v, c, raw in zip(self.ids(), self.times, self.values,
                                           self.context_column(), raws, strict=True)
        ]  # fmt: skip


Record: TypeAlias = Activity | DailySummary | Sample | SleepSession | BodyMeasurement
RECORD_TYPES: tuple[type[Any], ...] = (
    Activity,
    DailySummary,
    Sample,
    SleepSession,
    BodyMeasurement,
)


def _aware(name: str, value: datetime, problems: list[str]) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        problems.append(f"{name} must be a timezone-aware datetime")


def _span(start: datetime, end: datetime, problems: list[str]) -> None:
    before = len(problems)
    _aware("start", start, problems)
    _aware("end", end, problems)
    if len(problems) == before and end < start:
        problems.append("end is before start")


def _not_negative(record: Any, names: tuple[str, ...], problems: list[str]) -> None:
    for name in names:
        value = getattr(record, name)
        if value is not None and (value != value or value < 0):  # NaN or negative
            problems.append(f"{name} must not be negative")


def record_problems(record: Record, provider: str | None = None) -> list[str]:
    """What is wrong with ``record`` (empty when it is valid); ``provider`` checks the source too."""
    problems: list[str] = []
    if not isinstance(record, RECORD_TYPES):
        return [f"{type(record).__name__} is not a fithub record type"]
    source = record.source
    if not isinstance(source, Source) or not source.external_id or not source.provider:
        problems.append("source needs a provider and an external_id")
    elif provider is not None and source.provider != provider:
        problems.append(f"source.provider is {source.provider!r}, expected {provider!r}")
    elif len(source.external_id) > 128:
        problems.append("source.external_id is longer than 128 characters")
    if not isinstance(record.raw, Mapping):
        problems.append("raw must be the vendor's payload (a mapping)")
    if isinstance(record, Activity):
        _span(record.start, record.end, problems)
        if not record.sport:
            problems.append("sport must not be empty")
        _not_negative(record, ("calories_kcal", "distance_m", "steps"), problems)
    elif isinstance(record, SleepSession):
        _span(record.start, record.end, problems)
        for stage in record.stages:
            _span(stage.start, stage.end, problems)
        _not_negative(record, ("asleep_s", "deep_s", "light_s", "rem_s", "awake_s"), problems)
    elif isinstance(record, DailySummary):
        if not isinstance(record.day, date) or isinstance(record.day, datetime):
            problems.append("day must be a date")
        _not_negative(record, ("steps", "active_calories_kcal", "distance_m"), problems)
    elif isinstance(record, Sample):
        _aware("time", record.time, problems)
        if not isinstance(record.kind, SampleKind):
            problems.append("kind must be a SampleKind")
        if record.value != record.value:
            problems.append("value must be a number")
    else:
        _aware("time", record.time, problems)
        if not isinstance(record.kind, BodyKind):
            problems.append("kind must be a BodyKind")
        if record.value != record.value:
            problems.append("value must be a number")
    return problems


def external_ids(records: Iterable[Record | SampleSeries]) -> set[str]:
    """The external ids of ``records``, a series' samples included."""
    found: set[str] = set()
    for record in records:
        if isinstance(record, SampleSeries):
            found.update(record.ids())
        else:
            found.add(record.source.external_id)
    return found


def series_problems(series: SampleSeries, provider: str | None = None) -> list[str]:
    """What is wrong with ``series`` as a whole (its columns, kind, provider); empty when nothing.

    Single samples are checked by :func:`sample_problems`."""
    problems: list[str] = []
    if not series.provider:
        problems.append("a series needs a provider")
    elif provider is not None and series.provider != provider:
        problems.append(f"provider is {series.provider!r}, expected {provider!r}")
    if not isinstance(series.kind, SampleKind):
        problems.append("kind must be a SampleKind")
    size = len(series.times)
    for name in ("values", "external_ids", "contexts", "raws"):
        column = getattr(series, name)
        if column is not None and len(column) != size:
            problems.append(f"{name} has {len(column)} entries for {size} times")
    return problems


def _plainly_valid(series: SampleSeries) -> bool:
    """Whole-column checks that pass for a valid series (fast: no Python code per sample)."""
    zones = (
        {t.tzinfo for t in series.times} if set(map(type, series.times)) <= {datetime} else {None}
    )
    if None in zones or not all(isinstance(z, timezone) for z in zones):
        return False  # checked one by one (a zone whose offset depends on the date)
    if not set(map(type, series.values)) <= {float, int} or any(map(isnan, series.values)):
        return False
    if series.external_ids is not None and not all(0 < len(i) <= 128 for i in series.external_ids):
        return False
    return series.raws is None or set(map(type, series.raws)) <= {dict}


def sample_problems(series: SampleSeries) -> Iterator[tuple[int, str]]:
    """(index, message) for each sample of ``series`` that breaks a rule (a naive time, a value
    that is not a number, an empty or too long external id, a payload that is not a mapping)."""
    if _plainly_valid(series):
        return
    ids: Iterable[str | None] = series.external_ids or [None] * len(series.times)
    raws: Iterable[Any] = series.raws if series.raws is not None else [{}] * len(series.times)
    for i, (t, v, ident, raw) in enumerate(zip(series.times, series.values, ids, raws,
                                               strict=True)):  # fmt: skip
        if not isinstance(t, datetime) or t.tzinfo is None or t.utcoffset() is None:
            yield i, "time must be a timezone-aware datetime"
        elif not isinstance(v, int | float) or v != v:
            yield i, "value must be a number"
        elif series.external_ids is not None and (not ident or len(ident) > 128):
            yield i, "external_id must have 1 to 128 characters"
        elif not isinstance(raw, Mapping):
            yield i, "raw must be the vendor's payload (a mapping)"


def validate_record(record: Record, provider: str | None = None) -> Record:
    """Return ``record`` unchanged, or raise ``ValueError`` naming what is wrong with it."""
    problems = record_problems(record, provider)
    if problems:
        ident = getattr(getattr(record, "source", None), "external_id", "?")
        raise ValueError(f"{type(record).__name__} {ident}: " + "; ".join(problems))
    return record
