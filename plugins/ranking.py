"""Typo-tolerant ranking of named things (exercises, foods): pure functions over rapidfuzz.

A query is compared with each name and alias of a candidate, normalised (lower case, accents and
punctuation gone). The best comparison puts the candidate in a tier:

0. exact: the whole name or alias ("rdl" finds Romanian Deadlift by its alias);
1. prefix: the name or alias starts with the query ("dead" suggests Deadlift);
2. word prefix: each query word starts a different word ("bench" finds Incline Bench Press);
3. fuzzy: Damerau-Levenshtein similarity of the whole text or word by word, above a cut-off
   ("sqaut" finds Squat, "chiken breast" finds "Chicken, broilers or fryers, breast, ...").

Lower tiers come first. Within a tier the score (how much of the name the query covers, or how
similar it is) plus a small boost for popular candidates decides, then the shorter name.

:func:`rank` normalises every candidate on each call; :class:`RankIndex` normalises a fixed set
once and ranks many queries against it (a food table of a thousand rows in a few milliseconds).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

FUZZY_CUTOFF = 0.7
"""Least similarity (0 to 1) a fuzzy match needs: one typo in five letters passes, two do not."""
MIN_FUZZY_LENGTH = 4
"""Shorter queries match by prefix only: with three letters every typo is a different word."""
NAME_BONUS = 0.01
"""Ties between a name and an alias go to the name."""

_SEPARATORS = re.compile(r"[\W_]+")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc`")


class Tier(IntEnum):
    """How a candidate matched, best first."""

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


@dataclass(frozen=True)
class Candidate:
    """What the ranker needs to know about a thing: the caller's integer key (a database id, a
    row index: the last tie-break), its name, other names, and a popularity of 0-3."""

    id: int
    name: str
    aliases: tuple[str, ...] = ()
    popularity: int = 0


@dataclass(frozen=True)
class Match:
    """A candidate that matched a query, with its tier and score."""

    candidate: Candidate
    tier: Tier
    score: float
    matched: str
    """The name or alias that matched best, as given."""


@dataclass(frozen=True)
class _Text:
    text: str
    compact: str
    words: tuple[str, ...]

    @classmethod
    def of(cls, raw: str) -> _Text:
        text = normalise(raw)
        return cls(text, text.replace(" ", ""), tuple(text.split()))


@dataclass(frozen=True)
class _Prepared:
    """A candidate with its names normalised once (empty ones left out) and its sort name."""

    candidate: Candidate
    terms: tuple[tuple[int, str, _Text], ...]
    sort_name: str

    @classmethod
    def of(cls, candidate: Candidate) -> _Prepared:
        raws = (candidate.name, *candidate.aliases)
        parsed = ((index, raw, _Text.of(raw)) for index, raw in enumerate(raws))
        terms = tuple(term for term in parsed if term[2].text)
        return cls(candidate, terms, normalise(candidate.name))


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


class _Scores:
    """Damerau-Levenshtein similarities for one query, each pair of words computed once."""

    def __init__(self, query: _Text) -> None:
        self.query = query
        self._words: dict[tuple[str, str], float] = {}

    def word(self, word: str, other: str) -> float:
        key = (word, other)
        found = self._words.get(key)
        if found is None:
            found = self._words[key] = DamerauLevenshtein.normalized_similarity(word, other)
        return found

    def whole(self, term: _Text) -> float:
        """The query's similarity to ``term`` as a whole, with or without spaces."""
        return max(
            DamerauLevenshtein.normalized_similarity(self.query.text, term.text),
            DamerauLevenshtein.normalized_similarity(self.query.compact, term.compact),
        )

    def may_match_words(self, term: _Text) -> bool:
        """False only when no word of ``term`` is close to a query word: the word similarity, a
        length-weighted mean of values under the cut-off, then stays under it too."""
        return True


class _IndexScores(_Scores):
    """The query's similarities to every text and word of an index, one vectorised rapidfuzz
    ``cdist`` call each. Whole-text similarities under the cut-off are left at 0: they never
    decide (a fuzzy score is the larger of the whole and the word similarity, kept only above
    the cut-off)."""

    def __init__(self, query: _Text, index: RankIndex) -> None:
        super().__init__(query)
        self.texts = _similar(query.text, index.texts, FUZZY_CUTOFF)
        self.compacts = _similar(query.compact, index.compacts, FUZZY_CUTOFF)
        self.close: set[str] = set()
        for word in set(query.words):
            for other, similarity in _similar(word, index.vocabulary, 0.0).items():
                self._words[word, other] = similarity
                if similarity >= FUZZY_CUTOFF or (len(word) >= 3 and other.startswith(word)):
                    self.close.add(other)

    def whole(self, term: _Text) -> float:
        return max(self.texts.get(term.text, 0.0), self.compacts.get(term.compact, 0.0))

    def may_match_words(self, term: _Text) -> bool:
        return not self.close.isdisjoint(term.words)


def _similar(text: str, choices: Sequence[str], cutoff: float) -> dict[str, float]:
    """``text``'s similarity to each choice that reaches ``cutoff`` (one C call for all)."""
    if not choices:
        return {}
    found = process.cdist(
        [text],
        choices,
        scorer=DamerauLevenshtein.normalized_similarity,
        score_cutoff=cutoff,
        dtype=np.float64,
    )[0]
    if cutoff > 0:
        return {choices[int(i)]: float(found[i]) for i in np.flatnonzero(found)}
    return dict(zip(choices, found.tolist(), strict=True))


def _word_similarity(query: _Text, term: _Text, scores: _Scores) -> float:
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
                similarity = scores.word(word, candidate)
            if similarity > best:
                best, best_at = similarity, i
        total += best * len(word)
        if best >= FUZZY_CUTOFF:
            matched.add(best_at)
    mean = total / len(query.compact)
    return mean * (0.85 + 0.15 * len(matched) / len(term.words))


