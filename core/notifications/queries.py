"""The inbox as its owner sees it: list, unread count, mark read, dismiss, and each item's deliveries.

Every query is scoped to one user: another person's notification is "not found", never forbidden,
so ids tell nothing about other accounts. Only inbox items (``inbox`` true) are listed, counted or
changed here; account mails (``inbox`` false) have no inbox item, only deliveries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.queryset import QuerySet

from fithub.core.errors import NotFound
from fithub.core.notifications.models import Delivery, Notification
from fithub.core.notifications.schemas import DeliveryOut, NotificationOut, NotificationQuery
from fithub.core.pagination import columns_of, paginate_rows

ITEM_COLUMNS = columns_of(NotificationOut)


def _inbox(user_id: int) -> QuerySet[Notification]:
    """The user's inbox items that are not dismissed."""
    return Notification.filter(user_id=user_id, inbox=True, dismissed_at=None)


def notification_out(row: Notification) -> NotificationOut:
    return NotificationOut(
        id=row.id,
        kind=row.kind,
        title=row.title,
        text=row.text,
        context=dict(row.context or {}),
        urgent=row.urgent,
        created_at=row.created_at,
        read_at=row.read_at,
    )


async def list_inbox(user_id: int, query: NotificationQuery) -> dict[str, Any]:
    """A page of the user's inbox, newest first; only unread (or read) items when asked."""
    rows = _inbox(user_id)
    if query.unread is not None:
        rows = rows.filter(read_at__isnull=query.unread)
    return await paginate_rows(rows, query, ITEM_COLUMNS, _item_row)


def _item_row(row: dict[str, Any]) -> dict[str, Any]:
    row["context"] = dict(row["context"] or {})
    return row


async def unread_count(user_id: int) -> int:
    """How many inbox items the user has not read (dismissed ones do not count)."""
    return await _inbox(user_id).filter(read_at=None).count()


async def _own(user_id: int, notification_id: int) -> Notification:
    found = await Notification.get_or_none(id=notification_id, user_id=user_id, inbox=True)
    if found is None:
        raise NotFound(f"No notification {notification_id}.")
    return found


async def mark_read(user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's items read (again: no change); 404 when it is not theirs."""
    found = await _own(user_id, notification_id)
    if found.read_at is None:
        now = datetime.now(UTC)
        await Notification.filter(id=found.id, read_at=None).update(read_at=now)
        found.read_at = now
    return found


async def mark_all_read(user_id: int) -> int:
    """Mark every unread inbox item of the user read; how many there were."""
    return await _inbox(user_id).filter(read_at=None).update(read_at=datetime.now(UTC))


async def dismiss(user_id: int, notification_id: int) -> None:
    """Hide one of the user's items from the inbox (it counts as read); 404 when it is not theirs."""
    found = await _own(user_id, notification_id)
    now = datetime.now(UTC)
    await Notification.filter(id=found.id, dismissed_at=None).update(dismissed_at=now)
    await Notification.filter(id=found.id, read_at=None).update(read_at=now)


def delivery_out(row: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        channel=row.channel,
        status=row.status.value,
        attempts=row.attempts,
        last_error=row.last_error,
        provider_message_id=row.provider_message_id,
        sent_at=row.sent_at,
    )


async def deliveries_of(user_id: int, notification_id: int) -> list[DeliveryOut]:
    """How each channel fared with one of the user's notifications (no addresses)."""
    await _own(user_id, notification_id)
    rows = await Delivery.filter(notification_id=notification_id, user_id=user_id).order_by("id")
    return [delivery_out(row) for row in rows]
