"""Apple Health into fithub: the connection, export uploads and their import job, pushed batches.

Apple Health has no sign-in, so the first upload or push makes the user's ``apple_health``
connection (connected, no tokens, never due a sync: ``next_sync_at`` stays empty).

An upload is checked by content (the plugin's ``inspect_export``), moved into media storage and
queued with a fresh ``job_token``, as videos are (core/media/services.py). The job claims the
import for its token, reads the export in a thread (the plugin's streaming parser) and stores its
records through ``upsert_records`` a batch at a time, one transaction per batch that also moves
the import's counters, so progress is visible and a failure keeps every batch already stored.
Records are upserted on stable ids, so importing the same export again changes nothing. The
uploaded file is deleted when the job ends, however it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from fithub.core import jobs
from fithub.core.accounts.models import User
from fithub.core.audit import services as audit
from fithub.core.config import Settings
from fithub.core.context import ClientInfo
from fithub.core.devices.imports.models import DeviceImport, ImportStatus
from fithub.core.devices.imports.schemas import BatchOut
from fithub.core.devices.imports.settings import ImportSettings, import_settings
from fithub.core.devices.imports.uploads import ReceivedExport
from fithub.core.devices.models import ConnectionStatus, DeviceConnection
from fithub.core.devices.store import upsert_records
from fithub.core.errors import (
    FithubError,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from fithub.core.events import services as events
from fithub.core.media.storage import media_storage
from fithub.plugins.apple_health import AppleHealthProvider, const
from fithub.plugins.apple_health.export import (
    ExportInfo,
    ExportTooLarge,
    ExportUnreadable,
    NotAnExport,
    UnknownFormat,
    UnsafeExport,
)
from fithub.plugins.records import Record

log = logging.getLogger("fithub.devices.imports")

PROVIDER = const.NAME
JOB = "devices.import_export"
CONTENT_TYPES = {"zip": "application/zip", "xml": "application/xml"}


def _now() -> datetime:
    return datetime.now(UTC)


# -- the connection -------------------------------------------------------------------------------


async def ensure_connection(user_id: int, client: ClientInfo, via: str,
                            conn: BaseDBAsyncClient | None = None) -> DeviceConnection:  # fmt: skip
    """The user's Apple Health connection, made (or made connected again) on first use."""
    connection, created = await DeviceConnection.get_or_create(
        user_id=user_id, provider=PROVIDER, using_db=conn
    )
    if created or connection.status != ConnectionStatus.CONNECTED:
        now = _now()
        await DeviceConnection.filter(id=connection.id).using_db(conn).update(
            status=ConnectionStatus.CONNECTED, connected_at=now, disconnected_at=None,
            next_sync_at=None, last_error="",
        )  # fmt: skip
        await events.emit("connection.connected", user_id,
                          {"provider": PROVIDER, "connection_id": connection.id, "via": via},
                          using_db=conn)  # fmt: skip
        await audit.record("device.connected", client, subject_id=user_id,
                           target_type="device_connection", target_id=connection.id,
                           details={"provider": PROVIDER, "via": via})  # fmt: skip
        await connection.refresh_from_db(using_db=conn)
    return connection


async def _mark_connection(user_id: int, status: str, error: str = "",
                           conn: BaseDBAsyncClient | None = None) -> None:  # fmt: skip
    await (
        DeviceConnection.filter(user_id=user_id, provider=PROVIDER)
        .using_db(conn)
        .update(last_sync_at=_now(), last_sync_status=status, last_error=error[:500])
    )


# -- uploads --------------------------------------------------------------------------------------


def _refused(exc: ExportUnreadable) -> FithubError:
    """The problem an upload that is not a readable export gets."""
    detail = f"The file is not an Apple Health export fithub can read: {exc}."
    errors = [{"field": "file", "message": str(exc)[:300], "type": "invalid"}]
    if isinstance(exc, UnknownFormat):
        return UnsupportedMediaType(detail, code="unsupported_export")
    if isinstance(exc, ExportTooLarge):
        return PayloadTooLarge(detail, code="export_too_large")
    if isinstance(exc, UnsafeExport):
        return ValidationFailed(detail, code="unsafe_xml", errors=errors)
    if isinstance(exc, NotAnExport):
        return ValidationFailed(detail, code="not_health_export", errors=errors)
    return ValidationFailed(detail, code="unreadable_export", errors=errors)