def _similarity(query: _Text, term: _Text, scores: _Scores) -> float:
    whole = scores.whole(term)
    if not scores.may_match_words(term):
        return whole
    return max(whole, _word_similarity(query, term, scores))


def _compare(
    query: _Text, term: _Text, scores: _Scores, *, fuzzy: bool
) -> tuple[Tier, float] | None:
    if term.text == query.text or term.compact == query.compact:
        return Tier.EXACT, 1.0
    if term.text.startswith(query.text) or term.compact.startswith(query.compact):
        return Tier.PREFIX, len(query.compact) / len(term.compact)
    cover = _word_prefix_cover(query, term)
    if cover is not None:
        return Tier.WORD_PREFIX, cover
    if fuzzy and len(query.compact) >= MIN_FUZZY_LENGTH:
        similarity = _similarity(query, term, scores)
        if similarity >= FUZZY_CUTOFF:
            return Tier.FUZZY, similarity
    return None


def _match(query: _Text, prepared: _Prepared, scores: _Scores, *, fuzzy: bool) -> Match | None:
    best: Match | None = None
    for index, raw, term in prepared.terms:
        found = _compare(query, term, scores, fuzzy=fuzzy)
        if found is None:
            continue
        tier, score = found
        score += NAME_BONUS if index == 0 else 0.0
        if best is None or (tier, -score) < (best.tier, -best.score):
            best = Match(prepared.candidate, tier, score, raw)
    return best


def _rank(
    parsed: _Text, prepared: Iterable[_Prepared], scores: _Scores, *, fuzzy: bool
) -> list[Match]:
    found: list[tuple[tuple[int, float, int, str, int], Match]] = []
    for entry in prepared:
        hit = _match(parsed, entry, scores, fuzzy=fuzzy)
        if hit is None:
            continue
        boost = POPULARITY_WEIGHT[hit.tier] * entry.candidate.popularity
        name = entry.candidate.name
        key = (
            hit.tier.value,
            -round(hit.score + boost, 9),
            len(name),
            entry.sort_name,
            hit.candidate.id,
        )
        found.append((key, hit))
    found.sort(key=lambda pair: pair[0])
    return [hit for _, hit in found]


def match(query: str, candidate: Candidate, *, fuzzy: bool = True) -> Match | None:
    """How ``candidate`` matches ``query`` at best, or None when it does not."""
    parsed = _Text.of(query)
    if not parsed.text:
        return None
    return _match(parsed, _Prepared.of(candidate), _Scores(parsed), fuzzy=fuzzy)


def rank(query: str, candidates: Iterable[Candidate], *, fuzzy: bool = True) -> list[Match]:
    """The candidates that match ``query``, best first; ``fuzzy=False`` keeps prefix matches only.

    Deterministic: equal scores fall back to the shorter name, then the name, then the id.
    """
    parsed = _Text.of(query)
    if not parsed.text:
        return []
    prepared = (_Prepared.of(c) for c in candidates)
    return _rank(parsed, prepared, _Scores(parsed), fuzzy=fuzzy)


class RankIndex:
    """A fixed set of candidates normalised once, to rank many queries against: the same order
    as :func:`rank`, found faster by looking only at candidates sharing a word (or a close one)
    with the query."""

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        self._prepared = tuple(_Prepared.of(c) for c in candidates)
        self._by_word: dict[str, list[int]] = {}
        by_text: dict[str, list[int]] = {}
        by_compact: dict[str, list[int]] = {}
        for position, entry in enumerate(self._prepared):
            for _, _, term in entry.terms:
                by_text.setdefault(term.text, []).append(position)
                by_compact.setdefault(term.compact, []).append(position)
                for word in term.words:
                    self._by_word.setdefault(word, []).append(position)
        self._by_text, self._by_compact = by_text, by_compact
        self.texts = tuple(by_text)
        self.compacts = tuple(by_compact)
        self.vocabulary = tuple(sorted(self._by_word))

    def __len__(self) -> int:
        return len(self._prepared)

    def rank(self, query: str, *, fuzzy: bool = True) -> list[Match]:
        """The candidates that match ``query``, best first (see :func:`rank`)."""
        parsed = _Text.of(query)
        if not parsed.text:
            return []
        if fuzzy and len(parsed.compact) >= MIN_FUZZY_LENGTH:
            scores: _Scores = _IndexScores(parsed, self)
        else:
            scores = _Scores(parsed)
        positions = self._positions(parsed, scores)
        return _rank(parsed, (self._prepared[p] for p in sorted(positions)), scores, fuzzy=fuzzy)

    def _positions(self, query: _Text, scores: _Scores) -> set[int]:
        """Candidates that could match: a word of theirs starts with a query word or with the
        whole query (prefix tiers), or starts it (the query without spaces: "pushup" for
        "Push up"), or is close to a query word, or the whole name is close (fuzzy tier)."""
        words: set[str] = set()
        for start in {*query.words, query.compact}:
            at = bisect_left(self.vocabulary, start)
            while at < len(self.vocabulary) and self.vocabulary[at].startswith(start):
                words.add(self.vocabulary[at])
                at += 1
        words.update(query.compact[:n] for n in range(1, len(query.compact) + 1))
        positions: set[int] = set()
        if isinstance(scores, _IndexScores):
            words |= scores.close
            for text in scores.texts:
                positions.update(self._by_text[text])
            for compact in scores.compacts:
                positions.update(self._by_compact[compact])
        for word in words:
            positions.update(self._by_word.get(word, ()))
        return positions
