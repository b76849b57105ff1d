"""Personal data rights: the workouts CSV, the full export, and erasing an account (docs/privacy.md)."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from tempfile import SpooledTemporaryFile
from typing import TYPE_CHECKING, Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from fithub.core import sql
from fithub.core.accounts.models import User
from fithub.core.audit import services as audit
from fithub.core.context import ClientInfo
from fithub.core.devices.connections import revoke_all
from fithub.core.errors import Conflict, NotFound, RateLimited
from fithub.core.exercises.models import Exercise, Visibility
from fithub.core.media import services as media
from fithub.core.privacy import exports, inventory
from fithub.core.ratelimit import Limiter

if TYPE_CHECKING:
    from fithub.core.accounts.services import AccountService
    from fithub.core.devices.gateway import ProviderGateway

EXPORTS_PER_WINDOW = 3
EXPORT_WINDOW_S = 3600
SPOOL_BYTES = 8 * 1024 * 1024  # a larger archive spills from memory to a temporary file
CHUNK_BYTES = 64 * 1024
ID_CHUNK = 500  # ids per IN (...) list, well under every driver's parameter limit
RETIRED_OWNER_EMAIL = "deleted-user@fithub.invalid"  # registration refuses .invalid addresses
REDACTED = "[deleted]"

T = TypeVar("T")


# -- exports ------------------------------------------------------------------------------------


@dataclass
class Archive:
    """A finished full export: the zip in a spooled temporary file, its size, rows per member."""

    file: SpooledTemporaryFile[bytes]
    size: int
    counts: dict[str, int]

    async def chunks(self) -> AsyncIterator[bytes]:
        """The zip in pieces; the file is closed at the end or when the client goes away."""
        try:
            while chunk := self.file.read(CHUNK_BYTES):
                yield chunk
        finally:
            self.file.close()


async def workouts_csv(
    user: User, client: ClientInfo, start: datetime | None, end: datetime | None
) -> AsyncIterator[bytes]:
    """Audit the export and return the CSV body (streamed: it reads the database as it is sent)."""
    await audit.record(
        "privacy.exported",
        client,
        subject_id=user.id,
        target_type="user",
        target_id=user.id,
        details={"format": "csv", "from": _iso(start), "to": _iso(end)},
    )
    return exports.workout_csv(user.id, user.unit_system, start, end)


async def full_export(user: User, client: ClientInfo, limiter: Limiter) -> Archive:
    """Build the zip of everything stored about ``user``; RateLimited beyond 3 an hour."""
    # With the creation time, so a reused id (another database, same Redis) is a new key.
    key = f"privacy:export:{user.id}:{int(user.created_at.timestamp() * 1e6)}"
    wait = await limiter.retry_after(key, EXPORTS_PER_WINDOW, EXPORT_WINDOW_S)
    if wait is not None:
        raise RateLimited(
            wait, f"At most {EXPORTS_PER_WINDOW} full exports an hour; try again in {wait} s."
        )
    await limiter.hit(key, EXPORT_WINDOW_S)
    spool: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        counts = await exports.write_archive(user, spool)
        size = spool.seek(0, os.SEEK_END)
        spool.seek(0)
        await audit.record(
            "privacy.exported",
            client,
            subject_id=user.id,
            target_type="user",
            target_id=user.id,
            details={"format": "zip", "rows": sum(counts.values())},
        )
    except BaseException:
        spool.close()
        raise
    return Archive(spool, size, counts)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# -- erasure ------------------------------------------------------------------------------------


async def delete_account(
    accounts: AccountService,
    gateway: ProviderGateway,
    user: User,
    client: ClientInfo,
    *,
    password: str,
) -> None:
    """Erase the account and all its data once ``password`` is checked (AuthRequired if wrong).

    The user's vendor grants are revoked first (best effort), then every row goes
    (:func:`erase_user`), then the stored media files those rows named.
    """
    await accounts.check_password(user, password)
    await revoke_all(gateway, user)
    files = await media.stored_keys(user.id)
    await erase_user(user.id, client)
    await media.delete_stored(accounts.settings, files)


async def erase_user(user_id: int, client: ClientInfo) -> dict[str, int]:
    """Remove or anonymise all of one account's data in one transaction; return rows per table.

    Called by :func:`delete_account` once the password is checked. Every table follows
    its rule in ``inventory.TABLES``: the user's rows are deleted in an order that never breaks a
    foreign key; audit events keep no link to the account; exercises other users' data refers to
    are kept under a placeholder owner. ``client`` is deliberately not recorded: the one audit
    event left, ``user.deleted``, carries no personal data.
    """
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("No such account.")
    if user.email == RETIRED_OWNER_EMAIL:
        raise Conflict("The owner of kept exercises cannot be deleted.", code="retired_owner")
    counts: dict[str, int] = {}
    async with in_transaction() as conn:
        # Lock the account row: on PostgreSQL, concurrent writes referring to it wait for us.
        await User.filter(id=user.id).using_db(conn).select_for_update().first()
        order = inventory.erase_order()
        for model, rule in order:
            if rule.erase == "delete_unshared":
                counts[f"{model._meta.db_table} kept"] = await _retire_shared(conn, model, user)
        for model, rule in order:
            table = model._meta.db_table
            if rule.erase == "none":
                continue
            if rule.erase == "anonymise":
                counts[table] = await _anonymise(conn, model, rule, user.id)
            else:
                mine = inventory.owned_filter(model, user.id, user.email)
                counts[table] = await model.filter(mine).using_db(conn).delete()
        for (table, column), keys in inventory.JSON_MENTIONS.items():
            counts[f"{table} redacted"] = await _redact_mentions(conn, table, column, keys, user)
        await audit.record(
            "user.deleted", ClientInfo(), subject_id=None, target_type="user", target_id=user.id
        )
    return counts


def _chunks(values: Sequence[T], size: int = ID_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def _anonymise(
    conn: BaseDBAsyncClient, model: type[Model], rule: inventory.Table, user_id: int
) -> int:
    """Null every user column equal to ``user_id``, and empty the rule's ``strip`` columns."""
    fields_map = model._meta.fields_map
    cleared: dict[str, Any] = {}
    for column in rule.strip:
        default = fields_map[column].default
        cleared[column] = (
            None if fields_map[column].null else default() if callable(default) else default
        )
    touched = 0
    for column in inventory.user_columns(model):
        touched += await (
            model.filter(**{column: user_id}).using_db(conn).update(**{column: None}, **cleared)
        )
    return touched


