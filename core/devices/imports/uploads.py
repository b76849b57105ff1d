"""Receiving an export upload: the raw body, or the ``file`` part of a multipart form, streamed to disk.

As for videos (core/media/uploads.py), the body is never held in memory: it is written to a staging
file of media storage through a small buffer as it arrives, with backpressure
(core/request_body.py), and counted against the limit (413). The first bytes must pass the
provider's ``sniff_import`` (415 at once otherwise); what the file really is is decided once it is
complete (the provider's ``inspect_import``, core/devices/imports/services.py), from its content,
never its name.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from quart import g
from quart.wrappers import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from fithub.core.errors import FithubError, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from fithub.core.media.storage import MediaStorage
from fithub.core.media.uploads import FLUSH_BYTES, _drain, body_limit, clean_filename
from fithub.plugins.types import FileImporter

FILE_FIELD = "file"
SNIFF_BYTES = 64
TOO_LARGE = "export_too_large"


@dataclass
class ReceivedExport:
    """An upload on local disk whose first bytes may be an export (checked later, in full)."""

    staged: Path
    size: int
    filename: str


def _not_an_export(importer: type[FileImporter]) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        f"{importer.import_unsupported} The content decides, not the file name.",
        code="unsupported_export",
    )


class _Sink:
    """The staging file being written, its size and its first bytes."""

    def __init__(self, importer: type[FileImporter], storage: MediaStorage, max_bytes: int) -> None:
        self.importer, self.storage, self.max_bytes = importer, storage, max_bytes
        self.staged: Path | None = None
        self.handle: BinaryIO | None = None
        self.buffer = bytearray()
        self.head = bytearray()
        self.sniffed = False
        self.size = 0

    async def open(self) -> None:
        self.staged = self.storage.staging_file(".export")
        self.handle = await asyncio.to_thread(self.staged.open, "wb")

    async def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise PayloadTooLarge(f"The export is larger than {self.max_bytes} bytes.",
                                  code=TOO_LARGE)  # fmt: skip
        if not self.sniffed:
            self.head.extend(data[: SNIFF_BYTES - len(self.head)])
            if len(self.head) >= SNIFF_BYTES:
                self.sniff()
        self.buffer.extend(data)
        if len(self.buffer) >= FLUSH_BYTES:
            await self.flush()

    def sniff(self) -> None:
        self.sniffed = True
        if not self.importer.sniff_import(bytes(self.head)):
            raise _not_an_export(self.importer)

    async def flush(self) -> None:
        if self.buffer and self.handle is not None:
            chunk, self.buffer = bytes(self.buffer), bytearray()
            await asyncio.to_thread(self.handle.write, chunk)

    async def finish(self) -> None:
        if self.size == 0:
            raise ValidationFailed("The upload is empty.", code="empty_upload",
                                   errors=[{"field": FILE_FIELD, "message": "is empty"}])  # fmt: skip
        if not self.sniffed:
            self.sniff()
        await self.flush()
        await self.close()

    async def close(self) -> None:
        if self.handle is not None:
            await asyncio.to_thread(self.handle.close)
            self.handle = None

    def discard(self) -> None:
        if self.staged is not None:
            self.staged.unlink(missing_ok=True)
            self.staged = None


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"The upload form is not valid: {field} {message}.",
                            errors=[{"field": field, "message": message, "type": "invalid"}])  # fmt: skip


async def _multipart(request: Request, sink: _Sink) -> str:
    """Write the ``file`` part; return its file name (metadata only)."""
    boundary = request.mimetype_params.get("boundary", "").encode("latin-1")
    if not boundary:
        raise ValidationFailed("The multipart content type names no boundary.")
    decoder = MultipartDecoder(boundary, max_parts=4)
    filename, in_file, done, finished = "", False, False, False

    async def feed() -> bool:
        nonlocal filename, in_file, done
        while True:
            event = decoder.next_event()
            if isinstance(event, NeedData):
                return False
            if isinstance(event, Epilogue):
                return True
            if isinstance(event, File):
                if event.name != FILE_FIELD or sink.staged is not None:
                    raise _field_error(event.name or "part", "is not expected here")
                filename = clean_filename(event.filename)
                await sink.open()
                in_file = True
            elif isinstance(event, Field):
                raise _field_error(event.name or "part", "is not a field of this form")
            elif isinstance(event, Data) and in_file:
                await sink.write(event.data)
                if not event.more_data:
                    in_file, done = False, True

    try:
        async for chunk in request.body:
            decoder.receive_data(chunk)
            finished = await feed() or finished
        decoder.receive_data(None)
        finished = await feed() or finished
    except ValueError as exc:
        raise ValidationFailed(f"The multipart body is malformed: {exc}") from exc
    if not finished:
        raise ValidationFailed("The multipart body ends before its closing boundary.")
    if not done:
        raise _field_error(FILE_FIELD, "is required (the export file)")
    return filename


async def _raw(request: Request, sink: _Sink) -> str:
    await sink.open()
    async for chunk in request.body:
        await sink.write(chunk)
    return ""


async def receive_export(request: Request, importer: type[FileImporter], storage: MediaStorage,
                         max_bytes: int) -> ReceivedExport:  # fmt: skip
    """Stream the upload to a staging file: 413 past ``max_bytes``, 415 when the importer's
    ``sniff_import`` refuses its first bytes, 422 for a malformed form or an empty file."""
    if request.content_length is not None and request.content_length > body_limit(max_bytes):
        await _drain(request, max_bytes)
        raise PayloadTooLarge(f"The export is larger than {max_bytes} bytes.", code=TOO_LARGE)
    sink = _Sink(importer, storage, max_bytes)
    try:
        try:
            if request.mimetype == "multipart/form-data":
                filename = await _multipart(request, sink)
            else:
                filename = await _raw(request, sink)
        except RequestEntityTooLarge as exc:  # the client sends faster than we write
            g.fithub_abandon_body = True
            raise PayloadTooLarge(f"The export is larger than {max_bytes} bytes.",
                                  code=TOO_LARGE) from exc  # fmt: skip
        except FithubError:
            await _drain(request, max_bytes)
            raise
        await sink.finish()
        assert sink.staged is not None
        return ReceivedExport(staged=sink.staged, size=sink.size, filename=filename)
    except BaseException:
        await sink.close()
        sink.discard()
        raise
