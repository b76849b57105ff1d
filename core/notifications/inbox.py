"""Making notifications: one row per person and cause, and one delivery per channel they go to.

:func:`create` is called inside the transaction of whatever decided to notify (the event
consumer's batch, an account e-mail, a reminder firing), so a notification exists exactly when
its cause does. ``dedup_key`` names the cause (``event:42``, ``reminder:7:2026-12-07T07:00``): a
second call for the same cause makes nothing, which is what makes consumers and schedulers that
run twice harmless. The caller enqueues the returned deliveries after the commit
(:func:`fithub.core.notifications.delivery.enqueue_deliveries`); the sweeper finds any it missed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from tortoise.backends.base.client import BaseDBAsyncClient

from fithub.core.accounts.models import User
from fithub.core.devices.crypto import CredentialVault
from fithub.core.notifications import preferences
from fithub.core.notifications.channels import ChannelSet
from fithub.core.notifications.kinds import KINDS
from fithub.core.notifications.models import Delivery, Notification, PushToken
from fithub.core.notifications.rendering import render


@dataclass(frozen=True)
class Cause:
    """Why someone is notified: the kind, what the templates need, and a key naming the cause."""

    kind: str
    context: dict[str, Any]
    dedup_key: str
    event_id: int | None = None
    secret_context: dict[str, Any] | None = None  # sealed at rest, wiped once sent


def idempotency_key(*parts: object) -> str:
    """A stable key for one delivery (the same on every attempt)."""
    raw = ":".join(str(p) for p in parts)
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def sealed_aad(user_id: int, dedup_key: str) -> str:
    """What a notification's sealed context is bound to (it opens only on that row)."""
    return f"notification:{user_id}:{dedup_key}"


async def create(
    conn: BaseDBAsyncClient,
    user: User,
    cause: Cause,
    *,
    channels: ChannelSet,
    vault: CredentialVault,
    now: datetime | None = None,
) -> list[int]:
    """Store the notification and its deliveries; the new delivery ids (none if it existed)."""
    kind = KINDS[cause.kind]
    now = now or datetime.now(UTC)
    if (
        await Notification.filter(user_id=user.id, dedup_key=cause.dedup_key)
        .using_db(conn)
        .exists()
    ):
        return []
    rendered = render(
        kind.name,
        {"display_name": user.display_name, **cause.context},
        locale=user.locale,
        timezone=user.timezone,
        unit_system=user.unit_system.value,
        html=False,  # the inbox keeps the title and text; e-mail renders HTML when it sends
    )
    sealed = (
        vault.seal(cause.secret_context, sealed_aad(user.id, cause.dedup_key))
        if cause.secret_context
        else None
    )
    # ON CONFLICT DO NOTHING: a concurrent twin (two consumers, two schedulers) makes no second row.
    await Notification.bulk_create(
        [
            Notification(
                user_id=user.id,
                kind=kind.name,
                title=rendered.title[:200],
                text=rendered.text,
                context=cause.context,
                sealed_context=sealed,
                dedup_key=cause.dedup_key,
                event_id=cause.event_id,
                inbox=kind.inbox,
                urgent=kind.urgent,
            )
        ],
        ignore_conflicts=True,
        using_db=conn,
    )
    notification = await Notification.get(user_id=user.id, dedup_key=cause.dedup_key, using_db=conn)
    if await Delivery.filter(notification_id=notification.id).using_db(conn).exists():
        return []
    settings = await preferences.settings_of(user.id, conn)
    quiet = preferences.quiet_hours(settings)
    chosen = await preferences.choices(user.id, conn)
    rows: list[Delivery] = []
    for channel in preferences.channels_for(kind, chosen):
        if channels.get(channel) is None:
            continue  # not configured in this deployment (``fithub doctor`` says why)
        due = preferences.send_after(kind, channel, now, user, quiet)
        targets: list[str | None] = [None]
        if channel == "push":
            targets = cast(
                "list[str | None]",
                await PushToken.filter(user_id=user.id)
                .using_db(conn)
                .values_list("token_digest", flat=True),
            )
        elif channel == "sms" and not settings.phone_number:
            continue
        for target in targets:
            rows.append(
                Delivery(
                    user_id=user.id,
                    notification_id=notification.id,
                    channel=channel,
                    target=target,
                    idempotency_key=idempotency_key("n", notification.id, channel, target),
                    next_attempt_at=due,
                )
            )
    if rows:
        await Delivery.bulk_create(rows, ignore_conflicts=True, using_db=conn)
    return cast(
        "list[int]",
        await Delivery.filter(notification_id=notification.id)
        .using_db(conn)
        .values_list("id", flat=True),
    )
