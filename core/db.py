"""Tortoise ORM configuration, start-up and shut-down."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url

from fithub.core.config import Settings

MODEL_MODULES = [
    "fithub.core.accounts.models",
    "fithub.core.audit.models",
    "fithub.core.exercises.models",
    "fithub.core.workouts.models",
    "fithub.core.progress.models",
    "fithub.core.body.models",
    "fithub.core.coaching.models",
    "fithub.core.events.models",
    "fithub.core.devices.models",
    "fithub.core.devices.imports.models",
    "fithub.core.media.models",
    "fithub.core.notifications.models",
    "fithub.core.telemetry.models",
    "fithub.core.nutrition.models",
]


def tortoise_config(settings: Settings) -> dict[str, Any]:
    """The Tortoise config dict: one app, ``fithub``, whose migrations live in ``fithub.migrations``."""
    connection: str | dict[str, Any] = settings.db_url
    if settings.is_postgres:
        connection = expand_db_url(settings.db_url)
        credentials = connection["credentials"]
        credentials.setdefault("minsize", 2)
        credentials.setdefault("maxsize", 20)
        credentials["reset"] = _release_cheaply
    else:
        connection = {
            "engine": "tortoise.backends.sqlite",
            "credentials": {
                "file_path": settings.db_url.removeprefix("sqlite://"),
                "journal_mode": "WAL",  # readers never wait for the writer
                "synchronous": "NORMAL",  # durable with WAL, and far fewer fsyncs
                "busy_timeout": 5000,  # wait for another process's write instead of failing
            },
        }
    return {
        "connections": {"default": connection},
        "apps": {
            "fithub": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "fithub.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def _release_cheaply(conn: Any) -> None:
    """Pool release without asyncpg's default reset round trip (UNLISTEN, RESET ALL...).

    fithub never LISTENs, takes advisory locks or changes session settings on pooled
    connections, so the only state worth clearing is an unfinished transaction.
    """
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def init_db(settings: Settings) -> None:
    """Open the connection pool (call once per process, on its event loop)."""
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


async def ping_db() -> None:
    """Run a trivial query; raises when the database is unreachable."""
    await connections.get("default").execute_query("SELECT 1")
