"""Background job of file imports: read one uploaded export and store its records."""

from __future__ import annotations

from fithub.core.devices.imports import services
from fithub.core.jobs import job, job_runtime

#: Longer than a multi-gigabyte export takes to import.
TIME_LIMIT_MS = 6 * 3600 * 1000


@job(services.JOB, max_retries=0, time_limit_ms=TIME_LIMIT_MS)
async def import_export(import_id: int, token: str, key: str) -> str:
    """Import an uploaded export; a no-op for a stale ``token`` (see services.run_import).

    Not retried: the job records every failure on the import and deletes the upload; the person
    uploads again. A message redelivered after a worker died runs the import again (idempotent).
    """
    runtime = job_runtime()
    return await services.run_import(runtime.settings, import_id, token, key,
                                     runtime.devices.file_importers())  # fmt: skip
