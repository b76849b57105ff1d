"""The generic ranker in the plugin API: RankIndex answers exactly as rank(), only faster."""

from __future__ import annotations

import random

import pytest

import fithub.core.exercises.search as exercise_search
from fithub.core.exercises.catalog import load_catalog
from fithub.plugins import ranking
from fithub.plugins.food_table import load_table
from fithub.plugins.ranking import Candidate, RankIndex, Tier, rank


def exercises() -> list[Candidate]:
    return [Candidate(i, e.name, e.aliases, e.popularity) for i, e in enumerate(load_catalog())]


def foods() -> list[Candidate]:
    """Every third food of the built-in table (rank() on all of them is slow for many queries)."""
    return [Candidate(i, food.name) for i, food in enumerate(load_table().foods[::3])]


def test_exercise_search_reexports_the_plugin_ranker() -> None:
    for name in ("Candidate", "Match", "Tier", "match", "normalise", "rank", "RankIndex"):
        assert getattr(exercise_search, name) is getattr(ranking, name)


def _typo(text: str, rnd: random.Random) -> str:
    """One deletion, substitution, transposition or insertion at a random place."""
    if not text:
        return text
    letters = list(text)
    at = rnd.randrange(len(letters))
    edit = rnd.choice("dsti")
    if edit == "d":
        del letters[at]
    elif edit == "s":
        letters[at] = rnd.choice("abcdefghijklmnopqrstuvwxyz ")
    elif edit == "t" and at + 1 < len(letters):
        letters[at], letters[at + 1] = letters[at + 1], letters[at]
    else:
        letters.insert(at, rnd.choice("abcdefghijklmnopqrstuvwxyz"))
    return "".join(letters)


def _queries(candidates: list[Candidate], seed: int) -> list[str]:
    """Words of real names (in order or shuffled, whole or cut short), with 0-2 typos each."""
    rnd = random.Random(seed)  # fixed seed: the same queries on every run
    queries = ["", "!!!", "e", "xyzzy", "zzzzzzzz squat", "pushup", "peanutbutter"]
    for _ in range(10):
        words = rnd.choice(candidates).name.replace(",", " ").split()
        count = rnd.randint(1, min(3, len(words)))
        text = " ".join(words[:count] if rnd.random() < 0.5 else rnd.sample(words, count))
        if rnd.random() < 0.3:
            text = text[: rnd.randint(1, len(text))]
        queries += [text, _typo(text, rnd), _typo(_typo(text, rnd), rnd)]
    return queries


@pytest.mark.parametrize(("make", "seed"), [(exercises, 1), (foods, 2)])
def test_the_index_ranks_exactly_as_rank_does(make, seed) -> None:
    candidates = make()
    index = RankIndex(candidates)
    assert len(index) == len(candidates)
    for query in _queries(candidates, seed):
        for fuzzy in (True, False):
            assert index.rank(query, fuzzy=fuzzy) == rank(query, candidates, fuzzy=fuzzy), query


def test_the_index_finds_a_typo_a_word_prefix_and_a_name_without_spaces() -> None:
    index = RankIndex([Candidate(1, "Push up"), Candidate(2, "Bench Press"), Candidate(3, "Squat")])
    assert [(m.candidate.id, m.tier) for m in index.rank("sqaut")] == [(3, Tier.FUZZY)]
    assert [(m.candidate.id, m.tier) for m in index.rank("pres")] == [(2, Tier.WORD_PREFIX)]
    # "pushup" is the name without its space: an exact match of the compact form
    assert [(m.candidate.id, m.tier) for m in index.rank("pushup")] == [(1, Tier.EXACT)]
    assert index.rank("") == [] and RankIndex([]).rank("squat") == []
