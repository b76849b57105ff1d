"""Request and response bodies of ``/api/v1/notifications``: inbox, deliveries, preferences, contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from fithub.core.pagination import PageQuery

HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- the inbox ----------------------------------------------------------------------------------


class NotificationQuery(PageQuery):
    unread: bool | None = Field(None, description="true: only unread items; false: only read ones")


class NotificationOut(BaseModel):
    id: int
    kind: str = Field(description="what it is about, e.g. `record.achieved`")
    title: str
    text: str
    context: dict[str, Any] = Field(description="the values it was written from (ids, numbers)")
    urgent: bool
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None = Field(
        None, description="pass as ?cursor= for the next page; null at the end"
    )


class UnreadCount(BaseModel):
    unread: int = Field(description="inbox items not read and not dismissed")


class MarkedRead(BaseModel):
    marked: int = Field(description="how many items were unread and are now read")


class DeliveryOut(BaseModel):
    id: int
    channel: str = Field(description="the notifier that carries it: inapp, email, push, sms...")
    status: Literal["pending", "sending", "sent", "delivered", "failed", "skipped"]
    attempts: int
    last_error: str | None = Field(description="why the last attempt failed, or why it was skipped")
    provider_message_id: str | None = Field(description="the channel's id for the message")
    sent_at: datetime | None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]


# -- preferences ----------------------------------------------------------------------------------


class PreferenceChange(Strict):
    kind: str = Field(min_length=1, max_length=64, examples=["record.achieved"])
    channel: str = Field(min_length=1, max_length=32, examples=["sms"])
    enabled: bool


class PreferenceChanges(RootModel[list[PreferenceChange]]):
    """Choices to store, all or none."""

    root: list[PreferenceChange] = Field(
        max_length=200,
        examples=[[{"kind": "record.achieved", "channel": "sms", "enabled": True}]],
    )


class PreferenceRow(BaseModel):
    kind: str
    description: str
    urgent: bool = Field(description="account and security mail: e-mail cannot be switched off")
    channels: dict[str, bool] = Field(description="each channel on or off for this kind")


class PreferenceTable(BaseModel):
    items: list[PreferenceRow]


# -- settings and contacts ---------------------------------------------------------------------


class QuietHours(Strict):
    start: str = Field(pattern=HHMM, description="HH:MM, your local time", examples=["22:00"])
    end: str = Field(pattern=HHMM, description="HH:MM, your local time", examples=["07:00"])


class SettingsUpdate(Strict):
    """Only the fields sent change; null clears one."""

    quiet_hours: QuietHours | None = Field(
        None, description="when e-mail, push and SMS wait (in your time zone); null for none"
    )
    phone_number: str | None = Field(
        None,
        max_length=40,
        description="for SMS, in international format (+ and the country code); null to remove",
        examples=["+44 20 7946 0958"],
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"quiet_hours": {"start": "22:00", "end": "07:00"}}]},
    )


class SettingsOut(BaseModel):
    quiet_hours: QuietHours | None
    phone_number: str | None = Field(description="E.164")
    timezone: str = Field(description="quiet hours are in this time zone (your profile's)")


class PushTokenIn(Strict):
    token: str = Field(min_length=1, max_length=4096, description="the device's FCM token")
    platform: Literal["android", "ios", "web"]
    device_name: str | None = Field(None, max_length=100)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"token": "fcm-registration-token", "platform": "android", "device_name": "Pixel 8"}
            ]  # fmt: skip
        },
    )


class PushTokenOut(BaseModel):
    id: int
    platform: str
    device_name: str | None
    created_at: datetime
    last_seen_at: datetime


class PushTokenList(BaseModel):
    items: list[PushTokenOut]


class ChannelOut(BaseModel):
    name: str
    configured: bool
    reason: str | None = Field(description="why it cannot deliver (null when it can)")


class ChannelList(BaseModel):
    items: list[ChannelOut]


# -- one-click unsubscribe -----------------------------------------------------------------------


class UnsubscribeQuery(BaseModel):
    kind: str = Field(min_length=1, max_length=64, description="the kind to stop e-mails of")


class OneClick(BaseModel):
    """RFC 8058's body (form-encoded): ``List-Unsubscribe=One-Click``."""

    list_unsubscribe: Literal["One-Click"] = Field(alias="List-Unsubscribe")
