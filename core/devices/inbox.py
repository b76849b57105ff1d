"""Vendor pushes (journey 3): verify, keep in the inbox, answer, then act on them in a job.

A webhook call goes to the provider's ``handle_push``, which verifies it (handshake, signature)
and says what changed. Each change becomes a :class:`WebhookEvent` row, committed before the
vendor gets its answer, so a crash after answering loses nothing; a vendor delivering the same
push twice (the same body) stores it once (``dedup_key``). The job ``devices.process_push`` then finds the
connection of that vendor user and:

- ``upsert`` with items (the vendor sent the data): normalises and stores them;
- ``upsert`` without items: queues a sync of that data type (of the pushed window if one came);
- ``delete``: deletes that record (or what is stored in the pushed window, fetched again);
- ``deauthorize``: the user withdrew the grant at the vendor: once the vendor confirms it (a
  refresh, or a fetch without a refresh token, is refused), the tokens are dropped.

The inbox is a transactional outbox: the committed row, not the broker message, is the source
of truth. If the job cannot be enqueued once the row is stored (the broker refuses writes, the
process dies), the vendor is still answered 2xx, since the push is safely stored: telling it to
retry would only bring a duplicate. The row is then enqueued again by the vendor's duplicate
delivery (a duplicate of a row still ``queued`` is re-enqueued) or by the recovery sweep
(core/recovery.py), which re-drives rows left ``queued`` past a deadline. A job claims its row
with a lease (a conditional UPDATE of ``processed_at``, which holds the lease's expiry while
the row is ``queued``, renewed while it works), so a second job for the same row does nothing,
and a row whose worker died is taken over once the lease lapses.

Nothing destructive happens on an unsigned push alone. Unless the provider declares
``pushes_signed = True`` (it checked an HMAC over the body), a ``delete`` is confirmed with the
vendor first: fithub fetches the span around the record (or the pushed window) and deletes only
what the vendor no longer returns. A ``deauthorize`` is confirmed for every provider.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from fithub.core.devices import store
from fithub.core.devices.connections import (
    drop_connection,
    read_tokens,
    refresh_tokens,
)
from fithub.core.devices.errors import ReauthRequired, Unconfirmed
from fithub.core.devices.gateway import ProviderGateway
from fithub.core.devices.jobs import request_sync
from fithub.core.devices.models import (
    ConnectionStatus,
    DeviceConnection,
    PushStatus,
    SyncLog,
    WebhookEvent,
)
from fithub.core.devices.sync import SyncRun, TypeReport, normalise_items, windows
from fithub.core.errors import NotFound
from fithub.core.jobs import enqueue, job, job_runtime
from fithub.core.leases import LEASE_S, lapsed, renewing
from fithub.plugins.errors import ProviderAuthFailed
from fithub.plugins.records import Record, SampleSeries, external_ids
from fithub.plugins.types import (
    OAUTH_KINDS,
    DataType,
    DeviceProvider,
    FetchQuery,
    Page,
    PushEvent,
    PushRequest,
    PushResult,
    TokenSet,
)

log = logging.getLogger("fithub.devices.inbox")

PUSH_JOB = "devices.process_push"
PUSHING_KINDS = OAUTH_KINDS | {"push_only"}  # file imports (Apple Health) have no vendor server
CONFIRM_PAD = timedelta(days=1)  # fetched on each side of a record to see if the vendor has it
CONFIRM_MAX_PAGES = 100  # per window: a vendor whose pages never end cannot confirm a delete


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


async def receive(gateway: ProviderGateway, provider_name: str, request: PushRequest) -> Received:
    """Verify a vendor push (ProviderError if it is not genuine) and store its events."""
    cls = gateway.provider_class(provider_name)
    if getattr(cls, "auth_kind", None) not in PUSHING_KINDS:
        raise NotFound(f"{provider_name} takes no vendor webhooks.", code="no_webhooks")
    gateway.require_usable(provider_name)  # names no setting: the caller is not authenticated
    provider = await gateway.provider(provider_name)
    result = await provider.handle_push(request)
    stored: list[int] = []
    again: list[int] = []
    duplicates = 0
    for event in result.events:
        key = _dedup_key(provider_name, event, request.body)
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
                dedup_key=key,
            )
        except IntegrityError:
            duplicates += 1  # delivered before: already in the inbox
            again.extend(await _unclaimed(key))
            continue
        stored.append(row.id)
    for event_id in [*stored, *again]:
        try:
            await enqueue(PUSH_JOB, event_id)
        except Exception:  # stored is what counts: a duplicate or the recovery sweep enqueues it
            log.warning("push %s is stored but its job could not be enqueued", event_id,
                        exc_info=True)  # fmt: skip
    log.info("%s push: %d events stored, %d duplicates (%d enqueued again)",
             provider_name, len(stored), duplicates, len(again))  # fmt: skip
    return Received(result, stored, duplicates)


async def _unclaimed(dedup_key: str) -> list[int]:
    """The id of the row stored under ``dedup_key`` if it still waits for a job (not leased)."""
    now = datetime.now(UTC)
    unleased = Q(processed_at__isnull=True) | Q(processed_at__lt=now)
    rows = await WebhookEvent.filter(unleased, dedup_key=dedup_key, status=PushStatus.QUEUED)
    return [row.id for row in rows]


async def claim(event_id: int, held: datetime | None = None) -> datetime | None:
    """Lease the queued row ``event_id`` for this job, or renew the lease it holds (expiring at
    ``held``); return the new expiry, or None when the row is final or another job holds it."""
    now = datetime.now(UTC)
    free = Q(processed_at=held) if held else Q(processed_at__isnull=True) | Q(processed_at__lt=now)
    until = now + timedelta(seconds=LEASE_S)
    taken = await WebhookEvent.filter(free, id=event_id, status=PushStatus.QUEUED).update(
        processed_at=until
    )
    return until if taken else None


async def _finish(row: WebhookEvent, status: PushStatus, **values: Any) -> None:
    await WebhookEvent.filter(id=row.id, status=PushStatus.QUEUED).update(
        status=status, processed_at=datetime.now(UTC), **values
    )


async def _store_items(gateway: ProviderGateway, row: WebhookEvent, connection: DeviceConnection,
                       data_type: DataType) -> dict[str, Any]:  # fmt: skip
    provider = await gateway.provider(row.provider)
    report = TypeReport()
    records = normalise_items(provider, row.provider, data_type, row.items or [], report)
    async with in_transaction() as conn:
        counts = await store.upsert_records(conn, connection.user_id, row.provider, records)
    return {"items": len(row.items or []), "inserted": counts.inserted, "updated": counts.updated,
            "unchanged": counts.unchanged, "errors": report.errors,
            "messages": report.messages}  # fmt: skip


async def _act(gateway: ProviderGateway, row: WebhookEvent, connection: DeviceConnection) -> None:
    data_type = DataType(row.data_type) if row.data_type else None
    if row.action == "deauthorize":
        if not await _grant_withdrawn(gateway, connection):
            await _finish(row, PushStatus.IGNORED, connection_id=connection.id,
                          outcome={"reason": "the grant still works at the vendor"})  # fmt: skip
            return
        await drop_connection(connection, reason="revoked at the vendor", revoked=True)
        await _finish(row, PushStatus.PROCESSED, connection_id=connection.id,
                      outcome={"disconnected": True})  # fmt: skip
        return
    if data_type is None or data_type not in gateway.classes[row.provider].data_types:
        await _finish(
            row,
            PushStatus.IGNORED,
            connection_id=connection.id,
            outcome={"reason": f"not a data type fithub syncs: {row.data_type}"},
        )
        return
    if row.action == "delete" and not _pushes_signed(gateway, row.provider):
        await _confirmed_delete(gateway, row, connection, data_type)
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
        outcome = await _store_items(gateway, row, connection, data_type)
        await _finish(row, PushStatus.PROCESSED, connection_id=connection.id, outcome=outcome)
        return
    window = None
    if row.window_start is not None:
        end = row.window_end or datetime.now(UTC)
        window = (row.window_start, max(end, row.window_start + timedelta(seconds=1)))
    sync, _ = await request_sync(connection, "push", [data_type.value], window=window)
    await _finish(row, PushStatus.PROCESSED, connection_id=connection.id, sync_log_id=sync.id,
                  outcome={**(row.outcome or {}), "sync": sync.id})  # fmt: skip


def _pushes_signed(gateway: ProviderGateway, provider_name: str) -> bool:
    """Whether the provider checks a signature over each push's body (see plugins/types.py)."""
    return getattr(gateway.classes.get(provider_name), "pushes_signed", False) is True


