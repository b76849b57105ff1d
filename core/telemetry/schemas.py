"""Request and response bodies of the telemetry REST API (pydantic v2; they make the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fithub.core.pagination import PageQuery
from fithub.core.telemetry.models import AlertCondition, StreamStatus
from fithub.core.telemetry.profiles import MAX_BPM_RANGE, RESTING_BPM_RANGE

ZONE_RANGE = (1, 4)  # above zone 5 cannot happen
RULE_BPM_RANGE = (20, 250)
DURATION_RANGE = (5, 3600)
QUIET_RANGE = (30, 86400)
NAME_MAX = 100


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1000)


# -- heart-rate profile ---------------------------------------------------------------------------


class HeartRateProfileIn(Strict):
    """Your measured maximum and resting heart rate; ``null`` (or leaving one out) clears it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"max_bpm": 190, "resting_bpm": 55}]})

    max_bpm: int | None = Field(
        None, ge=MAX_BPM_RANGE[0], le=MAX_BPM_RANGE[1], description="measured maximum, bpm"
    )
    resting_bpm: int | None = Field(
        None,
        ge=RESTING_BPM_RANGE[0],
        le=RESTING_BPM_RANGE[1],
        description="resting rate, bpm; below max_bpm",
    )


class EffectiveHeartRates(BaseModel):
    """The values zones are computed from, and where each came from."""

    max_bpm: float | None = Field(description="null when neither measured nor a birth date known")
    max_source: Literal["measured", "tanaka"] | None = Field(
        description="`measured` (yours) or `tanaka` (208 - 0.7 x age)"
    )
    resting_bpm: float | None
    resting_source: Literal["measured", "device"] | None = Field(
        description="`measured` (yours) or `device` (newest device day of the last 30 days)"
    )
    age: int | None = Field(description="completed years, from your birth date")


class HeartZoneBand(BaseModel):
    zone: int = Field(ge=1, le=5)
    low_bpm: float
    high_bpm: float


class HeartZoneSet(BaseModel):
    method: Literal["hrmax", "hrr"] = Field(
        description="`hrmax`: 50-100 % of the maximum; `hrr`: of the heart-rate reserve (Karvonen)"
    )
    items: list[HeartZoneBand]


class HeartRateProfileOut(BaseModel):
    max_bpm: int | None = Field(description="the measured maximum you entered")
    resting_bpm: int | None = Field(description="the resting rate you entered")
    effective: EffectiveHeartRates
    zones: HeartZoneSet | None = Field(description="null while no maximum can be had")
    updated_at: datetime | None


# -- alert rules ----------------------------------------------------------------------------------

ZONE_FIELD = Field(
    None, ge=ZONE_RANGE[0], le=ZONE_RANGE[1], description="above_zone only: fires in a higher zone"
)
BPM_FIELD = Field(
    None, ge=RULE_BPM_RANGE[0], le=RULE_BPM_RANGE[1], description="below_rate and above_rate only"
)


class AlertRuleIn(Strict):
    """A live alert: ``above_zone`` needs ``zone``, ``below_rate``/``above_rate`` need ``bpm``,
    ``signal_lost`` neither."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Too hard", "condition": "above_zone", "zone": 4, "duration_s": 60},
            ]
        }
    )

    name: str = Field("", max_length=NAME_MAX)
    condition: AlertCondition
    zone: int | None = ZONE_FIELD
    bpm: int | None = BPM_FIELD
    duration_s: int = Field(
        30, ge=DURATION_RANGE[0], le=DURATION_RANGE[1], description="how long it must hold"
    )
    quiet_s: int = Field(
        300, ge=QUIET_RANGE[0], le=QUIET_RANGE[1], description="no repeat for this long"
    )
    enabled: bool = True


class AlertRuleUpdate(Strict):
    """Only the fields sent change; a new condition drops a ``zone`` or ``bpm`` it does not use."""

    name: str | None = Field(None, max_length=NAME_MAX)
    condition: AlertCondition | None = None
    zone: int | None = ZONE_FIELD
    bpm: int | None = BPM_FIELD
    duration_s: int | None = Field(None, ge=DURATION_RANGE[0], le=DURATION_RANGE[1])
    quiet_s: int | None = Field(None, ge=QUIET_RANGE[0], le=QUIET_RANGE[1])
    enabled: bool | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class AlertRuleOut(BaseModel):
    id: int
    name: str
    condition: AlertCondition
    zone: int | None
    bpm: int | None
    duration_s: int
    quiet_s: int
    enabled: bool
    last_fired_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AlertRulePage(BaseModel):
    items: list[AlertRuleOut]
    next_cursor: str | None = None


class AlertRuleQuery(PageQuery):
    pass


# -- streams --------------------------------------------------------------------------------------


class TelemetryStreamOut(BaseModel):
    id: int
    device_id: str
    device_name: str
    sport: str
    status: StreamStatus
    last_seq: int = Field(description="the last batch number stored; -1 before the first")
    batches: int
    batches_rejected: int
    samples: int
    first_sample_at: datetime | None
    last_sample_at: datetime | None
    started_at: datetime
    last_batch_at: datetime | None
    ended_at: datetime | None
    summary: dict[str, Any] = Field(
        description="derived values at the last batch (zones, TRIMP...)"
    )


class TelemetryStreamPage(BaseModel):
    items: list[TelemetryStreamOut]
    next_cursor: str | None = None


class TelemetryStreamQuery(PageQuery):
    status: StreamStatus | None = Field(None, description="only streams in this state")
