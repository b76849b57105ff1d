"""The nutrition-source plugin kind: a food database fithub can search, read and look barcodes up in.

A source is a class satisfying :class:`NutritionSource`, made once per process with a
:class:`SourceContext`. It answers in fithub's own value types (:class:`FoodFacts`,
:class:`FoodPage`), nutrients always **per 100 g** (solids) or **per 100 ml** (``basis="ml"``),
and raises the typed errors of :mod:`fithub.plugins.errors` (``SourceUnavailable``,
``SourceRateLimited``, ``FoodNotFound``); fithub maps those to 503/429/404 problem details with
``Retry-After``. fithub validates barcodes (:func:`fithub.plugins.barcodes.normalise_barcode`)
before a source sees them, and enforces a source's declared ``limits`` (shared through Redis when
configured) before calling it, so a source never exceeds its vendor's quota.

See docs/plugins.md ("Nutrition sources") and the test kit in
:mod:`fithub.plugins.testing.nutrition`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import aiohttp

    from fithub.plugins.types import RateLimit

Basis = Literal["g", "ml"]
SourceOperation = Literal["search", "food", "barcode"]

NUTRIENT_FIELDS: tuple[str, ...] = (
    "energy_kcal",
    "protein_g",
    "carbohydrate_g",
    "sugars_g",
    "fat_g",
    "saturated_fat_g",
    "fibre_g",
    "sodium_mg",
)
"""The nutrients fithub keeps, in this order everywhere (API, CSV export, diary entries)."""


@dataclass(frozen=True)
class Nutrients:
    """Amounts in one quantity of food: per 100 g/ml on a :class:`FoodFacts`, per entry in a diary.

    ``energy_kcal`` is required; any other nutrient the source does not know is ``None`` (unknown,
    not zero).
    """

    energy_kcal: float
    protein_g: float | None = None
    carbohydrate_g: float | None = None
    sugars_g: float | None = None
    fat_g: float | None = None
    saturated_fat_g: float | None = None
    fibre_g: float | None = None
    sodium_mg: float | None = None


@dataclass(frozen=True)
class Serving:
    """A named portion of a food (``"1 cup"``) and what it weighs in the food's basis (g or ml)."""

    name: str
    amount: float


@dataclass(frozen=True)
class FoodFacts:
    """One food as a source knows it.

    ``source_id`` is the source's stable id (an FDC id, a barcode, an NDB number): fetching it
    again with :meth:`NutritionSource.food` gives the same food, updated. ``barcode`` is the
    normalised GTIN-13 when the food has one.
    """

    source_id: str
    name: str
    per_100: Nutrients
    basis: Basis = "g"
    brand: str | None = None
    barcode: str | None = None
    category: str | None = None
    servings: tuple[Serving, ...] = ()


@dataclass(frozen=True)
class FoodPage:
    """One page of search results, best first; ``total`` is the source's count of all matches."""

    items: tuple[FoodFacts, ...]
    total: int


@dataclass(frozen=True)
class SourceSettings:
    """The deployment's settings for one source (``FITHUB_<NAME>_*``).

    ``base_url`` replaces the vendor's host (a fake in tests, a mirror); ``user_agent`` is what
    the source should identify itself as (Open Food Facts requires one); ``options`` holds any
    other ``FITHUB_<NAME>_OPTION_*`` value.
    """

    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    user_agent: str = "fithub"
    options: Mapping[str, str] = field(default_factory=dict)


class SourceCache(Protocol):
    """A byte cache shared by every process (Redis when configured, else this process's memory)."""

    async def get(self, key: str) -> bytes | None:
        """The value stored under ``key`` if it has not expired."""
        ...

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        """Store ``value`` under ``key`` for ``ttl_s`` seconds."""
        ...


@dataclass(frozen=True)
class SourceContext:
    """What fithub hands a nutrition source when it makes one (once per process).

    ``session`` is the process's shared aiohttp session: use it, never close it. ``timeout_s``
    bounds one request to the vendor; ``cache`` keys are namespaced by fithub per source.
    """

    session: aiohttp.ClientSession
    settings: SourceSettings
    cache: SourceCache
    logger: logging.Logger
    timeout_s: float = 10.0


@runtime_checkable
class NutritionSource(Protocol):
    """A food database: text search, one food by id, and barcode look-up.

    Class attributes: ``name`` (the plugin name in URLs, ``[a-z0-9_]+``), ``display_name``,
    ``needs_network`` (False for a table shipped in the package), ``needs_api_key``,
    ``barcodes`` (whether :meth:`barcode` can find anything), ``attribution`` (the licence and
    credit shown with its foods), and ``limits``: the vendor's quotas per operation, which fithub
    enforces before calling the source.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    needs_network: ClassVar[bool]
    needs_api_key: ClassVar[bool]
    barcodes: ClassVar[bool]
    attribution: ClassVar[str]
    limits: ClassVar[Mapping[SourceOperation, RateLimit]]

    def __init__(self, context: SourceContext) -> None: ...

    async def search(self, text: str, *, page: int = 1, page_size: int = 20) -> FoodPage:
        """Foods matching ``text`` (best first), page ``page`` (from 1) of ``page_size`` items."""
        ...

    async def food(self, source_id: str) -> FoodFacts:
        """One food by its source id; raises ``FoodNotFound`` when the source has no such food."""
        ...

    async def barcode(self, code: str) -> FoodFacts:
        """The food with this GTIN-13 (already validated, 13 digits); ``FoodNotFound`` if none."""
        ...
