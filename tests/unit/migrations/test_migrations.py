"""The committed migrations describe exactly the current models (nobody forgot makemigrations)."""

from __future__ import annotations

from pathlib import Path

from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from fithub.core.config import Settings
from fithub.core.db import tortoise_config


async def test_models_and_migrations_are_in_step(tmp_path: Path) -> None:
    config = tortoise_config(Settings(data_dir=tmp_path))
    async with TortoiseContext() as ctx:
        await ctx.init(config=config, init_connections=False)
        assert ctx.apps is not None
        detector = MigrationAutodetector(ctx.apps, config["apps"])
        pending = await detector.changes()
    assert [writer.name for writer in pending] == [], (
        "models changed without a migration: run `fithub makemigrations --name <what>`"
    )
