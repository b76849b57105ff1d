"""Background jobs of notifications: consume events, send due deliveries, fire reminders."""

from __future__ import annotations

import logging

from fithub.core.jobs import job, job_runtime
from fithub.core.notifications import consumer, delivery, reminders, summaries

log = logging.getLogger("fithub.notifications.jobs")


@job("notifications.consume_events", max_retries=0, time_limit_ms=120_000)
async def consume_events() -> None:
    """Turn new domain events into notifications and webhooks (one worker at a time)."""
    handled = await consumer.consume(job_runtime().notifications)
    if handled:
        log.info("handled %d events", handled)


@job("notifications.deliver", max_retries=0, time_limit_ms=120_000)
async def deliver(delivery_ids: list[int]) -> None:
    """Attempt the given deliveries now (those another worker holds are left to it)."""
    await delivery.deliver_many(job_runtime().notifications, [int(i) for i in delivery_ids])


@job("notifications.dispatch_due", max_retries=0, time_limit_ms=120_000)
async def dispatch_due() -> None:
    """Send deliveries whose next attempt is due, and take over those whose worker died."""
    service = job_runtime().notifications
    while True:
        ids = await delivery.due_ids()
        if not ids:
            return
        attempted = await delivery.deliver_many(service, ids)
        if attempted == 0 or len(ids) < delivery.SWEEP_BATCH:
            return


@job("notifications.fire_reminders", max_retries=0, time_limit_ms=120_000)
async def fire_reminders() -> None:
    """Fire due workout reminders, each exactly once (a compare-and-set per reminder)."""
    result = await reminders.fire_due(job_runtime().notifications)
    if result.fired or result.skipped:
        log.info("reminders: %d fired, %d too late", result.fired, result.skipped)


@job("notifications.weekly_summaries", max_retries=0, time_limit_ms=600_000)
async def weekly_summaries() -> None:
    """Send last week's summary to everyone for whom it is Monday 08:xx."""
    made = await summaries.send_weekly(job_runtime().notifications)
    if made:
        log.info("weekly summaries for %d people", made)
