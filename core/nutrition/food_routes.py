"""HTTP routes of foods: the nutrition sources, search, barcodes, imports and your custom foods."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import current_user, require_auth
from fithub.core.nutrition import custom_foods, foods
from fithub.core.nutrition.food_schemas import (
    BarcodeQuery,
    FoodIn,
    FoodOut,
    FoodPage,
    FoodPatch,
    ImportIn,
    MineQuery,
    SearchPage,
    SearchQuery,
    SourceList,
    SourceOut,
)
from fithub.core.openapi import problems
from fithub.core.responses import validate_response
from fithub.core.runtime import runtime

bp = Blueprint("nutrition_foods", __name__, url_prefix="/api/v1/nutrition")


@bp.get("/sources")
@tag(["nutrition"])
@require_auth()
@validate_response(SourceList)
async def list_sources() -> SourceList:
    """The nutrition sources of this server: which are configured, which read barcodes."""
    gateway = runtime().nutrition
    return SourceList(
        items=[SourceOut(**asdict(info)) for info in gateway.list()],
        default_source=gateway.default_source,
    )


@bp.get("/foods/search")
@tag(["nutrition"])
@require_auth()
@validate_querystring(SearchQuery)
@validate_response(SearchPage)
@problems(404, 429, 502, 503)
async def search_foods(query_args: SearchQuery) -> SearchPage:
    """Search a source (default the server's) or, with ``source=custom`` or ``mine=true``, your
    own foods. Typos are forgiven. 503 ``source_unavailable`` / 429 ``source_rate_limited`` carry
    ``Retry-After``."""
    return await foods.search(runtime().nutrition, current_user().id, query_args)


@bp.get("/barcodes/<code>")
@tag(["nutrition"])
@require_auth()
@validate_querystring(BarcodeQuery)
@validate_response(FoodOut)
@problems(429, 502, 503)
async def look_up_barcode(code: str, query_args: BarcodeQuery) -> FoodOut:
    """The food with an EAN-13, UPC-A or EAN-8 barcode, stored for logging. 422
    ``invalid_barcode`` names a wrong check digit; 404 ``food_not_found`` if no source knows it."""
    gateway = runtime().nutrition
    food = await foods.barcode(gateway, current_user().id, code, query_args.source)
    return foods.food_out(food, gateway)


@bp.post("/foods/import")
@tag(["nutrition"])
@require_auth()
@validate_request(ImportIn)
@validate_response(FoodOut)
@problems(429, 502, 503)
async def import_food(data: ImportIn) -> FoodOut:
    """Store a source's food (or refresh it: importing again updates the same food)."""
    gateway = runtime().nutrition
    food = await foods.food_from_source(
        gateway, data.source, data.source_id, force=data.force, user_id=current_user().id
    )
    return foods.food_out(food, gateway)


@bp.post("/foods")
@tag(["nutrition"])
@require_auth()
@validate_request(FoodIn)
@validate_response(FoodOut, 201)
async def create_food(data: FoodIn) -> tuple[FoodOut, int]:
    """Enter a custom food; 422 names implausible nutrients (e.g. more than 100 g of fat in 100 g)."""
    food = await custom_foods.create_custom(current_user().id, data)
    return foods.food_out(food, runtime().nutrition), 201


@bp.get("/foods")
@tag(["nutrition"])
@require_auth()
@validate_querystring(MineQuery)
@validate_response(FoodPage)
async def list_foods(query_args: MineQuery) -> dict[str, Any]:
    """Your custom foods, newest first."""
    return await custom_foods.list_custom(current_user().id, query_args, runtime().nutrition)


@bp.get("/foods/<int:food_id>")
@tag(["nutrition"])
@require_auth()
@validate_response(FoodOut)
async def get_food(food_id: int) -> FoodOut:
    """A source food or one of your custom foods (404 ``unknown_food`` otherwise)."""
    food = await custom_foods.get_food(current_user().id, food_id)
    return foods.food_out(food, runtime().nutrition)


@bp.patch("/foods/<int:food_id>")
@tag(["nutrition"])
@problems(409)
@require_auth()
@validate_request(FoodPatch)
@validate_response(FoodOut)
async def update_food(food_id: int, data: FoodPatch) -> FoodOut:
    """Change one of your custom foods (diary entries already logged keep their nutrients)."""
    food = await custom_foods.update_custom(current_user().id, food_id, data)
    return foods.food_out(food, runtime().nutrition)


@bp.delete("/foods/<int:food_id>")
@tag(["nutrition"])
@require_auth()
async def delete_food(food_id: int) -> Response:
    """Remove one of your custom foods from your lists (history keeps it)."""
    await custom_foods.archive_custom(current_user().id, food_id)
    return Response(status=204)