async def _fetch(provider: DeviceProvider, query: FetchQuery, tokens: TokenSet) -> Page:
    return await provider.fetch_page(tokens, query)


async def _vendor_records(gateway: ProviderGateway, connection: DeviceConnection, data_type: DataType,
                          start: datetime, end: datetime) -> list[Record | SampleSeries]:  # fmt: skip
    """What the vendor has now of ``data_type`` in [start, end), fetched as a sync fetches
    (rate budget, breaker, one refresh on a 401); Unconfirmed when an item cannot be read."""
    provider = await gateway.provider(connection.provider)
    run = SyncRun(gateway, connection, provider, SyncLog(data_types=[data_type.value]))
    run.tokens = await refresh_tokens(gateway, connection, read_tokens(gateway, connection))
    report = TypeReport()
    items: list[Mapping[str, Any]] = []
    for span in windows(start, end, provider.max_window):
        token: str | None = None
        for _ in range(CONFIRM_MAX_PAGES):
            query = FetchQuery(data_type, *span, token)
            page = await run.call(partial(_fetch, provider, query), report)
            items.extend(page.items)
            token = page.next_token
            if not token:
                break
        else:
            raise Unconfirmed(f"more than {CONFIRM_MAX_PAGES} pages in one window")
    records = normalise_items(provider, connection.provider, data_type, items, report)
    if report.errors:
        raise Unconfirmed(f"{report.errors} items could not be read: {report.messages}")
    return records


