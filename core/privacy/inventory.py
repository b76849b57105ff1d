"""Which tables hold a user's data, how each row is tied to the user, and what export and erasure do.

``TABLES`` names every table of every model in ``MODEL_MODULES`` (a unit test fails when one is
missing). How a row belongs to a user is found by walking the registered Tortoise models: a foreign
key to ``User``, a plain integer column listed in ``USER_ID_COLUMNS``, or else the one cascading
foreign key to a parent that belongs to the user. A table whose tie is ambiguous says so with ``via``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any, Literal

from tortoise import Tortoise, fields
from tortoise.exceptions import ConfigurationError
from tortoise.expressions import Q
from tortoise.fields import BigIntField, IntField, SmallIntField
from tortoise.fields.relational import ForeignKeyFieldInstance
from tortoise.models import Model

from fithub.core.accounts.models import User

Erase = Literal["delete", "anonymise", "delete_unshared", "none"]


@dataclass(frozen=True)
class Table:
    """The privacy rule of one table.

    export: whether the full export holds a file for it; ``reason`` says why not (required then).
    via: lookups tying a row to the user, when the walk over the models would guess wrong.
    email_via: lookups compared with the user's e-mail address (e.g. invitations sent to it).
    omit: columns never exported (secrets).
    strip: columns emptied when rows are anonymised (where and how the user connected).
    erase: ``delete`` the user's rows; ``anonymise`` keeps them without personal data;
    ``delete_unshared`` deletes them unless other users' data refers to them (then they are kept
    without an owner, see docs/privacy.md); ``none``: the table holds nobody's data.
    """

    export: bool = True
    reason: str = ""
    via: tuple[str, ...] = ()
    email_via: tuple[str, ...] = ()
    omit: tuple[str, ...] = ()
    strip: tuple[str, ...] = ()
    erase: Erase = "delete"


# Integer columns that hold a user id without a foreign key (copied for speed, or history).
USER_ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "workout_sets": ("user_id",),
    "domain_events": ("user_id",),
    "assignments": ("trainer_id", "client_id"),
    "coaching_relations": ("ended_by_id",),
}

# Integer columns whose names look like user ids but are not (none today), with the reason.
NOT_USER_COLUMNS: dict[str, dict[str, str]] = {}

# Ids kept inside JSON columns, which foreign keys cannot see: (table, column, key, referenced table).
JSON_REFERENCES: tuple[tuple[str, str, str, str], ...] = (
    ("template_versions", "items", "exercise_id", "exercises"),
)

# JSON columns of other users' rows that may quote the user: after erasure the e-mail address is
# redacted wherever it appears in them, and the user's id under one of the keys becomes null.
JSON_MENTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("audit_events", "details"): ("client_id", "trainer_id", "user_id"),
    ("domain_events", "payload"): ("client_id", "trainer_id", "user_id"),
}

# In erasure order: a table comes before every table it refers to (foreign keys, and the exercise
# ids inside template_versions.items), so the user's rows go before the rows they point at.
TABLES: dict[str, Table] = {
    # Notifications (docs/notifications.md): the inbox, its deliveries and their attempts.
    "notification_delivery_attempts": Table(),
    # which worker sent it is infrastructure; the idempotency key means nothing to the user
    "notification_deliveries": Table(omit=("worker", "idempotency_key")),
    # sealed links (a password reset) are secrets; the dedup key means nothing to the user
    "notifications": Table(omit=("sealed_context", "dedup_key")),
    "webhook_endpoints": Table(omit=("secrets",)),  # sealed signing secrets
    "notification_preferences": Table(),
    "notification_settings": Table(omit=("unsubscribe_token",)),
    "push_tokens": Table(omit=("token", "token_digest")),  # credentials of the device
    "reminders": Table(),
    "event_consumers": Table(
        export=False,
        reason="each background consumer's position in the event log: nobody's data",
        erase="none",
    ),
    "account_tokens": Table(
        export=False,
        reason="hashes of single-use links mailed to you (verify, reset), expiring within a day",
    ),
    "refresh_tokens": Table(
        export=False,
        reason="only SHA-256 hashes of refresh tokens: secrets, nothing about you; "
        "the sessions they belong to are exported",
    ),
    "auth_sessions": Table(),
    "workout_sets": Table(),
    "personal_records": Table(),
    "workout_exercises": Table(),
    "workouts": Table(),
    "plan_entries": Table(via=("plan__owner_id",)),  # not template__: others' plans use yours
    "workout_plans": Table(),
    "assignments": Table(),
    "coaching_relations": Table(email_via=("invite_email",)),
    "trainer_profiles": Table(),
    "goals": Table(),
    # Nutrition (docs/api.md): the diary, recipes, saved meals, favourites and targets.
    "favourite_foods": Table(),
    "saved_meal_items": Table(via=("meal__user_id",)),  # not food__/recipe__: the meal says whose
    "saved_meals": Table(),
    "diary_entries": Table(),
    "recipe_items": Table(),
    "recipes": Table(),
    # Only custom foods (owner_id set) are the user's; foods with no owner are the catalogue fetched
    # from nutrition sources, shared by everyone and nobody's data: never exported, never erased.
    "foods": Table(),
    "nutrition_targets": Table(),
    "body_metrics": Table(),
    # Device data: the normalised records keep the vendor's payload (raw), which is the user's.
    # Pushes matched to one of the user's connections; the dedup digest means nothing to them.
    "device_webhook_events": Table(omit=("dedup_key",)),
    # Uploaded Apple Health exports: the counts of each import. The file itself is deleted once
    # read; its storage key and job token mean nothing to the user.
    "device_imports": Table(omit=("storage_key", "job_token")),
    # which worker process ran a sync (host:pid) is infrastructure, not the user's data
    "device_sync_logs": Table(omit=("worker",)),
    "device_connections": Table(omit=("credentials", "credentials_key_id")),  # sealed tokens
    "device_oauth_states": Table(
        export=False,
        reason="connections being made: a hashed state and a sealed PKCE verifier, gone within "
        "ten minutes; the connections themselves are exported",
    ),
    "device_activities": Table(),
    "device_daily_summaries": Table(),
    "device_samples": Table(),
    "device_sleep_sessions": Table(),
    "device_body_measurements": Table(),
    "device_positions": Table(),
    "telemetry_streams": Table(),
    "telemetry_heart_rate_profiles": Table(),
    "telemetry_alert_rules": Table(),
    "template_versions": Table(),
    "workout_templates": Table(),
    "exercise_muscles": Table(),
    # The clips themselves are not in the export (up to 100 MB each); account deletion removes
    # them from media storage after the rows (privacy.services.delete_account).
    "videos": Table(omit=("storage_key", "job_token", "worker")),
    "exercises": Table(erase="delete_unshared"),
    "domain_events": Table(),
    "audit_events": Table(  # exported: the events about the user; erased: every link to them
        via=("subject_id",),
        erase="anonymise",
        strip=("ip_address", "user_agent", "request_id", "details"),
    ),
    "users": Table(omit=("password_hash",)),
}


def models() -> dict[str, type[Model]]:
    """Every registered model of the ``fithub`` app, by table name."""
    apps = Tortoise.apps
    if apps is None:
        raise ConfigurationError("Tortoise is not initialised")
    return {model._meta.db_table: model for model in apps["fithub"].values()}


def rule(model: type[Model]) -> Table:
    table = model._meta.db_table
    if table not in TABLES:
        raise ConfigurationError(f"table {table} has no privacy rule in core/privacy/inventory.py")
    return TABLES[table]


def foreign_keys(model: type[Model]) -> Iterator[tuple[str, ForeignKeyFieldInstance[Model]]]:
    """``(name, field)`` for each foreign key and one-to-one field of ``model``."""
    meta = model._meta
    for name in sorted(meta.fk_fields | meta.o2o_fields):
        field = meta.fields_map[name]
        assert isinstance(field, ForeignKeyFieldInstance)  # one-to-one fields subclass it
        yield name, field


def user_columns(model: type[Model]) -> list[str]:
    """Columns holding a user id directly: foreign keys to ``User`` and ``USER_ID_COLUMNS``."""
    direct = [field.source_field for _, field in foreign_keys(model) if field.related_model is User]
    extra = USER_ID_COLUMNS.get(model._meta.db_table, ())
    return [c for c in direct if c is not None] + list(extra)


def integer_columns(model: type[Model]) -> list[str]:
    """Plain integer columns (not primary or foreign keys), for the user-id naming check."""
    meta = model._meta
    sources = {field.source_field for _, field in foreign_keys(model)}
    return [
        name
        for name, field in meta.fields_map.items()
        if isinstance(field, (IntField, BigIntField, SmallIntField))
        and not field.pk
        and name not in sources
    ]


def lookups(model: type[Model], depth: int = 0) -> tuple[str, ...]:
    """Field lookups whose value is the user's id for exactly the user's rows of ``model``."""
    if model is User:
        return ("id",)
    if rule(model).erase == "none":
        return ()
    chosen = rule(model).via or tuple(user_columns(model))
    if chosen:
        return chosen
    parents = [
        (name, field.related_model)
        for name, field in foreign_keys(model)
        if field.on_delete == fields.CASCADE
    ]
    if len(parents) != 1 or depth > 3:
        raise ConfigurationError(
            f"{model._meta.db_table}: cannot tell how rows belong to a user; set Table.via"
        )
    name, parent = parents[0]
    return tuple(f"{name}__{lookup}" for lookup in lookups(parent, depth + 1))


def owned_filter(model: type[Model], user_id: int, email: str) -> Q:
    """The rows of ``model`` that belong to the user (by id, or by e-mail where the rule says)."""
    if rule(model).erase == "none":
        return Q(pk__in=[])
    values: list[dict[str, Any]] = [{lookup: user_id} for lookup in lookups(model)]
    values += [{lookup: email} for lookup in rule(model).email_via]
    parts = [Q(**value) for value in values]
    return reduce(or_, parts)


def exported() -> list[tuple[type[Model], Table]]:
    """The models the full export writes, with their rules, in ``TABLES`` order."""
    registered = models()
    return [(registered[t], r) for t, r in TABLES.items() if r.export and t in registered]


def excluded() -> dict[str, str]:
    """Tables left out of the full export, with the reason for each."""
    return {t: r.reason for t, r in TABLES.items() if not r.export}


def erase_order() -> list[tuple[type[Model], Table]]:
    """Every registered model with its rule, in erasure order (referring tables first)."""
    registered = models()
    missing = sorted(set(registered) - set(TABLES))
    if missing:
        raise ConfigurationError(f"tables without a privacy rule: {', '.join(missing)}")
    return [(registered[t], r) for t, r in TABLES.items() if t in registered]
