"""Reading the Health app's export: ``export.zip`` or ``export.xml``, checked by content, streamed.

``inspect_export`` decides what a file is from its bytes, never its name: a zip archive whose XML
member is a ``<HealthData>`` document (``apple_health_export/export.xml``, tried first; localised
exports name it otherwise), or such a document itself. ``open_export`` streams that XML (the zip
member is decompressed as it is read, never extracted). :class:`ExportReader` parses the stream
(:mod:`fithub.plugins.apple_health.parser`: defusedxml, no tree) into records; steps, distances,
energy and sleep stages are folded into days and nights
(:mod:`fithub.plugins.apple_health.aggregate`), emitted when the file ends.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

from fithub.plugins.apple_health import const, mapping
from fithub.plugins.apple_health.aggregate import DailyTotals, SleepSamples
from fithub.plugins.apple_health.parser import (
    ExportTooLarge,
    ExportUnreadable,
    NotAnExport,
    UnknownFormat,
    UnsafeExport,
    iter_items,
    read_head,
)
from fithub.plugins.records import Record, record_problems

__all__ = [
    "ExportInfo", "ExportReader", "ExportTooLarge", "ExportUnreadable", "NotAnExport",
    "ReadStats", "UnknownFormat", "UnsafeExport", "inspect_export", "open_export",
]  # fmt: skip


@dataclass(frozen=True)
class ExportInfo:
    """What :func:`inspect_export` found: the format, the zip member, the XML's size, its locale."""

    format: Literal["zip", "xml"]
    member: str | None
    xml_bytes: int
    locale: str | None = None


# -- files ----------------------------------------------------------------------------------------


