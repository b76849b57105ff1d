"""Finding exercises: filters in the database, ranking in Python (see docs/adr/0002-exercise-search.md).

On PostgreSQL with pg_trgm, the text narrows the candidates first (trigram word similarity with a
low threshold, or a word prefix), using the GIN index on ``search_text``. Elsewhere every visible
exercise that passes the filters is a candidate. Either way ``search.rank`` orders them, so both
backends answer a query with the same list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise import connections
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from fithub.core.accounts.relations import trainers_of
from fithub.core.exercises.catalog import popularity
from fithub.core.exercises.models import Exercise, ExerciseMuscle, ExerciseType
from fithub.core.exercises.search import Candidate, Match, normalise, rank
from fithub.core.exercises.services import visibility_filter
from fithub.core.exercises.vocabulary import Equipment, Muscle

TRIGRAM_THRESHOLD = 0.15
"""pg_trgm word similarity a candidate needs: low, so that the ranker's cut-off decides."""

_trigrams_ready: dict[str, bool] = {}


@dataclass(frozen=True)
class ExerciseFilters:
    q: str | None = None
    muscle: Muscle | None = None
    primary_only: bool = False
    equipment: Equipment | None = None
    type: ExerciseType | None = None


def _filtered(query: QuerySet[Exercise], filters: ExerciseFilters) -> QuerySet[Exercise]:
    if filters.type is not None:
        query = query.filter(type=filters.type)
    if filters.equipment is not None:
        query = query.filter(equipment=filters.equipment.value)
    if filters.muscle is not None:
        works = ExerciseMuscle.filter(muscle=filters.muscle.value)
        if filters.primary_only:
            works = works.filter(is_primary=True)
        query = query.filter(id__in=Subquery(works.values("exercise_id")))
    return query


def word_prefix_filter(text: str) -> Q:
    """Rows whose search text could rank in a prefix tier for the normalised ``text``:
    every word starts a word of the search text, or the text without spaces appears in it."""
    each_word = Q(
        *(Q(search_text__startswith=w) | Q(search_text__contains=" " + w) for w in text.split()),
        join_type=Q.AND,
    )
    return each_word | Q(search_text__contains=text.replace(" ", ""))


async def _postgres_trigrams() -> bool:
    """True on PostgreSQL when pg_trgm is installed (checked once per process)."""
    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        return False
    if "ready" not in _trigrams_ready:
        rows = await conn.execute_query_dict("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        _trigrams_ready["ready"] = bool(rows)
    return _trigrams_ready["ready"]


async def _trigram_candidates(user_id: int, text: str) -> list[int]:
    """Ids of exercises the user might see whose search text resembles ``text`` (PostgreSQL)."""
    words = text.split()
    values: list[Any] = [
        list({user_id, *await trainers_of(user_id)}),
        text,
        f"%{text.replace(' ', '')}%",
    ]
    prefixes = []
    for word in words:
        values += [f"{word}%", f"% {word}%"]
        n = len(values)
        prefixes.append(f"(search_text LIKE ${n - 1} OR search_text LIKE ${n})")
    sql = (
        "SELECT id FROM exercises"
        " WHERE (owner_id IS NULL OR owner_id = ANY($1::int[]) OR visibility = 'public')"
        f" AND ($2 <% search_text OR search_text LIKE $3 OR ({' AND '.join(prefixes)}))"
    )
    async with in_transaction() as conn:
        await conn.execute_query(
            "SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)",
            [str(TRIGRAM_THRESHOLD)],
        )
        rows = await conn.execute_query_dict(sql, values)
    return [int(row["id"]) for row in rows]


def _candidates(rows: Sequence[tuple[Any, ...]]) -> list[Candidate]:
    boosts = popularity()
    return [
        Candidate(
            id=int(eid), name=name, aliases=tuple(aliases or ()), popularity=boosts.get(slug, 0)
        )
        if owner is None
        else Candidate(id=int(eid), name=name, aliases=tuple(aliases or ()))
        for eid, slug, name, aliases, owner in rows
    ]


async def _ranked(query: QuerySet[Exercise], text: str, *, fuzzy: bool) -> list[Match]:
    fields = ("id", "slug", "name", "aliases", "owner_id")
    rows: list[tuple[Any, ...]] = list(await query.values_list(*fields))
    return rank(text, _candidates(rows), fuzzy=fuzzy)


async def find_exercises(
    user_id: int, filters: ExerciseFilters, *, offset: int, limit: int
) -> tuple[list[Exercise], bool]:
    """One page of the exercises ``user_id`` may use: ranked by ``filters.q`` when given, else by
    name. Returns the page and whether more follow."""
    query = _filtered(Exercise.filter(await visibility_filter(user_id)), filters)
    raw = (filters.q or "").strip()
    if raw:
        text = normalise(raw)
        if not text:
            return [], False
        if await _postgres_trigrams():
            query = query.filter(id__in=await _trigram_candidates(user_id, text))
        ordered = [found.candidate.id for found in await _ranked(query, text, fuzzy=True)]
    else:
        names: list[tuple[Any, ...]] = list(await query.values_list("id", "name"))
        names.sort(key=lambda row: (normalise(row[1]), row[1], row[0]))
        ordered = [int(row[0]) for row in names]
    page_ids = ordered[offset : offset + limit]
    loaded = {e.id: e for e in await Exercise.filter(id__in=page_ids)}
    return [loaded[i] for i in page_ids if i in loaded], len(ordered) > offset + limit


async def suggest_exercises(user_id: int, typed: str, limit: int) -> list[tuple[Exercise, Match]]:
    """Auto-suggest: exercises whose name or alias starts with what was typed (no typo tolerance),
    best first. The database filters on word prefixes of ``search_text`` on every backend."""
    text = normalise(typed)
    if not text:
        return []
    query = Exercise.filter(await visibility_filter(user_id), word_prefix_filter(text))
    found = (await _ranked(query, text, fuzzy=False))[:limit]
    loaded = {e.id: e for e in await Exercise.filter(id__in=[m.candidate.id for m in found])}
    return [(loaded[m.candidate.id], m) for m in found if m.candidate.id in loaded]
