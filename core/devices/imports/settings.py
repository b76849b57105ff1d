"""Limits of file imports and pushed batches, per provider (``FITHUB_<NAME>_*``, e.g. ``FITHUB_APPLE_HEALTH_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

GIB = 1024**3


class ImportSettings(BaseSettings):
    """How large an export may be, and how an import writes it (read with the provider's prefix)."""

    model_config = SettingsConfigDict(extra="ignore")

    import_max_bytes: int = Field(4 * GIB, ge=1024, description="largest upload (zip or XML)")
    xml_max_bytes: int = Field(
        32 * GIB, ge=1024, description="largest export.xml read (inside a zip: uncompressed)"
    )
    import_batch_records: int = Field(
        2000, ge=1, le=20000, description="records written per transaction by an import"
    )
    push_max_bytes: int = Field(
        4 * 1024 * 1024, ge=1024, description="largest body of POST .../<name>/batch"
    )


def import_settings(provider: str) -> ImportSettings:
    """The limits of ``provider`` (``FITHUB_<NAME>_IMPORT_MAX_BYTES`` and so on)."""
    return ImportSettings(_env_prefix=f"FITHUB_{provider.upper()}_")