async def create_import(user: User, client: ClientInfo, settings: Settings,
                        upload: ReceivedExport) -> DeviceImport:  # fmt: skip
    """Check the staged upload is an export, store it, queue its import (202).

    415 for neither zip nor XML, 422 for a file that is not a Health export (or declares XML
    entities), 413 when its XML is larger than the limit. The staged file is always consumed.
    """
    config = import_settings()
    storage = media_storage(settings)
    try:
        try:
            info: ExportInfo = await asyncio.to_thread(
                AppleHealthProvider.inspect_export, upload.staged, config.xml_max_bytes
            )
        except ExportUnreadable as exc:
            raise _refused(exc) from exc
        key = await storage.put(upload.staged, suffix=f".{info.format}",
                                content_type=CONTENT_TYPES[info.format])  # fmt: skip
    finally:
        upload.staged.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    async with in_transaction():
        await ensure_connection(user.id, client, "import")
        row = await DeviceImport.create(
            user_id=user.id, provider=PROVIDER, file_format=info.format,
            original_filename=upload.filename, size_bytes=upload.size, xml_bytes=info.xml_bytes,
            storage_key=key, job_token=token,
        )  # fmt: skip
        await audit.record("device.import_uploaded", client, subject_id=user.id,
                           target_type="device_import", target_id=row.id,
                           details={"provider": PROVIDER, "size_bytes": upload.size,
                                    "format": info.format})  # fmt: skip
    try:
        await jobs.enqueue(JOB, row.id, token, key)
    except Exception as exc:  # the broker is down: say so; the file is not kept
        log.exception("could not queue import %s", row.id)
        await DeviceImport.filter(id=row.id).update(
            status=ImportStatus.FAILED, storage_key=None, finished_at=_now(),
            error=f"the import could not be queued ({type(exc).__name__}): upload it again",
        )  # fmt: skip
        await _delete_upload(settings, key)
        await row.refresh_from_db()
    return row


def imports_of(user: User) -> QuerySet[DeviceImport]:
    return DeviceImport.filter(user_id=user.id, provider=PROVIDER)


async def get_import(user: User, import_id: int) -> DeviceImport:
    """One of the user's imports; 404 for anyone else's, as for a missing one."""
    row = await DeviceImport.get_or_none(id=import_id, user_id=user.id, provider=PROVIDER)
    if row is None:
        raise NotFound("No such import.", code="import_not_found")
    return row


async def _delete_upload(settings: Settings, key: str) -> None:
    try:
        await media_storage(settings).delete(key)
    except Exception:
        log.exception("could not delete the uploaded export %s", key)


# -- pushed batches -------------------------------------------------------------------------------


async def push_batch(user: User, client: ClientInfo, items: list[dict[str, Any]]) -> BatchOut:
    """Store a phone app's batch at once, all or nothing: 422 naming each bad item's field."""
    outcome = AppleHealthProvider.normalise_batch(items)
    if outcome.errors:
        errors = [{"field": f"records.{index}.{name}", "message": message, "type": "invalid"}
                  for index, name, message in outcome.errors[:100]]  # fmt: skip
        raise ValidationFailed(f"{len(outcome.errors)} of the records did not validate: "
                               "nothing was stored.", errors=errors)  # fmt: skip
    async with in_transaction() as conn:
        await ensure_connection(user.id, client, "batch", conn)
        counts = await upsert_records(conn, user.id, PROVIDER, outcome.records)
        await _mark_connection(user.id, "succeeded", conn=conn)
    return BatchOut(
        received=len(items), records=len(outcome.records), inserted=counts.inserted,
        updated=counts.updated, unchanged=counts.unchanged,
        skipped=sum(outcome.skipped.values()), skipped_reasons=outcome.skipped,
    )  # fmt: skip


# -- the job --------------------------------------------------------------------------------------


class ImportGone(Exception):
    """The import row lost its claim (deleted with its user, or claimed by a newer token)."""


@dataclass
class Snapshot:
    """The reader's counters at the end of one batch (taken in the reading thread)."""

    read: int
    aggregated: int
    skipped: dict[str, int]
    bytes_read: int
    export_date: datetime | None


@dataclass
class _Batch:
    records: list[Record] = field(default_factory=list)
    snapshot: Snapshot | None = None


def _claimed(import_id: int, token: str) -> QuerySet[DeviceImport]:
    return DeviceImport.filter(id=import_id, job_token=token, status=ImportStatus.RUNNING)