async def _retired_owner(conn: BaseDBAsyncClient) -> User:
    """The inactive account that owns exercises kept after their author left (made once)."""
    owner = await User.filter(email=RETIRED_OWNER_EMAIL).using_db(conn).first()
    if owner is None:
        return await User.create(
            email=RETIRED_OWNER_EMAIL,
            password_hash="!",  # not an argon2 hash: no password matches it
            display_name="Deleted user",
            is_active=False,
            using_db=conn,
        )
    if owner.is_active or owner.password_hash != "!":
        raise Conflict(f"{RETIRED_OWNER_EMAIL} is a real account; cannot keep exercises under it.")
    return owner


async def _retire_shared(conn: BaseDBAsyncClient, model: type[Model], user: User) -> int:
    """Hand the user's exercises that others' rows refer to over to the placeholder owner.

    They become private (nobody new can pick them) and lose a slug that might name their author;
    other users' workouts, records, goals and templates keep reading them. Returns how many.
    """
    if model is not Exercise:
        raise NotImplementedError(f"delete_unshared is implemented for exercises, not {model}")
    # Locked, so on PostgreSQL nobody adds a reference to one of them until we are done.
    owned = await Exercise.filter(owner_id=user.id).using_db(conn).select_for_update()
    used = sorted(await _referenced_by_others(conn, model, {e.id for e in owned}, user))
    if not used:
        return 0
    heir = await _retired_owner(conn)
    for chunk in _chunks(used):
        await (
            Exercise.filter(id__in=chunk)
            .using_db(conn)
            .update(owner_id=heir.id, visibility=Visibility.PRIVATE)
        )
    for exercise_id in used:
        await Exercise.filter(id=exercise_id).using_db(conn).update(slug=f"~deleted-{exercise_id}")
    return len(used)


