"""A freshly migrated SQLite database has every unique constraint and index the models declare.

Tortoise rebuilds a SQLite table to alter a column, and the rebuild drops the table's indexes:
an upsert's ``ON CONFLICT`` then fails and reads scan whole tables. Migration 0007 puts them back.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from fithub.core.db import MODEL_MODULES


def _indexed_columns(db: Path) -> dict[str, list[tuple[tuple[str, ...], bool]]]:
    found: dict[str, list[tuple[tuple[str, ...], bool]]] = {}
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for _, name, unique, *_ in conn.execute(f'PRAGMA index_list("{table}")'):
                columns = tuple(r[2] for r in conn.execute(f'PRAGMA index_info("{name}")'))
                found.setdefault(table, []).append((columns, bool(unique)))
    return found


def test_every_declared_index_exists_after_migrating(tmp_path: Path) -> None:
    migrate = [sys.executable, "-m", "fithub.core.cli", "migrate"]
    env = {"FITHUB_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(migrate, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    indexes = _indexed_columns(tmp_path / "fithub.sqlite3")
    from importlib import import_module

    from tortoise.models import Model

    missing = []
    for module_name in MODEL_MODULES:
        module = import_module(module_name)
        for model in vars(module).values():
            if not (isinstance(model, type) and issubclass(model, Model)) or model._meta.abstract:
                continue
            meta = model._meta
            if meta.db_table not in indexes and not (meta.unique_together or meta.indexes):
                continue
            have = indexes.get(meta.db_table, [])
            for fields in meta.unique_together:
                columns = {meta.fields_map[f].source_field or f for f in fields}
                if not any(set(cols) == columns and unique for cols, unique in have):
                    missing.append(f"{meta.db_table}: unique {sorted(columns)}")
            for index in meta.indexes:
                names = getattr(index, "fields", index)
                columns = {meta.fields_map[f].source_field or f if f in meta.fields_map else f
                           for f in names}  # fmt: skip
                if not any(set(cols) == columns for cols, _ in have):
                    missing.append(f"{meta.db_table}: index {sorted(columns)}")
    assert not missing, missing
