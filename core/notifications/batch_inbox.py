"""Making many notifications at once: :func:`fithub.core.notifications.inbox.create` for a batch.

A scheduler that fires thousands of reminders in the same minute cannot afford ten queries per
notification: this does the same as ``inbox.create`` (same rows, same ``dedup_key`` and
``idempotency_key`` rules, same channel choices and quiet hours) with a handful of queries per
batch. Call it inside the caller's transaction; enqueue the returned deliveries after commit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import cast

from tortoise.backends.base.client import BaseDBAsyncClient

from fithub.core.accounts.models import User
from fithub.core.notifications import preferences
from fithub.core.notifications.channels import ChannelSet
from fithub.core.notifications.inbox import Cause, idempotency_key
from fithub.core.notifications.kinds import KINDS
from fithub.core.notifications.models import (
    Delivery,
    Notification,
    NotificationPreference,
    NotificationSettings,
    PushToken,
)
from fithub.core.notifications.quiet_hours import QuietHours
from fithub.core.notifications.rendering import render


async def create_many(
    conn: BaseDBAsyncClient,
    items: list[tuple[User, Cause]],
    *,
    channels: ChannelSet,
    now: datetime | None = None,
) -> list[int]:
    """Store each (person, cause)'s notification and deliveries; the new delivery ids.

    A cause whose notification exists already makes nothing (as in ``inbox.create``). Causes
    must not carry a ``secret_context`` (those go one by one through ``inbox.create``).
    """
    now = now or datetime.now(UTC)
    if not items:
        return []
    user_ids = sorted({user.id for user, _ in items})
    keys = [cause.dedup_key for _, cause in items]
    existing = set(
        cast(
            "list[tuple[int, str]]",
            await Notification.filter(user_id__in=user_ids, dedup_key__in=keys)
            .using_db(conn)
            .values_list("user_id", "dedup_key"),
        )
    )
    fresh = [(u, c) for u, c in items if (u.id, c.dedup_key) not in existing]
    if not fresh:
        return []
    rows = []
    made_at = datetime.now(UTC)  # when it was made, not when it was due (``now``)
    for user, cause in fresh:
        if cause.secret_context:
            raise ValueError("secret contexts go through inbox.create, one at a time")
        kind = KINDS[cause.kind]
        rendered = render(
            kind.name,
            {"display_name": user.display_name, **cause.context},
            locale=user.locale,
            timezone=user.timezone,
            unit_system=user.unit_system.value,
            html=False,
        )
        rows.append(
            Notification(
                user_id=user.id,
                kind=kind.name,
                title=rendered.title[:200],
                text=rendered.text,
                context=cause.context,
                dedup_key=cause.dedup_key,
                event_id=cause.event_id,
                inbox=kind.inbox,
                urgent=kind.urgent,
                created_at=made_at,
            )
        )
    await Notification.bulk_create(rows, ignore_conflicts=True, using_db=conn)
    made = {
        (int(u), str(k)): int(i)
        for i, u, k in await Notification.filter(
            user_id__in=user_ids, dedup_key__in=[c.dedup_key for _, c in fresh]
        )
        .using_db(conn)
        .values_list("id", "user_id", "dedup_key")
    }
    quiet, chosen, tokens, phones = await _people(conn, user_ids)
    deliveries: list[Delivery] = []
    for user, cause in fresh:
        notification_id = made.get((user.id, cause.dedup_key))
        if notification_id is None:
            continue
        kind = KINDS[cause.kind]
        for channel in preferences.channels_for(kind, chosen.get(user.id, {})):
            if channels.get(channel) is None:
                continue  # not configured in this deployment
            if channel == "sms" and not phones.get(user.id):
                continue
            due = preferences.send_after(kind, channel, now, user, quiet.get(user.id))
            targets: list[str | None] = list(tokens[user.id]) if channel == "push" else [None]
            deliveries.extend(
                Delivery(
                    user_id=user.id,
                    notification_id=notification_id,
                    channel=channel,
                    target=target,
                    idempotency_key=idempotency_key("n", notification_id, channel, target),
                    next_attempt_at=due,
                )
                for target in targets
            )
    if not deliveries:
        return []
    await Delivery.bulk_create(deliveries, ignore_conflicts=True, using_db=conn)
    return cast(
        "list[int]",
        await Delivery.filter(notification_id__in=sorted(set(made.values())))
        .using_db(conn)
        .values_list("id", flat=True),
    )


async def _people(
    conn: BaseDBAsyncClient, user_ids: list[int]
) -> tuple[
    dict[int, QuietHours | None],
    dict[int, dict[tuple[str, str], bool]],
    dict[int, list[str]],
    dict[int, str | None],
]:
    """Quiet hours, channel choices, push tokens and phone numbers of ``user_ids``, in 3 queries."""
    quiet: dict[int, QuietHours | None] = {}
    phones: dict[int, str | None] = {}
    for found in await NotificationSettings.filter(user_id__in=user_ids).using_db(conn):
        quiet[found.user_id] = preferences.quiet_hours(found)
        phones[found.user_id] = found.phone_number
    chosen: dict[int, dict[tuple[str, str], bool]] = defaultdict(dict)
    for user_id, kind, channel, enabled in (
        await NotificationPreference.filter(user_id__in=user_ids)
        .using_db(conn)
        .values_list("user_id", "kind", "channel", "enabled")
    ):
        chosen[int(user_id)][(str(kind), str(channel))] = bool(enabled)
    tokens: dict[int, list[str]] = defaultdict(list)
    for user_id, digest in (
        await PushToken.filter(user_id__in=user_ids)
        .using_db(conn)
        .values_list("user_id", "token_digest")
    ):
        tokens[int(user_id)].append(str(digest))
    return quiet, chosen, tokens, phones
