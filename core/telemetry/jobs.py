"""Background jobs of live telemetry."""

from __future__ import annotations

from fithub.core.jobs import job, job_runtime
from fithub.core.telemetry.streams import end_abandoned


@job("telemetry.end_abandoned")
async def end_abandoned_streams() -> int:
    """End streams whose phone stopped sending longer ago than the resume window (each once)."""
    return await end_abandoned(job_runtime().settings.telemetry_resume_window_s)
