"""Limits of Apple Health uploads and pushes (``FITHUB_APPLE_HEALTH_*``; docs/providers/apple_health.md)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

GIB = 1024**3


class ImportSettings(BaseSettings):
    """How large an export may be, and how an import writes it."""

    model_config = SettingsConfigDict(env_prefix="FITHUB_APPLE_HEALTH_", extra="ignore")

    import_max_bytes: int = Field(4 * GIB, ge=1024, description="largest upload (zip or XML)")
    xml_max_bytes: int = Field(
        32 * GIB, ge=1024, description="largest export.xml read (inside a zip: uncompressed)"
    )
    import_batch_records: int = Field(
        2000, ge=1, le=20000, description="records written per transaction by an import"
    )
    push_max_bytes: int = Field(
        4 * 1024 * 1024, ge=1024, description="largest body of POST .../apple_health/batch"
    )


def import_settings() -> ImportSettings:
    return ImportSettings()
