"""Webhook endpoints that keep failing: noted from the first failure, disabled after days of it.

An endpoint whose deliveries fail (every retry spent) while it has been failing for longer than
``FITHUB_WEBHOOK_DISABLE_AFTER_DAYS`` is disabled, and its owner is told (``webhook.disabled``).
One success clears the record.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.notifications import inbox
from fithub.core.notifications.models import DeliveryStatus, WebhookEndpoint
from fithub.core.notifications.service import NotificationService


async def note_result(
    service: NotificationService, endpoint_id: int, status: DeliveryStatus
) -> None:
    """Track the endpoint's health after one attempt whose delivery is now ``status``."""
    now = datetime.now(UTC)
    if status == DeliveryStatus.SENT:
        await WebhookEndpoint.filter(id=endpoint_id, failing_since__not_isnull=True).update(
            failing_since=None
        )
        return
    if status not in (DeliveryStatus.PENDING, DeliveryStatus.FAILED):
        return
    await WebhookEndpoint.filter(id=endpoint_id, failing_since=None).update(failing_since=now)
    if status != DeliveryStatus.FAILED:
        return
    cutoff = now - timedelta(days=service.settings.webhook_disable_after_days)
    async with in_transaction() as conn:
        disabled = (
            await WebhookEndpoint.filter(id=endpoint_id, enabled=True, failing_since__lt=cutoff)
            .using_db(conn)
            .update(
                enabled=False,
                disabled_reason=f"failing for over {service.settings.webhook_disable_after_days} days",
            )
        )
        if not disabled:
            return
        endpoint = await WebhookEndpoint.get(id=endpoint_id, using_db=conn)
        owner = await User.get(id=endpoint.owner_id, using_db=conn)
        ids = await inbox.create(
            conn,
            owner,
            inbox.Cause(
                "webhook.disabled",
                {"endpoint_id": endpoint.id, "url": endpoint.url},
                dedup_key=f"webhook-disabled:{endpoint.id}:{now.date().isoformat()}",
            ),
            channels=service.channels,
            vault=service.vault,
        )
    from fithub.core.notifications.delivery import enqueue_deliveries

    await enqueue_deliveries(ids)