def _candidates(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Members that may hold the export, most likely first: export.xml, then other XML files."""
    members = [m for m in archive.infolist() if not m.is_dir()]

    def rank(member: zipfile.ZipInfo) -> tuple[int, int]:
        name = member.filename.lower()
        if member.filename == const.EXPORT_MEMBER:
            return (0, 0)
        if name.endswith("/export.xml") or name == "export.xml":
            return (1, -member.file_size)
        if name.endswith(".xml") and "cda" not in name and "workout-routes" not in name:
            return (2, -member.file_size)
        return (3, -member.file_size)

    return sorted(members, key=rank)[: const.MAX_XML_MEMBERS_TRIED]


def _open_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> IO[bytes]:
    try:
        return archive.open(member)
    except NotImplementedError as exc:
        detail = (f"{member.filename} is compressed with a method fithub cannot read "
                  "(Deflate64?): unzip the archive and upload export.xml")  # fmt: skip
        raise ExportUnreadable(detail) from exc
    except RuntimeError as exc:  # encrypted
        raise ExportUnreadable(f"{member.filename} cannot be read: {exc}") from exc


def inspect_export(path: Path, max_xml_bytes: int | None = None) -> ExportInfo:
    """What ``path`` holds, decided by content; NotAnExport, UnknownFormat, UnsafeExport,
    ExportUnreadable or ExportTooLarge when it is not an export fithub can read."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic in const.ZIP_MAGIC:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            detail = f"the zip archive cannot be read: damaged or cut short ({exc})"
            raise ExportUnreadable(detail) from exc
        with archive:
            last: NotAnExport | None = None
            for member in _candidates(archive):
                try:
                    with _open_member(archive, member) as stream:
                        _, attrs = read_head(stream)
                except NotAnExport as exc:
                    last = exc
                    continue
                if max_xml_bytes is not None and member.file_size > max_xml_bytes:
                    raise ExportTooLarge(f"{member.filename} holds {member.file_size} bytes; "
                                         f"fithub reads at most {max_xml_bytes}")  # fmt: skip
                return ExportInfo("zip", member.filename, member.file_size, attrs.get("locale"))
        detail = f" (the last one tried: {last})" if last else ""
        raise NotAnExport("the zip archive holds no Apple Health export.xml" + detail)
    size = path.stat().st_size
    with path.open("rb") as handle:
        _, attrs = read_head(handle)
    if max_xml_bytes is not None and size > max_xml_bytes:
        raise ExportTooLarge(f"the XML holds {size} bytes; fithub reads at most {max_xml_bytes}")
    return ExportInfo("xml", None, size, attrs.get("locale"))


@contextmanager
def open_export(path: Path, info: ExportInfo) -> Iterator[IO[bytes]]:
    """The export's XML as a binary stream (a zip member is decompressed as it is read)."""
    if info.format == "xml":
        with path.open("rb") as handle:
            yield handle
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ExportUnreadable(f"the zip archive cannot be read ({exc})") from exc
    with archive, _open_member(archive, archive.getinfo(info.member or "")) as stream:
        yield stream


# -- normalising ----------------------------------------------------------------------------------


@dataclass
class ReadStats:
    """What a read found: elements read, records made, what was skipped and why."""

    read: int = 0
    records: int = 0
    aggregated: int = 0  # samples folded into daily summaries and sleep sessions
    skipped: dict[str, int] = field(default_factory=dict)
    bytes_read: int = 0
    export_date: datetime | None = None

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def skip(self, reason: str, count: int = 1) -> None:
        if reason not in self.skipped and len(self.skipped) >= const.MAX_SKIP_REASONS:
            reason = "other"
        self.skipped[reason] = self.skipped.get(reason, 0) + count


def _metadata(children: list[tuple[str, dict[str, str]]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag, attrs in children:
        if tag == "MetadataEntry" and len(found) < const.MAX_METADATA and "key" in attrs:
            found[attrs["key"]] = attrs.get("value", "")
    return found


class ExportReader:
    """Turns an export's XML stream into records; ``stats`` counts what it read and skipped."""

    def __init__(self, max_xml_bytes: int | None = None) -> None:
        self.limit = max_xml_bytes
        self.stats = ReadStats()
        self.daily = DailyTotals()
        self.sleep = SleepSamples()

    def _counted(self, size: int) -> None:
        self.stats.bytes_read += size

    def records(self, stream: IO[bytes]) -> Iterator[Record]:
        """Every record of the export, in file order, then the days and the nights."""
        for tag, attrs, children in iter_items(stream, limit=self.limit, counted=self._counted):
            yield from self._valid(self._item(tag, attrs, children))
        yield from self._valid(self.daily.records())
        yield from self._valid(self.sleep.sessions())
        if self.sleep.dropped:
            self.stats.skip("sleep of another source overlapping a more detailed one",
                            self.sleep.dropped)  # fmt: skip

    def _valid(self, records: Iterable[Record]) -> Iterator[Record]:
        for record in records:
            problems = record_problems(record, const.NAME)
            if problems:
                self.stats.skip(f"invalid {type(record).__name__}: {problems[0]}")
                continue
            self.stats.records += 1
            yield record

    def _item(self, tag: str, attrs: dict[str, str],
              children: list[tuple[str, dict[str, str]]]) -> list[Record]:  # fmt: skip
        stats = self.stats
        if tag == "Record":
            stats.read += 1
            return self._guarded(attrs, children)
        if tag == "Correlation":  # blood pressure (or food): its Records are the data
            nested = [a for t, a in children if t == "Record"]
            made: list[Record] = []
            for record_attrs in nested:
                stats.read += 1
                made.extend(self._guarded(record_attrs, []))
            return made
        if tag == "Workout":
            stats.read += 1
            try:
                return [self._workout(attrs, children)]
            except mapping.Skip as skip:
                stats.skip(skip.reason)
            except (ValueError, KeyError):
                stats.skip("unreadable Workout")
            return []
        if tag == "ActivitySummary":
            stats.read += 1
            try:
                self.daily.summary(mapping.summary_day(attrs), mapping.summary_totals(attrs))
                stats.aggregated += 1
            except (ValueError, mapping.Skip):
                stats.skip("unreadable ActivitySummary")
            return []
        if tag == "ExportDate":
            try:
                stats.export_date = mapping.apple_date(attrs.get("value", ""))
            except ValueError:
                pass
        elif tag in const.DATA_ELEMENTS:
            stats.read += 1
            stats.skip(f"unsupported element {tag}")
        return []

    def _guarded(self, attrs: Mapping[str, str],
                 children: list[tuple[str, dict[str, str]]]) -> list[Record]:  # fmt: skip
        try:
            return self._record(attrs, children)
        except mapping.Skip as skip:
            self.stats.skip(skip.reason)
        except (ValueError, KeyError):
            self.stats.skip(f"unreadable {mapping.short_type(attrs.get('type', 'Record'))}")
        return []

    def _record(self, attrs: Mapping[str, str],
                children: list[tuple[str, dict[str, str]]]) -> list[Record]:  # fmt: skip
        type_name = attrs.get("type", "")
        source_name = attrs.get("sourceName", "")
        if type_name == const.SLEEP_TYPE:
            start, end = (
                mapping.apple_date(attrs["startDate"]),
                mapping.apple_date(attrs["endDate"]),
            )
            self.sleep.add(source_name, start, end, mapping.sleep_stage(attrs.get("value")))
            self.stats.aggregated += 1
            return []
        quantity = const.QUANTITIES.get(type_name)
        if quantity is None:
            raise mapping.Skip(f"unsupported type {mapping.short_type(type_name)}")
        text = attrs["value"]
        value = mapping.number(text)
        start = mapping.apple_date(attrs["startDate"])
        if quantity.target == "daily":
            converted = mapping.convert(value, attrs.get("unit"), quantity.units, type_name)
            if converted < 0:
                raise mapping.Skip(f"negative {mapping.short_type(type_name)}")
            self.daily.add(quantity.daily or "", start.date(), source_name, converted)
            self.stats.aggregated += 1
            return []
        metadata = _metadata(children)
        raw: dict[str, Any] = dict(attrs)  # the element's attributes, as exported
        if metadata:
            raw["metadata"] = metadata
        ident = mapping.export_id(type_name, source_name, attrs["startDate"],
                                  attrs.get("endDate", ""), text)  # fmt: skip
        context = const.MOTION_CONTEXTS.get(metadata.get(const.MOTION_CONTEXT_KEY, ""))
        record = mapping.quantity_record(type_name, quantity, value, attrs.get("unit"), start,
                                         mapping.source(ident, attrs.get("device")), raw,
                                         context)  # fmt: skip
        if type_name == const.RESTING_HEART_RATE:
            self.daily.resting(start, record.value)  # type: ignore[union-attr]
        return [record]

    def _workout(self, attrs: dict[str, str],
                 children: list[tuple[str, dict[str, str]]]) -> Record:  # fmt: skip
        statistics = [a for t, a in children if t == "WorkoutStatistics"]
        raw: dict[str, Any] = dict(attrs)
        if statistics:
            raw["statistics"] = statistics
        metadata = _metadata(children)
        if metadata:
            raw["metadata"] = metadata
        routes = [a.get("path", "") for t, a in children if t == "FileReference"]
        if routes:
            raw["routes"] = routes
        seconds = mapping.workout_seconds(attrs)
        if seconds is not None:
            raw["duration_s"] = seconds
        return mapping.workout(attrs, statistics, raw)
