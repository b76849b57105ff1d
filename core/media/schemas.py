"""Request and response bodies of the videos API (pydantic v2; they also make the OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from fithub.core.media.models import Container, Video, VideoStatus
from fithub.core.pagination import PageQuery


class VideoUploadForm(BaseModel):
    """``multipart/form-data``: the clip, and optionally which exercise to count."""

    file: bytes = Field(
        json_schema_extra={"format": "binary"},
        description="an MP4, MOV, WebM or Matroska clip; its bytes decide, not its name",
    )
    exercise: str = Field("auto", description="a classifier name (squat, pushup, ...) or auto")


class CueOut(BaseModel):
    code: str
    message: str
    penalty: float


class RepOut(BaseModel):
    number: int
    start_ms: float = Field(description="when the rep began, in ms from the start of the clip")
    extreme_ms: float = Field(description="its deepest point")
    end_ms: float = Field(description="when it was complete")
    duration_ms: float
    form_score: float = Field(ge=0, le=1)
    cues: list[CueOut]
    side: str | None = None


class AnalysisOut(BaseModel):
    exercise: str | None = Field(description="null when auto recognised no exercise")
    requested_exercise: str
    detection: dict[str, Any] | None = Field(
        None, description="auto only: confidence and each exercise's evidence"
    )
    rep_count: int
    mean_form_score: float | None
    reps: list[RepOut]
    frames: int = Field(description="frames analysed")
    pose_frames: int = Field(description="frames in which a person was found")
    fps: float
    duration_s: float
    width: int
    height: int
    stride: int = Field(description="every n-th frame was analysed")


class VideoOut(BaseModel):
    id: int
    status: VideoStatus
    original_filename: str
    container: Container
    size_bytes: int
    duration_s: float | None
    fps: float | None
    width: int | None
    height: int | None
    exercise: str = Field(description="the exercise asked for (auto: recognise it)")
    progress: float = Field(description="0..1 while processing")
    attempts: int = Field(description="how many times a job started analysing it")
    error: str | None = Field(description="why the last analysis failed")
    result: AnalysisOut | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, video: Video) -> VideoOut:
        return cls.model_validate(video, from_attributes=True)


class VideoPage(BaseModel):
    items: list[VideoOut]
    next_cursor: str | None = None


class VideoQuery(PageQuery):
    status: VideoStatus | None = None
