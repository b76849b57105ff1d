"""The built-in Open Food Facts nutrition source (https://openfoodfacts.github.io/openfoodfacts-server/api/).

Registered like any third-party plugin (``fithub.plugins.manager.BUILTIN_PLUGINS``). No key:
Open Food Facts asks every client to identify itself with ``User-Agent: AppName/Version
(contact)``, sent on every request. Settings: ``FITHUB_OPENFOODFACTS_USER_AGENT`` (the whole
header; default fithub's own, ``fithub/<version> (<contact>)``);
``FITHUB_OPENFOODFACTS_OPTION_CONTACT`` appends ``(<contact>)`` to one that names no contact;
``FITHUB_OPENFOODFACTS_BASE_URL`` (default ``https://world.openfoodfacts.org``; the staging
host ``https://world.openfoodfacts.net``, a fake in tests).

- barcode / food (the source id is the barcode): ``GET /api/v2/product/{code}.json?fields=...``;
- search: the full-text ``GET /cgi/search.pl?search_terms=...&json=1`` (API v2's search only
  filters by tags).

Limits: Open Food Facts counts per IP 10 searches a minute and, for product reads, 100 a minute
in its older documentation but 15 a minute in its current one. fithub declares **15** product
reads a minute: a throttled client gets 503s without any rate header (so no way to learn the
real budget from the answers), and exceeding the limit repeatedly can get the IP blocked;
caching (products a day, searches an hour, unknown barcodes ten minutes) keeps a diary's
repeated look-ups off the vendor, so the stricter budget costs little. A 429 is
``SourceRateLimited`` and a 503 ``SourceUnavailable``, both with a 60 s wait.

Data: Open Database License (ODbL), Open Food Facts contributors. See docs/nutrition-sources.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any, ClassVar

from fithub.plugins import hookimpl
from fithub.plugins.errors import FoodNotFound, NutritionSourceError
from fithub.plugins.nutrition import (
    FoodFacts,
    FoodPage,
    NutritionSource,
    SourceContext,
    SourceOperation,
    SourceSettings,
)
from fithub.plugins.nutrition_http import FoodCache, SourceHTTP, key_part
from fithub.plugins.openfoodfacts import mapping
from fithub.plugins.types import PluginHost, RateLimit

BASE_URL = "https://world.openfoodfacts.org"
THROTTLED_WAIT_S = 60.0
MAX_PAGE = 100  # the largest page_size search.pl serves
PRODUCT_TTL_S, SEARCH_TTL_S, MISSING_TTL_S = 86400, 3600, 600
PRODUCT_READS = RateLimit(requests=15, per_seconds=60)
SEARCHES = RateLimit(requests=10, per_seconds=60)


def user_agent(settings: SourceSettings) -> str:
    """The User-Agent to send: ``settings.user_agent`` (``fithub/<version>`` when it is the bare
    default), with ``(<contact option>)`` appended when it names no contact yet."""
    agent = settings.user_agent.strip() or "fithub"
    if agent == "fithub":
        try:
            agent = f"fithub/{version('fithub')}"
        except PackageNotFoundError:  # pragma: no cover - a source checkout that is not installed
            agent = "fithub/0"
    contact = settings.options.get("contact", "").strip()
    return f"{agent} ({contact})" if contact and "(" not in agent else agent


class OpenFoodFactsSource:
    """Open Food Facts: packaged foods from around the world, found by barcode or name."""

    name: ClassVar[str] = "openfoodfacts"
    display_name: ClassVar[str] = "Open Food Facts"
    needs_network: ClassVar[bool] = True
    needs_api_key: ClassVar[bool] = False
    barcodes: ClassVar[bool] = True
    attribution: ClassVar[str] = "ODbL, Open Food Facts contributors"
    limits: ClassVar[Mapping[SourceOperation, RateLimit]] = {
        "search": SEARCHES,
        "food": PRODUCT_READS,
        "barcode": PRODUCT_READS,
    }

    def __init__(self, context: SourceContext) -> None:
        self.context = context
        self.user_agent = user_agent(context.settings)
        if "(" not in self.user_agent:
            context.logger.warning(
                "openfoodfacts: no contact in the User-Agent; Open Food Facts asks for one "
                "(set FITHUB_OPENFOODFACTS_OPTION_CONTACT)"
            )
        self._base = (context.settings.base_url or BASE_URL).rstrip("/")
        self._http = SourceHTTP(
            context,
            "openfoodfacts",
            headers={"User-Agent": self.user_agent, "Accept": "application/json"},
            rate_limited_wait=THROTTLED_WAIT_S,
            unavailable_wait=THROTTLED_WAIT_S,
        )
        self._cache = FoodCache(context.cache, "openfoodfacts", context.logger)

    async def barcode(self, code: str) -> FoodFacts:
        """The product with this barcode (``FoodNotFound`` when OFF has none, or no energy)."""
        key = self._cache.key("product", code)
        cached = await self._cache.food(key)
        if cached is not None:
            return cached
        response = await self._http.call(
            "GET",
            f"{self._base}/api/v2/product/{code}.json",
            params={"fields": mapping.FIELDS},
            tolerate=(404,),
        )
        body: Any = response.body
        product = body.get("product") if isinstance(body, dict) else None
        if response.status == 404 or (isinstance(body, dict) and body.get("status") == 0):
            await self._cache.put_missing(key, MISSING_TTL_S)
            raise FoodNotFound(f"openfoodfacts: no product {code}")
        if not isinstance(product, Mapping):
            raise NutritionSourceError("openfoodfacts GET product: the answer has no product")
        facts = mapping.food_facts(product, code)
        if facts is None:
            await self._cache.put_missing(key, MISSING_TTL_S)
            raise FoodNotFound(f"openfoodfacts: product {code} has no name or energy value")
        await self._cache.put_food(key, facts, PRODUCT_TTL_S)
        return facts

    async def food(self, source_id: str) -> FoodFacts:
        """A product by its source id, which is its barcode."""
        if not source_id.isdigit():
            raise FoodNotFound(f"openfoodfacts: {source_id!r} is not a barcode")
        return await self.barcode(source_id)

    async def search(self, text: str, *, page: int = 1, page_size: int = 20) -> FoodPage:
        """Products matching ``text`` (full text over names and brands), OFF's popularity order."""
        key = self._cache.key("search", str(page), str(page_size), key_part(text))
        cached = await self._cache.page(key)
        if cached is not None:
            return cached
        params = {
            "search_terms": text,
            "search_simple": "1",
            "action": "process",
            "json": "1",
            "page": str(page),
            "page_size": str(min(page_size, MAX_PAGE)),
            "fields": mapping.FIELDS,
        }
        body: Any = (
            await self._http.call("GET", f"{self._base}/cgi/search.pl", params=params)
        ).body
        products = body.get("products") if isinstance(body, dict) else None
        if not isinstance(products, list):
            raise NutritionSourceError("openfoodfacts GET search: the answer has no products")
        items = tuple(
            facts
            for facts in (mapping.food_facts(p) for p in products if isinstance(p, Mapping))
            if facts is not None
        )
        try:  # older servers send the count as text
            total = max(int(body.get("count", len(products))), 0)
        except (TypeError, ValueError):
            total = len(products)
        result = FoodPage(items=items, total=total)
        await self._cache.put_page(key, result, SEARCH_TTL_S)
        return result


@hookimpl
def register_nutrition_sources(host: PluginHost) -> list[type[NutritionSource]]:
    """Open Food Facts."""
    return [OpenFoodFactsSource]
