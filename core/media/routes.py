"""HTTP routes of uploaded videos: upload, read, list, re-analyse and delete."""

from __future__ import annotations

from quart import Blueprint, Response, request
from quart_schema import document_request, tag, validate_querystring
from quart_schema.validation import DataSource

from fithub.core.auth import client_info, current_user, require_auth
from fithub.core.config import Settings
from fithub.core.media import services
from fithub.core.media.schemas import VideoOut, VideoPage, VideoQuery, VideoUploadForm
from fithub.core.media.storage import media_storage
from fithub.core.media.uploads import body_limit, receive_upload
from fithub.core.pagination import paginate
from fithub.core.responses import validate_response
from fithub.core.runtime import runtime

bp = Blueprint("media", __name__, url_prefix="/api/v1")

UPLOAD_PATH = "/api/v1/videos"


def body_limits(settings: Settings) -> dict[tuple[str, str], int]:
    """Routes whose bodies may exceed ``FITHUB_MAX_BODY_BYTES``, with their own limits."""
    return {("POST", UPLOAD_PATH): body_limit(settings.video_max_bytes)}


def _known_exercises() -> set[str]:
    return set(runtime().plugins.components("exercise_classifier"))


def _location(video_id: int) -> dict[str, str]:
    return {"Location": f"{UPLOAD_PATH}/{video_id}"}


@bp.post("/videos")
@tag(["videos"])
@require_auth()
@document_request(VideoUploadForm, source=DataSource.FORM_MULTIPART)
@validate_response(VideoOut, 202)
async def upload_video() -> tuple[VideoOut, int, dict[str, str]]:
    """Upload a clip to analyse (multipart: ``file``, optional ``exercise``); 202 and a job.

    The bytes must be an MP4 or MOV (ISO base media ``ftyp`` box) or a WebM or Matroska file
    (EBML header), whatever the file is called (415 otherwise); it must decode and be within the
    length limit (422) and the size limit (413). Poll ``GET /videos/{id}`` for the result.
    """
    settings: Settings = runtime().settings
    upload = await receive_upload(request, media_storage(settings), settings.video_max_bytes)
    video = await services.create_video(
        current_user(), client_info(), settings, upload, _known_exercises()
    )
    return VideoOut.of(video), 202, _location(video.id)


@bp.get("/videos")
@tag(["videos"])
@require_auth()
@validate_querystring(VideoQuery)
@validate_response(VideoPage)
async def list_videos(query_args: VideoQuery) -> VideoPage:
    """Your videos, newest first, optionally only those with one ``status``."""
    page = await paginate(
        services.videos_of(current_user(), query_args.status), query_args, VideoOut.of
    )
    return VideoPage(**page)


@bp.get("/videos/<int:video_id>")
@tag(["videos"])
@require_auth()
@validate_response(VideoOut)
async def get_video(video_id: int) -> VideoOut:
    """One of your videos: its status, progress and, once done, the reps found. 404 if not yours."""
    return VideoOut.of(await services.get_video(current_user(), video_id))


@bp.post("/videos/<int:video_id>/analyze")
@tag(["videos"])
@require_auth()
@validate_response(VideoOut, 202)
async def analyze_video(video_id: int) -> tuple[VideoOut, int, dict[str, str]]:
    """Analyse a ``done`` or ``failed`` video again (409 while its analysis is queued or running)."""
    video = await services.reanalyze(current_user(), client_info(), runtime().settings, video_id)
    return VideoOut.of(video), 202, _location(video.id)


@bp.delete("/videos/<int:video_id>")
@tag(["videos"])
@require_auth()
async def delete_video(video_id: int) -> Response:
    """Delete a video: its stored file and its analysis."""
    await services.delete_video(current_user(), client_info(), runtime().settings, video_id)
    return Response(status=204)
