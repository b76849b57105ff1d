"""Parsing export.xml safely and without a tree: defusedxml's expat parser and a streaming target.

Apple's internal DTD (its ELEMENT and ATTLIST declarations) is allowed; any entity declaration
(the billion-laughs bomb, external and parameter entities) and any external DTD raise
:class:`UnsafeExport`, so nothing expands and no file or URL is read. The parser target builds no
element tree: it keeps only the top-level element being read (with a bounded number of its
children) and hands finished ones out after each chunk, so memory does not grow with the file.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any, ClassVar
from xml.etree.ElementTree import ParseError

from defusedxml import (  # type: ignore[import-untyped]  # no stubs shipped
    DefusedXmlException,
    ExternalReferenceForbidden,
)
from defusedxml.ElementTree import DefusedXMLParser  # type: ignore[import-untyped]

from fithub.plugins.apple_health import const
from fithub.plugins.types import ImportRefusal, ImportRefused

Item = tuple[str, dict[str, str], list[tuple[str, dict[str, str]]]]  # tag, attributes, children


class ExportUnreadable(ImportRefused):
    """The file is not a readable Apple Health export (damaged, cut short, not well-formed)."""

    reason: ClassVar[ImportRefusal] = "unreadable"


class NotAnExport(ExportUnreadable):
    """The file is readable but is not an Apple Health export."""

    reason: ClassVar[ImportRefusal] = "not_recognised"


class UnknownFormat(NotAnExport):
    """The file is neither a zip archive nor an XML document."""

    reason: ClassVar[ImportRefusal] = "unsupported"


class UnsafeExport(ExportUnreadable):
    """The XML declares entities or names an external DTD: refused (an XML bomb or XXE)."""

    reason: ClassVar[ImportRefusal] = "unsafe"


class ExportTooLarge(ExportUnreadable):
    """The XML is larger than the limit fithub reads."""

    reason: ClassVar[ImportRefusal] = "too_large"


# -- the parser -----------------------------------------------------------------------------------


class _Root(Exception):
    """Raised by the head check's target at the first element (to stop reading there)."""

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        super().__init__(tag)
        self.tag, self.attrs = tag, attrs


class _SafeParser(DefusedXMLParser):  # type: ignore[misc]  # defusedxml ships no types
    """defusedxml's parser (entities and external references refused) that also refuses a
    DOCTYPE naming an external DTD, which expat would otherwise silently not read."""

    def __init__(self, target: Any) -> None:
        super().__init__(target=target, forbid_dtd=False, forbid_entities=True,
                         forbid_external=True)  # fmt: skip
        self.parser.StartDoctypeDeclHandler = self._refuse_external_dtd

    def _refuse_external_dtd(
        self, name: str, sysid: str | None, pubid: str | None, internal: int
    ) -> None:
        if sysid or pubid:
            raise ExternalReferenceForbidden(name, None, sysid, pubid)


class _HeadTarget:
    def start(self, tag: str, attrs: dict[str, str]) -> None:
        raise _Root(tag, attrs)

    def end(self, tag: str) -> None:
        return None

    def close(self) -> None:
        return None


class _ItemTarget:
    """Collects each top-level element under ``<HealthData>`` with its kept children."""

    def __init__(self) -> None:
        self.depth = 0
        self.current: Item | None = None
        self.items: list[Item] = []
        self.root: dict[str, str] | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        depth = self.depth
        self.depth = depth + 1
        if depth == 1:
            self.current = (tag, attrs, [])
        elif depth == 2:
            current = self.current
            if (
                current is not None
                and tag in const.KEPT_CHILDREN
                and (len(current[2]) < const.MAX_CHILDREN)
            ):
                current[2].append((tag, attrs))
        elif depth == 0:
            if tag != const.ROOT:
                raise NotAnExport(f"the XML document is a <{tag[:40]}>, not an Apple Health "
                                  f"export (<{const.ROOT}>)")  # fmt: skip
            self.root = attrs
        elif depth == 3 and tag == "FileReference" and self.current is not None:
            children = self.current[2]
            if len(children) < const.MAX_CHILDREN:
                children.append((tag, attrs))

    def end(self, tag: str) -> None:
        self.depth -= 1
        if self.depth == 1 and self.current is not None:
            self.items.append(self.current)
            self.current = None

    def close(self) -> None:
        return None


