"""A fake Open Food Facts: ``/api/v2/product/{code}.json`` and the full-text ``/cgi/search.pl``.

Shapes follow the OFF API docs (vendors reference 3): a product answer is ``{"code", "status":
1, "status_verbose": "product found", "product": {...}}`` restricted to the ``fields`` asked
for; an unknown barcode is a 404 with ``status`` 0; a search is ``{"count", "page",
"page_size", "page_count", "skip", "products"}``. The catalogue holds real label values:
Nutella 400 g (3017620422003), Coca-Cola 50 cl and Coca-Cola Zero 33 cl (per 100 ml, though
``nutrition_data_per`` says 100g, as OFF often does), Alpro soya drink 1 l (energy in kJ only,
salt without sodium) and a product without nutrition facts.

OFF throttles with a bare 503 (no rate headers): ``fake.inject(status=503)`` answers one;
``fake.inject(status=429)`` and ``fake.inject(delay_s=5)`` as usual. ``fake.user_agents`` lists
each request's User-Agent; ``fake.requests`` (from :class:`FakeVendor`) each request.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiohttp import web
from aiohttp.typedefs import Middleware

from fithub.plugins.nutrition import SourceSettings
from fithub.plugins.testing.fake import FakeVendor, Handler

CONTACT = "ops@fithub.example"

NUTELLA = {
    "code": "3017620422003", "product_name": "Nutella", "brands": "Nutella, Ferrero",
    "quantity": "400 g", "serving_size": "15 g", "serving_quantity": 15,
    "serving_quantity_unit": "g", "nutrition_data_per": "100g",
    "categories": "Breakfasts, Spreads, Sweet spreads, Hazelnut spreads, Cocoa and hazelnuts spreads",
    "nutriments": {"energy-kcal_100g": 539, "energy-kj_100g": 2252, "energy_100g": 2252,
                   "energy_unit": "kJ", "fat_100g": 30.9, "saturated-fat_100g": 10.6,
                   "carbohydrates_100g": 57.5, "sugars_100g": 56.3, "proteins_100g": 6.3,
                   "salt_100g": 0.107, "sodium_100g": 0.0428},
    "nutriscore_grade": "e", "nova_group": 4,
}  # fmt: skip
COLA = {
    "code": "5449000000996", "product_name": "Coca-Cola Original Taste", "brands": "Coca-Cola",
    "quantity": "50 cl", "serving_size": "1 bottle (500 ml)", "serving_quantity": "500",
    "nutrition_data_per": "100g", "categories": "Beverages, Carbonated drinks, Sodas, Colas",
    "nutriments": {"energy-kcal_100g": 42, "energy_100g": 180, "fat_100g": 0,
                   "saturated-fat_100g": 0, "carbohydrates_100g": 10.6, "sugars_100g": 10.6,
                   "proteins_100g": 0, "salt_100g": 0, "sodium_100g": 0},
}  # fmt: skip
COLA_ZERO = {
    "code": "5449000131805", "product_name": "Coca-Cola Zero Sugar", "brands": "Coca-Cola",
    "quantity": "33 cl", "serving_size": "1 can (330 ml)", "serving_quantity": 330,
    "nutrition_data_per": "100g", "categories": "Beverages, Carbonated drinks, Sodas, Diet sodas",
    "nutriments": {"energy-kcal_100g": 0.3, "energy_100g": 1.1, "fat_100g": 0,
                   "saturated-fat_100g": 0, "carbohydrates_100g": 0, "sugars_100g": 0,
                   "proteins_100g": 0, "salt_100g": 0.02},
}  # fmt: skip
ALPRO = {
    "code": "5411188080213", "product_name": "Alpro Soya Original", "brands": "Alpro",
    "quantity": "1 l", "nutrition_data_per": "100ml",
    "categories": "Beverages, Plant-based beverages, Soy-based drinks",
    "nutriments": {"energy_100g": 163, "energy_unit": "kJ", "fat_100g": 1.8,
                   "saturated-fat_100g": 0.3, "carbohydrates_100g": 2.5, "sugars_100g": 2.5,
                   "fiber_100g": 0.5, "proteins_100g": 3.0, "salt_100g": 0.09},
}  # fmt: skip
NO_FACTS = {
    "code": "4006381333931", "product_name": "Stabilo Boss highlighter", "brands": "Stabilo",
    "quantity": "1", "nutriments": {},
}  # fmt: skip
CATALOGUE: tuple[dict[str, Any], ...] = (NUTELLA, COLA, COLA_ZERO, ALPRO, NO_FACTS)


def _only(product: dict[str, Any], fields: str) -> dict[str, Any]:
    wanted = {f.strip() for f in fields.split(",") if f.strip()}
    return {k: v for k, v in product.items() if not wanted or k in wanted}


class FakeOpenFoodFacts(FakeVendor):
    """Open Food Facts on loopback, with a fixed catalogue."""

    name: ClassVar[str] = "openfoodfacts"
    data_prefix: ClassVar[str] = "/api/v2/|/cgi/"

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.products: dict[str, dict[str, Any]] = {p["code"]: p for p in CATALOGUE}
            self.user_agents: list[str] = []
            self.not_found_status = 404  # some OFF servers answer an unknown barcode with 200

    def settings(self, contact: str = CONTACT) -> SourceSettings:
        """Source settings pointing at this fake, with a contact for the User-Agent."""
        return SourceSettings(base_url=self.url, options={"contact": contact})

    def fithub_env(self) -> dict[str, str]:
        return {"FITHUB_OPENFOODFACTS_BASE_URL": self.url,
                "FITHUB_OPENFOODFACTS_OPTION_CONTACT": CONTACT}  # fmt: skip

    def middlewares(self) -> list[Middleware]:
        return [*super().middlewares(), self._agents]

    @web.middleware
    async def _agents(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        with self._lock:
            self.user_agents.append(request.headers.get("User-Agent", ""))
        return await handler(request)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/v2/product/{code}", self._product)
        router.add_get("/cgi/search.pl", self._search)

    async def _product(self, request: web.Request) -> web.Response:
        code = request.match_info["code"].removesuffix(".json")
        with self._lock:
            product = self.products.get(code)
        if product is None:
            body = {"code": code, "status": 0, "status_verbose": "product not found"}
            return web.json_response(body, status=self.not_found_status)
        fields = request.query.get("fields", "")
        return web.json_response({"code": code, "status": 1, "status_verbose": "product found",
                                  "product": _only(product, fields)})  # fmt: skip

    async def _search(self, request: web.Request) -> web.Response:
        if request.query.get("json") not in ("1", "true"):
            return web.Response(text="<html>search results</html>", content_type="text/html")
        terms = request.query.get("search_terms", "").lower().split()
        try:
            page = max(int(request.query.get("page", "1")), 1)
            size = min(max(int(request.query.get("page_size", "24")), 1), 100)
        except ValueError:
            return web.json_response({"error": "page and page_size are numbers"}, status=400)
        with self._lock:
            hits = [p for p in self.products.values()
                    if terms and all(t in f"{p['product_name']} {p['brands']}".lower() for t in terms)]  # fmt: skip
        chosen = hits[(page - 1) * size : page * size]
        fields = request.query.get("fields", "")
        return web.json_response({
            "count": len(hits), "page": page, "page_size": size, "page_count": len(chosen),
            "skip": (page - 1) * size, "products": [_only(p, fields) for p in chosen],
        })  # fmt: skip
