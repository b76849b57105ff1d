"""Vendor pushes (journey 3): verify, keep in the inbox, answer, then act on them in a job.

A webhook call goes to the provider's ``handle_push``, which verifies it (handshake, signature)
and says what changed. Each change becomes a :class:`WebhookEvent` row, committed before the
vendor gets its answer, so a crash after answering loses nothing; a vendor delivering the same
push twice (the same body) stores it once (``dedup_key``). The job ``devices.process_push`` then finds the
connection of that vendor user and:

- ``upsert`` with items (the vendor sent the data): normalises and stores them;
- ``upsert`` without items: queues a sync of that data type (of the pushed window if one came);
- ``delete``: deletes that record (or what is stored in the pushed window, fetched again);
- ``deauthorize``: the user withdrew the grant at the vendor: once a refresh confirms it, the
  tokens are dropped (unsigned pushes cannot cost anyone their connection).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from fithub.core.devices import store
from fithub.core.devices.connections import (
    ReauthRequired,
    drop_connection,
    read_tokens,
    refresh_tokens,
)
from fithub.core.devices.hub import DeviceHub
from fithub.core.devices.jobs import request_sync
from fithub.core.devices.models import (
    ConnectionStatus,
    DeviceConnection,
    PushStatus,
    WebhookEvent,
)
from fithub.core.devices.sync import TypeReport, normalise_items
from fithub.core.errors import NotFound
from fithub.core.jobs import enqueue, job, job_runtime
from fithub.plugins.types import OAUTH_KINDS, DataType, PushEvent, PushRequest, PushResult

log = logging.getLogger("fithub.devices.inbox")

PUSH_JOB = "devices.process_push"
PUSHING_KINDS = OAUTH_KINDS | {"push_only"}  # file imports (Apple Health) have no vendor server


@dataclass(frozen=True)
class Received:
    """What a webhook call produced: the vendor's answer and the inbox rows it stored."""

    result: PushResult
    stored: list[int]
    duplicates: int


