"""Tortoise model of an uploaded video and its analysis."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from fithub.core.accounts.models import User


class VideoStatus(StrEnum):
    UPLOADED = "uploaded"  # stored and queued for analysis
    PROCESSING = "processing"  # a job has claimed it
    DONE = "done"  # result holds the analysis
    FAILED = "failed"  # error says why


class Container(StrEnum):
    MP4 = "mp4"
    MOV = "mov"
    WEBM = "webm"
    MKV = "mkv"  # Matroska, of which WebM is a subset


class Video(Model):
    """A clip a user uploaded, where it is stored and what its analysis found."""

    id = fields.BigIntField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="videos", on_delete=fields.CASCADE
    )
    owner_id: int
    status = fields.CharEnumField(VideoStatus, max_length=10, default=VideoStatus.UPLOADED)
    original_filename = fields.CharField(max_length=255, default="")
    container = fields.CharEnumField(Container, max_length=8)
    size_bytes = fields.BigIntField()
    duration_s = fields.FloatField(null=True)
    fps = fields.FloatField(null=True)
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    exercise = fields.CharField(max_length=64, default="auto", description="as requested")
    storage_key = fields.CharField(max_length=255, description="the object in media storage")
    job_token = fields.CharField(
        max_length=32, null=True, description="the queued job allowed to claim the video"
    )
    progress = fields.FloatField(default=0.0)
    result: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    error = fields.CharField(max_length=500, null=True)
    attempts = fields.IntField(default=0)
    worker = fields.CharField(max_length=80, null=True, description="the worker analysing it")
    lease_expires_at = fields.DatetimeField(null=True, description="renewed while it runs")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "videos"
        indexes = (("owner_id", "id"), ("status", "updated_at"))
