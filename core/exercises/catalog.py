"""The public exercise catalog shipped as ``catalog.json``, and its upsert after each migration."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from tortoise import connections
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from fithub.core.exercises.models import Exercise, ExerciseMuscle, ExerciseType, Visibility
from fithub.core.exercises.search import search_text
from fithub.core.exercises.vocabulary import Equipment, Muscle

log = logging.getLogger("fithub.exercises")

CATALOG_FILE = "catalog.json"
TRIGRAM_INDEX = "exercises_search_text_trgm"


class CatalogEntry(BaseModel):
    """One exercise of the shipped catalog (the file is checked against this on load)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=120)
    name: str = Field(min_length=2, max_length=80)
    aliases: tuple[str, ...] = ()
    type: ExerciseType
    primary_muscles: tuple[Muscle, ...] = Field(min_length=1)
    secondary_muscles: tuple[Muscle, ...] = ()
    equipment: Equipment
    instructions: str
    popularity: int = Field(0, ge=0, le=3, description="0-3; boosts common lifts among prefixes")

    def row(self) -> dict[str, Any]:
        """The Exercise columns this entry sets (all but slug and owner)."""
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "type": self.type,
            "primary_muscles": [m.value for m in self.primary_muscles],
            "secondary_muscles": [m.value for m in self.secondary_muscles],
            "equipment": self.equipment.value,
            "instructions": self.instructions,
            "search_text": search_text(self.name, self.aliases),
            "visibility": Visibility.PUBLIC,
        }


@cache
def load_catalog() -> tuple[CatalogEntry, ...]:
    """The shipped catalog, parsed and checked once per process."""
    raw = resources.files("fithub.core.exercises").joinpath(CATALOG_FILE).read_text("utf-8")
    return tuple(CatalogEntry.model_validate(item) for item in json.loads(raw)["exercises"])


@cache
def popularity() -> dict[str, int]:
    """Catalog slug -> popularity (0-3); custom exercises have none."""
    return {entry.slug: entry.popularity for entry in load_catalog() if entry.popularity}


def muscle_rows(
    exercise_id: int, primary: list[str], secondary: list[str]
) -> set[tuple[int, str, bool]]:
    """The ExerciseMuscle rows (exercise id, muscle, is primary) an exercise should have."""
    rows = {(exercise_id, muscle, True) for muscle in primary}
    return rows | {(exercise_id, m, False) for m in secondary if m not in primary}


async def sync_catalog() -> int:
    """Upsert the shipped catalog by slug (owner null, public), with muscles and search text.

    Idempotent: a second run changes nothing. Entries since removed from the file are kept, as
    logged workouts may point at them. Returns how many exercises were created or changed.
    """
    entries = load_catalog()
    written = 0
    async with in_transaction():
        existing = {e.slug: e for e in await Exercise.filter(slug__in=[e.slug for e in entries])}
        have: dict[int, set[tuple[int, str, bool]]] = {}
        stored = await ExerciseMuscle.filter(exercise_id__in=[e.id for e in existing.values()])
        for muscle in stored:
            key = (muscle.exercise_id, muscle.muscle, muscle.is_primary)
            have.setdefault(key[0], set()).add(key)
        create: list[ExerciseMuscle] = []
        for entry in entries:
            fields = entry.row()
            exercise = existing.get(entry.slug)
            if exercise is None:
                exercise = await Exercise.create(slug=entry.slug, owner_id=None, **fields)
                written += 1
            elif exercise.owner_id is not None:
                raise RuntimeError(f"catalog slug {entry.slug!r} is taken by a custom exercise")
            elif any(getattr(exercise, name) != value for name, value in fields.items()):
                await exercise.update_from_dict(fields).save()
                written += 1
            wanted = muscle_rows(
                exercise.id, fields["primary_muscles"], fields["secondary_muscles"]
            )
            if have.get(exercise.id, set()) != wanted:
                await ExerciseMuscle.filter(exercise_id=exercise.id).delete()
                create += [
                    ExerciseMuscle(exercise_id=eid, muscle=name, is_primary=primary)
                    for eid, name, primary in sorted(wanted)
                ]
        if create:
            await ExerciseMuscle.bulk_create(create)
    return written


async def prepare_search_index() -> bool | None:
    """On PostgreSQL, make sure pg_trgm and the trigram index on ``exercises.search_text`` exist.

    Returns None on other databases, False when the extension cannot be created (search then
    ranks every visible exercise, as on SQLite), True when the index is ready.
    """
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        return None
    try:
        await conn.execute_script("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except OperationalError as exc:
        log.warning(
            "cannot create the pg_trgm extension (%s); ask an administrator to run "
            "CREATE EXTENSION pg_trgm in this database. Search works without it, unindexed.",
            exc,
        )
        return False
    await conn.execute_script(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON exercises "
        "USING gin (search_text gin_trgm_ops)"
    )
    return True


@dataclass(frozen=True)
class CatalogReport:
    written: int
    total: int
    trigram_index: bool | None

    def summary(self) -> str:
        line = f"exercise catalog: {self.total} exercises, {self.written} added or changed"
        if self.trigram_index is False:
            line += "; pg_trgm unavailable, search is unindexed"
        return line


async def after_migrate() -> CatalogReport:
    """Run by ``fithub migrate`` once migrations are applied: search index, then the catalog."""
    index = await prepare_search_index()
    written = await sync_catalog()
    return CatalogReport(written=written, total=len(load_catalog()), trigram_index=index)
