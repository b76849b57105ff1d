"""Typo-tolerant ranking of exercises by name and aliases: pure functions, the same on every database.

A query is compared with each name and alias of a candidate, normalised (lower case, accents and
punctuation gone). The best comparison puts the candidate in a tier:

0. exact: the whole name or alias ("rdl" finds Romanian Deadlift by its alias);
1. prefix: the name or alias starts with the query ("dead" suggests Deadlift);
2. word prefix: each query word starts a different word ("bench" finds Incline Bench Press);
3. fuzzy: Damerau-Levenshtein similarity of the whole text or word by word, above a cut-off
   ("sqaut" finds Squat).

Lower tiers come first. Within a tier the score (how much of the name the query covers, or how
similar it is) plus a small boost for popular catalog entries decides, then the shorter name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

from rapidfuzz.distance import DamerauLevenshtein

FUZZY_CUTOFF = 0.7
"""Least similarity (0 to 1) a fuzzy match needs: one typo in five letters passes, two do not."""
MIN_FUZZY_LENGTH = 4
"""Shorter queries match by prefix only: with three letters every typo is a different word."""
NAME_BONUS = 0.01
"""Ties between a name and an alias go to the name."""
SEARCH_TEXT_LENGTH = 600
"""The size of ``Exercise.search_text``."""

_SEPARATORS = re.compile(r"[\W_]+")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc`")


class Tier(IntEnum):
    EXACT = 0
    PREFIX = 1
    WORD_PREFIX = 2
    FUZZY = 3


POPULARITY_WEIGHT = {Tier.EXACT: 0.1, Tier.PREFIX: 0.1, Tier.WORD_PREFIX: 0.1, Tier.FUZZY: 0.02}
"""Score added per popularity point (0-3): decisive among prefixes, a tie-break among typos."""


def normalise(text: str) -> str:
    """Lower case, accents stripped, apostrophes dropped, other punctuation as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = _SEPARATORS.split(plain.casefold().translate(_APOSTROPHES))
    return " ".join(word for word in words if word)


def slugify(text: str) -> str:
    """``"Farmer's Walk"`` -> ``"farmers-walk"``."""
    return normalise(text).replace(" ", "-")


def search_text(name: str, aliases: Sequence[str]) -> str:
    """The stored search column: the normalised name and aliases, each also without spaces."""
    pieces: list[str] = []
    for term in (name, *aliases):
        text = normalise(term)
        for piece in (text, text.replace(" ", "")):
            if piece and piece not in pieces:
                pieces.append(piece)
    joined = " ".join(pieces)
    if len(joined) > SEARCH_TEXT_LENGTH:
        joined = joined[: SEARCH_TEXT_LENGTH + 1].rsplit(" ", 1)[0]
    return joined


@dataclass(frozen=True)
class Candidate:
    """What the ranker needs to know about an exercise."""

    id: int
    name: str
    aliases: tuple[str, ...] = ()
    popularity: int = 0


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    tier: Tier
    score: float
    matched: str
    """The name or alias that matched best, as stored."""


@dataclass(frozen=True)
class _Text:
    text: str
    compact: str
    words: tuple[str, ...]

    @classmethod
    def of(cls, raw: str) -> _Text:
        text = normalise(raw)
        return cls(text, text.replace(" ", ""), tuple(text.split()))


def _word_prefix_cover(query: _Text, term: _Text) -> float | None:
    """If every query word starts a distinct word of ``term``: the share of its letters typed."""
    free = list(term.words)
    typed = 0
    for word in sorted(query.words, key=len, reverse=True):
        for i, candidate in enumerate(free):
            if candidate.startswith(word):
                typed += len(word)
                del free[i]
                break
        else:
            return None
    return typed / len(term.compact)


def _word_similarity(query: _Text, term: _Text) -> float:
    """Each query word against its closest word of ``term``, weighted by length, then scaled
    down a little for the words of ``term`` the query left unmatched."""
    total = 0.0
    matched: set[int] = set()
    for word in query.words:
        best, best_at = 0.0, -1
        for i, candidate in enumerate(term.words):
            if len(word) >= 3 and candidate.startswith(word):
                similarity = 1.0
            else:
                similarity = DamerauLevenshtein.normalized_similarity(word, candidate)
            if similarity > best:
                best, best_at = similarity, i
        total += best * len(word)
        if best >= FUZZY_CUTOFF:
            matched.add(best_at)
    mean = total / len(query.compact)
    return mean * (0.85 + 0.15 * len(matched) / len(term.words))


def _similarity(query: _Text, term: _Text) -> float:
    whole = max(
        DamerauLevenshtein.normalized_similarity(query.text, term.text),
        DamerauLevenshtein.normalized_similarity(query.compact, term.compact),
    )
    return max(whole, _word_similarity(query, term))


def _compare(query: _Text, term: _Text, *, fuzzy: bool) -> tuple[Tier, float] | None:
    if term.text == query.text or term.compact == query.compact:
        return Tier.EXACT, 1.0
    if term.text.startswith(query.text) or term.compact.startswith(query.compact):
        return Tier.PREFIX, len(query.compact) / len(term.compact)
    cover = _word_prefix_cover(query, term)
    if cover is not None:
        return Tier.WORD_PREFIX, cover
    if fuzzy and len(query.compact) >= MIN_FUZZY_LENGTH:
        similarity = _similarity(query, term)
        if similarity >= FUZZY_CUTOFF:
            return Tier.FUZZY, similarity
    return None


def match(query: str, candidate: Candidate, *, fuzzy: bool = True) -> Match | None:
    """How ``candidate`` matches ``query`` at best, or None when it does not."""
    parsed = _Text.of(query)
    return _match(parsed, candidate, fuzzy=fuzzy) if parsed.text else None


def _match(query: _Text, candidate: Candidate, *, fuzzy: bool) -> Match | None:
    best: Match | None = None
    for index, raw in enumerate((candidate.name, *candidate.aliases)):
        term = _Text.of(raw)
        if not term.text:
            continue
        found = _compare(query, term, fuzzy=fuzzy)
        if found is None:
            continue
        tier, score = found
        score += NAME_BONUS if index == 0 else 0.0
        if best is None or (tier, -score) < (best.tier, -best.score):
            best = Match(candidate, tier, score, raw)
    return best


def _order(found: Match) -> tuple[int, float, int, str, int]:
    boost = POPULARITY_WEIGHT[found.tier] * found.candidate.popularity
    name = found.candidate.name
    return (
        found.tier,
        -round(found.score + boost, 9),
        len(name),
        normalise(name),
        found.candidate.id,
    )


def rank(query: str, candidates: Iterable[Candidate], *, fuzzy: bool = True) -> list[Match]:
    """The candidates that match ``query``, best first; ``fuzzy=False`` keeps prefix matches only.

    Deterministic: equal scores fall back to the shorter name, then the name, then the id.
    """
    parsed = _Text.of(query)
    if not parsed.text:
        return []
    found = [m for c in candidates if (m := _match(parsed, c, fuzzy=fuzzy)) is not None]
    found.sort(key=_order)
    return found
