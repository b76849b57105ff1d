"""Foods: search a source or your own foods, store a source's food, look a barcode up.

A source food is stored once, keyed by ``(source, source_id)``, shared by everyone (no owner) and
fetched again when older than ``FITHUB_NUTRITION_REFRESH_AFTER_S`` (a day) or when forced; a
barcode is answered from the stored foods while fresh. Custom foods: core/nutrition/custom_foods.py.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from fithub.core.errors import ValidationFailed
from fithub.core.nutrition import food_schemas as schemas
from fithub.core.nutrition.errors import FoodSourceFailed, FoodSourceUnavailable
from fithub.core.nutrition.models import CUSTOM_SOURCE, Basis, Food
from fithub.core.nutrition.sources import SourceGateway
from fithub.plugins.barcodes import InvalidBarcode, normalise_barcode
from fithub.plugins.nutrition import NUTRIENT_FIELDS, FoodFacts, Nutrients, Serving
from fithub.plugins.plausibility import energy_warning
from fithub.plugins.ranking import Candidate, rank


def now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


# -- shaping -------------------------------------------------------------------------------------


def plausibility(per_100: Nutrients, category: str | None, name: str) -> str | None:
    """Why these nutrients look wrong (:func:`fithub.plugins.plausibility.energy_warning`)."""
    return energy_warning(per_100, category=category, name=name)


def _per_100(food: Food) -> schemas.Per100:
    return schemas.Per100(**{name: getattr(food, name) for name in NUTRIENT_FIELDS})


def food_out(food: Food, gateway: SourceGateway) -> schemas.FoodOut:
    """A stored food as the API shows it."""
    cls = gateway.classes.get(food.source)
    return schemas.FoodOut(
        id=food.id,
        source=food.source,
        source_id=food.source_id,
        custom=food.owner_id is not None,
        name=food.name,
        brand=food.brand,
        barcode=food.barcode,
        category=food.category,
        basis="ml" if food.basis == Basis.MILLILITRES else "g",
        per_100=_per_100(food),
        servings=[schemas.ServingOut(**serving) for serving in food.servings or []],
        plausibility_warning=food.plausibility_warning,
        attribution=None if cls is None else str(getattr(cls, "attribution", "")) or None,
        archived=food.archived_at is not None,
        fetched_at=food.fetched_at,
        created_at=food.created_at,
        updated_at=food.updated_at,
    )


def _hit_of_food(food: Food) -> schemas.FoodHit:
    return schemas.FoodHit(
        food_id=food.id,
        source=food.source,
        source_id=food.source_id,
        name=food.name,
        brand=food.brand,
        barcode=food.barcode,
        category=food.category,
        basis="ml" if food.basis == Basis.MILLILITRES else "g",
        per_100=_per_100(food),
        servings=[schemas.ServingOut(**serving) for serving in food.servings or []],
        plausibility_warning=food.plausibility_warning,
    )


def _hit_of_facts(source: str, facts: FoodFacts, food_id: int | None) -> schemas.FoodHit:
    facts = clean_facts(facts)
    return schemas.FoodHit(
        food_id=food_id,
        source=source,
        source_id=facts.source_id,
        name=facts.name,
        brand=facts.brand,
        barcode=facts.barcode,
        category=facts.category,
        basis=facts.basis,
        per_100=schemas.Per100(**{n: getattr(facts.per_100, n) for n in NUTRIENT_FIELDS}),
        servings=[schemas.ServingOut(name=s.name, amount=s.amount) for s in facts.servings],
        plausibility_warning=plausibility(facts.per_100, facts.category, facts.name),
    )


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def short(text: str | None, limit: int) -> str | None:
    """``text`` trimmed and cut to ``limit`` characters; None when nothing is left."""
    text = (text or "").strip()
    return text[:limit] or None


def clean_facts(facts: FoodFacts) -> FoodFacts:
    """A source's food made storable: text cut to the columns, unusable numbers unknown, the
    barcode a valid GTIN-13 or none; 502 when it has no usable id, name or energy."""
    energy = _finite(facts.per_100.energy_kcal)
    name = short(facts.name, 200)
    if energy is None or name is None or not facts.source_id or len(facts.source_id) > 64:
        raise FoodSourceFailed("The nutrition source sent a food fithub cannot use.")
    values = {n: _finite(getattr(facts.per_100, n)) for n in NUTRIENT_FIELDS}
    values["energy_kcal"] = energy
    try:
        barcode = normalise_barcode(facts.barcode) if facts.barcode else None
    except InvalidBarcode:
        barcode = None
    servings = tuple(
        Serving(name=label, amount=float(s.amount))
        for s in facts.servings
        if (label := short(s.name, 100)) and math.isfinite(s.amount) and s.amount > 0
    )
    return replace(
        facts,
        name=name,
        brand=short(facts.brand, 120),
        category=short(facts.category, 120),
        barcode=barcode,
        per_100=Nutrients(**values),  # type: ignore[arg-type]
        servings=servings,
        basis="ml" if facts.basis == "ml" else "g",
    )


# -- source foods --------------------------------------------------------------------------------


async def search(
    gateway: SourceGateway,
    user_id: int,
    query: schemas.SearchQuery,
) -> schemas.SearchPage:
    """Page ``query.page`` of the foods matching ``query.q`` at a source, or among your own."""
    if query.mine or query.source == CUSTOM_SOURCE:
        return await _search_custom(user_id, query)
    source = query.source or gateway.default_source
    gateway.require(source)
    text = query.q.strip()
    empty = schemas.SearchPage(source=source, page=query.page, page_size=query.page_size,
                               total=0, items=[])  # fmt: skip
    if not text:
        return empty
    found = await gateway.search(
        source, text, page=query.page, page_size=query.page_size, user_id=user_id
    )
    ids = [facts.source_id for facts in found.items if facts.source_id]
    stored = dict(
        await Food.filter(source=source, source_id__in=ids, owner_id__isnull=True).values_list(
            "source_id", "id"
        )
    ) if ids else {}  # fmt: skip
    items = []
    for facts in found.items:
        try:
            items.append(_hit_of_facts(source, facts, stored.get(facts.source_id)))
        except FoodSourceFailed:
            continue  # one unusable result does not spoil the page
    return empty.model_copy(update={"items": items, "total": max(found.total, len(items))})


async def _search_custom(user_id: int, query: schemas.SearchQuery) -> schemas.SearchPage:
    foods = {
        food.id: food for food in await Food.filter(owner_id=user_id, archived_at__isnull=True)
    }
    text = query.q.strip()
    if text:
        candidates = (
            Candidate(id=f.id, name=f.name, aliases=(f.brand,) if f.brand else ())
            for f in foods.values()
        )
        ordered = [foods[m.candidate.id] for m in rank(text, candidates)]
    else:
        ordered = sorted(foods.values(), key=lambda f: (f.name.casefold(), f.id))
    start = (query.page - 1) * query.page_size
    page = ordered[start : start + query.page_size]
    return schemas.SearchPage(source=CUSTOM_SOURCE, page=query.page, page_size=query.page_size,
                              total=len(ordered), items=[_hit_of_food(f) for f in page])  # fmt: skip


def _fresh(food: Food, gateway: SourceGateway, now: datetime) -> bool:
    refresh = timedelta(seconds=gateway.config.refresh_after_s)
    return food.fetched_at is not None and now - food.fetched_at < refresh


async def store_facts(source: str, facts: FoodFacts) -> Food:
    """Insert or update the shared food ``(source, facts.source_id)`` (never a duplicate)."""
    facts = clean_facts(facts)
    values: dict[str, Any] = {
        "name": facts.name,
        "brand": facts.brand,
        "barcode": facts.barcode,
        "category": facts.category,
        "basis": Basis(facts.basis),
        "servings": [{"name": s.name, "amount": s.amount} for s in facts.servings],
        "plausibility_warning": short(plausibility(facts.per_100, facts.category, facts.name), 300),
        "fetched_at": now(),
        **{n: getattr(facts.per_100, n) for n in NUTRIENT_FIELDS},
    }
    food = await Food.get_or_none(source=source, source_id=facts.source_id)
    if food is None:
        try:
            return await Food.create(source=source, source_id=facts.source_id, **values)
        except IntegrityError:  # another request stored it meanwhile: update that one
            food = await Food.get(source=source, source_id=facts.source_id)
    await food.update_from_dict(values).save()
    return food


async def food_from_source(
    gateway: SourceGateway,
    source: str,
    source_id: str,
    *,
    force: bool = False,
    user_id: int | None = None,
) -> Food:
    """The stored food ``(source, source_id)``, fetched from the source when new, older than a day
    or ``force``; 404 ``unknown_source`` / ``food_not_found``, 429/502/503 as the gateway says."""
    gateway.require(source)
    food = await Food.get_or_none(source=source, source_id=source_id, owner_id__isnull=True)
    if food is not None and not force and _fresh(food, gateway, now()):
        return food
    try:
        facts = await gateway.food(source, source_id, user_id=user_id)
    except FoodSourceUnavailable:
        if food is not None and not force:
            return food  # a day-old food beats none while the source is down
        raise
    return await store_facts(source, facts)


def barcode_problem(code: str) -> str:
    """The GTIN-13 of ``code``; 422 ``invalid_barcode`` naming what is wrong (the check digit)."""
    try:
        return normalise_barcode(code)
    except InvalidBarcode as exc:
        raise ValidationFailed(
            f"{exc}.", code="invalid_barcode",
            errors=[{"field": "code", "message": str(exc), "type": "invalid_barcode"}],
        ) from exc  # fmt: skip


async def barcode(
    gateway: SourceGateway, user_id: int, code: str, source: str | None = None
) -> Food:
    """The food with barcode ``code``: your custom food or a fresh stored one first, else the
    source's (``source``, default the first configured source that reads barcodes), stored."""
    gtin = barcode_problem(code)
    if source is not None:
        cls = gateway.require(source)
        if not getattr(cls, "barcodes", False):
            raise ValidationFailed(f"The source {source} does not look barcodes up.",
                                   code="source_without_barcodes")  # fmt: skip
    mine = await Food.filter(owner_id=user_id, barcode=gtin, archived_at__isnull=True).first()
    if mine is not None and source is None:
        return mine
    stored = Food.filter(barcode=gtin, owner_id__isnull=True)
    if source is not None:
        stored = stored.filter(source=source)
    known = await stored.order_by("-fetched_at", "-id").first()
    if known is not None and _fresh(known, gateway, now()):
        return known
    name = source or gateway.barcode_source()
    try:
        facts = await gateway.barcode(name, gtin, user_id=user_id)
    except FoodSourceUnavailable:
        if known is not None:
            return known
        raise
    if not facts.barcode:
        facts = replace(facts, barcode=gtin)
    return await store_facts(name, facts)
