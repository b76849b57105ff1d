"""Background jobs of the media domain."""

from __future__ import annotations

from fithub.core.jobs import job, job_runtime
from fithub.core.media import services

#: Longer than any analysis may run (``FITHUB_VIDEO_ANALYSIS_TIMEOUT_S`` stops it before).
TIME_LIMIT_MS = 6 * 3600 * 1000


@job("media.analyze_video", max_retries=3, time_limit_ms=TIME_LIMIT_MS)
async def analyze_video(video_id: int, token: str) -> str:
    """Analyse an uploaded video; idempotent, and a no-op for a stale ``token`` (see services)."""
    return await services.analyze(job_runtime().settings, video_id, token)


@job("media.recover_analyses", max_retries=0)
async def recover_analyses() -> int:
    """Queue again the analyses whose message or worker was lost (on a schedule)."""
    return await services.recover_analyses()
