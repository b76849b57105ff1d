"""Request and response bodies of the file import and batch API (they make the OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from fithub.core.devices.imports.models import DeviceImport, ImportStatus

# The most items one pushed batch may carry (a provider may take fewer: max_batch_records).
MAX_BATCH_RECORDS = 1000
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class ImportUploadForm(BaseModel):
    """``multipart/form-data`` with one ``file`` part; or the file itself as the raw body."""

    file: bytes = Field(
        json_schema_extra={"format": "binary"},
        description="the provider's export (Apple Health: the Health app's export.zip, or the "
        "export.xml inside it); its bytes decide",
    )


class ImportOut(BaseModel):
    id: int
    provider: str
    status: ImportStatus
    file_format: str = Field(description="found from the content (Apple Health: zip or xml)")
    original_filename: str
    size_bytes: int
    xml_bytes: int = Field(description="the data the import reads (the export XML), uncompressed")
    export_date: datetime | None = Field(description="when the phone wrote the export")
    progress: float = Field(description="share of the XML read, 0 to 1")
    records_read: int = Field(description="data elements read (records, workouts, summaries)")
    inserted: int
    updated: int
    unchanged: int
    aggregated: int = Field(description="samples summed into days or grouped into sleep")
    skipped: int
    skipped_reasons: dict[str, int] = Field(description="why elements were skipped, with counts")
    error: str = Field(description="why the import failed (empty otherwise)")
    attempts: int
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, row: DeviceImport) -> ImportOut:
        return cls.model_validate(row, from_attributes=True)


class ImportPage(BaseModel):
    items: list[ImportOut]
    next_cursor: str | None = None


MetadataValue = str | float | int | bool | None


class BatchRecordIn(BaseModel):
    """One HealthKit object, as a phone app reads it (see docs/providers/apple_health.md)."""

    model_config = ConfigDict(extra="forbid", str_max_length=1000)

    uuid: str = Field(pattern=UUID_PATTERN, description="the HealthKit UUID: the record's id")
    type: str = Field(
        max_length=100,
        description="a HealthKit type identifier (HKQuantityTypeIdentifierHeartRate, "
        "HKCategoryTypeIdentifierSleepAnalysis, HKWorkoutTypeIdentifier, ...)",
    )
    start: AwareDatetime
    end: AwareDatetime | None = Field(None, description="defaults to start")
    value: float | str | None = Field(
        None,
        description="a number in unit; for sleep a HKCategoryValueSleepAnalysis name or number",
    )
    unit: str | None = Field(None, max_length=32, description="a HealthKit unit string (count/min)")
    source: str | None = Field(None, max_length=200, description="the source's name")
    device: str | None = Field(None, max_length=500)
    metadata: dict[str, MetadataValue] | None = Field(None, max_length=50)
    activity_type: str | None = Field(
        None, max_length=100, description="workouts: HKWorkoutActivityTypeRunning, ..."
    )
    total_energy_kcal: float | None = Field(None, ge=0, description="workouts")
    total_distance_m: float | None = Field(None, ge=0, description="workouts")
    avg_heart_rate_bpm: float | None = Field(None, ge=0, description="workouts")
    max_heart_rate_bpm: float | None = Field(None, ge=0, description="workouts")
    steps: int | None = Field(None, ge=0, description="workouts")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[BatchRecordIn] = Field(min_length=1, max_length=MAX_BATCH_RECORDS)


class ImportBatchOut(BaseModel):
    received: int = Field(description="items in the request")
    records: int = Field(description="records made from them (sleep samples become sessions)")
    inserted: int
    updated: int
    unchanged: int
    skipped: int
    skipped_reasons: dict[str, int]


def batch_items(data: BatchIn) -> list[dict[str, Any]]:
    """The items as the plugin reads them: JSON values, times as ISO 8601 text."""
    return [item.model_dump(mode="json", exclude_none=True) for item in data.records]
