"""Request and response bodies of the body-metrics API (pydantic v2; they also make the OpenAPI)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema

from fithub.core.body.models import MetricKind
from fithub.core.pagination import PageQuery

MAX_BATCH = 500
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _time_bound(value: Any) -> date | datetime:
    """``2024-05-01`` stays a date (a whole day); anything else must be an ISO 8601 date-time."""
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if _DATE_ONLY.match(text):
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("not an ISO 8601 date (2024-05-01) or date-time") from exc


TimeBound = Annotated[
    date | datetime,
    PlainValidator(_time_bound),
    WithJsonSchema({"type": "string", "description": "a date (the whole day) or a date-time"}),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1000)


class MetricIn(Strict):
    """One measurement. Without ``unit`` the value is read in your profile's unit system."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "weight",
                    "value": 72.4,
                    "unit": "kg",
                    "measured_at": "2026-01-05T07:30:00Z",
                }
            ]
        }
    )

    kind: MetricKind
    value: float = Field(allow_inf_nan=False)
    value2: float | None = Field(
        None, allow_inf_nan=False, description="diastolic pressure; blood_pressure only (required)"
    )
    unit: str | None = Field(
        None, max_length=8, description="kg or lb for weight, cm or in for circumferences"
    )
    measured_at: datetime | None = Field(
        None, description="default now; a time without offset is read in your profile's time zone"
    )
    note: str = Field("", max_length=200)


class MetricBatchIn(Strict):
    items: list[MetricIn] = Field(min_length=1, max_length=MAX_BATCH)


class BatchOut(BaseModel):
    created: int


class MetricOut(BaseModel):
    id: int
    kind: MetricKind
    value: float
    value2: float | None
    unit: str = Field(description="the unit of value (and value2), in your unit system")
    measured_at: datetime
    note: str
    source: str
    created_at: datetime


class MetricPage(BaseModel):
    items: list[MetricOut]
    next_cursor: str | None = None


class Window(BaseModel):
    """``from`` and ``to`` bounds, inclusive; a date means the whole day in your time zone."""

    model_config = ConfigDict(populate_by_name=True)

    start: TimeBound | None = Field(None, alias="from")
    end: TimeBound | None = Field(None, alias="to")


class MetricQuery(PageQuery, Window):
    kind: MetricKind | None = None


class SeriesQuery(Window):
    kind: MetricKind
    bucket: Literal["day", "week", "month"] = "day"


class SeriesPoint(BaseModel):
    start: date = Field(description="first local day of the bucket")
    count: int
    avg: float
    min: float
    max: float
    last: float
    avg2: float | None = None
    min2: float | None = None
    max2: float | None = None
    last2: float | None = None


class SeriesOut(BaseModel):
    kind: MetricKind
    unit: str
    bucket: Literal["day", "week", "month"]
    points: list[SeriesPoint]