def _moments(row: dict[str, Any]) -> list[datetime]:
    found = [row[key] for key in ("start_time", "end_time", "time") if row.get(key)]
    if row.get("day"):
        found.append(datetime.combine(row["day"], time.min, UTC))
    return [m if m.tzinfo else m.replace(tzinfo=UTC) for m in found]


async def _stored_span(user_id: int, provider: str, data_type: DataType,
                       external_id: str) -> tuple[datetime, datetime] | None:  # fmt: skip
    """When what fithub stored under ``external_id`` happened (None: nothing is stored)."""
    moments: list[datetime] = []
    for model in store.DATA_TYPE_MODELS[data_type]:
        rows = await model.filter(user_id=user_id, provider=provider,
                                  external_id=external_id).values()  # fmt: skip
        for row in rows:
            moments.extend(_moments(row))
    return (min(moments), max(moments)) if moments else None


async def _confirmed_delete(gateway: ProviderGateway, row: WebhookEvent, connection: DeviceConnection,
                            data_type: DataType) -> None:  # fmt: skip
    """An unsigned push's delete: only what the vendor no longer returns is deleted.

    By id: the span around the stored record is fetched; the record is deleted only if the
    vendor's answer lacks it. By window: the window is fetched; what is stored there and missing
    from the answer is deleted, and the answer is stored.
    """
    outcome: dict[str, Any] = {"confirmed_with_vendor": True}
    if row.object_id:
        span = await _stored_span(connection.user_id, row.provider, data_type, row.object_id)
        if span is None:
            await _finish(row, PushStatus.PROCESSED, connection_id=connection.id,
                          outcome={**outcome, "deleted": 0})  # fmt: skip
            return
        records = await _vendor_records(gateway, connection, data_type, span[0] - CONFIRM_PAD,
                                        span[1] + CONFIRM_PAD)  # fmt: skip
        if row.object_id in external_ids(records):
            await _finish(row, PushStatus.IGNORED, connection_id=connection.id,
                          outcome={"reason": "the vendor still has it"})  # fmt: skip
            return
        outcome["deleted"] = await store.delete_record(connection.user_id, row.provider,
                                                       data_type, row.object_id)  # fmt: skip
    elif row.window_start is not None:
        end = max(row.window_end or datetime.now(UTC), row.window_start + timedelta(seconds=1))
        records = await _vendor_records(gateway, connection, data_type, row.window_start, end)
        keep = external_ids(records)
        outcome["deleted"] = await store.delete_window(connection.user_id, row.provider,
                                                       data_type, row.window_start, end, keep)  # fmt: skip
        async with in_transaction() as conn:
            counts = await store.upsert_records(conn, connection.user_id, row.provider, records)
        outcome.update(inserted=counts.inserted, updated=counts.updated,
                       unchanged=counts.unchanged)  # fmt: skip
    else:
        await _finish(row, PushStatus.IGNORED, connection_id=connection.id,
                      outcome={"reason": "a delete naming neither an object nor a window"})  # fmt: skip
        return
    await _finish(row, PushStatus.PROCESSED, connection_id=connection.id, outcome=outcome)


