"""Receiving a video upload: a multipart body streamed to a staging file, checked as it arrives.

The body is never held in memory: each piece of the ``file`` part goes to disk (through a buffer
of at most :data:`FLUSH_BYTES`) as it arrives. The first bytes decide whether it is a video
container at all (415 at once otherwise); the size is counted against the limit (413). On an early
rejection the rest of the body is read and dropped (within bounds), so the client still receives
the answer instead of a reset connection. The body arrives with backpressure
(:mod:`fithub.core.request_body`).
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from quart import g
from quart.wrappers import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from fithub.core.errors import (
    FithubError,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from fithub.core.media.containers import HEAD_BYTES, sniff
from fithub.core.media.models import Container
from fithub.core.media.storage import MediaStorage

#: Room for the multipart framing and the small fields around the file.
FORM_OVERHEAD = 64 * 1024
FLUSH_BYTES = 1024 * 1024
FIELD_MAX_BYTES = 200
DRAIN_SECONDS = 10.0
DRAIN_EXTRA_BYTES = 32 * 1024 * 1024
FILE_FIELD, EXERCISE_FIELD = "file", "exercise"
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass
class ReceivedUpload:
    """An upload on local disk whose first bytes are a supported container."""

    staged: Path
    size: int
    filename: str
    container: Container
    exercise: str | None


def body_limit(max_file_bytes: int) -> int:
    """The largest request body the upload route accepts (the file plus the form around it)."""
    return max_file_bytes + FORM_OVERHEAD


def clean_filename(name: str | None) -> str:
    """The client's file name as metadata only: base name, no control characters, 255 at most."""
    if not name:
        return ""
    base = re.split(r"[/\\]", name)[-1]
    base = unicodedata.normalize("NFC", _UNSAFE_NAME.sub("", base)).strip()
    return base[:255]


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"The upload form is not valid: {field} {message}.",
        errors=[{"field": field, "message": message, "type": "invalid"}],
    )