def _unsafe(exc: DefusedXmlException) -> UnsafeExport:
    what = "an external reference" if isinstance(exc, ExternalReferenceForbidden) else (
        "an entity")  # fmt: skip
    return UnsafeExport(
        f"the XML declares {what} ({exc}): refused. Apple Health exports never declare entities "
        "or external DTDs; such a file could expand without end or read other files."
    )


def _chunks(
    stream: IO[bytes], limit: int | None, counted: Callable[[int], None]
) -> Iterator[bytes]:
    total = 0
    while True:
        try:
            chunk = stream.read(const.READ_BYTES)
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
            raise ExportUnreadable(f"the zip archive is damaged or cut short ({exc})") from exc
        if not chunk:
            return
        total += len(chunk)
        if limit is not None and total > limit:
            raise ExportTooLarge(f"the XML is larger than {limit} bytes, the most fithub reads")
        counted(len(chunk))
        # Some older exports hold vertical tabs, which XML 1.0 forbids; Apple meant spaces.
        yield chunk.replace(b"\x0b", b" ") if b"\x0b" in chunk else chunk


def iter_items(stream: IO[bytes], *, limit: int | None = None,
               counted: Callable[[int], None] = lambda n: None) -> Iterator[Item]:  # fmt: skip
    """Each top-level element of a HealthData document, as (tag, attributes, kept children)."""
    target = _ItemTarget()
    parser = _SafeParser(target)
    closing = False
    try:
        for chunk in _chunks(stream, limit, counted):
            parser.feed(chunk)
            if target.items:
                items, target.items = target.items, []
                yield from items
        closing = True
        parser.close()
    except DefusedXmlException as exc:
        raise _unsafe(exc) from exc
    except ParseError as exc:
        if closing and target.root is not None:
            raise ExportUnreadable(f"the XML ends before </{const.ROOT}>: the file is cut short "
                                   f"({exc})") from exc  # fmt: skip
        raise ExportUnreadable(f"the XML is not well-formed ({exc})") from exc
    yield from target.items
    if target.root is None:
        raise NotAnExport("the file holds no XML element")


def read_head(stream: IO[bytes]) -> tuple[str, dict[str, str]]:
    """The root element's tag and attributes, read from at most HEAD_BYTES of the stream."""
    parser = _SafeParser(_HeadTarget())
    read = 0
    try:
        while read < const.HEAD_BYTES:
            chunk = stream.read(min(64 * 1024, const.HEAD_BYTES - read))
            if not chunk:
                if read:
                    parser.close()  # says what is wrong with a short document
                break
            if read == 0 and not chunk.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
                raise UnknownFormat("the file is neither a zip archive nor an XML document")
            read += len(chunk)
            parser.feed(chunk.replace(b"\x0b", b" "))
    except _Root as root:
        if root.tag != const.ROOT:
            raise NotAnExport(f"the XML document is a <{root.tag[:40]}>, not an Apple Health "
                              f"export (<{const.ROOT}>)") from None  # fmt: skip
        return root.tag, root.attrs
    except DefusedXmlException as exc:
        raise _unsafe(exc) from exc
    except ParseError as exc:
        raise NotAnExport(f"the file is not well-formed XML ({exc})") from exc
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise ExportUnreadable(f"the zip archive is damaged ({exc})") from exc
    if read == 0:
        raise UnknownFormat("the file is empty")
    raise NotAnExport(f"no <{const.ROOT}> element starts in the first {const.HEAD_BYTES} bytes")
