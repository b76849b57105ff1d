"""HTTP, caching and barcodes shared by fithub's built-in network nutrition sources (USDA, OFF).

:class:`SourceHTTP` sends requests through :class:`~fithub.plugins.http.VendorHTTP` over the
context's shared session (one request bounded by ``context.timeout_s``) and turns its
``Provider*`` errors into the nutrition-source errors at the boundary:

- no connection, a reset, a timeout, 408, 5xx -> ``SourceUnavailable`` (the source's default wait)
- 429 -> ``SourceRateLimited`` (``Retry-After`` when given, else the source's default wait)
- a 2xx body that is not JSON, any other status >= 400 -> ``NutritionSourceError``

Statuses a source reads itself (a 404, a 403 with an error code) come back unraised through
``tolerate``. Messages carry the method and path only, and every secret the source names (an
API key) is blanked from them; the vendor's exception is not chained (its text may hold a URL).

:class:`FoodCache` keeps normalised :class:`FoodFacts` and :class:`FoodPage` as JSON in the
context's :class:`SourceCache`, with a negative entry for a food the vendor does not have.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Container, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from fithub.plugins.barcodes import InvalidBarcode, normalise_barcode
from fithub.plugins.errors import (
    FoodNotFound,
    NutritionSourceError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    SourceRateLimited,
    SourceUnavailable,
)
from fithub.plugins.http import REDACTED, VendorHTTP, VendorResponse
from fithub.plugins.nutrition import (
    FoodFacts,
    FoodPage,
    Nutrients,
    Serving,
    SourceCache,
    SourceContext,
)

CACHE_FORMAT = 1


def blank(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every non-empty secret replaced by ``[redacted]``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


class SourceHTTP:
    """HTTP to one food vendor, with the nutrition errors of :mod:`fithub.plugins.errors`."""

    def __init__(
        self,
        context: SourceContext,
        vendor: str,
        *,
        headers: Mapping[str, str] | None = None,
        secrets: Sequence[str] = (),
        rate_limited_wait: float | None = None,
        unavailable_wait: float | None = None,
    ) -> None:
        self._http = VendorHTTP(context.session, vendor, timeout_s=context.timeout_s)
        self._headers = dict(headers or {})
        self._secrets = tuple(s for s in secrets if s)
        self.rate_limited_wait = rate_limited_wait
        self.unavailable_wait = unavailable_wait

    def clean(self, text: str) -> str:
        """``text`` without the source's secrets (for messages and logs)."""
        return blank(text, self._secrets)

    async def call(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        tolerate: Container[int] = (),
    ) -> VendorResponse:
        """Send one request; the parsed answer (or a tolerated status with its text)."""
        try:
            return await self._http.request(
                method,
                url,
                params=params,
                json_body=json_body,
                headers=self._headers,
                tolerate=tolerate,
            )
        except ProviderRateLimited as exc:
            wait = exc.retry_after if exc.retry_after is not None else self.rate_limited_wait
            raise SourceRateLimited(self.clean(str(exc)), retry_after=wait) from None
        except ProviderUnavailable as exc:
            raise SourceUnavailable(
                self.clean(str(exc)), retry_after=self.unavailable_wait
            ) from None
        except ProviderError as exc:
            raise NutritionSourceError(self.clean(str(exc))) from None


def gtin13(raw: object) -> str | None:
    """A vendor's GTIN-8/12/13/14 (a UPC-A, an EAN) as the GTIN-13 fithub keeps, or None.

    :func:`~fithub.plugins.barcodes.normalise_barcode` after dropping a GTIN-14's leading zero;
    a code it refuses (a wrong check digit, a GTIN-14 with a packaging indicator) is None.
    """
    digits = str(raw or "").strip()
    if len(digits) == 14 and digits.startswith("0"):
        digits = digits[1:]
    try:
        return normalise_barcode(digits)
    except InvalidBarcode:
        return None


def key_part(text: str) -> str:
    """A short, stable cache-key part for free text (a search query)."""
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()[:32]


def facts_to_json(facts: FoodFacts) -> dict[str, Any]:
    """A :class:`FoodFacts` as plain JSON values."""
    return asdict(facts)


def facts_from_json(data: Mapping[str, Any]) -> FoodFacts:
    """The :class:`FoodFacts` :func:`facts_to_json` made (KeyError/TypeError when it is not one)."""
    return FoodFacts(
        source_id=data["source_id"],
        name=data["name"],
        per_100=Nutrients(**data["per_100"]),
        basis=data["basis"],
        brand=data["brand"],
        barcode=data["barcode"],
        category=data["category"],
        servings=tuple(Serving(**s) for s in data["servings"]),
    )


class FoodCache:
    """Foods and search pages of one source in a :class:`SourceCache`, as JSON.

    A cache that fails (Redis gone) is logged and treated as empty: a look-up goes to the vendor.
    """

    def __init__(self, cache: SourceCache, namespace: str, logger: logging.Logger) -> None:
        self._cache = cache
        self._namespace = namespace
        self._log = logger

    def key(self, *parts: str) -> str:
        """The key of an entry: ``<namespace>:<part>:<part>...``."""
        return ":".join((self._namespace, *parts))

    async def _get(self, key: str) -> Any:
        try:
            raw = await self._cache.get(key)
        except Exception as exc:  # a broken cache must not fail the look-up
            self._log.warning("%s: cache read failed (%s)", self._namespace, type(exc).__name__)
            return None
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(value, dict) or value.get("v") != CACHE_FORMAT:
            return None
        return value

    async def _set(self, key: str, value: dict[str, Any], ttl_s: int) -> None:
        body = json.dumps({"v": CACHE_FORMAT, **value}, separators=(",", ":")).encode()
        try:
            await self._cache.set(key, body, ttl_s)
        except Exception as exc:  # a broken cache must not fail the look-up
            self._log.warning("%s: cache write failed (%s)", self._namespace, type(exc).__name__)

    async def food(self, key: str) -> FoodFacts | None:
        """The cached food under ``key``, None when not cached; ``FoodNotFound`` when cached absent."""
        value = await self._get(key)
        if value is None:
            return None
        if value.get("missing"):
            raise FoodNotFound(f"{self._namespace}: no such food (cached)")
        try:
            return facts_from_json(value["food"])
        except (KeyError, TypeError):
            return None

    async def put_food(self, key: str, facts: FoodFacts, ttl_s: int) -> None:
        """Keep ``facts`` under ``key`` for ``ttl_s`` seconds."""
        await self._set(key, {"food": facts_to_json(facts)}, ttl_s)

    async def put_missing(self, key: str, ttl_s: int) -> None:
        """Remember for ``ttl_s`` seconds that the vendor has no food under ``key``."""
        await self._set(key, {"missing": True}, ttl_s)

    async def page(self, key: str) -> FoodPage | None:
        """The cached search page under ``key``, or None."""
        value = await self._get(key)
        if value is None:
            return None
        try:
            items = tuple(facts_from_json(item) for item in value["items"])
            return FoodPage(items=items, total=int(value["total"]))
        except (KeyError, TypeError, ValueError):
            return None

    async def put_page(self, key: str, page: FoodPage, ttl_s: int) -> None:
        """Keep a search page under ``key`` for ``ttl_s`` seconds."""
        items = [facts_to_json(item) for item in page.items]
        await self._set(key, {"items": items, "total": page.total}, ttl_s)


def number(value: object) -> float | None:
    """A finite, non-negative number from JSON (a number or numeric text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    else:
        return None
    if result != result or result in (float("inf"), float("-inf")) or result < 0:
        return None
    return result