def _probe_type(provider: DeviceProvider, connection: DeviceConnection) -> DataType:
    """A data type the connection may read (the first offered when none is known to be)."""
    granted = set(connection.scopes)
    for data_type in provider.data_types:
        if set(provider.required_scopes.get(data_type, ())) <= granted:
            return data_type
    return provider.data_types[0]


async def _sync_idle(connection: DeviceConnection, patience_s: float = 2 * LEASE_S) -> None:
    """Wait (at most ``patience_s``) until no live sync holds ``connection``, then reload it."""
    deadline = asyncio.get_running_loop().time() + patience_s
    while True:
        await connection.refresh_from_db()
        if connection.running_sync_id is None or lapsed(connection.sync_lease_expires_at):
            return
        if asyncio.get_running_loop().time() >= deadline:
            return  # the refresh's compare-and-set still keeps the newer tokens
        await asyncio.sleep(0.5)


async def _grant_withdrawn(gateway: ProviderGateway, connection: DeviceConnection) -> bool:
    """Whether the vendor really refuses the grant, so that a forged "deauthorized" never costs
    anyone their connection: a refresh is refused, or (without a refresh token) a fetch of the
    last day is, under the connection's sync lock as a sync would. Raises when the vendor cannot
    answer now (the event is marked failed and the connection kept).
    """
    async with gateway.sync_lock(connection.id):  # one grant check at a time per connection
        await _sync_idle(connection)  # a sync may be rotating the refresh token right now
        tokens = read_tokens(gateway, connection)
        if tokens.refresh_token:
            try:
                await refresh_tokens(gateway, connection, tokens, force=True)
            except ReauthRequired:
                return True
            return False
        provider = await gateway.provider(connection.provider)
        now = datetime.now(UTC).replace(microsecond=0)
        query = FetchQuery(_probe_type(provider, connection), now - timedelta(days=1), now)
        try:
            await gateway.guarded(connection.provider, partial(_fetch, provider, query, tokens))
        except ProviderAuthFailed:
            return True
    return False


async def process(gateway: ProviderGateway, event_id: int) -> WebhookEvent | None:
    """Act on one stored push (see the module docstring); idempotent per event id."""
    row = await WebhookEvent.get_or_none(id=event_id)
    if row is None or row.status != PushStatus.QUEUED:
        return row
    until = await claim(event_id)
    if until is None:  # another job holds it: that one acts on it
        log.info("push %s is being processed by another job", event_id)
        return row

    async def renew() -> bool:
        nonlocal until
        until = await claim(event_id, held=until)
        return until is not None

    async with renewing(renew):
        return await _process_claimed(gateway, row)


async def _process_claimed(gateway: ProviderGateway, row: WebhookEvent) -> WebhookEvent:
    event_id = row.id
    if row.provider not in gateway.classes:
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
        await _act(gateway, row, connection)
    except Exception as exc:  # the row says what went wrong; the vendor was answered long ago
        log.exception("push %s of %s failed", row.id, row.provider)
        await _finish(row, PushStatus.FAILED, connection_id=connection.id,
                      error=f"{type(exc).__name__}: {exc}"[:500])  # fmt: skip
    return await WebhookEvent.get(id=event_id)


@job(PUSH_JOB, max_retries=3, time_limit_ms=5 * 60_000)
async def process_push(event_id: int) -> None:
    """Act on one stored vendor push (see :func:`process`)."""
    await process(job_runtime().devices, event_id)
