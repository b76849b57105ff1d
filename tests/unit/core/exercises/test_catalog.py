"""The shipped exercise catalog is complete, uses only the documented vocabularies, and installs."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from fithub.core.exercises.catalog import load_catalog
from fithub.core.exercises.search import SEARCH_TEXT_LENGTH, normalise, search_text, slugify
from fithub.core.exercises.vocabulary import EQUIPMENT_LABELS, MUSCLE_LABELS, Equipment, Muscle

ROOT = Path(__file__).resolve().parents[4]
# Later features count reps for some of these (camera) and log runs and rides against others.
REQUIRED = {
    "Squat", "Deadlift", "Bench Press", "Push-up", "Lunge", "Sit-up", "Jumping Jack", "Running",
    "Cycling", "Rowing", "Pull-up", "Plank", "Overhead Press", "Romanian Deadlift", "Walking",
}


def test_the_catalog_is_large_and_has_the_exercises_other_features_need():
    entries = load_catalog()
    assert len(entries) >= 150
    assert REQUIRED <= {e.name for e in entries}
    assert {e.type.value for e in entries} == {"strength", "cardio", "mobility", "bodyweight"}


def test_slugs_are_unique_and_unlike_custom_slugs():
    slugs = [e.slug for e in load_catalog()]
    assert len(slugs) == len(set(slugs))
    for entry in load_catalog():
        assert entry.slug == slugify(entry.name)
        assert not re.search(r"-[0-9a-f]{6}$", entry.slug), "custom slugs end in six hex digits"


def test_no_name_or_alias_belongs_to_two_exercises():
    owner: dict[str, str] = {}
    for entry in load_catalog():
        for term in {normalise(t) for t in (entry.name, *entry.aliases)}:
            assert term not in owner, f"{term!r}: {owner.get(term)} and {entry.name}"
            owner[term] = entry.name


def test_muscles_and_equipment_come_from_the_vocabularies():
    for entry in load_catalog():
        assert set(entry.primary_muscles) <= set(Muscle)
        assert set(entry.secondary_muscles) <= set(Muscle)
        assert not set(entry.primary_muscles) & set(entry.secondary_muscles), entry.name
        assert entry.equipment in set(Equipment)
        assert entry.instructions.strip()
    assert set(MUSCLE_LABELS) == set(Muscle) and set(EQUIPMENT_LABELS) == set(Equipment)
    assert {m.value for m in Muscle} == {
        "chest", "back", "lats", "traps", "shoulders", "biceps", "triceps", "forearms", "abs",
        "obliques", "lower_back", "glutes", "quadriceps", "hamstrings", "calves", "adductors",
        "abductors", "hip_flexors", "neck", "full_body", "cardio",
    }


def test_search_text_is_never_cut_for_catalog_entries():
    for entry in load_catalog():
        full = " ".join(normalise(t) for t in (entry.name, *entry.aliases))
        assert len(full) * 2 < SEARCH_TEXT_LENGTH
        assert all(normalise(a) in search_text(entry.name, entry.aliases) for a in entry.aliases)


def test_the_catalog_file_is_package_data():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert "catalog.json" in cfg["options.package_data"]["fithub.core.exercises"]
