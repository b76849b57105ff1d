"""Uploaded videos: accept one, queue and run its analysis, list, re-queue and delete them.

The analysis job is idempotent and safe to retry. Each queuing gives the video a fresh
``job_token``; a job may only claim the video carrying its token, with one conditional update
(``uploaded``/``failed``/``processing`` to ``processing``; ``processing`` again so that a
redelivered message of a worker that died mid-way resolves it, once its lease lapsed). The job
holds a lease (``worker``, ``lease_expires_at``) renewed while it works; the result and the final
status are written in one update that only applies while its claim still holds, so a stale or
duplicate message changes nothing and the analysis finishes once. :func:`recover_analyses` (on a
schedule) queues again the videos whose message or worker was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from fithub.core import jobs
from fithub.core.accounts.models import User
from fithub.core.audit import services as audit
from fithub.core.config import Settings
from fithub.core.context import ClientInfo
from fithub.core.errors import Conflict, NotFound, ValidationFailed
from fithub.core.events import services as events
from fithub.core.leases import RENEW_EVERY_S, lease_until, renewing, worker_id
from fithub.core.media.containers import check_structure
from fithub.core.media.errors import AnalysisFailed, ContainerError
from fithub.core.media.models import Video, VideoStatus
from fithub.core.media.runner import run_analysis
from fithub.core.media.storage import media_storage
from fithub.core.media.uploads import ReceivedUpload
from fithub.vision.analysis import probe_video
from fithub.vision.auto import AUTO
from fithub.vision.pose import VideoReadError

log = logging.getLogger("fithub.media")

JOB = "media.analyze_video"
CONTENT_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm",
                 "mkv": "video/x-matroska"}  # fmt: skip
#: Seconds between progress writes while a job runs (each one also proves it is alive).
PROGRESS_WRITE_EVERY_S = 2.0
#: A queued video, or a running one whose lease lapsed, with no sign of life for this long may be
#: queued again (its message or its worker was lost); not more often than this either.
REDRIVE_AFTER_S = 45
RECOVER_BATCH = 100


def _now() -> datetime:
    return datetime.now(UTC)


def _invalid(message: str, code: str, field: str = "file") -> ValidationFailed:
    return ValidationFailed(message, code=code, errors=[{"field": field, "message": message}])


def check_exercise(name: str | None, known: set[str]) -> str:
    """The exercise to count: a classifier name or ``auto`` (the default); 422 otherwise."""
    if name is None or name == AUTO:
        return AUTO
    if name not in known:
        choices = ", ".join(sorted([*known, AUTO]))
        raise _invalid(
            f"unknown exercise {name!r} (one of {choices})", "unknown_exercise", "exercise"
        )
    return name


async def create_video(
    user: User, client: ClientInfo, settings: Settings, upload: ReceivedUpload, known: set[str]
) -> Video:
    """Check the staged upload decodes and fits the limits, store it, queue its analysis.

    Raises 422 when the container is damaged or truncated, OpenCV cannot decode it, it is longer
    than ``video_max_duration_s``, or the exercise is unknown. The staged file is always consumed.
    """
    storage = media_storage(settings)
    try:
        exercise = check_exercise(upload.exercise, known)
        try:
            await asyncio.to_thread(check_structure, upload.staged, upload.container)
            info = await asyncio.to_thread(probe_video, upload.staged)
        except (ContainerError, VideoReadError) as exc:
            raise _invalid(f"The video cannot be decoded: {exc}.", "undecodable_video") from exc
        limit = settings.video_max_duration_s
        if info.duration_s is not None and info.duration_s > limit:
            raise _invalid(
                f"The video lasts {info.duration_s:.0f} s; at most {limit:.0f} s are accepted.",
                "video_too_long",
            )
        key = await storage.put(
            upload.staged,
            suffix=f".{upload.container.value}",
            content_type=CONTENT_TYPES[upload.container.value],
        )
    finally:
        upload.staged.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    async with in_transaction():
        video = await Video.create(
            owner_id=user.id,
            original_filename=upload.filename,
            container=upload.container,
            size_bytes=upload.size,
            duration_s=info.duration_s,
            fps=info.fps,
            width=info.width,
            height=info.height,
            exercise=exercise,
            storage_key=key,
            job_token=token,
        )
        await audit.record(
            "video.uploaded",
            client,
            subject_id=user.id,
            target_type="video",
            target_id=video.id,
            details={"size_bytes": upload.size, "container": upload.container.value},
        )
    return await _enqueue(video, token)


async def _enqueue(video: Video, token: str) -> Video:
    try:
        await jobs.enqueue(JOB, video.id, token)
    except Exception as exc:  # the broker is down: say so on the video; POST /analyze retries
        log.exception("could not queue the analysis of video %s", video.id)
        await Video.filter(id=video.id, job_token=token).update(
            status=VideoStatus.FAILED,
            error=f"the analysis could not be queued ({type(exc).__name__}); try again",
            updated_at=_now(),
        )
        await video.refresh_from_db()
    return video


def videos_of(user: User, status: VideoStatus | None = None) -> QuerySet[Video]:
    query = Video.filter(owner_id=user.id)
    return query.filter(status=status) if status is not None else query


async def get_video(user: User, video_id: int) -> Video:
    """One of the user's videos; 404 for anyone else's, as for a missing one."""
    video = await Video.get_or_none(id=video_id, owner_id=user.id)
    if video is None:
        raise NotFound("No such video.")
    return video


def _lost(now: datetime) -> Q:
    """Queued or running videos whose message or worker was lost (silent, no live lease)."""
    return Q(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now),
        status__in=[VideoStatus.UPLOADED, VideoStatus.PROCESSING],
        updated_at__lt=now - timedelta(seconds=REDRIVE_AFTER_S),
    )


async def reanalyze(user: User, client: ClientInfo, settings: Settings, video_id: int) -> Video:
    """Queue the analysis again for a ``done`` or ``failed`` video, or one whose job was lost.

    409 while a live job has it queued or running. The old result and error are cleared; the
    new token makes any message still in flight for the old one a no-op.
    """
    video = await get_video(user, video_id)
    token = secrets.token_hex(16)
    reset: dict[str, Any] = {
        "status": VideoStatus.UPLOADED, "job_token": token, "result": None, "error": None,
        "progress": 0.0, "started_at": None, "finished_at": None, "updated_at": _now(),
    }  # fmt: skip
    mine = Video.filter(id=video.id, owner_id=user.id)
    requeued = await mine.filter(status__in=[VideoStatus.DONE, VideoStatus.FAILED]).update(**reset)
    if not requeued:  # queued or running, but silent for too long: its message or worker was lost
        requeued = await mine.filter(_lost(_now())).update(**reset)
    if not requeued:
        raise Conflict(
            f"The video is {video.status.value}: its analysis is already queued or running.",
            code="analysis_in_progress",
        )
    await audit.record(
        "video.analysis_requested", client, subject_id=user.id, target_type="video",
        target_id=video.id, details={"previous_status": video.status.value},
    )  # fmt: skip
    await video.refresh_from_db()
    return await _enqueue(video, token)


async def delete_video(user: User, client: ClientInfo, settings: Settings, video_id: int) -> None:
    """Delete the row, then the stored file (a running job then finds nothing to update)."""
    video = await get_video(user, video_id)
    async with in_transaction():
        await Video.filter(id=video.id).delete()
        await audit.record(
            "video.deleted", client, subject_id=user.id, target_type="video", target_id=video.id
        )
    await delete_stored(settings, [video.storage_key])


async def stored_keys(user_id: int) -> list[str]:
    """Storage keys of every video of a user (for account deletion)."""
    keys = await Video.filter(owner_id=user_id).values_list("storage_key", flat=True)
    return [str(key) for key in keys]


async def delete_stored(settings: Settings, keys: list[str]) -> None:
    """Remove stored objects; a failure is logged (the row is gone already) and not raised."""
    storage = media_storage(settings)
    for key in keys:
        try:
            await storage.delete(key)
        except Exception:
            log.exception("could not delete stored media object %s", key)


# -- the job ------------------------------------------------------------------------------------


async def analyze(settings: Settings, video_id: int, token: str) -> str:
    """Claim the video for ``token``, analyse it in a child process, store the outcome.

    Returns ``done``, ``failed`` (the clip could not be analysed: ``error`` says why) or ``skipped``
    (another token holds the video, or it is gone). Raises for infrastructure failures (database,
    storage), after recording them on the video, so that the job is retried with the same token.
    """
    now, worker = _now(), worker_id()
    free = Q(status__in=[VideoStatus.UPLOADED, VideoStatus.FAILED]) | Q(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now),
        status=VideoStatus.PROCESSING,
    )  # a running one only once its worker stopped renewing the lease
    claimed = await Video.filter(free, id=video_id, job_token=token).update(
        status=VideoStatus.PROCESSING, attempts=F("attempts") + 1, started_at=now,
        finished_at=None, error=None, progress=0.0, updated_at=now, worker=worker,
        lease_expires_at=lease_until(now),
    )  # fmt: skip
    if not claimed:
        return "skipped"
    video = await Video.get(id=video_id)
    last_write = time.monotonic()

    async def progress(fraction: float) -> None:
        nonlocal last_write
        if time.monotonic() - last_write >= PROGRESS_WRITE_EVERY_S:
            last_write = time.monotonic()
            await _claimed(video_id, token, worker).update(progress=fraction, updated_at=_now())

    async def renew() -> bool:
        now = _now()
        held = _claimed(video_id, token, worker)
        return bool(await held.update(lease_expires_at=lease_until(now), updated_at=now))

    try:
        async with (
            media_storage(settings).local_path(video.storage_key) as path,
            renewing(renew, RENEW_EVERY_S) as lost,
        ):
            analysis = asyncio.ensure_future(run_analysis(
                path, video.exercise, max_fps=settings.video_analysis_max_fps,
                max_duration_s=settings.video_max_duration_s,
                timeout_s=settings.video_analysis_timeout_s, on_progress=progress,
            ))  # fmt: skip
            if not await _first(analysis, lost):
                log.warning("analysis of video %s was taken over by another worker", video_id)
                return "skipped"
            result = analysis.result()
    except AnalysisFailed as exc:
        await _finish(video, token, VideoStatus.FAILED, error=str(exc))
        log.info("analysed video %s: failed (%s)", video_id, exc.kind)
        return "failed"
    except FileNotFoundError:
        await _finish(video, token, VideoStatus.FAILED, error="the stored video file is missing")
        log.warning("analysed video %s: failed (its stored file is missing)", video_id)
        return "failed"
    except Exception as exc:  # database or storage: record it, then let the job be retried
        with contextlib.suppress(Exception):
            error = f"internal error ({type(exc).__name__}); the analysis will be retried"
            await _finish(video, token, VideoStatus.FAILED, error=error, final=False)
        raise
    if video.duration_s is None:  # the container did not say; the frames did
        video.duration_s = float(result["duration_s"])
    await _finish(video, token, VideoStatus.DONE, result=result)
    log.info("analysed video %s: done, %s reps", video_id, result.get("rep_count"))
    return "done"


async def _first(analysis: asyncio.Future[dict[str, Any]], lost: asyncio.Event) -> bool:
    """Wait for ``analysis``; False (and the analysis stopped) if the lease is lost first."""
    losing = asyncio.ensure_future(lost.wait())
    waited: set[asyncio.Future[Any]] = {analysis, losing}
    try:
        await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # the job was cancelled (time limit): stop the child too
        analysis.cancel()
        raise
    finally:
        losing.cancel()
    if analysis.done():
        return True
    analysis.cancel()  # kills the child process
    with contextlib.suppress(BaseException):
        await analysis
    return False


def _claimed(video_id: int, token: str, worker: str) -> QuerySet[Video]:
    return Video.filter(id=video_id, job_token=token, status=VideoStatus.PROCESSING, worker=worker)


async def recover_analyses() -> int:
    """Queue again each video whose message or worker was lost; how many were queued.

    Same token: the new message claims the video (a lapsed ``processing`` one too) and any old
    one still in flight is harmless, as only one claim holds at a time and a finished video is
    never claimed again.
    """
    now = _now()
    stuck = await Video.filter(_lost(now), job_token__isnull=False).limit(RECOVER_BATCH)
    queued = 0
    for video in stuck:
        # Also marks it as just queued, so the next sweep leaves it alone for a while.
        if await Video.filter(_lost(now), id=video.id, job_token=video.job_token).update(
            updated_at=now
        ):
            await jobs.enqueue(JOB, video.id, video.job_token)
            log.warning("video %s was %s with no live job: queued again", video.id,
                        video.status.value)  # fmt: skip
            queued += 1
    return queued


async def _finish(
    video: Video,
    token: str,
    status: VideoStatus,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    final: bool = True,
) -> None:
    """Write the outcome in one update (only while the claim holds) and emit the domain event.

    A ``final`` outcome also drops the token, so that no message (a retry, a redelivery, one the
    sweeper queued) claims the video again; a failure to be retried keeps it.
    """
    now = _now()
    async with in_transaction():
        changed = await _claimed(video.id, token, video.worker or "").update(
            status=status, result=result, error=error[:500] if error else None, finished_at=now,
            updated_at=now, lease_expires_at=None, duration_s=video.duration_s,
            progress=1.0 if status == VideoStatus.DONE else F("progress"),
            job_token=None if final else token,
        )  # fmt: skip
        if not changed:
            return
        payload: dict[str, Any] = {"video_id": video.id, "status": status.value}
        if result is not None:
            payload |= {"exercise": result.get("exercise"), "reps": result.get("rep_count")}
        event = "video.analyzed" if status == VideoStatus.DONE else "video.analysis_failed"
        await events.emit(event, video.owner_id, payload)
