"""File imports into fithub: the connection, export uploads and their import job, pushed batches.

Any provider with the ``FileImporter`` capability (:mod:`fithub.plugins.types`) takes uploads;
core names none of them. Such a provider has no sign-in, so the first upload (or push) makes the
user's connection to it (connected, no tokens, never due a sync: ``next_sync_at`` stays empty).

An upload is checked by content (the provider's ``inspect_import``), moved into media storage and
queued with a fresh ``job_token``, as videos are (core/media/services.py). The job claims the
import for its token, reads the file in a thread (the provider's ``read_import``) and stores its
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
from collections.abc import Mapping
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
from fithub.core.devices.errors import ImportGone
from fithub.core.devices.imports.models import DeviceImport, ImportStatus
from fithub.core.devices.imports.schemas import ImportBatchOut
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
from fithub.plugins.manager import load_plugins
from fithub.plugins.types import (
    BatchImporter,
    FileImporter,
    ImportBatch,
    ImportFile,
    ImportRefused,
)

log = logging.getLogger("fithub.devices.imports")

JOB = "devices.import_export"


def _now() -> datetime:
    return datetime.now(UTC)


# -- the connection -------------------------------------------------------------------------------


async def ensure_connection(user_id: int, provider: str, client: ClientInfo, via: str,
                            conn: BaseDBAsyncClient | None = None) -> DeviceConnection:  # fmt: skip
    """The user's connection to ``provider`` (one without sign-in), made (or made connected
    again) on first use."""
    connection, created = await DeviceConnection.get_or_create(
        user_id=user_id, provider=provider, using_db=conn
    )
    if created or connection.status != ConnectionStatus.CONNECTED:
        now = _now()
        await DeviceConnection.filter(id=connection.id).using_db(conn).update(
            status=ConnectionStatus.CONNECTED, connected_at=now, disconnected_at=None,
            next_sync_at=None, last_error="",
        )  # fmt: skip
        await events.emit("connection.connected", user_id,
                          {"provider": provider, "connection_id": connection.id, "via": via},
                          using_db=conn)  # fmt: skip
        await audit.record("device.connected", client, subject_id=user_id,
                           target_type="device_connection", target_id=connection.id,
                           details={"provider": provider, "via": via})  # fmt: skip
        await connection.refresh_from_db(using_db=conn)
    return connection


async def _mark_connection(user_id: int, provider: str, status: str, error: str = "",
                           conn: BaseDBAsyncClient | None = None) -> None:  # fmt: skip
    await (
        DeviceConnection.filter(user_id=user_id, provider=provider)
        .using_db(conn)
        .update(last_sync_at=_now(), last_sync_status=status, last_error=error[:500])
    )


# -- uploads --------------------------------------------------------------------------------------


def _refused(importer: type[FileImporter], exc: ImportRefused) -> FithubError:
    """The problem an upload that is not a readable file of ``importer`` gets."""
    detail = f"The file is not {importer.import_description} fithub can read: {exc}."
    errors = [{"field": "file", "message": str(exc)[:300], "type": "invalid"}]
    if exc.reason == "unsupported":
        return UnsupportedMediaType(detail, code="unsupported_export")
    if exc.reason == "too_large":
        return PayloadTooLarge(detail, code="export_too_large")
    if exc.reason == "unsafe":
        return ValidationFailed(detail, code="unsafe_xml", errors=errors)
    if exc.reason == "not_recognised":
        return ValidationFailed(detail, code="not_health_export", errors=errors)
    return ValidationFailed(detail, code="unreadable_export", errors=errors)


async def create_import(user: User, client: ClientInfo, settings: Settings,
                        importer: type[FileImporter], upload: ReceivedExport) -> DeviceImport:  # fmt: skip
    """Check the staged upload is a file ``importer`` reads, store it, queue its import (202).

    415 for a file of another kind, 422 for one that is not an export (or declares XML
    entities), 413 when its data is larger than the limit. The staged file is always consumed.
    """
    provider = importer.name
    config = import_settings(provider)
    storage = media_storage(settings)
    try:
        try:
            info: ImportFile = await asyncio.to_thread(
                importer.inspect_import, upload.staged, config.xml_max_bytes
            )
        except ImportRefused as exc:
            raise _refused(importer, exc) from exc
        key = await storage.put(upload.staged, suffix=f".{info.format}",
                                content_type=info.content_type)  # fmt: skip
    finally:
        upload.staged.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    async with in_transaction():
        await ensure_connection(user.id, provider, client, "import")
        row = await DeviceImport.create(
            user_id=user.id, provider=provider, file_format=info.format,
            original_filename=upload.filename, size_bytes=upload.size, xml_bytes=info.size_bytes,
            storage_key=key, job_token=token,
        )  # fmt: skip
        await audit.record("device.import_uploaded", client, subject_id=user.id,
                           target_type="device_import", target_id=row.id,
                           details={"provider": provider, "size_bytes": upload.size,
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


def imports_of(user: User, provider: str) -> QuerySet[DeviceImport]:
    """The user's imports of ``provider``'s files."""
    return DeviceImport.filter(user_id=user.id, provider=provider)


async def get_import(user: User, provider: str, import_id: int) -> DeviceImport:
    """One of the user's imports; 404 for anyone else's, as for a missing one."""
    row = await DeviceImport.get_or_none(id=import_id, user_id=user.id, provider=provider)
    if row is None:
        raise NotFound("No such import.", code="import_not_found")
    return row


async def _delete_upload(settings: Settings, key: str) -> None:
    try:
        await media_storage(settings).delete(key)
    except Exception:
        log.exception("could not delete the uploaded export %s", key)


# -- pushed batches -------------------------------------------------------------------------------


async def push_batch(user: User, client: ClientInfo, importer: type[BatchImporter],
                     items: list[dict[str, Any]]) -> ImportBatchOut:  # fmt: skip
    """Store a phone app's batch at once, all or nothing: 422 naming each bad item's field."""
    if len(items) > importer.max_batch_records:
        raise ValidationFailed(
            f"{importer.name} takes at most {importer.max_batch_records} records per batch.",
            errors=[{"field": "records", "message": "has too many items", "type": "too_long"}],
        )
    provider = importer.name
    outcome = importer.normalise_batch(items)
    if outcome.errors:
        errors = [{"field": f"records.{index}.{name}", "message": message, "type": "invalid"}
                  for index, name, message in outcome.errors[:100]]  # fmt: skip
        raise ValidationFailed(f"{len(outcome.errors)} of the records did not validate: "
                               "nothing was stored.", errors=errors)  # fmt: skip
    async with in_transaction() as conn:
        await ensure_connection(user.id, provider, client, "batch", conn)
        counts = await upsert_records(conn, user.id, provider, outcome.records)
        await _mark_connection(user.id, provider, "succeeded", conn=conn)
    return ImportBatchOut(
        received=len(items), records=len(outcome.records), inserted=counts.inserted,
        updated=counts.updated, unchanged=counts.unchanged,
        skipped=sum(outcome.skipped.values()), skipped_reasons=outcome.skipped,
    )  # fmt: skip


# -- the job --------------------------------------------------------------------------------------


def _claimed(import_id: int, token: str) -> QuerySet[DeviceImport]:
    return DeviceImport.filter(id=import_id, job_token=token, status=ImportStatus.RUNNING)


def read_in_thread(importer: type[FileImporter], path: Path, config: ImportSettings,
                   loop: asyncio.AbstractEventLoop,
                   queue: asyncio.Queue[ImportBatch | BaseException | None],
                   stop: threading.Event) -> None:  # fmt: skip
    """Read the file and hand its batches to the loop (a full queue makes it wait)."""

    def put(item: ImportBatch | BaseException | None) -> None:
        asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()

    try:
        batches = importer.read_import(path, config.xml_max_bytes, config.import_batch_records)
        try:
            for batch in batches:
                put(batch)
                if stop.is_set():
                    return
        finally:
            close = getattr(batches, "close", None)  # a generator: leave its file now
            if close is not None:
                close()
        put(None)
    except BaseException as exc:  # handed to the loop, which fails the import with it
        with contextlib.suppress(RuntimeError):
            put(exc)


async def _store(row: DeviceImport, token: str, batch: ImportBatch) -> None:
    async with in_transaction() as conn:
        counts = await upsert_records(conn, row.user_id, row.provider, batch.records)
        progress = min(1.0, batch.bytes_read / row.xml_bytes) if row.xml_bytes else 0.0
        moved = await _claimed(row.id, token).using_db(conn).update(
            inserted=F("inserted") + counts.inserted, updated=F("updated") + counts.updated,
            unchanged=F("unchanged") + counts.unchanged, records_read=batch.read,
            aggregated=batch.aggregated, skipped=sum(batch.skipped.values()),
            skipped_reasons=dict(batch.skipped), progress=progress, export_date=batch.file_date,
            updated_at=_now(),
        )  # fmt: skip
        if not moved:
            raise ImportGone(row.id)  # rolls the batch back


async def _read_and_store(row: DeviceImport, importer: type[FileImporter], token: str,
                          path: Path, config: ImportSettings) -> None:  # fmt: skip
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[ImportBatch | BaseException | None] = asyncio.Queue(maxsize=2)
    stop = threading.Event()
    reader = threading.Thread(target=read_in_thread,
                              args=(importer, path, config, loop, queue, stop),
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


def _installed_importers() -> dict[str, type[FileImporter]]:
    """The file importers of this process's plugins (for a caller without a runtime: a bench)."""
    components = load_plugins().components("device_provider")
    return {name: c.cls for name, c in components.items() if isinstance(c.cls, FileImporter)}