class _Receiver:
    """State of one upload while its multipart body is parsed."""

    def __init__(self, storage: MediaStorage, max_bytes: int) -> None:
        self.storage = storage
        self.max_bytes = max_bytes
        self.staged: Path | None = None
        self.handle: BinaryIO | None = None
        self.buffer = bytearray()
        self.head = bytearray()
        self.container: Container | None = None
        self.size = 0
        self.filename = ""
        self.fields: dict[str, bytearray] = {}
        self.part: str | None = None  # "file", a field name, or None before the first part
        self.file_done = False

    async def start_file(self, event: File) -> None:
        if event.name != FILE_FIELD:
            raise _field_error(event.name or "part", "is not a field of this form")
        if self.staged is not None:
            raise _field_error(FILE_FIELD, "was sent more than once")
        self.filename = clean_filename(event.filename)
        self.staged = self.storage.staging_file()
        self.handle = await asyncio.to_thread(self.staged.open, "wb")
        self.part = FILE_FIELD

    def start_field(self, event: Field) -> None:
        if event.name == FILE_FIELD:
            raise _field_error(FILE_FIELD, "must be a file part (with a filename)")
        if event.name != EXERCISE_FIELD:
            raise _field_error(event.name or "part", "is not a field of this form")
        if event.name in self.fields:
            raise _field_error(event.name, "was sent more than once")
        self.fields[event.name] = bytearray()
        self.part = event.name

    async def data(self, event: Data) -> None:
        if self.part == FILE_FIELD:
            await self._file_data(event.data)
            if not event.more_data:
                await self._flush()
                if self.size == 0:
                    raise _field_error(FILE_FIELD, "is empty")
                if self.container is None:
                    self._sniff()
                self.file_done = True
        elif self.part is not None:
            value = self.fields[self.part]
            value.extend(event.data)
            if len(value) > FIELD_MAX_BYTES:
                raise _field_error(self.part, f"is longer than {FIELD_MAX_BYTES} bytes")

    async def _file_data(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise PayloadTooLarge(
                f"The video is larger than {self.max_bytes} bytes.", code="video_too_large"
            )
        if self.container is None:
            self.head.extend(data[: HEAD_BYTES - len(self.head)])
            if len(self.head) >= HEAD_BYTES:
                self._sniff()
        self.buffer.extend(data)
        if len(self.buffer) >= FLUSH_BYTES:
            await self._flush()

    def _sniff(self) -> None:
        self.container = sniff(bytes(self.head))
        if self.container is None:
            raise UnsupportedMediaType(
                "The file is not a video this server accepts: send an MP4 or MOV (ISO base "
                "media) or a WebM or Matroska file. The content decides, not the file name.",
                code="unsupported_video",
            )

    async def _flush(self) -> None:
        if self.buffer and self.handle is not None:
            chunk, self.buffer = bytes(self.buffer), bytearray()
            await asyncio.to_thread(self.handle.write, chunk)

    async def close(self) -> None:
        if self.handle is not None:
            await asyncio.to_thread(self.handle.close)
            self.handle = None

    def discard(self) -> None:
        if self.staged is not None:
            self.staged.unlink(missing_ok=True)
            self.staged = None


async def _feed(receiver: _Receiver, decoder: MultipartDecoder) -> bool:
    """Handle every event the decoder has; True once the closing boundary was seen."""
    while True:
        event = decoder.next_event()
        if isinstance(event, NeedData):
            return False
        if isinstance(event, Epilogue):
            return True
        if isinstance(event, File):
            await receiver.start_file(event)
        elif isinstance(event, Field):
            receiver.start_field(event)
        elif isinstance(event, Data):
            await receiver.data(event)


async def _drain(request: Request, max_bytes: int) -> None:
    """Read and drop the rest of the body, so that the client reads our answer.

    At most :data:`DRAIN_EXTRA_BYTES` past the limit and :data:`DRAIN_SECONDS`; beyond that the
    answer goes out at once and the connection is closed.
    """
    most = body_limit(max_bytes) + DRAIN_EXTRA_BYTES
    declared = request.content_length
    if declared is not None and declared > most:
        g.fithub_abandon_body = True
        return
    drained = 0
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            async for chunk in request.body:
                drained += len(chunk)
                if drained > most:
                    raise RequestEntityTooLarge()
    except (TimeoutError, RequestEntityTooLarge):
        g.fithub_abandon_body = True  # answer at once and close the connection


async def receive_upload(request: Request, storage: MediaStorage, max_bytes: int) -> ReceivedUpload:
    """Stream the ``file`` part of a multipart upload to a staging file; read ``exercise``.

    Raises 415 when the body is not ``multipart/form-data`` or the file's first bytes are not a
    supported container, 413 when it is larger than ``max_bytes``, 422 for a malformed form.
    """
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(
            "Send the video as multipart/form-data with a 'file' part "
            f"(got {request.mimetype or 'no content type'})."
        )
    boundary = request.mimetype_params.get("boundary", "").encode("latin-1")
    if not boundary:
        raise ValidationFailed("The multipart content type names no boundary.")
    if request.content_length is not None and request.content_length > body_limit(max_bytes):
        await _drain(request, max_bytes)
        raise PayloadTooLarge(
            f"The upload is larger than {max_bytes} bytes.", code="video_too_large"
        )
    receiver = _Receiver(storage, max_bytes)
    decoder = MultipartDecoder(boundary, max_parts=8)
    try:
        finished = False
        try:
            async for chunk in request.body:
                decoder.receive_data(chunk)
                finished = await _feed(receiver, decoder) or finished
            decoder.receive_data(None)
            finished = await _feed(receiver, decoder) or finished
        except RequestEntityTooLarge as exc:  # the client sends faster than we can write
            g.fithub_abandon_body = True
            raise PayloadTooLarge(
                f"The upload is larger than {max_bytes} bytes.", code="video_too_large"
            ) from exc
        except FithubError:
            await _drain(request, max_bytes)
            raise
        except ValueError as exc:
            await _drain(request, max_bytes)
            raise ValidationFailed(f"The multipart body is malformed: {exc}") from exc
        await receiver.close()
        if not finished:
            raise ValidationFailed("The multipart body ends before its closing boundary.")
        if receiver.staged is None or not receiver.file_done:
            raise _field_error(FILE_FIELD, "is required (the video file)")
        assert receiver.container is not None  # sniffed when the part ended, at the latest
        exercise_raw = receiver.fields.get(EXERCISE_FIELD)
        exercise = exercise_raw.decode("utf-8", "replace").strip() if exercise_raw else None
        return ReceivedUpload(
            staged=receiver.staged,
            size=receiver.size,
            filename=receiver.filename,
            container=receiver.container,
            exercise=exercise or None,
        )
    except BaseException:
        await receiver.close()
        receiver.discard()
        raise