def _dedup_key(provider: str, event: PushEvent, body: bytes) -> str:
    """Equal for a vendor's retry of the same delivery (the same body), distinct otherwise."""
    document = {
        "provider": provider,
        "body": hashlib.sha256(body).hexdigest(),
        "user": event.external_user_id,
        "type": str(event.data_type) if event.data_type else None,
        "action": event.action,
        "object": event.object_id,
        "start": event.start.isoformat() if event.start else None,
        "end": event.end.isoformat() if event.end else None,
        "items": list(event.items),
    }
    text = json.dumps(document, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


async def receive(hub: DeviceHub, provider_name: str, request: PushRequest) -> Received:
    """Verify a vendor push (ProviderError if it is not genuine) and store its events."""
    cls = hub.provider_class(provider_name)
    if getattr(cls, "auth_kind", None) not in PUSHING_KINDS:
        raise NotFound(f"{provider_name} takes no vendor webhooks.", code="no_webhooks")
    hub.require_usable(provider_name)
    provider = await hub.provider(provider_name)
    result = await provider.handle_push(request)
    stored: list[int] = []
    duplicates = 0
    for event in result.events:
        try:
            row = await WebhookEvent.create(
                provider=provider_name,
                external_user_id=event.external_user_id[:128],
                action=event.action,
                data_type=str(event.data_type) if event.data_type else None,
                object_id=event.object_id[:255] if event.object_id else None,
                window_start=event.start,
                window_end=event.end,
                items=[dict(item) for item in event.items] or None,
                dedup_key=_dedup_key(provider_name, event, request.body),
            )
        except IntegrityError:
            duplicates += 1  # delivered before: already in the inbox
            continue
        stored.append(row.id)
    for event_id in stored:
        await enqueue(PUSH_JOB, event_id)
    log.info("%s push: %d events stored, %d duplicates", provider_name, len(stored), duplicates)
    return Received(result, stored, duplicates)


async def _finish(row: WebhookEvent, status: PushStatus, **values: Any) -> None:
    await WebhookEvent.filter(id=row.id, status=PushStatus.QUEUED).update(
        status=status, processed_at=datetime.now(UTC), **values
    )


async def _store_items(hub: DeviceHub, row: WebhookEvent, connection: DeviceConnection,
                       data_type: DataType) -> dict[str, Any]:  # fmt: skip
    provider = await hub.provider(row.provider)
    report = TypeReport()
    records = normalise_items(provider, row.provider, data_type, row.items or [], report)
    async with in_transaction() as conn:
        counts = await store.upsert_records(conn, connection.user_id, row.provider, records)
    return {"items": len(row.items or []), "inserted": counts.inserted, "updated": counts.updated,
            "unchanged": counts.unchanged, "errors": report.errors,
            "messages": report.messages}  # fmt: skip


async def _act(hub: DeviceHub, row: WebhookEvent, connection: DeviceConnection) -> None:
    data_type = DataType(row.data_type) if row.data_type else None
    if row.action == "deauthorize":
        if not await _grant_withdrawn(hub, connection):
            await _finish(row, PushStatus.IGNORED, connection_id=connection.id,
                          outcome={"reason": "the grant still works at the vendor"})  # fmt: skip
            return
        await drop_connection(connection, reason="revoked at the vendor", revoked=True)
        await _finish(row, PushStatus.PROCESSED, connection_id=connection.id,
                      outcome={"disconnected": True})  # fmt: skip
        return
    if data_type is None or data_type not in hub.classes[row.provider].data_types:
        await _finish(
            row,
            PushStatus.IGNORED,
            connection_id=connection.id,
            outcome={"reason": f"not a data type fithub syncs: {row.data_type}"},
        )
        return
    if row.action == "delete" and row.object_id:
        deleted = await store.delete_record(connection.user_id, row.provider, data_type,
                                            row.object_id)  # fmt: skip
        await _finish(row, PushStatus.PROCESSED, connection_id=connection.id,
                      outcome={"deleted": deleted})  # fmt: skip
        return
    if row.action == "delete" and row.window_start is None:
        await _finish(
            row,
            PushStatus.IGNORED,
            connection_id=connection.id,
            outcome={"reason": "a delete naming neither an object nor a window"},
        )
        return
    if row.action == "delete" and row.window_start is not None:
        # The vendor deleted something in a window: drop what is stored there, then fetch the
        # window again (below) so whatever the vendor still has comes back.
        end = row.window_end or datetime.now(UTC)
        deleted = await store.delete_window(connection.user_id, row.provider, data_type,
                                            row.window_start, end)  # fmt: skip
        row.outcome = {**(row.outcome or {}), "deleted": deleted}
    if row.items:
        outcome = await _store_items(hub, row, connection, data_type)
        await _finish(row, PushStatus.PROCESSED, connection_id=connection.id, outcome=outcome)
        return
    window = None
    if row.window_start is not None:
        end = row.window_end or datetime.now(UTC)
        window = (row.window_start, max(end, row.window_start + timedelta(seconds=1)))
    sync, _ = await request_sync(connection, "push", [data_type.value], window=window)
    await _finish(row, PushStatus.PROCESSED, connection_id=connection.id, sync_log_id=sync.id,
                  outcome={**(row.outcome or {}), "sync": sync.id})  # fmt: skip


async def _grant_withdrawn(hub: DeviceHub, connection: DeviceConnection) -> bool:
    """Whether the vendor really refuses the grant: some vendors' pushes are unsigned, so a
    forged "deauthorized" must not cost a user their connection. With a refresh token, a refresh
    (under the connection's sync lock, as a sync would) tells; without one, the push is trusted.
    Raises when the vendor cannot answer now (the job retries).
    """
    tokens = read_tokens(hub, connection)
    if not tokens.refresh_token:
        return True
    async with hub.sync_lock(connection.id):
        try:
            await refresh_tokens(hub, connection, tokens, force=True)
        except ReauthRequired:
            return True
    return False


async def process(hub: DeviceHub, event_id: int) -> WebhookEvent | None:
    """Act on one stored push (see the module docstring); idempotent per event id."""
    row = await WebhookEvent.get_or_none(id=event_id)
    if row is None or row.status != PushStatus.QUEUED:
        return row
    if row.provider not in hub.classes:
        await _finish(row, PushStatus.IGNORED, outcome={"reason": "the provider is not loaded"})
        return await WebhookEvent.get(id=event_id)
    connection = await DeviceConnection.filter(
        provider=row.provider, external_user_id=row.external_user_id,
        status=ConnectionStatus.CONNECTED,
    ).order_by("-id").first()  # fmt: skip
    if connection is None:
        await _finish(row, PushStatus.IGNORED, outcome={"reason": "no connected user"})
        return await WebhookEvent.get(id=event_id)
    try:
        await _act(hub, row, connection)
    except Exception as exc:  # the row says what went wrong; the vendor was answered long ago
        log.exception("push %s of %s failed", row.id, row.provider)
        await _finish(row, PushStatus.FAILED, connection_id=connection.id,
                      error=f"{type(exc).__name__}: {exc}"[:500])  # fmt: skip
    return await WebhookEvent.get(id=event_id)


@job(PUSH_JOB, max_retries=3, time_limit_ms=5 * 60_000)
async def process_push(event_id: int) -> None:
    """Act on one stored vendor push (see :func:`process`)."""
    await process(job_runtime().devices, event_id)
