"""Typed settings read from ``FITHUB_*`` environment variables."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from fithub.core.devices.settings import DeviceSettings
from fithub.core.nutrition.source_settings import NutritionSettings

# An exact browser origin: scheme, host (name, IPv4 or [IPv6]) and an optional port.
_ORIGIN = re.compile(r"https?://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?")


class Settings(BaseSettings):
    """Everything configurable about one fithub process; see docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="FITHUB_", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("var")
    database_url: str | None = None
    redis_url: str | None = None
    redis_namespace: str = Field(
        "fithub",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="prefix of the job queues and keys (deployments sharing a Redis differ)",
    )

    password_hashing: Literal["rfc9106-low-memory", "test-only-fast"] = "rfc9106-low-memory"

    access_token_ttl: int = Field(900, ge=30, le=3600, description="seconds an access JWT lives")
    refresh_token_ttl: int = Field(
        30 * 24 * 3600, ge=300, description="seconds a refresh token lives"
    )
    jwt_issuer: str = "fithub"

    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    login_window_seconds: int = Field(900, ge=1)
    login_max_per_account: int = Field(5, ge=1)
    login_max_per_address: int = Field(30, ge=1)
    trusted_proxies: list[str] = Field(default_factory=list)
    register_window_seconds: int = Field(3600, ge=1, description="window of the sign-up limit")
    register_max_per_address: int = Field(10, ge=1, description="sign-ups per address per window")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="exact origins allowed to call the API from a browser"
    )
    hsts_max_age: int = Field(
        31_536_000, ge=0, description="Strict-Transport-Security max-age (production, HTTPS)"
    )

    check_responses: bool | None = Field(
        None,
        description="check every plain response body against its schema (default: not in production)",
    )

    log_level: str = "INFO"
    log_json: bool = True
    live_resume_window_s: int = Field(180, ge=1, le=3600, description="a dropped stream may resume")
    live_max_message_bytes: int = Field(1024 * 1024, ge=1024, le=16 * 1024 * 1024)
    pose_workers: int = Field(0, ge=0, le=64, description="pose processes; 0: one per core")
    telemetry_resume_window_s: int = Field(
        600, ge=5, le=86400, description="a telemetry stream without batches this long is ended"
    )
    telemetry_future_s: int = Field(
        120, ge=1, le=3600, description="samples may be this far ahead of the server clock"
    )
    telemetry_past_s: int = Field(
        7 * 86400, ge=60, le=90 * 86400, description="samples may be this old (phone buffers)"
    )
    telemetry_signal_lost_s: float = Field(
        5.0, ge=0.5, le=600, description="no heart rate this long while streaming: signal lost"
    )
    in_process_worker_threads: int = Field(2, ge=1, le=32)
    jobs_heartbeat_timeout_s: int = Field(
        15, ge=5, le=600, description="Redis broker: a worker silent this long is dead"
    )
    jobs_maintenance_chance: int = Field(
        50_000, ge=0, le=1_000_000, description="Redis broker calls per million that sweep queues"
    )
    recovery_sweep_every_s: int = Field(
        30, ge=1, le=3600, description="period of the sweep that re-drives stuck work"
    )
    recovery_redrive_after_s: int = Field(
        60, ge=1, le=24 * 3600, description="an inbox row still queued this long is re-driven"
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="how browsers and vendors reach this server"
    )
    notifications_sweep_every_s: int = Field(
        2, ge=1, le=300, description="period of the sweep that sends due deliveries"
    )
    notifications_consume_every_s: int = Field(
        2, ge=1, le=300, description="period of the event consumer that makes notifications"
    )
    notifications_reminders_every_s: int = Field(
        2, ge=1, le=60, description="period of the job that fires due workout reminders"
    )
    notifications_lease_s: float = Field(
        60, ge=1, le=3600, description="a delivery held this long by a silent worker is retried"
    )
    webhook_disable_after_days: float = Field(
        5, gt=0, le=60, description="an outbound webhook endpoint failing this long is disabled"
    )
    account_token_ttl_s: int = Field(
        3600, ge=60, le=7 * 24 * 3600, description="life of a mailed reset or confirmation link"
    )
    devices: DeviceSettings = Field(default_factory=DeviceSettings)
    nutrition: NutritionSettings = Field(default_factory=NutritionSettings)

    media_storage: Literal["local", "s3"] = "local"
    s3_bucket: str | None = None
    s3_prefix: str = Field("media/", description="key prefix of stored media in the bucket")
    s3_endpoint_url: str | None = Field(None, description="an S3-compatible server (MinIO, ...)")
    s3_region: str | None = None
    video_max_bytes: int = Field(100 * 1024 * 1024, ge=1024, description="largest upload")
    video_max_duration_s: float = Field(600, gt=0, le=4 * 3600, description="longest clip")
    video_analysis_max_fps: float = Field(
        20, ge=0, le=240, description="frames analysed per second of video; 0: every frame"
    )
    video_analysis_timeout_s: int = Field(1800, ge=10, description="one analysis at most")

    @model_validator(mode="after")
    def _fast_hashing_only_in_tests(self) -> Settings:
        if self.password_hashing == "test-only-fast" and self.env != "test":
            raise ValueError(
                "FITHUB_PASSWORD_HASHING=test-only-fast is refused unless FITHUB_ENV=test"
            )
        return self

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> Settings:
        if self.media_storage == "s3" and not self.s3_bucket:
            raise ValueError("FITHUB_MEDIA_STORAGE=s3 needs FITHUB_S3_BUCKET")
        return self

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        """``FITHUB_CORS_ORIGINS`` is comma-separated; each entry must be an exact origin."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            value = [o.lower() if isinstance(o, str) else o for o in value]
            for origin in value:
                if not isinstance(origin, str) or not _ORIGIN.fullmatch(origin):
                    raise ValueError(
                        f"FITHUB_CORS_ORIGINS: {origin!r} is not an origin like "
                        "https://app.example.com (scheme, host and optional port; no path, no '*')"
                    )
        return value

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str | None) -> str | None:
        if value and value.startswith("postgresql://"):
            return "postgres://" + value.removeprefix("postgresql://")
        return value or None

    @field_validator("redis_url")
    @classmethod
    def _empty_redis_is_none(cls, value: str | None) -> str | None:
        return value or None

    @cached_property
    def resolved_data_dir(self) -> Path:
        """The data folder as an absolute path, created on first use."""
        path = self.data_dir.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def media_dir(self) -> Path:
        """Where the local media storage keeps uploaded files."""
        return self.resolved_data_dir / "media"

    @property
    def db_url(self) -> str:
        """The Tortoise connection URL: PostgreSQL when configured, else SQLite under the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite://{self.resolved_data_dir / 'fithub.sqlite3'}"

    @property
    def checks_responses(self) -> bool:
        """Whether response bodies are checked against their schemas (tests and development)."""
        return self.env != "production" if self.check_responses is None else self.check_responses

    @property
    def is_postgres(self) -> bool:
        return self.db_url.startswith("postgres")


def load_settings() -> Settings:
    """Read settings from the environment (a fresh object each call, for tests and the CLI)."""
    return Settings()
