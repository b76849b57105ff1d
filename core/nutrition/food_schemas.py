"""Request and response bodies of the foods API: sources, search, barcodes, imports, custom foods."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fithub.core.pagination import PageQuery

MAX_PAGE = 1000  # deeper than any source pages (Open Food Facts stops at 10 000 results)
MAX_PAGE_SIZE = 50
MAX_SERVINGS = 20

SourceName = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$", description="a source's name")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
# Nutrients per 100 g or 100 ml; the service checks the per-100 bounds (422 naming the field).
Amount = Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1000)


class SourceOut(BaseModel):
    """One nutrition source this server knows."""

    name: str = Field(description="pass as ?source= or in an import")
    display_name: str
    configured: bool = Field(description="false: it lacks settings (an API key) and answers 503")
    barcodes: bool = Field(description="it can look barcodes up")
    needs_network: bool = Field(description="false: a table shipped with fithub")
    attribution: str = Field(description="the licence and credit to show with its foods")


class SourceList(BaseModel):
    items: list[SourceOut]
    default_source: str = Field(description="searched when no source is named")


class Per100(BaseModel):
    """Nutrients per 100 g (basis g) or 100 ml (basis ml); null means unknown, not zero."""

    energy_kcal: float
    protein_g: float | None
    carbohydrate_g: float | None
    sugars_g: float | None
    fat_g: float | None
    saturated_fat_g: float | None
    fibre_g: float | None
    sodium_mg: float | None


class ServingOut(BaseModel):
    name: str
    amount: float = Field(description="grams (basis g) or millilitres (basis ml)")


class FoodHit(BaseModel):
    """One search result or barcode answer, as the source knows it."""

    food_id: int | None = Field(description="the stored food, if it is stored already")
    source: str
    source_id: str | None
    name: str
    brand: str | None
    barcode: str | None
    category: str | None
    basis: Literal["g", "ml"]
    per_100: Per100
    servings: list[ServingOut]
    plausibility_warning: str | None = Field(
        description="why the nutrients look wrong (energy far from what the macros give)"
    )


class SearchQuery(BaseModel):
    q: str = Field("", max_length=100, description="what to look for (typos are forgiven)")
    source: SourceName | None = Field(
        None, description="a source's name, or custom for your own foods; default the server's"
    )
    mine: bool = Field(False, description="search your custom foods (same as source=custom)")
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class SearchPage(BaseModel):
    source: str
    page: int
    page_size: int
    total: int = Field(description="all matches at the source, on every page")
    items: list[FoodHit]


class BarcodeQuery(BaseModel):
    source: SourceName | None = Field(
        None, description="default: the first configured source that looks barcodes up"
    )


class ImportIn(Strict):
    """Store (or refresh) a source's food so it can be logged by id."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"source": "builtin", "source_id": "01001"}]},
    )

    source: SourceName
    source_id: str = Field(min_length=1, max_length=64)
    force: bool = Field(False, description="fetch again even if stored less than a day ago")


class NutrientsIn(Strict):
    """Nutrients per 100 g or 100 ml; leave out what you do not know."""

    energy_kcal: Amount
    protein_g: Amount | None = None
    carbohydrate_g: Amount | None = None
    sugars_g: Amount | None = None
    fat_g: Amount | None = None
    saturated_fat_g: Amount | None = None
    fibre_g: Amount | None = None
    sodium_mg: Amount | None = None


class ServingIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    amount: float = Field(gt=0, le=10_000, allow_inf_nan=False, description="g or ml")


class FoodIn(Strict):
    """A custom food: nutrients per 100 g (or 100 ml with ``basis: ml``) and named servings."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Grandma's flapjack",
                    "per_100": {"energy_kcal": 450, "protein_g": 6, "fat_g": 22},
                    "servings": [{"name": "1 square", "amount": 60}],
                }
            ]
        },
    )

    name: Name
    brand: Label | None = None
    barcode: str | None = Field(None, max_length=32, description="EAN-13, UPC-A or EAN-8")
    category: Label | None = None
    basis: Literal["g", "ml"] = "g"
    per_100: NutrientsIn
    servings: list[ServingIn] = Field(default_factory=list, max_length=MAX_SERVINGS)


class FoodPatch(Strict):
    """Fields to change on a custom food (``per_100`` and ``servings`` are replaced whole)."""

    name: Name | None = None
    brand: Label | None = None
    barcode: str | None = Field(None, max_length=32)
    category: Label | None = None
    basis: Literal["g", "ml"] | None = None
    per_100: NutrientsIn | None = None
    servings: list[ServingIn] | None = Field(None, max_length=MAX_SERVINGS)


class FoodOut(BaseModel):
    """A stored food: from a source (shared by everyone) or custom (yours)."""

    id: int
    source: str = Field(description="the source's name, or custom")
    source_id: str | None
    custom: bool = Field(description="entered by you")
    name: str
    brand: str | None
    barcode: str | None
    category: str | None
    basis: Literal["g", "ml"]
    per_100: Per100
    servings: list[ServingOut]
    plausibility_warning: str | None
    attribution: str | None = Field(description="the source's licence and credit")
    archived: bool
    fetched_at: datetime | None = Field(description="when the source last sent it")
    created_at: datetime
    updated_at: datetime


class FoodPage(BaseModel):
    items: list[FoodOut]
    next_cursor: str | None = Field(
        None, description="pass as ?cursor= for the next page; null at the end"
    )


class MineQuery(PageQuery):
    """``?limit=&cursor=`` over your custom foods, newest first."""