async def _referenced_by_others(
    conn: BaseDBAsyncClient, target: type[Model], ids: set[int], user: User
) -> set[int]:
    """Which of ``ids`` (rows of ``target``) rows not belonging to ``user`` refer to."""
    used: set[int] = set()
    if not ids:
        return used
    registered = inventory.models()
    for model in registered.values():
        for _, field in inventory.foreign_keys(model):
            if field.related_model is not target or field.source_field is None:
                continue
            source, pk = field.source_field, model._meta.pk_attr
            mine_q = inventory.owned_filter(model, user.id, user.email)
            for chunk in _chunks(sorted(ids)):
                refs = model.filter(**{f"{source}__in": chunk}).using_db(conn)
                mine = set(await refs.filter(mine_q).values_list(pk, flat=True))
                for row_pk, ref in await refs.values_list(pk, source):
                    if row_pk not in mine:
                        used.add(int(ref))
    for table, column, key, referenced in inventory.JSON_REFERENCES:
        if referenced == target._meta.db_table:
            used |= await _json_references(conn, registered[table], column, key, ids, user)
    return used


async def _json_references(
    conn: BaseDBAsyncClient, model: type[Model], column: str, key: str, ids: set[int], user: User
) -> set[int]:
    """Ids among ``ids`` found under ``key`` in ``column`` of rows not belonging to ``user``."""
    pk = model._meta.pk_attr
    query = model.all().using_db(conn)
    mine = set(
        await query.filter(inventory.owned_filter(model, user.id, user.email)).values_list(
            pk, flat=True
        )
    )
    found: set[int] = set()
    last: Any = None
    while True:
        page = query if last is None else query.filter(**{f"{pk}__gt": last})
        rows = await page.order_by(pk).limit(ID_CHUNK).values_list(pk, column)
        for row_pk, value in rows:
            if row_pk not in mine:
                found |= _ids_under(value, key) & ids
        if len(rows) < ID_CHUNK:
            return found
        last = rows[-1][0]


def _ids_under(value: Any, key: str) -> set[int]:
    """Every integer stored under ``key`` anywhere in a JSON value."""
    if isinstance(value, list):
        return set().union(*(_ids_under(item, key) for item in value))
    if isinstance(value, dict):
        found = {value[key]} if isinstance(value.get(key), int) else set()
        return found.union(*(_ids_under(item, key) for item in value.values()))
    return set()


async def _redact_mentions(
    conn: BaseDBAsyncClient, table: str, column: str, keys: tuple[str, ...], user: User
) -> int:
    """Redact the user's e-mail address and id (under ``keys``) in the JSON ``column``; rows changed.

    A text search finds the candidate rows; the exact check is done here, on the decoded JSON.
    """
    model = inventory.models()[table]
    pk = model._meta.pk_attr
    params = sql.Params(conn)
    text = f'CAST("{column}" AS TEXT)'

    def contains(pattern: str, lower: bool = False) -> str:
        return f"{f'LOWER({text})' if lower else text} LIKE {params(_like(pattern))} ESCAPE '\\'"

    names_key = " OR ".join(contains(f'"{key}"') for key in keys)
    found = await conn.execute_query_dict(
        f'SELECT "{pk}" AS pk FROM "{table}" WHERE {contains(user.email.lower(), lower=True)} '
        f"OR ({contains(str(user.id))} AND ({names_key}))",
        params.values,
    )
    matcher = re.compile(re.escape(user.email), re.IGNORECASE)
    changed = 0
    for chunk in _chunks([row["pk"] for row in found]):
        rows = await model.filter(**{f"{pk}__in": chunk}).using_db(conn).values_list(pk, column)
        for row_pk, value in rows:
            cleaned = _redact(value, matcher, keys, user.id)
            if cleaned != value:
                await model.filter(**{pk: row_pk}).using_db(conn).update(**{column: cleaned})
                changed += 1
    return changed


def _like(text: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching ``text`` anywhere."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


def _redact(value: Any, matcher: re.Pattern[str], keys: tuple[str, ...], user_id: int) -> Any:
    if isinstance(value, str):
        return matcher.sub(REDACTED, value)
    if isinstance(value, list):
        return [_redact(item, matcher, keys, user_id) for item in value]
    if isinstance(value, dict):
        return {
            _redact(k, matcher, keys, user_id): (
                None
                if k in keys and v == user_id and not isinstance(v, bool)
                else _redact(v, matcher, keys, user_id)
            )
            for k, v in value.items()
        }
    return value
