"""Apple Health as a :class:`~fithub.plugins.types.FileImporter`: the export, sniffed, checked, read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fithub.plugins.apple_health.const import ZIP_MAGIC
from fithub.plugins.apple_health.export import ExportReader, inspect_export, open_export
from fithub.plugins.records import Record
from fithub.plugins.types import ImportBatch, ImportFile

DESCRIPTION = "an Apple Health export"
UNSUPPORTED = ("The file is neither a zip archive nor an XML document: send the Health app's "
               "export.zip or the export.xml inside it.")  # fmt: skip
CONTENT_TYPES = {"zip": "application/zip", "xml": "application/xml"}


def sniff_import(head: bytes) -> bool:
    """A zip archive, or text that starts with ``<`` (after a byte-order mark and blanks)."""
    if head[:4] in ZIP_MAGIC:
        return True
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def inspect_import(path: Path, max_bytes: int) -> ImportFile:
    """The export's format and XML size (ExportUnreadable, an ImportRefused, when it is none)."""
    info = inspect_export(path, max_bytes)
    return ImportFile(format=info.format, content_type=CONTENT_TYPES[info.format],
                      size_bytes=info.xml_bytes)  # fmt: skip


def read_import(path: Path, max_bytes: int, batch_records: int) -> Iterator[ImportBatch]:
    """The export's records, ``batch_records`` at a time; days and nights come in the last one."""
    info = inspect_export(path, max_bytes)
    reader = ExportReader(max_bytes)
    stats = reader.stats

    def batch(records: list[Record]) -> ImportBatch:
        return ImportBatch(records=records, read=stats.read, bytes_read=stats.bytes_read,
                           aggregated=stats.aggregated, skipped=dict(stats.skipped),
                           file_date=stats.export_date)  # fmt: skip

    records: list[Record] = []
    with open_export(path, info) as stream:
        for record in reader.records(stream):
            records.append(record)
            if len(records) >= batch_records:
                yield batch(records)
                records = []
    yield batch(records)
