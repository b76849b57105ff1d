"""A fake USDA FoodData Central API v1: search, one food, a batch of foods, api.data.gov refusals.

Shapes follow the FDC API guide (vendors reference 3): full records carry ``foodNutrients`` as
``{nutrient: {id, number, name, unitName}, amount}`` and SR Legacy ``foodPortions`` (``amount``,
``modifier``, ``gramWeight``); search hits the abridged ``{nutrientId, nutrientNumber,
nutrientName, unitName, value}`` with ``gtinUpc`` and serving fields. The catalogue holds real
SR Legacy values (bananas 173944, salted butter, reduced-fat peanut butter: as in SR28), a
Foundation food with only the Atwater energies and two Branded foods with UPCs (their FDC ids,
and the Foundation values, are illustrative).

Refusals are api.data.gov's: no key or a wrong one is a 403 ``{"error": {"code":
"API_KEY_MISSING" | "API_KEY_INVALID", ...}}``; ``over_limit`` answers ``OVER_RATE_LIMIT`` with
``over_limit_status`` (429, as api.data.gov does; 403 for older gateways). Faults and the request
log come from :class:`FakeVendor` (``fake.inject(status=503)``, ``fake.inject(delay_s=5)``);
``fake.user_agents`` lists each request's User-Agent.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from aiohttp import web
from aiohttp.typedefs import Middleware

from fithub.plugins.nutrition import SourceSettings
from fithub.plugins.testing.fake import FakeVendor, Handler

API_KEY = "fake-usda-key-0123456789abcdef0123456789"
# nutrient id -> (number, name, unit)
NUTRIENTS: dict[int, tuple[str, str, str]] = {
    1008: ("208", "Energy", "KCAL"),
    1062: ("268", "Energy", "kJ"),
    2047: ("957", "Energy (Atwater General Factors)", "KCAL"),
    2048: ("958", "Energy (Atwater Specific Factors)", "KCAL"),
    1003: ("203", "Protein", "G"),
    1004: ("204", "Total lipid (fat)", "G"),
    1005: ("205", "Carbohydrate, by difference", "G"),
    2000: ("269", "Sugars, total including NLEA", "G"),
    1079: ("291", "Fiber, total dietary", "G"),
    1258: ("606", "Fatty acids, total saturated", "G"),
    1093: ("307", "Sodium, Na", "MG"),
}


def _nutrients(values: dict[int, float]) -> list[dict[str, Any]]:
    return [
        {
            "type": "FoodNutrient",
            "id": 1_000_000 + n,
            "nutrient": {
                "id": n,
                "number": NUTRIENTS[n][0],
                "name": NUTRIENTS[n][1],
                "unitName": NUTRIENTS[n][2].lower() if n != 1062 else "kJ",
            },
            "amount": amount,
        }  # fmt: skip
        for n, amount in values.items()
    ]


def _portion(amount: float, modifier: str, grams: float, seq: int) -> dict[str, Any]:
    return {"id": 90000 + seq, "amount": amount, "modifier": modifier, "gramWeight": grams,
            "sequenceNumber": seq, "portionDescription": "",
            "measureUnit": {"id": 9999, "name": "undetermined", "abbreviation": "undetermined"}}  # fmt: skip


BANANA = {
    "fdcId": 173944, "dataType": "SR Legacy", "description": "Bananas, raw", "ndbNumber": 9040,
    "foodCategory": {"description": "Fruits and Fruit Juices"},
    "foodNutrients": _nutrients({1008: 89, 1062: 371, 1003: 1.09, 1004: 0.33, 1005: 22.84,
                                 2000: 12.23, 1079: 2.6, 1258: 0.112, 1093: 1}),
    "foodPortions": [_portion(1, "cup, mashed", 225, 1), _portion(1, "cup, sliced", 150, 2),
                     _portion(1, 'medium (7" to 7-7/8" long)', 118, 5),
                     _portion(1, "NLEA serving", 126, 8)],
}  # fmt: skip
BUTTER = {
    "fdcId": 173410, "dataType": "SR Legacy", "description": "Butter, salted", "ndbNumber": 1001,
    "foodCategory": {"description": "Dairy and Egg Products"},
    "foodNutrients": _nutrients({1008: 717, 1003: 0.85, 1004: 81.11, 1005: 0.06, 2000: 0.06,
                                 1079: 0, 1258: 51.368, 1093: 643}),
    "foodPortions": [_portion(1, "tbsp", 14.2, 2), _portion(1, "stick", 113, 4)],
}  # fmt: skip
PEANUT_BUTTER = {
    "fdcId": 172471, "dataType": "SR Legacy", "description": "Peanut butter, smooth, reduced fat",
    "ndbNumber": 16150, "foodCategory": {"description": "Legumes and Legume Products"},
    "foodNutrients": _nutrients({1008: 520, 1003: 25.9, 1004: 34, 1005: 35.65, 2000: 9.28,
                                 1079: 5.2, 1258: 5.76, 1093: 540}),
    "foodPortions": [_portion(2, "tablespoon", 36, 1)],
}  # fmt: skip
HUMMUS = {
    "fdcId": 321358, "dataType": "Foundation", "description": "Hummus, commercial",
    "foodCategory": {"description": "Legumes and Legume Products"},
    "foodNutrients": _nutrients({2047: 229, 2048: 237, 1003: 7.35, 1004: 17.1, 1005: 14.9,
                                 1079: 5.4, 1093: 426}),
    "foodPortions": [{"id": 120001, "amount": 1.0, "gramWeight": 15.0, "modifier": "",
                      "portionDescription": "", "sequenceNumber": 1,
                      "measureUnit": {"id": 1001, "name": "tablespoon", "abbreviation": "tbsp"}}],
}  # fmt: skip
NUTELLA = {
    "fdcId": 2099245, "dataType": "Branded", "description": "HAZELNUT SPREAD WITH COCOA",
    "brandOwner": "Ferrero U.S.A., Incorporated", "brandName": "NUTELLA",
    "gtinUpc": "009800800056", "brandedFoodCategory": "Nut & Seed Butters",
    "servingSize": 37.0, "servingSizeUnit": "g", "householdServingFullText": "2 Tbsp",
    # per 100 g, from the label's 37 g serving: 200 kcal, 11 g fat, 22 g carbohydrate ...
    "foodNutrients": _nutrients({1008: 541, 1003: 5.41, 1004: 29.73, 1005: 59.46, 2000: 56.76,
                                 1079: 2.7, 1258: 10.81, 1093: 41}),
    "labelNutrients": {"calories": {"value": 200.0}, "fat": {"value": 11.0},
                       "sodium": {"value": 15.0}},
}  # fmt: skip
COLA = {
    "fdcId": 2346412, "dataType": "Branded", "description": "COCA-COLA, CLASSIC",
    "brandOwner": "The Coca-Cola Company", "gtinUpc": "049000028911",
    "brandedFoodCategory": "Soda", "servingSize": 355.0, "servingSizeUnit": "MLT",
    "householdServingFullText": "1 can",
    # per 100 ml, from the label's 355 ml can: 140 kcal, 39 g sugars, 45 mg sodium
    "foodNutrients": _nutrients({1008: 39, 1003: 0, 1004: 0, 1005: 11, 2000: 11, 1093: 13}),
    "labelNutrients": {"calories": {"value": 140.0}, "sugars": {"value": 39.0}},
}  # fmt: skip
CATALOGUE: tuple[dict[str, Any], ...] = (BANANA, BUTTER, PEANUT_BUTTER, HUMMUS, NUTELLA, COLA)


def abridged(food: dict[str, Any]) -> dict[str, Any]:
    """A full record as a search hit: flat nutrients, no portions, the category as text."""
    hit = {k: v for k, v in food.items() if k not in ("foodNutrients", "foodPortions")}
    category = food.get("foodCategory")
    if isinstance(category, dict):
        hit["foodCategory"] = category["description"]
    elif "brandedFoodCategory" in food:
        hit["foodCategory"] = food["brandedFoodCategory"]
    hit["foodNutrients"] = [
        {
            "nutrientId": n["nutrient"]["id"],
            "nutrientNumber": n["nutrient"]["number"],
            "nutrientName": n["nutrient"]["name"],
            "unitName": n["nutrient"]["unitName"].upper(),
            "value": n["amount"],
        }  # fmt: skip
        for n in food["foodNutrients"]
    ]
    return hit


def _refusal(status: int, code: str, message: str) -> web.Response:
    body = {"error": {"code": code, "message": message}}
    return web.json_response(body, status=status)


class FakeUsda(FakeVendor):
    """FoodData Central on loopback, with a fixed catalogue and api.data.gov's key checks."""

    name: ClassVar[str] = "usda"
    data_prefix: ClassVar[str] = "/v1/"

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.foods: dict[int, dict[str, Any]] = {f["fdcId"]: f for f in CATALOGUE}
            self.user_agents: list[str] = []
            self.over_limit = False
            self.over_limit_status = 429

    def settings(self, api_key: str = API_KEY) -> SourceSettings:
        """Source settings pointing at this fake, with its key."""
        return SourceSettings(api_key=api_key, base_url=self.url)

    def fithub_env(self) -> dict[str, str]:
        return {"FITHUB_USDA_API_KEY": API_KEY, "FITHUB_USDA_BASE_URL": self.url}

    def middlewares(self) -> list[Middleware]:
        return [*super().middlewares(), self._keys]

    @web.middleware
    async def _keys(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        with self._lock:
            self.user_agents.append(request.headers.get("User-Agent", ""))
        key = request.query.get("api_key") or request.headers.get("X-Api-Key")
        if not key:
            return _refusal(403, "API_KEY_MISSING", "No api_key was supplied.")
        if key != API_KEY:
            return _refusal(403, "API_KEY_INVALID", "An invalid api_key was supplied.")
        if self.over_limit:
            return _refusal(self.over_limit_status, "OVER_RATE_LIMIT",
                            "You have exceeded your rate limit. Try again later.")  # fmt: skip
        return await handler(request)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/v1/foods/search", self._search)
        router.add_get("/v1/food/{fdc_id}", self._food)
        router.add_post("/v1/foods", self._foods)

    def _matches(self, food: dict[str, Any], query: str) -> bool:
        if query and query == food.get("gtinUpc"):
            return True
        text = " ".join(str(food.get(k, "")) for k in ("description", "brandOwner", "brandName"))
        words = text.lower().replace(",", " ").split()
        return bool(query) and all(
            any(w.startswith(q) for w in words) for q in query.lower().split()
        )

    async def _search(self, request: web.Request) -> web.Response:
        query = request.query.get("query", "").strip()
        kinds = {k.strip() for k in request.query.get("dataType", "").split(",") if k.strip()}
        try:
            size = int(request.query.get("pageSize", "50"))
            number = int(request.query.get("pageNumber", "1"))
        except ValueError:
            return _refusal(400, "BAD_REQUEST", "pageSize and pageNumber are numbers")
        if not 1 <= size <= 200 or number < 1:
            return _refusal(400, "BAD_REQUEST", "pageSize is 1..200, pageNumber from 1")
        with self._lock:
            hits = [f for f in self.foods.values()
                    if self._matches(f, query) and (not kinds or f["dataType"] in kinds)]  # fmt: skip
        page = hits[(number - 1) * size : number * size]
        pages = (len(hits) + size - 1) // size
        return web.json_response({"totalHits": len(hits), "currentPage": number,
                                  "totalPages": pages, "foods": [abridged(f) for f in page]})  # fmt: skip

    async def _food(self, request: web.Request) -> web.Response:
        raw = request.match_info["fdc_id"]
        with self._lock:
            food = self.foods.get(int(raw)) if raw.isdigit() else None
        if food is None:
            return web.Response(status=404, text="")
        return web.json_response(food)

    async def _foods(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.text())
            ids = [int(i) for i in body["fdcIds"]]
        except (ValueError, KeyError, TypeError):
            return _refusal(400, "BAD_REQUEST", "fdcIds: a list of ids")
        if not 1 <= len(ids) <= 20:
            return _refusal(400, "BAD_REQUEST", "fdcIds: 1 to 20 ids")
        with self._lock:
            found = [self.foods[i] for i in ids if i in self.foods]
        return web.json_response(found)
