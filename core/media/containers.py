"""Recognising video containers by their bytes, never by a file name or a client's content type.

:func:`sniff` names the container from the first bytes: an ISO BMFF ``ftyp`` box with a known
brand (MP4, QuickTime MOV) or an EBML header whose DocType is ``webm`` or ``matroska``.
:func:`check_structure` then walks the file's top-level structure and refuses one that is cut
short (a box or segment ending past the end of the file) or that has no movie header.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import BinaryIO

from fithub.core.media.errors import DamagedContainer
from fithub.core.media.models import Container

#: Bytes :func:`sniff` needs to decide (an ``ftyp`` box lists its brands early; EBML headers are
#: a few dozen bytes).
HEAD_BYTES = 4096

#: Major or compatible ``ftyp`` brands of video files (ISO base media, MP4, 3GPP, Apple M4V).
MP4_BRANDS = frozenset(
    {
        "isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso8", "iso9",
        "mp41", "mp42", "mp71", "avc1", "av01", "hvc1", "hev1", "dash", "cmfc", "mmp4",
        "M4V ", "M4VH", "M4VP", "MSNV", "XAVC", "f4v ",
        "3gp4", "3gp5", "3gp6", "3gp7", "3gp9", "3g2a", "3g2b", "3g2c",
    }
)  # fmt: skip
MOV_BRANDS = frozenset({"qt  "})
#: Image formats built on the same box structure (HEIF, AVIF): never a video upload.
IMAGE_BRANDS = frozenset({"heic", "heix", "heim", "heis", "mif1", "msf1", "avif", "avis"})

EBML_MAGIC = b"\x1a\x45\xdf\xa3"
EBML_DOCTYPE = 0x4282
MATROSKA_SEGMENT = 0x18538067
_MAX_TOP_LEVEL_BOXES = 1_000_000


def sniff(head: bytes) -> Container | None:
    """The container the first bytes of a file announce, or None."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return _ftyp_container(head)
    if head.startswith(EBML_MAGIC):
        doctype = _ebml_doctype(head)
        if doctype == "webm":
            return Container.WEBM
        if doctype == "matroska":
            return Container.MKV
    return None


def _ftyp_container(head: bytes) -> Container | None:
    size = struct.unpack(">I", head[:4])[0]
    end = min(len(head), size if size >= 16 else len(head))
    brands = [head[8:12].decode("latin-1")]
    brands += [head[i : i + 4].decode("latin-1") for i in range(16, end - 3, 4)]
    if brands[0] in IMAGE_BRANDS:
        return None
    if brands[0] in MOV_BRANDS:
        return Container.MOV
    if any(brand in MP4_BRANDS for brand in brands):
        return Container.MP4
    if any(brand in MOV_BRANDS for brand in brands[1:]):
        return Container.MOV
    return None


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``pos``: (value, length). ValueError if malformed."""
    if pos >= len(data):
        raise ValueError("EBML data ends early")
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        raise ValueError("bad EBML integer")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, length


def _ebml_doctype(head: bytes) -> str | None:
    try:
        _, id_len = _vint(head, 0, keep_marker=True)
        size, size_len = _vint(head, id_len, keep_marker=False)
        pos = id_len + size_len
        end = min(len(head), pos + size)
        while pos < end:
            element, id_len = _vint(head, pos, keep_marker=True)
            length, size_len = _vint(head, pos + id_len, keep_marker=False)
            pos += id_len + size_len
            if element == EBML_DOCTYPE:
                return head[pos : pos + length].rstrip(b"\x00").decode("ascii")
            pos += length
    except (ValueError, UnicodeDecodeError):
        return None
    return None


def check_structure(path: Path, container: Container) -> None:
    """Walk the top-level structure; :class:`DamagedContainer` if it is cut short or incomplete."""
    size = os.path.getsize(path)
    with path.open("rb") as handle:
        if container in (Container.MP4, Container.MOV):
            _check_boxes(handle, size)
        else:
            _check_matroska(handle, size)


def _check_boxes(handle: BinaryIO, size: int) -> None:
    offset = 0
    seen: set[bytes] = set()
    for _ in range(_MAX_TOP_LEVEL_BOXES):
        if offset == size:
            break
        handle.seek(offset)
        header = handle.read(16)
        if len(header) < 8:
            raise DamagedContainer("the file ends inside a box header: it is truncated")
        box_size, kind = struct.unpack(">I4s", header[:8])
        if box_size == 1:
            if len(header) < 16:
                raise DamagedContainer("the file ends inside a box header: it is truncated")
            box_size = struct.unpack(">Q", header[8:16])[0]
        elif box_size == 0:
            box_size = size - offset  # the last box runs to the end of the file
        if box_size < 8:
            raise DamagedContainer("the file holds a malformed box: it is corrupt")
        if offset + box_size > size:
            raise DamagedContainer(
                f"the '{kind.decode('latin-1')}' box ends past the end of the file: "
                "the upload is truncated"
            )
        seen.add(kind)
        offset += box_size
    else:
        raise DamagedContainer("the file has too many top-level boxes")
    if b"moov" not in seen:
        raise DamagedContainer("the file has no movie header ('moov' box): it is incomplete")


def _check_matroska(handle: BinaryIO, size: int) -> None:
    head = handle.read(HEAD_BYTES)
    try:
        _, id_len = _vint(head, 0, keep_marker=True)
        header_size, size_len = _vint(head, id_len, keep_marker=False)
        pos = id_len + size_len + header_size
        segment, id_len = _vint(head, pos, keep_marker=True)
        length, size_len = _vint(head, pos + id_len, keep_marker=False)
    except ValueError as exc:
        raise DamagedContainer("the file ends inside its EBML header: it is truncated") from exc
    if segment != MATROSKA_SEGMENT:
        raise DamagedContainer("the file has no Matroska segment after its header")
    unknown = (1 << (7 * size_len)) - 1  # all ones: a live recording of unknown length
    if length != unknown and pos + id_len + size_len + length > size:
        raise DamagedContainer("the segment ends past the end of the file: the upload is truncated")
