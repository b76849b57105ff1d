"""The built-in Apple Health provider: no cloud API, data arrives as a file or from a phone app.

Apple Health keeps its data on the iPhone. fithub takes it two ways (docs/providers/apple_health.md):

- the Health app's export (``export.zip`` or its ``export.xml``), uploaded by the person and read
  here by :class:`~fithub.plugins.apple_health.export.ExportReader` (``auth_kind`` ``file_import``);
- HealthKit samples a phone app pushes as JSON, normalised by
  :func:`~fithub.plugins.apple_health.batch.normalise_batch` (and, one item at a time, by
  :meth:`AppleHealthProvider.normalise`).

Either way there is nothing to fetch and nobody to sign in with: the OAuth methods,
``fetch_page`` and ``handle_push`` raise ProviderError, and fithub never schedules a sync.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fithub.plugins import hookimpl
from fithub.plugins.apple_health import const, importer
from fithub.plugins.apple_health.batch import BatchOutcome, SleepPiece, item_records
from fithub.plugins.apple_health.batch import normalise_batch as _normalise_batch
from fithub.plugins.apple_health.export import (
    ExportInfo,
    ExportReader,
    inspect_export,
    open_export,
)
from fithub.plugins.apple_health.mapping import BadField, Skip
from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.provider import ProviderBase
from fithub.plugins.records import Record
from fithub.plugins.types import (
    AuthorizationCallback,
    AuthorizationRequest,
    AuthorizationStart,
    DataType,
    DeviceProvider,
    FetchQuery,
    Page,
    PluginHost,
    PushRequest,
    PushResult,
    TokenSet,
)

__all__ = ["AppleHealthProvider", "ExportInfo", "ExportReader", "inspect_export", "open_export"]

NO_SIGN_IN = ("Apple Health has no sign-in: upload the Health app's export or let the phone app "
              "push samples")  # fmt: skip


class AppleHealthProvider(ProviderBase):
    """Apple Health (HealthKit): export files and pushed samples, never fetched."""

    spec = const.SPEC
    max_batch_records: ClassVar[int] = const.MAX_BATCH_RECORDS

    # -- what fithub calls for other providers: nothing to do here --------------------------------

    async def authorization_url(self, request: AuthorizationRequest) -> AuthorizationStart:
        raise ProviderError(NO_SIGN_IN)

    async def exchange_code(self, callback: AuthorizationCallback) -> TokenSet:
        raise ProviderError(NO_SIGN_IN)

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        raise ProviderError(NO_SIGN_IN)

    async def revoke(self, tokens: TokenSet) -> None:
        return None  # nothing was granted at Apple: disconnecting only stops new data

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        raise ProviderError("Apple Health has no cloud API: there is nothing to fetch")

    async def handle_push(self, request: PushRequest) -> PushResult:
        raise ProviderError("Apple Health sends no webhooks: the phone app posts samples to "
                            "/api/v1/devices/apple_health/batch")  # fmt: skip

    # -- pushed samples -----------------------------------------------------------------------------

    def normalise(self, data_type: DataType, item: Mapping[str, Any]) -> list[Record]:
        """One pushed item (see batch.py) -> its records; a lone sleep sample is a session."""
        try:
            made = item_records(item)
        except BadField as exc:
            raise ProviderMalformedResponse(f"Apple Health item: {exc}") from exc
        except Skip:
            return []
        if isinstance(made, SleepPiece):
            return _normalise_batch([item]).records
        return made

    @staticmethod
    def normalise_batch(items: Sequence[Mapping[str, Any]]) -> BatchOutcome:
        """A whole batch: records, skipped reasons, and errors by (index, field, message)."""
        return _normalise_batch(items)

    # -- export files ---------------------------------------------------------------------------------

    inspect_export = staticmethod(inspect_export)
    open_export = staticmethod(open_export)
    reader = ExportReader

    # -- the FileImporter capability (fithub.plugins.types), through importer.py ---------------------

    import_description: ClassVar[str] = importer.DESCRIPTION
    import_unsupported: ClassVar[str] = importer.UNSUPPORTED
    sniff_import = staticmethod(importer.sniff_import)
    inspect_import = staticmethod(importer.inspect_import)
    read_import = staticmethod(importer.read_import)


@hookimpl
def register_device_providers(host: PluginHost) -> list[type[DeviceProvider]]:
    return [AppleHealthProvider]
