"""The exercise ranker on its own: normalisation, tiers, typo tolerance, order and cut-off."""

from __future__ import annotations

import pytest

from fithub.core.exercises.catalog import load_catalog
from fithub.core.exercises.search import (
    SEARCH_TEXT_LENGTH,
    Candidate,
    Tier,
    match,
    normalise,
    rank,
    search_text,
    slugify,
)


def catalog() -> list[Candidate]:
    return [
        Candidate(id=i, name=e.name, aliases=e.aliases, popularity=e.popularity)
        for i, e in enumerate(load_catalog(), start=1)
    ]


def names(query: str, candidates: list[Candidate] | None = None, **kwargs) -> list[str]:
    return [m.candidate.name for m in rank(query, candidates or catalog(), **kwargs)]


# -- normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Push-up", "push up"),
        ("  FARMER'S   Walk ", "farmers walk"),
        ("Développé couché", "developpe couche"),
        ("90/90 Hip_Switch", "90 90 hip switch"),
        ("Straße", "strasse"),
        ("!!!", ""),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


def test_slugify_and_search_text():
    assert slugify("Farmer's Walk") == "farmers-walk"
    text = search_text("Push-up", ["Press-up", "Pushup"])
    assert text == "push up pushup press up pressup"


def test_search_text_is_cut_at_a_word_to_fit_the_column():
    text = search_text("word " * 200, [])
    assert len(text) <= SEARCH_TEXT_LENGTH and not text.endswith(" ")


# -- the queries the product promises -----------------------------------------------------------


def test_a_transposition_finds_squat_first():
    found = names("sqaut")
    assert found[0] == "Squat"
    assert {"Front Squat", "Goblet Squat", "Bulgarian Split Squat"} <= set(found)


def test_a_prefix_suggests_deadlift_before_other_dead_words():
    found = names("dead")
    assert found[0] == "Deadlift"
    assert {"Dead Bug", "Dead Hang", "Romanian Deadlift"} <= set(found)


def test_bench_finds_bench_press_first():
    found = names("bench")
    assert found[0] == "Bench Press"
    assert "Incline Bench Press" in found


def test_an_alias_finds_its_exercise():
    found = rank("rdl", catalog())
    assert found[0].candidate.name == "Romanian Deadlift"
    assert (found[0].tier, found[0].matched) == (Tier.EXACT, "RDL")
    assert names("back squat")[0] == "Squat"


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("push up", "Push-up"),
        ("pushup", "Push-up"),
        ("push-ups", "Push-up"),
        ("situp", "Sit-up"),
        ("jumping jacks", "Jumping Jack"),
        ("jumpin jak", "Jumping Jack"),
        ("lunge", "Lunge"),
        ("running", "Running"),
        ("jog", "Running"),
        ("cyclng", "Cycling"),
        ("rowing", "Rowing"),
        ("dedlift", "Deadlift"),
        ("ohp", "Overhead Press"),
        ("BENCH PRESS", "Bench Press"),
    ],
)
def test_first_result(query, first):
    assert names(query)[0] == first


# -- tiers, order and cut-off -------------------------------------------------------------------


def test_tiers_come_in_order():
    candidates = [
        Candidate(1, "Press Ups Deluxe"),  # prefix
        Candidate(2, "Leg Press"),  # word prefix
        Candidate(3, "Prss"),  # fuzzy: one letter missing
        Candidate(4, "Press"),  # exact
    ]
    found = rank("press", candidates)
    assert [(m.candidate.id, m.tier) for m in found] == [
        (4, Tier.EXACT),
        (1, Tier.PREFIX),
        (2, Tier.WORD_PREFIX),
        (3, Tier.FUZZY),
    ]


def test_popularity_decides_between_prefix_matches_only_a_little_among_typos():
    plain, popular = Candidate(1, "Dead Bug"), Candidate(2, "Deadlift", popularity=3)
    assert names("dead", [plain, popular]) == ["Deadlift", "Dead Bug"]
    close, far = Candidate(1, "Squat"), Candidate(2, "Front Squat", popularity=3)
    assert names("sqaut", [far, close]) == ["Squat", "Front Squat"]


def test_name_wins_a_tie_with_an_alias_and_shorter_names_come_first():
    found = rank("row", [Candidate(1, "Barbell Row"), Candidate(2, "Row", ("Row",))])
    assert found[0].matched == "Row"
    assert names("curl", [Candidate(1, "Barbell Curl"), Candidate(2, "Cable Curl")]) == [
        "Cable Curl",
        "Barbell Curl",
    ]


def test_equal_candidates_are_ordered_by_id():
    twins = [Candidate(7, "Squat"), Candidate(3, "Squat")]
    assert [m.candidate.id for m in rank("squat", twins)] == [3, 7]


def test_short_queries_are_not_fuzzy_and_unrelated_text_is_cut_off():
    assert names("sqa") == names("sqa", fuzzy=False)
    assert names("xyzzy") == []
    assert names("zzzzzzzz squat") == []
    assert match("", Candidate(1, "Squat")) is None
    assert names("!!!") == []


def test_without_fuzzy_only_prefix_tiers_remain():
    assert names("sqaut", fuzzy=False) == []
    assert all(m.tier <= Tier.WORD_PREFIX for m in rank("squ", catalog(), fuzzy=False))


def test_accents_and_case_do_not_matter():
    candidates = [Candidate(1, "Développé Couché")]
    assert names("developpe", candidates) == ["Développé Couché"]
    assert names("DÉVELOPPÉ COUCHÉ", candidates) == ["Développé Couché"]
