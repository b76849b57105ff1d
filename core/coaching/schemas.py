"""Request and response bodies of the coaching API (trainer profiles, relations, assignments)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from fithub.core.accounts.models import RelationStatus
from fithub.core.coaching.models import AssignmentStatus
from fithub.core.nutrition.diary_schemas import DiaryEntryOut
from fithub.core.pagination import PageQuery

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Certification = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- trainer profiles -------------------------------------------------------------------------


class TrainerProfileIn(Strict):
    """The whole profile (PUT replaces it). The first PUT makes the account a trainer."""

    business_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""
    bio: Annotated[str, StringConstraints(max_length=5000)] = ""
    certifications: list[Certification] = Field(default_factory=list, max_length=20)


class PublicTrainerOut(BaseModel):
    user_id: int
    display_name: str
    business_name: str
    bio: str
    certifications: list[str]


class TrainerProfileOut(PublicTrainerOut):
    created_at: datetime | None = Field(description="null until the profile is first saved")
    updated_at: datetime | None


# -- invitations and relations ----------------------------------------------------------------


class ShareFlags(Strict):
    """What a client lets the trainer read. Assignments work whatever is shared."""

    workouts: bool = True
    body_metrics: bool = False
    goals: bool = True
    live: bool = Field(False, description="live telemetry (heart rate, power...) while streaming")
    nutrition: bool = Field(False, description="the food diary and its totals")


class ShareUpdate(Strict):
    """Only the flags sent change."""

    workouts: bool | None = None
    body_metrics: bool | None = None
    goals: bool | None = None
    live: bool | None = None
    nutrition: bool | None = None


class InvitationCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "client@example.com",
                    "message": "Happy to coach you!",
                    "share": {"workouts": True, "body_metrics": False, "goals": True},
                }
            ]
        }
    )

    email: EmailStr = Field(description="the person to coach; they may register later")
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    share: ShareFlags = Field(
        default_factory=ShareFlags,
        description="what you ask to see; the client decides on accepting",
    )


class InvitationAccept(Strict):
    share: ShareFlags | None = Field(None, description="what you share; default: what was asked")


class InvitationQuery(PageQuery):
    role: Literal["received", "sent"] = "received"


class RelationQuery(PageQuery):
    role: Literal["client", "trainer"] = Field(
        "client", description="`client`: your trainers; `trainer`: the people you coach or invited"
    )
    status: RelationStatus | None = None


class PartyOut(BaseModel):
    id: int
    display_name: str


class RelationOut(BaseModel):
    id: int
    status: RelationStatus
    trainer: PartyOut
    client: PartyOut | None = Field(description="shown once the invitation was accepted")
    invite_email: str
    message: str
    share: ShareFlags
    created_at: datetime
    responded_at: datetime | None
    ended_at: datetime | None
    ended_by_id: int | None


class RelationPage(BaseModel):
    items: list[RelationOut]
    next_cursor: str | None = None


class ClientOut(BaseModel):
    relation_id: int
    client_id: int
    display_name: str
    email: str
    share: ShareFlags
    since: datetime | None


class ClientPage(BaseModel):
    items: list[ClientOut]
    next_cursor: str | None = None


# -- assignments ------------------------------------------------------------------------------


class AssignmentCreate(Strict):
    client_id: int = Field(ge=1)
    template_id: int | None = Field(None, ge=1)
    exercise_id: int | None = Field(None, ge=1)
    title: Title
    notes: Annotated[str, StringConstraints(max_length=5000)] = ""
    due_on: date = Field(description="the last day, in the client's time zone")

    @model_validator(mode="after")
    def _one_kind(self) -> AssignmentCreate:
        if (self.template_id is None) == (self.exercise_id is None):
            raise ValueError("give exactly one of template_id or exercise_id")
        return self


class AssignmentOut(BaseModel):
    id: int
    relation_id: int
    trainer_id: int
    client_id: int
    template_id: int | None
    exercise_id: int | None
    title: str
    notes: str
    due_on: date
    status: AssignmentStatus = Field(description="missed once due_on has passed for the client")
    completed_workout_id: int | None
    completed_at: datetime | None
    created_at: datetime


class AssignmentPage(BaseModel):
    items: list[AssignmentOut]
    next_cursor: str | None = None


class AssignmentQuery(PageQuery):
    status: AssignmentStatus | None = None


class GivenAssignmentQuery(AssignmentQuery):
    client_id: int | None = Field(None, ge=1)


class AssignmentStart(Strict):
    status: Literal["planned", "in_progress"] = "in_progress"
    scheduled_at: datetime | None = None


# -- a client's food diary --------------------------------------------------------------------


class ClientDiaryDay(BaseModel):
    day: date
    entries: list[DiaryEntryOut]


class ClientDiary(BaseModel):
    first_day: date
    last_day: date
    days: list[ClientDiaryDay] = Field(description="only the days with entries, oldest first")
