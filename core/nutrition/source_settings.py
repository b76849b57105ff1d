"""Settings of nutrition sources: the section ``FITHUB_NUTRITION_*`` and each source's ``FITHUB_<NAME>_*``.

Imports nothing of fithub.core (core/config.py nests :class:`NutritionSettings`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from fithub.plugins.nutrition import SourceSettings


class NutritionSettings(BaseSettings):
    """How fithub talks to nutrition sources; see docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="FITHUB_NUTRITION_", extra="ignore")

    default_source: str = Field(
        "builtin", pattern=r"^[a-z0-9_]{1,32}$", description="source searched when none is named"
    )
    contact: str | None = Field(
        None, description="contact in the sources' User-Agent (default: FITHUB_PUBLIC_URL)"
    )
    http_timeout_s: float = Field(10, gt=0, le=120, description="one request to a food source")
    breaker_fail_max: int = Field(5, ge=1, description="source failures in a row that open it")
    breaker_reset_s: float = Field(60, gt=0, description="open breaker waits this before a trial")
    unavailable_retry_after_s: int = Field(
        30, ge=1, le=3600, description="Retry-After of a 503 when the source named no wait"
    )
    cache_max_items: int = Field(
        10_000, ge=0, description="entries of the in-memory source cache (without Redis)"
    )
    search_cache_ttl_s: int = Field(
        3600, ge=0, description="a network source's search page is reused this long (0: never)"
    )
    refresh_after_s: int = Field(
        86_400, ge=0, description="a stored source food is fetched again when older than this"
    )


def source_settings(
    name: str, default_user_agent: str, environ: Mapping[str, str] | None = None
) -> SourceSettings:
    """The ``FITHUB_<NAME>_*`` settings of source ``name``: ``API_KEY``, ``BASE_URL``,
    ``USER_AGENT`` (else ``default_user_agent``) and every ``OPTION_<KEY>`` (key lower-cased)."""
    env = os.environ if environ is None else environ
    prefix = f"FITHUB_{name.upper()}_"
    options = {
        key.removeprefix(prefix + "OPTION_").lower(): value
        for key, value in env.items()
        if key.startswith(prefix + "OPTION_") and len(key) > len(prefix + "OPTION_")
    }
    return SourceSettings(
        api_key=env.get(prefix + "API_KEY") or None,
        base_url=env.get(prefix + "BASE_URL") or None,
        user_agent=env.get(prefix + "USER_AGENT") or default_user_agent,
        options=options,
    )
