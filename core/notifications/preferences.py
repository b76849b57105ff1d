"""Who wants what where: per-kind channel choices, quiet hours and addresses, with defaults.

A kind's channels are its defaults (``kinds.py``) changed by the person's explicit choices. An
urgent kind (account and security mail) always goes by e-mail. Quiet hours hold messages on
channels that interrupt (e-mail, push, SMS) until they end, in the person's time zone; the in-app
inbox never waits, and urgent kinds never do.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.errors import ValidationFailed
from fithub.core.notifications.kinds import KINDS, PERSONAL_CHANNELS, Kind
from fithub.core.notifications.models import NotificationPreference, NotificationSettings
from fithub.core.notifications.quiet_hours import QuietHours, next_allowed

#: Channels quiet hours hold back.
INTERRUPTING = frozenset({"email", "push", "sms", "apprise"})


async def settings_of(user_id: int, conn: BaseDBAsyncClient | None = None) -> NotificationSettings:
    """The person's notification settings, made with defaults on first use."""
    found = await NotificationSettings.get_or_none(user_id=user_id, using_db=conn)
    if found is not None:
        return found
    try:
        return await NotificationSettings.create(
            user_id=user_id, unsubscribe_token=secrets.token_urlsafe(32), using_db=conn
        )
    except IntegrityError:  # made concurrently
        return await NotificationSettings.get(user_id=user_id, using_db=conn)


def quiet_hours(settings: NotificationSettings) -> QuietHours | None:
    if settings.quiet_start is None or settings.quiet_end is None:
        return None
    return QuietHours(settings.quiet_start, settings.quiet_end)


async def choices(
    user_id: int, conn: BaseDBAsyncClient | None = None
) -> dict[tuple[str, str], bool]:
    """The person's explicit choices by (kind, channel)."""
    rows = (
        await NotificationPreference.filter(user_id=user_id)
        .using_db(conn)
        .values_list("kind", "channel", "enabled")
    )
    return {(str(k), str(c)): bool(e) for k, c, e in rows}


def channels_for(kind: Kind, chosen: dict[tuple[str, str], bool]) -> list[str]:
    """The channels ``kind`` goes to, given the person's choices."""
    picked = [
        channel
        for channel in PERSONAL_CHANNELS
        if chosen.get((kind.name, channel), channel in kind.defaults)
    ]
    if kind.urgent and "email" in kind.defaults and "email" not in picked:
        picked.append("email")
    return picked


def send_after(
    kind: Kind, channel: str, now: datetime, user: User, quiet: QuietHours | None
) -> datetime:
    """When a message of ``kind`` may go out on ``channel``: now, or the end of quiet hours."""
    if kind.urgent or channel not in INTERRUPTING:
        return now
    return next_allowed(now, user.timezone, quiet)


def preference_table(
    chosen: dict[tuple[str, str], bool],
) -> list[dict[str, object]]:
    """Every kind a person can choose for, with each channel on or off (for the API)."""
    table: list[dict[str, object]] = []
    for kind in KINDS.values():
        channels = {
            channel: chosen.get((kind.name, channel), channel in kind.defaults)
            for channel in PERSONAL_CHANNELS
        }
        if kind.urgent and "email" in kind.defaults:
            channels["email"] = True
        table.append(
            {
                "kind": kind.name,
                "description": kind.description,
                "urgent": kind.urgent,
                "channels": channels,
            }
        )
    return table


def _error(field: str, message: str) -> dict[str, object]:
    """One per-field error in the API's shape (core/problems.py)."""
    return {"field": field, "message": message, "type": "invalid"}


async def set_choices(user_id: int, changes: list[tuple[str, str, bool]]) -> None:
    """Store choices ``(kind, channel, enabled)``; all or none (422 for an unknown one)."""
    errors: list[dict[str, object]] = []
    for index, (kind_name, channel, enabled) in enumerate(changes):
        kind = KINDS.get(kind_name)
        if kind is None:
            errors.append(_error(f"{index}.kind", f"unknown kind {kind_name!r}"))
        elif channel not in PERSONAL_CHANNELS:
            errors.append(_error(f"{index}.channel", f"unknown channel {channel!r}"))
        elif kind.urgent and channel == "email" and not enabled:
            errors.append(_error(f"{index}.enabled", f"{kind_name} e-mail cannot be switched off"))
    if errors:
        raise ValidationFailed("Some preferences are not valid.", errors=errors)
    async with in_transaction() as conn:
        for kind_name, channel, enabled in changes:
            updated = (
                await NotificationPreference.filter(
                    user_id=user_id, kind=kind_name, channel=channel
                )
                .using_db(conn)
                .update(enabled=enabled)
            )
            if not updated:
                await NotificationPreference.create(
                    user_id=user_id, kind=kind_name, channel=channel, enabled=enabled, using_db=conn
                )


async def set_quiet_hours(
    user_id: int, start: time | None, end: time | None
) -> NotificationSettings:
    """Set (both times) or clear (both None) the person's quiet hours."""
    if (start is None) != (end is None):
        raise ValidationFailed(
            "Quiet hours need both a start and an end, or neither.",
            errors=[_error("quiet_hours", "give both start and end, or neither")],
        )
    found = await settings_of(user_id)
    found.quiet_start, found.quiet_end = start, end
    await found.save(update_fields=["quiet_start", "quiet_end", "updated_at"])
    return found
