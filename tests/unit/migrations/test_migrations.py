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


def test_no_migration_text_holds_a_semicolon() -> None:
    """Tortoise's SQLite schema editor splits a migration's SQL on ``;``: a description (from a
    field's ``description`` or a model's docstring) holding one breaks ``fithub migrate``."""
    import ast
    from pathlib import Path

    folder = Path(__file__).resolve().parents[3] / "migrations"
    offenders = [
        f"{path.name}: {node.value[:60]!r}"
        for path in sorted(folder.glob("0*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and ";" in node.value
    ]
    assert not offenders, offenders
