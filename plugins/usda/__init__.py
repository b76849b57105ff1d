"""The built-in USDA FoodData Central nutrition source (FDC API v1, https://fdc.nal.usda.gov/api-guide).

Registered like any third-party plugin (``fithub.plugins.manager.BUILTIN_PLUGINS``). Settings:
``FITHUB_USDA_API_KEY`` (a data.gov key, required; ``DEMO_KEY`` allows 30 requests an hour) and
``FITHUB_USDA_BASE_URL`` (default ``https://api.nal.usda.gov/fdc``; a fake FDC in tests).

- search: ``GET /v1/foods/search`` over Foundation, SR Legacy and Branded foods;
- food: ``GET /v1/food/{fdcId}``; :meth:`UsdaSource.foods` reads up to 20 ids per ``POST /v1/foods``;
- barcode: a Branded search for the UPC/GTIN, kept only when a hit's ``gtinUpc`` is that code.

The key is sent as the ``api_key`` query parameter and never appears in a message or a log.
api.data.gov allows a registered key 1,000 requests an hour (over it, the key is blocked for an
hour): the three operations share that budget. Answers are cached (foods and barcodes a day,
searches an hour, unknown foods ten minutes). FDC data is public domain (CC0). See
docs/nutrition-sources.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from fithub.plugins import hookimpl
from fithub.plugins.errors import (
    FoodNotFound,
    NutritionSourceError,
    SourceRateLimited,
)
from fithub.plugins.nutrition import (
    FoodFacts,
    FoodPage,
    NutritionSource,
    SourceContext,
    SourceOperation,
)
from fithub.plugins.nutrition_http import FoodCache, SourceHTTP, gtin13, key_part
from fithub.plugins.types import PluginHost, RateLimit
from fithub.plugins.usda import mapping

BASE_URL = "https://api.nal.usda.gov/fdc"
DATA_TYPES = "Foundation,SR Legacy,Branded"
BATCH = 20  # POST /v1/foods takes at most 20 ids
MAX_PAGE = 200  # the largest pageSize FDC accepts
HOURLY = RateLimit(requests=1000, per_seconds=3600)
BLOCKED_S = 3600.0  # api.data.gov blocks an over-limit key for an hour
FOOD_TTL_S, SEARCH_TTL_S, MISSING_TTL_S = 86400, 3600, 600
KEY_ERRORS = ("API_KEY_MISSING", "API_KEY_INVALID", "API_KEY_DISABLED", "API_KEY_UNAUTHORIZED",
              "API_KEY_UNVERIFIED")  # fmt: skip


def _error_code(text: str) -> str:
    """The api.data.gov error code of a refusal (``{"error": {"code": ...}}``), or ""."""
    try:
        body = json.loads(text)
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code") or "") if isinstance(error, dict) else ""


class UsdaSource:
    """USDA FoodData Central: generic (SR Legacy, Foundation) and Branded foods with barcodes."""

    name: ClassVar[str] = "usda"
    display_name: ClassVar[str] = "USDA FoodData Central"
    needs_network: ClassVar[bool] = True
    needs_api_key: ClassVar[bool] = True
    barcodes: ClassVar[bool] = True
    attribution: ClassVar[str] = (
        "USDA FoodData Central (U.S. Department of Agriculture, Agricultural Research Service), "
        "public domain (CC0 1.0)"
    )
    limits: ClassVar[Mapping[SourceOperation, RateLimit]] = {
        "search": HOURLY,
        "food": HOURLY,
        "barcode": HOURLY,
    }

    def __init__(self, context: SourceContext) -> None:
        self.context = context
        settings = context.settings
        self._key = settings.api_key or ""
        self._base = (settings.base_url or BASE_URL).rstrip("/")
        self._http = SourceHTTP(
            context,
            "usda",
            headers={"User-Agent": settings.user_agent},
            secrets=(self._key,),
            rate_limited_wait=BLOCKED_S,
        )
        self._cache = FoodCache(context.cache, "usda", context.logger)

    async def _call(
        self, method: str, path: str, params: Mapping[str, str], json_body: Any = None
    ) -> Any:
        """The JSON answer of one call; FDC's refusals as nutrition errors, 404 as None."""
        if not self._key:
            raise NutritionSourceError("usda: no API key configured (FITHUB_USDA_API_KEY)")
        response = await self._http.call(
            method,
            f"{self._base}{path}",
            params={**params, "api_key": self._key},
            json_body=json_body,
            tolerate=(403, 404),
        )
        if response.status == 404:
            return None
        if response.status == 403:
            code = _error_code(str(response.body))
            if code == "OVER_RATE_LIMIT":
                raise SourceRateLimited("usda: over the key's rate limit", retry_after=BLOCKED_S)
            what = code if code in KEY_ERRORS else "403"
            raise NutritionSourceError(f"usda {method} {path}: the API key was refused ({what})")
        return response.body

    async def search(self, text: str, *, page: int = 1, page_size: int = 20) -> FoodPage:
        """Foods matching ``text`` in Foundation, SR Legacy and Branded, FDC's relevance order."""
        key = self._cache.key("search", str(page), str(page_size), key_part(text))
        cached = await self._cache.page(key)
        if cached is not None:
            return cached
        params = {
            "query": text,
            "pageSize": str(min(page_size, MAX_PAGE)),
            "pageNumber": str(page),
            "dataType": DATA_TYPES,
        }
        body = await self._call("GET", "/v1/foods/search", params)
        hits, total = self._hits(body)
        items = tuple(f for f in map(mapping.food_facts, hits) if f is not None)
        result = FoodPage(items=items, total=total)
        await self._cache.put_page(key, result, SEARCH_TTL_S)
        return result

    @staticmethod
    def _hits(body: Any) -> tuple[list[Mapping[str, Any]], int]:
        foods = body.get("foods") if isinstance(body, dict) else None
        if not isinstance(foods, list):
            raise NutritionSourceError("usda GET search: the answer has no 'foods' list")
        total = body.get("totalHits", len(foods))
        total = total if isinstance(total, int) and total >= 0 else len(foods)
        return [f for f in foods if isinstance(f, Mapping)], total

    async def food(self, source_id: str) -> FoodFacts:
        """One food by FDC id (``FoodNotFound`` for an id FDC does not have)."""
        if not source_id.isdigit():
            raise FoodNotFound(f"usda: {source_id!r} is not an FDC id")
        key = self._cache.key("food", source_id)
        cached = await self._cache.food(key)
        if cached is not None:
            return cached
        body = await self._call("GET", f"/v1/food/{source_id}", {})
        if body is None:
            await self._cache.put_missing(key, MISSING_TTL_S)
            raise FoodNotFound(f"usda: no food {source_id}")
        if not isinstance(body, Mapping):
            raise NutritionSourceError("usda GET food: the answer is not a food")
        facts = mapping.food_facts(body)
        if facts is None:
            raise NutritionSourceError(f"usda: food {source_id} has no energy value")
        await self._cache.put_food(key, facts, FOOD_TTL_S)
        return facts

    async def foods(self, ids: Iterable[str]) -> list[FoodFacts]:
        """Several foods by FDC id, up to 20 per request, in FDC's order; unknown ids are left out."""
        wanted = list(dict.fromkeys(i for i in ids if i.isdigit()))
        found: list[FoodFacts] = []
        for start in range(0, len(wanted), BATCH):
            chunk = [int(i) for i in wanted[start : start + BATCH]]
            body = await self._call("POST", "/v1/foods", {}, {"fdcIds": chunk, "format": "full"})
            if body is None:
                continue
            if not isinstance(body, list):
                raise NutritionSourceError("usda POST foods: the answer is not a list")
            for item in body:
                facts = mapping.food_facts(item) if isinstance(item, Mapping) else None
                if facts is not None:
                    await self._cache.put_food(
                        self._cache.key("food", facts.source_id), facts, FOOD_TTL_S
                    )
                    found.append(facts)
        return found

    async def barcode(self, code: str) -> FoodFacts:
        """The Branded food whose ``gtinUpc`` is ``code`` (searched as its 12-digit UPC-A)."""
        key = self._cache.key("barcode", code)
        cached = await self._cache.food(key)
        if cached is not None:
            return cached
        query = code[1:] if len(code) == 13 and code.startswith("0") else code
        params = {"query": query, "pageSize": "10", "pageNumber": "1", "dataType": "Branded"}
        hits, _ = self._hits(await self._call("GET", "/v1/foods/search", params))
        for hit in hits:
            if gtin13(hit.get("gtinUpc")) == code:
                facts = mapping.food_facts(hit)
                if facts is not None:
                    await self._cache.put_food(key, facts, FOOD_TTL_S)
                    return facts
        await self._cache.put_missing(key, MISSING_TTL_S)
        raise FoodNotFound(f"usda: no Branded food with barcode {code}")


@hookimpl
def register_nutrition_sources(host: PluginHost) -> list[type[NutritionSource]]:
    """USDA FoodData Central."""
    return [UsdaSource]
