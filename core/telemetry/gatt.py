"""Reading Bluetooth GATT characteristic values field by field, with one typed error for bad bytes.

Every multi-byte GATT field is little-endian; optional fields follow in the order their flags are
listed. ``FieldReader`` walks a payload in that order and raises ``PayloadError`` (a ``ValueError``)
naming the field and the bytes expected versus left, never ``IndexError`` or ``struct.error``.
"""

from __future__ import annotations

import struct

__all__ = ["PayloadError", "FieldReader", "short_uuid"]

#: The Bluetooth base UUID: a 16-bit UUID ``xxxx`` is ``0000xxxx`` followed by this suffix.
BASE_UUID_SUFFIX = "-0000-1000-8000-00805f9b34fb"


class PayloadError(ValueError):
    """A characteristic value that does not match its layout (empty, truncated, reserved flags...).

    ``reason`` is human readable; ``field`` names the field being read when the error is about one
    field, and ``expected``/``got`` give the bytes it needs and the bytes that were left.
    """

    def __init__(
        self,
        characteristic: str,
        reason: str,
        *,
        field: str | None = None,
        expected: int | None = None,
        got: int | None = None,
    ) -> None:
        super().__init__(f"{characteristic}: {reason}")
        self.characteristic = characteristic
        self.reason = reason
        self.field = field
        self.expected = expected
        self.got = got


def short_uuid(characteristic: str) -> str:
    """The 16-bit UUID of ``characteristic`` as four lower-case hex digits.

    Accepts ``"2a37"``, ``"2A37"``, ``"0x2a37"``, ``"00002a37"`` and the full 128-bit form
    ``"00002a37-0000-1000-8000-00805f9b34fb"``; raises ``PayloadError`` for anything else.
    """
    text = characteristic.strip().lower()
    if text.startswith("0x"):
        text = text[2:]
    if text.endswith(BASE_UUID_SUFFIX):
        text = text[: -len(BASE_UUID_SUFFIX)]
    if len(text) == 8 and text.startswith("0000"):
        text = text[4:]
    if len(text) != 4 or any(c not in "0123456789abcdef" for c in text):
        raise PayloadError(characteristic, "not a 16-bit Bluetooth SIG characteristic UUID")
    return text


class FieldReader:
    """Reads a payload's fields in order; each read names its field for the error message."""

    __slots__ = ("characteristic", "data", "offset")

    def __init__(self, characteristic: str, data: bytes | bytearray | memoryview) -> None:
        self.characteristic = characteristic
        self.data = bytes(data)
        self.offset = 0
        if not self.data:
            raise PayloadError(characteristic, "empty payload", field="flags", got=0)

    @property
    def remaining(self) -> int:
        """Bytes not read yet."""
        return len(self.data) - self.offset

    def error(
        self,
        reason: str,
        *,
        field: str | None = None,
        expected: int | None = None,
        got: int | None = None,
    ) -> PayloadError:
        """A ``PayloadError`` for this payload's characteristic."""
        return PayloadError(self.characteristic, reason, field=field, expected=expected, got=got)

    def _take(self, field: str, size: int) -> bytes:
        if self.remaining < size:
            raise self.error(
                f"truncated: {field} needs {size} bytes at offset {self.offset}, "
                f"got {self.remaining}",
                field=field,
                expected=size,
                got=self.remaining,
            )
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def _unpack(self, field: str, fmt: str) -> int:
        value: int = struct.unpack(fmt, self._take(field, struct.calcsize(fmt)))[0]
        return value

    def u8(self, field: str) -> int:
        """An unsigned 8-bit field."""
        return self._unpack(field, "<B")

    def u16(self, field: str) -> int:
        """An unsigned 16-bit little-endian field."""
        return self._unpack(field, "<H")

    def s16(self, field: str) -> int:
        """A signed 16-bit little-endian field."""
        return self._unpack(field, "<h")

    def u24(self, field: str) -> int:
        """An unsigned 24-bit little-endian field (three octets)."""
        return int.from_bytes(self._take(field, 3), "little")

    def u32(self, field: str) -> int:
        """An unsigned 32-bit little-endian field."""
        return self._unpack(field, "<I")

    def reject_reserved(self, flags: int, reserved_mask: int) -> None:
        """Raise when any reserved flag bit is set (a layout this parser cannot know)."""
        if flags & reserved_mask:
            raise self.error(
                f"reserved flag bits set: flags 0x{flags:02x}, reserved mask 0x{reserved_mask:02x}",
                field="flags",
            )

    def finish(self) -> None:
        """Raise when bytes are left over after the last field the flags announce."""
        if self.remaining:
            raise self.error(
                f"{self.remaining} unexpected trailing bytes after offset {self.offset}",
                field="trailing",
                expected=0,
                got=self.remaining,
            )
