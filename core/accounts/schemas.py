"""Request and response bodies of the accounts API (pydantic v2; they also make the OpenAPI schema)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from fithub.core.accounts.models import Gender, Privacy, Role, UnitSystem

_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_TIMEZONES = frozenset(available_timezones())


def _check_timezone(value: str) -> str:
    if value not in _TIMEZONES:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("not an IANA time zone such as 'Europe/Paris'") from exc
    return value


def _check_locale(value: str) -> str:
    if not _LOCALE.match(value):
        raise ValueError("not a BCP 47 language tag such as 'en' or 'pt-BR'")
    return value


def _check_birth_date(value: date | None) -> date | None:
    if value is not None and not (date(1900, 1, 1) <= value <= date.today()):
        raise ValueError("must be between 1900-01-01 and today")
    return value


Password = Annotated[str, StringConstraints(min_length=10, max_length=128)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
TimeZone = Annotated[str, AfterValidator(_check_timezone)]
Locale = Annotated[str, StringConstraints(max_length=35), AfterValidator(_check_locale)]
BirthDate = Annotated[date | None, AfterValidator(_check_birth_date)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1000)


class ProfileFields(Strict):
    birth_date: BirthDate = None
    gender: Gender | None = None
    height_cm: float | None = Field(None, gt=30, lt=300)
    weight_kg: float | None = Field(None, gt=1, lt=700)
    timezone: TimeZone = "UTC"
    locale: Locale = "en"
    unit_system: UnitSystem = UnitSystem.METRIC
    privacy: Privacy = Privacy.PRIVATE


class RegisterRequest(ProfileFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "ada@example.com",
                    "password": "correct-horse-battery",
                    "display_name": "Ada",
                    "timezone": "Europe/London",
                    "unit_system": "metric",
                }
            ]
        }
    )

    email: EmailStr
    password: Password = Field(description="10 to 128 characters")
    display_name: DisplayName


class ProfileUpdate(Strict):
    """Only the fields sent are changed; send null to clear an optional one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"display_name": "Ada L.", "weight_kg": 61.5, "timezone": "Europe/Paris"}]
        }
    )

    display_name: DisplayName | None = None
    birth_date: BirthDate = None
    gender: Gender | None = None
    height_cm: float | None = Field(None, gt=30, lt=300)
    weight_kg: float | None = Field(None, gt=1, lt=700)
    timezone: TimeZone | None = None
    locale: Locale | None = None
    unit_system: UnitSystem | None = None
    privacy: Privacy | None = None

    def changes(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True)
        for required in ("display_name", "timezone", "locale", "unit_system", "privacy"):
            if required in data and data[required] is None:
                raise ValueError(f"{required} cannot be null")
        return data


class UserOut(BaseModel):
    id: int
    email: str
    display_name: str
    birth_date: date | None
    gender: Gender | None
    height_cm: float | None
    weight_kg: float | None
    timezone: str
    locale: str
    unit_system: UnitSystem
    privacy: Privacy
    role: Role
    email_verified: bool = Field(
        False, description="whether the address was confirmed from a mailed link"
    )
    created_at: datetime
    updated_at: datetime


class LoginRequest(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "ada@example.com",
                    "password": "correct-horse-battery",
                    "device_name": "Ada's phone",
                }
            ]
        }
    )

    email: Annotated[str, StringConstraints(min_length=3, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    device_name: Annotated[str, StringConstraints(max_length=100)] | None = None


class RefreshRequest(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"refresh_token": "<the refresh_token of /auth/login>"}]}
    )

    refresh_token: Annotated[str, StringConstraints(min_length=10, max_length=200)]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="seconds until the access token expires")
    refresh_token: str = Field(description="single use; exchange at /auth/refresh for a new pair")
    session_id: str


class PasswordChange(Strict):
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    new_password: Password


class AccountDeletion(Strict):
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class SessionOut(BaseModel):
    id: str
    device_name: str | None
    user_agent: str | None
    ip_address: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool


class SessionPage(BaseModel):
    items: list[SessionOut]
    next_cursor: str | None = None


class Accepted(BaseModel):
    """A request taken in: what happens next arrives by e-mail (if anything does)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "verification_sent",
                    "detail": "Check your mailbox for a link to confirm your address.",
                }
            ]
        }
    )

    status: str
    detail: str


MailedToken = Annotated[str, StringConstraints(min_length=10, max_length=200)]


class TokenRequest(Strict):
    """A token from a mailed link (verify an address, confirm a new one)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"token": "<the token of the mailed link>"}]}
    )

    token: MailedToken


class PasswordResetRequest(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"email": "ada@example.com"}]})

    email: EmailStr


class PasswordResetConfirm(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"token": "<the token of the mailed link>", "new_password": "new-horse-battery"}
            ]
        }
    )

    token: MailedToken
    new_password: Password


class EmailChangeRequest(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"new_email": "ada@new.example", "password": "correct-horse-battery"}]
        }
    )

    new_email: EmailStr
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
