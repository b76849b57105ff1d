"""What the live notifications socket (``/ws/v1/notifications``) asks of the inbox.

Streaming never touches a model itself (``.importlinter``: streaming-no-models); it calls these.
"""

from __future__ import annotations

from fithub.core.notifications.models import Notification


def inbox_topic(user_id: int) -> str:
    """The fan-out topic the in-app notifier publishes one user's notifications to."""
    return f"inbox:{user_id}"


async def unread_count(user_id: int) -> int:
    """How many notifications in ``user_id``'s inbox are neither read nor dismissed."""
    return await Notification.filter(
        user_id=user_id, inbox=True, read_at__isnull=True, dismissed_at__isnull=True
    ).count()
