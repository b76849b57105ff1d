"""Every table is either exported and erased, or deliberately excluded: a new table cannot be forgotten."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tortoise.context import TortoiseContext
from tortoise.models import Model

from fithub.core.config import Settings
from fithub.core.db import MODEL_MODULES, tortoise_config
from fithub.core.exercises.models import Exercise
from fithub.core.privacy import inventory

# What the full export must hold (the privacy policy promises these, see docs/privacy.md).
PROMISED_FILES = {
    "users", "auth_sessions", "audit_events", "exercises", "workouts", "workout_exercises",
    "workout_sets", "workout_templates", "template_versions", "workout_plans", "plan_entries",
    "personal_records", "goals", "body_metrics", "trainer_profiles", "coaching_relations",
    "assignments", "domain_events",
}  # fmt: skip
SECRET_COLUMN = re.compile(r"(hash|secret|token|(^|_)key$|^password$)", re.IGNORECASE)
USER_ID_NAME = re.compile(r"(^|_)(user|owner|trainer|client|actor|subject|author|creator|by)_id$")


@asynccontextmanager
async def registry(tmp_path: Path) -> AsyncIterator[dict[str, type[Model]]]:
    """The registered models by table name (no database connection)."""
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(Settings(data_dir=tmp_path)), init_connections=False)
        yield inventory.models()


async def test_every_table_has_a_rule_and_every_rule_a_table(tmp_path: Path) -> None:
    async with registry(tmp_path) as models:
        modules = {model.__module__ for model in models.values()}
        assert modules == set(MODEL_MODULES), "a module in MODEL_MODULES registered no model?"
        missing = sorted(set(models) - set(inventory.TABLES))
        assert not missing, (
            f"tables without a privacy rule: {missing}. Add each to core/privacy/inventory.py "
            "TABLES: exported (and erased), or export=False with the reason."
        )
        stale = sorted(set(inventory.TABLES) - set(models))
        assert not stale, f"privacy rules for tables that no longer exist: {stale}"


async def test_exclusions_say_why_and_the_promised_files_are_exported(tmp_path: Path) -> None:
    async with registry(tmp_path):
        for table, reason in inventory.excluded().items():
            assert len(reason) > 20, f"{table} is excluded from the export without a reason"
        exported = {model._meta.db_table for model, _ in inventory.exported()}
        assert PROMISED_FILES <= exported, sorted(PROMISED_FILES - exported)


async def test_every_table_knows_how_its_rows_belong_to_a_user(tmp_path: Path) -> None:
    async with registry(tmp_path) as models:
        for table, model in models.items():
            rule = inventory.TABLES[table]
            found = inventory.lookups(model)  # raises when the tie is ambiguous or missing
            if rule.erase == "none":
                assert not inventory.user_columns(model), f"{table} holds user ids"
                continue
            assert found, table
            if rule.erase == "anonymise":
                continue  # anonymising clears every user column, wherever it points
            direct = set(inventory.user_columns(model))
            assert direct <= set(found), (
                f"{table}: user columns {sorted(direct - set(found))} are neither exported nor "
                "erased; add them to Table.via"
            )


async def test_integer_columns_named_like_user_ids_are_declared(tmp_path: Path) -> None:
    async with registry(tmp_path) as models:
        for table, model in models.items():
            declared = set(inventory.USER_ID_COLUMNS.get(table, ()))
            assert declared <= set(inventory.integer_columns(model)), table
            allowed = set(inventory.NOT_USER_COLUMNS.get(table, {}))
            for column in inventory.integer_columns(model):
                if USER_ID_NAME.search(column):
                    assert column in declared | allowed, (
                        f"{table}.{column} looks like a user id: list it in USER_ID_COLUMNS "
                        "(exported and erased with the user) or NOT_USER_COLUMNS (with why)"
                    )


async def test_secrets_are_never_exported(tmp_path: Path) -> None:
    async with registry(tmp_path):
        for model, rule in inventory.exported():
            for column in model._meta.fields_db_projection:
                if SECRET_COLUMN.search(column) and column not in rule.omit:
                    raise AssertionError(f"{model._meta.db_table}.{column} would be exported")


async def test_erasure_order_never_breaks_a_reference(tmp_path: Path) -> None:
    async with registry(tmp_path) as models:
        position = {table: i for i, table in enumerate(inventory.TABLES)}
        for table, model in models.items():
            for name, field in inventory.foreign_keys(model):
                parent = field.related_model._meta.db_table
                assert position[table] < position[parent], (
                    f"{table}.{name} refers to {parent}: erase {table} first"
                )
        for table, _, _, referenced in inventory.JSON_REFERENCES:
            assert position[table] < position[referenced], (table, referenced)
        assert list(inventory.TABLES)[-1] == "users"


async def test_keeping_shared_rows_is_only_done_for_exercises(tmp_path: Path) -> None:
    async with registry(tmp_path) as models:
        keep = [t for t, r in inventory.TABLES.items() if r.erase == "delete_unshared"]
        assert [models[t] for t in keep] == [Exercise]
