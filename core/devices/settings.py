"""Settings of device sync (``FITHUB_DEVICES_*``) and of each provider's app (``FITHUB_<NAME>_*``)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class DeviceSettings(BaseSettings):
    """How fithub syncs devices; see docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="FITHUB_DEVICES_", extra="ignore")

    sync_interval_s: int = Field(3600, ge=1, description="scheduled sync of each connection")
    dispatch_every_s: int = Field(60, ge=1, description="how often due syncs are looked for")
    backfill_days: int = Field(30, ge=1, le=3650, description="history fetched on connecting")
    lookback_hours: int = Field(48, ge=0, description="recent data fetched again (vendors revise)")
    http_timeout_s: float = Field(30, gt=0, le=300, description="one request to a vendor")
    breaker_fail_max: int = Field(5, ge=1, description="vendor failures in a row that open it")
    breaker_reset_s: float = Field(60, gt=0, description="open breaker waits this before a trial")
    max_inline_wait_s: float = Field(
        30, ge=0, description="a Retry-After up to this is waited out in the job; longer defers"
    )
    max_rate_limit_waits: int = Field(8, ge=0, description="429s waited out per page")
    refresh_margin_s: int = Field(300, ge=0, description="refresh tokens expiring this soon")
    oauth_state_ttl_s: int = Field(600, ge=60, le=3600, description="time to finish connecting")
    return_url: str | None = Field(
        None, description="where the callback sends the browser after connecting (else JSON)"
    )


class ProviderAppSettings(BaseSettings):
    """One provider's app registration, read with the prefix ``FITHUB_<NAME>_``.

    ``ProviderAppSettings(_env_prefix="FITHUB_OURA_")`` reads ``FITHUB_OURA_CLIENT_ID`` and so on.
    """

    model_config = SettingsConfigDict(extra="ignore")

    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    base_url: str | None = None
    auth_base_url: str | None = None
    redirect_uri: str | None = None
    options: dict[str, str] = Field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret.get_secret_value())


def provider_app_settings(name: str) -> ProviderAppSettings:
    """The ``FITHUB_<NAME>_*`` settings of provider ``name``."""
    return ProviderAppSettings(_env_prefix=f"FITHUB_{name.upper()}_")
