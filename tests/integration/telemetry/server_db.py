"""Reach a running server's database from the test process (to seed what no endpoint makes)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests.support import FithubServer


@contextlib.asynccontextmanager
async def server_db(server: FithubServer) -> AsyncIterator[None]:
    """Tortoise connected to ``server``'s database (SQLite file or PostgreSQL) for the block."""
    from tortoise import Tortoise

    from fithub.core.config import Settings
    from fithub.core.db import tortoise_config

    env: dict[str, Any] = {"data_dir": Path(server.env["FITHUB_DATA_DIR"])}
    if server.env.get("FITHUB_DATABASE_URL"):
        env["database_url"] = server.env["FITHUB_DATABASE_URL"]
    await Tortoise.init(config=tortoise_config(Settings(**env)))
    try:
        yield
    finally:
        await Tortoise.close_connections()