def read_in_thread(path: Path, config: ImportSettings, loop: asyncio.AbstractEventLoop,
                   queue: asyncio.Queue[_Batch | BaseException | None],
                   stop: threading.Event) -> None:  # fmt: skip
    """Parse the export and hand batches of records to the loop (a full queue makes it wait)."""

    def put(item: _Batch | BaseException | None) -> None:
        asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()

    try:
        info = AppleHealthProvider.inspect_export(path, config.xml_max_bytes)
        reader = AppleHealthProvider.reader(config.xml_max_bytes)
        stats = reader.stats

        def snapshot() -> Snapshot:
            return Snapshot(stats.read, stats.aggregated, dict(stats.skipped), stats.bytes_read,
                            stats.export_date)  # fmt: skip

        batch = _Batch()
        with AppleHealthProvider.open_export(path, info) as stream:
            for record in reader.records(stream):
                batch.records.append(record)
                if len(batch.records) >= config.import_batch_records:
                    batch.snapshot = snapshot()
                    put(batch)
                    batch = _Batch()
                    if stop.is_set():
                        return
        batch.snapshot = snapshot()
        put(batch)
        put(None)
    except BaseException as exc:  # handed to the loop, which fails the import with it
        with contextlib.suppress(RuntimeError):
            put(exc)


async def _store(row: DeviceImport, token: str, batch: _Batch) -> None:
    snap = batch.snapshot
    assert snap is not None
    async with in_transaction() as conn:
        counts = await upsert_records(conn, row.user_id, PROVIDER, batch.records)
        progress = min(1.0, snap.bytes_read / row.xml_bytes) if row.xml_bytes else 0.0
        moved = await _claimed(row.id, token).using_db(conn).update(
            inserted=F("inserted") + counts.inserted, updated=F("updated") + counts.updated,
            unchanged=F("unchanged") + counts.unchanged, records_read=snap.read,
            aggregated=snap.aggregated, skipped=sum(snap.skipped.values()),
            skipped_reasons=snap.skipped, progress=progress, export_date=snap.export_date,
            updated_at=_now(),
        )  # fmt: skip
        if not moved:
            raise ImportGone(row.id)  # rolls the batch back


async def _read_and_store(
    row: DeviceImport, token: str, path: Path, config: ImportSettings
) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[_Batch | BaseException | None] = asyncio.Queue(maxsize=2)
    stop = threading.Event()
    reader = threading.Thread(target=read_in_thread, args=(path, config, loop, queue, stop),
                              name=f"import-{row.id}", daemon=True)  # fmt: skip
    reader.start()
    try:
        while True:
            item = await queue.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            await _store(row, token, item)
    finally:
        stop.set()
        while reader.is_alive():  # let a reader blocked on the full queue see the stop
            with contextlib.suppress(asyncio.QueueEmpty):
                queue.get_nowait()
            await asyncio.sleep(0.01)


async def run_import(settings: Settings, import_id: int, token: str, key: str) -> str:
    """Claim the import for ``token``, read and store the export, record the outcome.

    Returns ``succeeded``, ``failed`` (``error`` says why) or ``skipped`` (another token holds the
    import, or it is gone). Never raises for an unreadable file; the upload is deleted at the end.
    """
    now = _now()
    claimed = await DeviceImport.filter(
        id=import_id, job_token=token, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).update(status=ImportStatus.RUNNING, attempts=F("attempts") + 1, started_at=now,
             finished_at=None, error="", progress=0.0, records_read=0, inserted=0, updated=0,
             unchanged=0, aggregated=0, skipped=0, skipped_reasons={}, updated_at=now)  # fmt: skip
    if not claimed:
        if not await DeviceImport.exists(id=import_id):
            await _delete_upload(settings, key)  # its user is gone: nobody will read it
        return "skipped"
    row = await DeviceImport.get(id=import_id)
    status, error = ImportStatus.SUCCEEDED, ""
    try:
        async with media_storage(settings).local_path(key) as path:
            await _read_and_store(row, token, path, import_settings())
    except ExportUnreadable as exc:
        status, error = ImportStatus.FAILED, f"the export cannot be read: {exc}"
    except FileNotFoundError:
        status, error = ImportStatus.FAILED, "the uploaded file is missing: upload it again"
    except ImportGone:
        await _delete_upload(settings, key)
        return "skipped"
    except Exception as exc:  # the database, a bug: record it; the file is not kept
        log.exception("import %s failed", import_id)
        status, error = ImportStatus.FAILED, f"internal error ({type(exc).__name__}): try again"
    await _delete_upload(settings, key)
    async with in_transaction() as conn:
        changed = await _claimed(import_id, token).using_db(conn).update(
            status=status, error=error[:500], storage_key=None, finished_at=_now(),
            progress=1.0 if status == ImportStatus.SUCCEEDED else F("progress"), updated_at=_now(),
        )  # fmt: skip
        if changed:
            await _mark_connection(row.user_id, status.value, error, conn)
            await events.emit(f"device_import.{status.value}", row.user_id,
                              {"provider": PROVIDER, "import_id": import_id}, using_db=conn)  # fmt: skip
    log.info("import %s of user %s: %s %s", import_id, row.user_id, status.value, error)
    return status.value
