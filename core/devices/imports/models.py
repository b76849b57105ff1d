"""Tortoise model of an uploaded Apple Health export and the import that reads it.

Model docstrings and field descriptions become SQL comments: no semicolons or apostrophes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from fithub.core.accounts.models import User


class ImportStatus(StrEnum):
    QUEUED = "queued"  # stored and queued for the import job
    RUNNING = "running"  # a job has claimed it
    SUCCEEDED = "succeeded"  # every record read was stored (skipped ones are counted)
    FAILED = "failed"  # error says why, batches stored before the failure stay


class DeviceImport(Model):
    """An export file a user uploaded (Apple Health export.zip or export.xml) and its import."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "fithub.User", related_name="device_imports", on_delete=fields.CASCADE
    )
    user_id: int
    provider = fields.CharField(max_length=32)
    status = fields.CharEnumField(ImportStatus, max_length=16, default=ImportStatus.QUEUED)
    file_format = fields.CharField(max_length=8, description="zip or xml, found from the content")
    original_filename = fields.CharField(max_length=255, default="")
    size_bytes = fields.BigIntField(description="the uploaded file")
    xml_bytes = fields.BigIntField(description="the export XML, uncompressed")
    storage_key = fields.CharField(
        max_length=255, null=True, description="the upload in media storage until processed"
    )
    job_token = fields.CharField(
        max_length=32, null=True, description="the queued job allowed to claim the import"
    )
    export_date = fields.DatetimeField(null=True, description="when the phone wrote the export")
    progress = fields.FloatField(default=0.0, description="share of the XML read, 0 to 1")
    records_read = fields.BigIntField(default=0, description="data elements read from the XML")
    inserted = fields.BigIntField(default=0)
    updated = fields.BigIntField(default=0)
    unchanged = fields.BigIntField(default=0)
    aggregated = fields.BigIntField(
        default=0, description="samples summed into days or grouped into sleep sessions"
    )
    skipped = fields.BigIntField(default=0)
    skipped_reasons: fields.Field[dict[str, Any]] = fields.JSONField(
        default=dict, description="reason and count of each skipped element"
    )
    error = fields.CharField(max_length=500, default="")
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "device_imports"
        indexes = (("user_id", "provider", "id"), ("status", "updated_at"))
