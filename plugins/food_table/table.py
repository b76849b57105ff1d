"""The built-in food table: 973 common foods from USDA SR28, shipped as package data (data/).

``data/foods.csv`` and ``data/SOURCE.md`` (where the data comes from, how the foods were chosen,
its licence) are copied unchanged from the project's shared data. The table is read once per
process, on first use, with every description normalised then for the typo-tolerant ranker.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import ClassVar

from fithub.plugins.errors import FoodNotFound
from fithub.plugins.nutrition import (
    FoodFacts,
    FoodPage,
    Nutrients,
    Serving,
    SourceContext,
    SourceOperation,
)
from fithub.plugins.ranking import Candidate, RankIndex
from fithub.plugins.types import RateLimit

DATA_FILE = "foods.csv"
ATTRIBUTION = (
    "USDA National Nutrient Database for Standard Reference, Release 28 (SR28): "
    "U.S. Department of Agriculture, Agricultural Research Service, Nutrient Data Laboratory. "
    "Public domain (CC0 1.0)."
)


@dataclass(frozen=True)
class Table:
    """The foods in file order, by NDB number, and their ranking index."""

    foods: tuple[FoodFacts, ...]
    by_id: Mapping[str, FoodFacts]
    index: RankIndex


def _number(text: str) -> float | None:
    """A CSV cell as a number; an empty cell is unknown (None), never zero."""
    return float(text) if text.strip() else None


def _food(row: Mapping[str, str]) -> FoodFacts:
    energy = _number(row["energy_kcal"])
    if energy is None:
        raise ValueError(f"food {row['ndb_no']} has no energy")
    portions = json.loads(row["portions"] or "[]")
    return FoodFacts(
        source_id=row["ndb_no"],
        name=row["description"],
        per_100=Nutrients(
            energy_kcal=energy,
            protein_g=_number(row["protein_g"]),
            carbohydrate_g=_number(row["carbohydrate_g"]),
            sugars_g=_number(row["sugars_g"]),
            fat_g=_number(row["fat_g"]),
            saturated_fat_g=_number(row["saturated_fat_g"]),
            fibre_g=_number(row["fiber_g"]),
            sodium_mg=_number(row["sodium_mg"]),
        ),
        basis="g",
        category=row["food_group"] or None,
        servings=tuple(Serving(str(p["name"]), float(p["grams"])) for p in portions),
    )


def _singular(word: str) -> str:
    """English plural to singular, for the common food cases: berries, tomatoes, apples."""
    lower = word.lower()
    if lower.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if lower.endswith(("oes", "ches", "shes", "xes")):
        return word[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us")) and len(word) > 3:
        return word[:-1]
    return word


def _candidate(index: int, food: FoodFacts) -> Candidate:
    """The food's description, with its first part as aliases ("Bananas" and "Banana" of
    "Bananas, raw"), so a short query compares with that part rather than the whole text."""
    head = food.name.split(",", 1)[0].strip()
    words = head.split()
    singular = " ".join([*words[:-1], _singular(words[-1])]) if words else ""
    aliases = tuple(dict.fromkeys(a for a in (head, singular) if a and a != food.name))
    return Candidate(id=index, name=food.name, aliases=aliases)


def parse(text: str) -> Table:
    """A table from the CSV text of ``foods.csv``."""
    foods = tuple(_food(row) for row in csv.DictReader(io.StringIO(text)))
    by_id = {food.source_id: food for food in foods}
    if len(by_id) != len(foods):
        raise ValueError("foods.csv repeats an ndb_no")
    index = RankIndex(_candidate(i, food) for i, food in enumerate(foods))
    return Table(foods, by_id, index)


@cache
def load_table() -> Table:
    """The shipped table, read and indexed once per process."""
    data = files("fithub.plugins.food_table").joinpath("data", DATA_FILE)
    return parse(data.read_text(encoding="utf-8"))


@lru_cache(maxsize=1024)
def ranked(text: str) -> tuple[int, ...]:
    """Row indexes of the foods matching ``text``, best first. People search the same few
    hundred foods again and again: a process keeps the last 1,024 answers (the table never
    changes while it runs)."""
    return tuple(match.candidate.id for match in load_table().index.rank(text))


class FoodTable:
    """The ``builtin`` nutrition source: works offline, needs no account, knows no barcodes."""

    name: ClassVar[str] = "builtin"
    display_name: ClassVar[str] = "Built-in food table (USDA SR28)"
    needs_network: ClassVar[bool] = False
    needs_api_key: ClassVar[bool] = False
    barcodes: ClassVar[bool] = False
    attribution: ClassVar[str] = ATTRIBUTION
    limits: ClassVar[Mapping[SourceOperation, RateLimit]] = {}

    def __init__(self, context: SourceContext) -> None:
        self.context = context

    async def search(self, text: str, *, page: int = 1, page_size: int = 20) -> FoodPage:
        """Foods whose description matches ``text``, typos forgiven, best first."""
        if page < 1 or page_size < 1:
            raise ValueError("page and page_size start at 1")
        found = ranked(text)
        table = load_table().foods
        start = (page - 1) * page_size
        items = tuple(table[row] for row in found[start : start + page_size])
        return FoodPage(items=items, total=len(found))

    async def food(self, source_id: str) -> FoodFacts:
        """The food with this NDB number (five digits, leading zeros kept)."""
        try:
            return load_table().by_id[source_id]
        except KeyError:
            raise FoodNotFound(f"the built-in table has no food {source_id!r}") from None

    async def barcode(self, code: str) -> FoodFacts:
        """Always FoodNotFound: SR28 foods are generic and have no barcodes."""
        raise FoodNotFound(f"the built-in table has no barcodes (asked for {code})")