async def run_import(settings: Settings, import_id: int, token: str, key: str,
                     importers: Mapping[str, type[FileImporter]] | None = None) -> str:  # fmt: skip
    """Claim the import for ``token``, read and store the file, record the outcome.

    ``importers`` are the providers able to read files, by name (the provider gateway's; the
    installed plugins when not given). Returns ``succeeded``, ``failed`` (``error`` says why) or
    ``skipped`` (another token holds the import, or it is gone). Never raises for an unreadable
    file; the upload is deleted at the end.
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
    importer = (importers if importers is not None else _installed_importers()).get(row.provider)
    status, error = ImportStatus.SUCCEEDED, ""
    try:
        if importer is None:
            raise LookupError(row.provider)
        async with media_storage(settings).local_path(key) as path:
            await _read_and_store(row, importer, token, path, import_settings(row.provider))
    except LookupError:
        status, error = ImportStatus.FAILED, f"{row.provider} no longer imports files"
    except ImportRefused as exc:
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
            await _mark_connection(row.user_id, row.provider, status.value, error, conn)
            await events.emit(f"device_import.{status.value}", row.user_id,
                              {"provider": row.provider, "import_id": import_id},
                              using_db=conn)  # fmt: skip
    log.info("import %s of user %s: %s %s", import_id, row.user_id, status.value, error)
    return status.value
