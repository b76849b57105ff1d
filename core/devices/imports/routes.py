"""HTTP routes of Apple Health: upload an export, follow its import, push a batch of samples."""

from __future__ import annotations

from quart import Blueprint, request
from quart_schema import (
    document_request,
    tag,
    validate_querystring,
    validate_request,
    validate_response,
)
from quart_schema.validation import DataSource

from fithub.core.auth import client_info, current_user, require_auth
from fithub.core.config import Settings
from fithub.core.devices.imports import services
from fithub.core.devices.imports.schemas import (
    BatchIn,
    BatchOut,
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
from fithub.core.runtime import runtime

PREFIX = "/api/v1/devices/apple_health"
bp = Blueprint("apple_health", __name__, url_prefix=PREFIX)


def body_limits(settings: Settings) -> dict[tuple[str, str], int]:
    """Routes whose bodies may exceed ``FITHUB_MAX_BODY_BYTES``, with their own limits."""
    config = import_settings()
    return {
        ("POST", f"{PREFIX}/imports"): body_limit(config.import_max_bytes),
        ("POST", f"{PREFIX}/batch"): config.push_max_bytes,
    }


def _location(import_id: int) -> dict[str, str]:
    return {"Location": f"{PREFIX}/imports/{import_id}"}


@bp.post("/imports")
@tag(["devices"])
@require_auth()
@document_request(ImportUploadForm, source=DataSource.FORM_MULTIPART)
@validate_response(ImportOut, 202)
async def upload_export() -> tuple[ImportOut, int, dict[str, str]]:
    """Upload the Health app's export (multipart ``file``, or the raw body); 202 and an import.

    The bytes decide, whatever the name or content type: a zip archive holding the export's XML,
    or that XML itself (415 otherwise, 422 for XML that is not a Health export or that declares
    entities, 413 past the size limit). Poll ``GET .../imports/{id}`` for the counts.
    """
    settings: Settings = runtime().settings
    upload = await receive_export(
        request, media_storage(settings), import_settings().import_max_bytes
    )
    row = await services.create_import(current_user(), client_info(), settings, upload)
    return ImportOut.of(row), 202, _location(row.id)


@bp.get("/imports")
@tag(["devices"])
@require_auth()
@validate_querystring(PageQuery)
@validate_response(ImportPage)
async def list_imports(query_args: PageQuery) -> ImportPage:
    """Your Apple Health imports, newest first."""
    page = await paginate(services.imports_of(current_user()), query_args, ImportOut.of)
    return ImportPage(**page)


@bp.get("/imports/<int:import_id>")
@tag(["devices"])
@require_auth()
@validate_response(ImportOut)
async def get_import(import_id: int) -> ImportOut:
    """One of your imports: status, progress, what was stored and skipped. 404 if not yours."""
    return ImportOut.of(await services.get_import(current_user(), import_id))


@bp.post("/batch")
@tag(["devices"])
@require_auth()
@validate_request(BatchIn)
@validate_response(BatchOut)
async def push_batch(data: BatchIn) -> BatchOut:
    """Store HealthKit samples a phone app read (at most 1,000 per request), all or nothing.

    Each record is identified by its HealthKit UUID: pushing it again changes nothing. A record
    that does not validate fails the request (422, ``errors`` name ``records.<i>.<field>``).
    """
    return await services.push_batch(current_user(), client_info(), batch_items(data))
