"""Where a person can be reached besides e-mail: settings (quiet hours, phone number), push tokens,
and the one-click unsubscribe link in notification e-mails.

A push token is kept once, by its SHA-256 digest: registering it again refreshes it, and when
another account registers it (the device changed hands) it moves there. A phone number is stored
in E.164, checked with the SMS channel's own rule.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from fithub.core.errors import NotFound, ValidationFailed
from fithub.core.notifications import preferences
from fithub.core.notifications.kinds import KINDS, Kind
from fithub.core.notifications.models import NotificationSettings, PushToken
from fithub.plugins.addresses import check_phone_number

#: What :func:`update_settings` takes for a field that was not sent.
UNSET = object()


def token_digest(token: str) -> str:
    """The key a push token is kept under."""
    return hashlib.sha256(token.encode()).hexdigest()


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"{field.replace('_', ' ').capitalize()}: {message}.",
        errors=[{"field": field, "message": message, "type": "invalid"}],
    )


def _wall_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


async def update_settings(
    user_id: int,
    *,
    quiet_hours: tuple[str, str] | None | object = UNSET,
    phone_number: str | None | object = UNSET,
) -> NotificationSettings:
    """Change the fields given (``None`` clears one); all checked before anything is stored.

    Quiet hours are ``("HH:MM", "HH:MM")`` (start and end must differ); a phone number must be
    valid in international format (422 otherwise) and is stored in E.164.
    """
    changes: dict[str, object] = {}
    if isinstance(quiet_hours, tuple):
        start, end = (_wall_time(part) for part in quiet_hours)
        if start == end:
            raise _field_error(
                "quiet_hours", "start and end must differ (send null for no quiet hours)"
            )
        changes.update(quiet_start=start, quiet_end=end)
    elif quiet_hours is None:
        changes.update(quiet_start=None, quiet_end=None)
    if isinstance(phone_number, str):
        try:
            changes["phone_number"] = check_phone_number(phone_number)
        except ValueError as exc:
            raise _field_error("phone_number", str(exc)) from None
    elif phone_number is None:
        changes["phone_number"] = None
    found = await preferences.settings_of(user_id)
    if changes:
        for name, value in changes.items():
            setattr(found, name, value)
        await found.save(update_fields=[*changes, "updated_at"])
    return found


# -- push tokens ---------------------------------------------------------------------------------


async def register_push_token(
    user_id: int, token: str, platform: str, device_name: str | None
) -> tuple[PushToken, bool]:
    """Keep ``token`` for the user (moving it from another account); the row and whether it is new."""
    digest = token_digest(token)
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "user_id": user_id,
        "platform": platform,
        "device_name": device_name,
        "last_seen_at": now,
    }
    for _ in range(2):  # a concurrent registration of the same token wins the insert: update
        async with in_transaction() as conn:
            if await PushToken.filter(token_digest=digest).using_db(conn).update(**fields):
                return await PushToken.get(token_digest=digest, using_db=conn), False
        try:
            created = await PushToken.create(token=token, token_digest=digest, **fields)
        except IntegrityError:
            continue
        return created, True
    raise RuntimeError("the push token could be neither added nor updated")


async def push_tokens(user_id: int) -> list[PushToken]:
    """The user's registered devices, newest first."""
    return await PushToken.filter(user_id=user_id).order_by("-id")


async def remove_push_token(user_id: int, token_id: int) -> None:
    """Forget one of the user's devices; 404 when it is not theirs."""
    if not await PushToken.filter(id=token_id, user_id=user_id).delete():
        raise NotFound(f"No push token {token_id}.")


# -- one-click unsubscribe -------------------------------------------------------------------------


async def unsubscribe_target(token: str, kind_name: str) -> tuple[int, Kind]:
    """Whose link ``token`` is and the kind it names; 404 for an unknown token, 422 for a kind
    whose e-mail cannot be switched off (or that does not exist)."""
    owner = await NotificationSettings.filter(unsubscribe_token=token).first()
    if owner is None:
        raise NotFound("This unsubscribe link is not valid (any more).")
    kind = KINDS.get(kind_name)
    if kind is None:
        raise _field_error("kind", "no such kind of notification")
    if kind.urgent:
        raise _field_error("kind", "account and security e-mail cannot be switched off")
    return owner.user_id, kind


async def unsubscribe(token: str, kind_name: str) -> Kind:
    """Switch off e-mail of ``kind_name`` for the owner of the link ``token``; the kind."""
    user_id, kind = await unsubscribe_target(token, kind_name)
    await preferences.set_choices(user_id, [(kind.name, "email", False)])
    return kind
