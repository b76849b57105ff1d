"""Exercise search text and slugs; the typo-tolerant ranker itself is :mod:`fithub.plugins.ranking`.

The ranker's names (``Candidate``, ``Match``, ``Tier``, ``match``, ``normalise``, ``rank``) are
re-exported here for the exercise code. An exercise's candidate carries its catalog popularity
(0-3), which decides between prefix matches ("dead" suggests Deadlift before Dead Bug).
"""

from __future__ import annotations

from collections.abc import Sequence

from fithub.plugins.ranking import (
    FUZZY_CUTOFF,
    MIN_FUZZY_LENGTH,
    NAME_BONUS,
    POPULARITY_WEIGHT,
    Candidate,
    Match,
    RankIndex,
    Tier,
    match,
    normalise,
    rank,
)

__all__ = [
    "FUZZY_CUTOFF",
    "MIN_FUZZY_LENGTH",
    "NAME_BONUS",
    "POPULARITY_WEIGHT",
    "SEARCH_TEXT_LENGTH",
    "Candidate",
    "Match",
    "RankIndex",
    "Tier",
    "match",
    "normalise",
    "rank",
    "search_text",
    "slugify",
]

SEARCH_TEXT_LENGTH = 600
"""The size of ``Exercise.search_text``."""


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
