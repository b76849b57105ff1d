"""Request and response bodies of the reminders API (pydantic v2; they also make the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fithub.core.pagination import PageQuery

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Weekdays = Annotated[list[Weekday], Field(min_length=1, max_length=7)]
TIME_HELP = "wall-clock time in your time zone (HH:MM); seconds are dropped"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1000)


class ReminderIn(Strict):
    """A weekly reminder: at ``local_time`` on each of ``weekdays``, in your time zone."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"title": "Leg day", "local_time": "07:00", "weekdays": ["mon", "thu"]},
            ]
        }
    )

    title: Title
    local_time: time = Field(description=TIME_HELP)
    weekdays: Weekdays
    plan_id: int | None = Field(None, ge=1, le=2**63 - 1, description="one of your plans")
    active: bool = True


class ReminderUpdate(Strict):
    """Only the fields sent change; ``plan_id: null`` unlinks the plan."""

    title: Title | None = None
    local_time: time | None = Field(None, description=TIME_HELP)
    weekdays: Weekdays | None = None
    plan_id: int | None = Field(None, ge=1, le=2**63 - 1)
    active: bool | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class ReminderOut(BaseModel):
    id: int
    title: str
    local_time: str = Field(description="HH:MM in your time zone")
    weekdays: list[Weekday]
    plan_id: int | None
    plan_name: str | None
    active: bool
    next_due_at: datetime | None = Field(description="UTC; null when inactive")
    created_at: datetime


class ReminderPage(BaseModel):
    items: list[ReminderOut]
    next_cursor: str | None = None


class ReminderQuery(PageQuery):
    pass
