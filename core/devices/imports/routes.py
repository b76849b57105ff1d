"""HTTP routes of file imports (any FileImporter provider): upload an export, follow its import;
and the phone app's pushed batch of samples."""

from __future__ import annotations

from quart import Blueprint, request
from quart_schema import (
    document_request,
    tag,
    validate_querystring,
    validate_request,
)
from quart_schema.validation import DataSource

from fithub.core.auth import client_info, current_user, require_auth
from fithub.core.config import Settings
from fithub.core.devices.gateway import ProviderGateway
from fithub.core.devices.imports import services
from fithub.core.devices.imports.schemas import (
    BatchIn,
    ImportBatchOut,
    ImportOut,
    ImportPage,
    ImportUploadForm,
    batch_items,
)
from fithub.core.devices.imports.settings import import_settings
from fithub.core.devices.imports.uploads import receive_export
from fithub.core.media.storage import media_storage
from fithub.core.media.uploads import body_limit
from fithub.core.pagination import PageQuery, paginate
from fithub.core.responses import validate_response
from fithub.core.runtime import runtime

PREFIX = "/api/v1/devices"
bp = Blueprint("device_imports", __name__, url_prefix=PREFIX)


def body_limits(devices: ProviderGateway) -> dict[tuple[str, str], int]:
    """Routes whose bodies may exceed ``FITHUB_MAX_BODY_BYTES``, with their own limits: the
    uploads of each file importer, and the pushed batches of each batch importer."""
    limits = {
        ("POST", f"{PREFIX}/{name}/imports"): body_limit(import_settings(name).import_max_bytes)
        for name in devices.file_importers()
    }
    for name in devices.batch_importers():
        limits[("POST", f"{PREFIX}/{name}/batch")] = import_settings(name).push_max_bytes
    return limits


def _location(provider: str, import_id: int) -> dict[str, str]:
    return {"Location": f"{PREFIX}/{provider}/imports/{import_id}"}


@bp.post("/<provider:provider>/imports")
@tag(["devices"])
@require_auth()
@document_request(ImportUploadForm, source=DataSource.FORM_MULTIPART)
@validate_response(ImportOut, 202)
async def upload_export(provider: str) -> tuple[ImportOut, int, dict[str, str]]:
    """Upload a provider's export (multipart ``file``, or the raw body); 202 and an import.

    The bytes decide, whatever the name or content type. For Apple Health: a zip archive holding
    the export's XML, or that XML itself (415 otherwise, 422 for XML that is not a Health export
    or that declares entities, 413 past the size limit). 422 for a provider that takes no files.
    Poll ``GET .../imports/{id}`` for the counts.
    """
    settings: Settings = runtime().settings
    importer = runtime().devices.file_importer(provider)
    limit = import_settings(provider).import_max_bytes
    upload = await receive_export(request, importer, media_storage(settings), limit)
    row = await services.create_import(current_user(), client_info(), settings, importer, upload)
    return ImportOut.of(row), 202, _location(provider, row.id)


@bp.get("/<provider:provider>/imports")
@tag(["devices"])
@require_auth()
@validate_querystring(PageQuery)
@validate_response(ImportPage)
async def list_imports(provider: str, query_args: PageQuery) -> ImportPage:
    """Your imports of a provider's files, newest first."""
    runtime().devices.file_importer(provider)
    page = await paginate(services.imports_of(current_user(), provider), query_args, ImportOut.of)
    return ImportPage(**page)


@bp.get("/<provider:provider>/imports/<int:import_id>")
@tag(["devices"])
@require_auth()
@validate_response(ImportOut)
async def get_import(provider: str, import_id: int) -> ImportOut:
    """One of your imports: status, progress, what was stored and skipped. 404 if not yours."""
    runtime().devices.file_importer(provider)
    return ImportOut.of(await services.get_import(current_user(), provider, import_id))


@bp.post("/<provider:provider>/batch")
@tag(["devices"])
@require_auth()
@validate_request(BatchIn)
@validate_response(ImportBatchOut)
async def push_batch(provider: str, data: BatchIn) -> ImportBatchOut:
    """Store samples a phone app read (HealthKit-shaped, at most 1,000 per request), all or nothing.

    Each record is identified by its UUID: pushing it again changes nothing. A record that does
    not validate fails the request (422, ``errors`` name ``records.<i>.<field>``); so does a
    provider that takes no pushed batches.
    """
    importer = runtime().devices.batch_importer(provider)
    return await services.push_batch(current_user(), client_info(), importer, batch_items(data))
