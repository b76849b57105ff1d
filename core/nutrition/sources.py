"""Per-process gateway to the nutrition sources: made once, guarded, counted, and their errors translated.

One :class:`SourceGateway` lives on the Runtime of each process. It makes each loaded
``nutrition_source`` plugin once, with a :class:`~fithub.plugins.nutrition.SourceContext` (the
process's shared aiohttp session, the ``FITHUB_<NAME>_*`` settings, a cache namespaced per
source: Redis when configured, else bounded process memory). Every call to a source:

1. is refused with ``source_not_configured`` (503) if the source needs an API key it lacks;
2. passes the source's circuit breaker (pybreaker, its state in Redis when configured), so a dead
   vendor answers 503 at once instead of making every request wait;
3. is counted against the source's declared ``limits`` (``fithub.core.ratelimit``, shared through
   Redis) and refused with 429 ``source_rate_limited`` when a limit is spent;
4. is bounded by a timeout; and
5. has its plugin errors translated: ``SourceRateLimited`` → 429, ``SourceUnavailable`` or a timeout
   → 503 ``source_unavailable``, ``FoodNotFound`` → 404 ``food_not_found``, anything else → 502
   ``source_error`` (logged with its traceback, never shown to the client).

A search page of a network source is cached for ``FITHUB_NUTRITION_SEARCH_CACHE_TTL_S`` seconds,
so repeated searches spend no vendor quota.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp
import pybreaker
import redis as sync_redis
from redis.asyncio import Redis

from fithub.core.config import Settings
from fithub.core.errors import NotFound, RateLimited
from fithub.core.nutrition.errors import (
    FoodSourceFailed,
    FoodSourceNotConfigured,
    FoodSourceUnavailable,
)
from fithub.core.nutrition.source_cache import MemorySourceCache, NamespacedCache, RedisSourceCache
from fithub.core.nutrition.source_settings import source_settings
from fithub.core.ratelimit import Limiter, take
from fithub.core.version import __version__
from fithub.plugins.errors import FoodNotFound, SourceRateLimited, SourceUnavailable
from fithub.plugins.manager import PluginRegistry
from fithub.plugins.nutrition import (
    FoodFacts,
    FoodPage,
    Nutrients,
    NutritionSource,
    Serving,
    SourceContext,
    SourceOperation,
    SourceSettings,
)
from fithub.plugins.types import RateLimit

log = logging.getLogger("fithub.nutrition.sources")
T = TypeVar("T")

CALL_TIMEOUT_FACTOR = 2
"""A whole call may take this many request timeouts (a source may make a second request)."""
DEFAULT_RATE_LIMITED_S = 60
"""Retry-After of a vendor's 429 that named no wait."""


@dataclass(frozen=True)
class SourceInfo:
    """What ``GET /nutrition/sources`` says about one source."""

    name: str
    display_name: str
    configured: bool
    barcodes: bool
    needs_network: bool
    attribution: str


def _counts_as_failure(exc: BaseException) -> bool:
    """What opens the breaker: the vendor is down or slow (not a refusal, a 404 or a bug)."""
    return isinstance(exc, SourceUnavailable | aiohttp.ClientConnectionError)


def _retry_after(seconds: float | None, default: int) -> int:
    return default if seconds is None or seconds <= 0 else max(1, math.ceil(seconds))


def source_rate_limited(retry_after: int, detail: str) -> RateLimited:
    """The 429 of a spent source quota (``code="source_rate_limited"``, with ``Retry-After``)."""
    error = RateLimited(retry_after, detail)
    error.code = "source_rate_limited"
    return error


class SourceGateway:
    """The nutrition sources of one process and their guards (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        redis: Redis | None,
        limiter: Limiter,
        plugins: PluginRegistry,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.config = settings.nutrition
        self.limiter = limiter
        self.classes: dict[str, type[Any]] = {
            name: component.cls
            for name, component in plugins.components("nutrition_source").items()
        }
        contact = self.config.contact or settings.public_url
        self.user_agent = f"fithub/{__version__} ({contact})"
        self.source_settings: dict[str, SourceSettings] = {
            name: source_settings(name, self.user_agent, environ) for name in self.classes
        }
        self.cache: MemorySourceCache | RedisSourceCache = (
            RedisSourceCache(redis, f"{settings.redis_namespace}:nutrition:cache:")
            if redis is not None
            else MemorySourceCache(self.config.cache_max_items)
        )
        self._instances: dict[str, NutritionSource] = {}
        self._session: aiohttp.ClientSession | None = None
        self._breakers: dict[str, pybreaker.CircuitBreaker] = {}
        self._breaker_redis = (
            sync_redis.Redis.from_url(settings.redis_url) if settings.redis_url else None
        )

    # -- the sources ------------------------------------------------------------------------------

    def configured(self, name: str) -> bool:
        """Whether source ``name`` has what it needs (an API key, if it asks for one)."""
        needs_key = bool(getattr(self.classes[name], "needs_api_key", False))
        return not needs_key or bool(self.source_settings[name].api_key)

    def list(self) -> list[SourceInfo]:
        """Every loaded source, in the order the plugins were registered."""
        return [
            SourceInfo(
                name=name,
                display_name=str(getattr(cls, "display_name", name)),
                configured=self.configured(name),
                barcodes=bool(getattr(cls, "barcodes", False)),
                needs_network=bool(getattr(cls, "needs_network", True)),
                attribution=str(getattr(cls, "attribution", "")),
            )
            for name, cls in self.classes.items()
        ]

    @property
    def default_source(self) -> str:
        """The source searched when a request names none (``FITHUB_NUTRITION_DEFAULT_SOURCE``)."""
        return self.config.default_source

    def barcode_source(self) -> str:
        """The source a barcode is looked up in when none is named: the first configured one
        that reads barcodes; 503 ``source_not_configured`` when there is none."""
        for info in self.list():
            if info.barcodes and info.configured:
                return info.name
        raise FoodSourceNotConfigured("No configured nutrition source looks barcodes up.")

    def require(self, name: str) -> type[Any]:
        """The class of source ``name``: 404 ``unknown_source``, 503 when not configured."""
        if name not in self.classes:
            raise NotFound(f"No nutrition source is called {name!r}.", code="unknown_source")
        if not self.configured(name):
            log.warning("nutrition source %s is not configured: set FITHUB_%s_API_KEY",
                        name, name.upper())  # fmt: skip
            raise FoodSourceNotConfigured(f"The nutrition source {name} is not configured.")
        return self.classes[name]

    async def source(self, name: str) -> NutritionSource:
        """The process's instance of source ``name`` (made on first use, on the running loop)."""
        cls = self.require(name)
        if name not in self._instances:
            if self._session is None or self._session.closed:
                self._session = aiohttp.ClientSession(
                    headers={"User-Agent": self.user_agent},
                    timeout=aiohttp.ClientTimeout(total=self.config.http_timeout_s),
                )
            context = SourceContext(
                session=self._session,
                settings=self.source_settings[name],
                cache=NamespacedCache(self.cache, name),
                logger=logging.getLogger(f"fithub.nutrition.sources.{name}"),
                timeout_s=self.config.http_timeout_s,
            )
            self._instances[name] = cls(context)
        return self._instances[name]

    async def close(self) -> None:
        """Close the shared session (on shutdown); sources are made again if used after."""
        session, self._session = self._session, None
        self._instances.clear()
        if session is not None and not session.closed:
            await session.close()
        if self._breaker_redis is not None:
            self._breaker_redis.close()
            self._breaker_redis = None

    # -- the operations ---------------------------------------------------------------------------

    async def search(
        self,
        name: str,
        text: str,
        *,
        page: int = 1,
        page_size: int = 20,
        user_id: int | None = None,
    ) -> FoodPage:
        """Page ``page`` of ``text``'s matches at source ``name`` (cached for network sources)."""
        cls = self.require(name)
        ttl = self.config.search_cache_ttl_s if getattr(cls, "needs_network", True) else 0
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        key = f"gateway:{name}:search:{digest}:{page}:{page_size}"
        if ttl:
            cached = await self.cache.get(key)
            if cached is not None:
                return page_from_json(cached)
        found = await self._call(
            name, "search", lambda s: s.search(text, page=page, page_size=page_size), user_id
        )
        if ttl:
            await self.cache.set(key, page_to_json(found), ttl)
        return found

    async def food(self, name: str, source_id: str, *, user_id: int | None = None) -> FoodFacts:
        """One food of source ``name`` by its id (404 ``food_not_found`` if it has none)."""
        return await self._call(name, "food", lambda s: s.food(source_id), user_id)

    async def barcode(self, name: str, code: str, *, user_id: int | None = None) -> FoodFacts:
        """The food with GTIN-13 ``code`` (already validated) at source ``name``."""
        return await self._call(name, "barcode", lambda s: s.barcode(code), user_id)

    async def _call(
        self,
        name: str,
        operation: SourceOperation,
        call: Callable[[NutritionSource], Awaitable[T]],
        user_id: int | None,
    ) -> T:
        instance = await self.source(name)
        breaker = self.breaker(name)
        try:
            with breaker.calling():
                await self._count(name, operation, user_id)
                try:
                    async with asyncio.timeout(self.config.http_timeout_s * CALL_TIMEOUT_FACTOR):
                        return await call(instance)
                except TimeoutError as exc:
                    raise SourceUnavailable(f"{name} did not answer in time") from exc
        except pybreaker.CircuitBreakerError as exc:
            raise FoodSourceUnavailable(
                f"The nutrition source {name} is failing; try again later.",
                headers={"Retry-After": str(self.breaker_retry_after(name))},
            ) from exc
        except RateLimited:
            raise
        except SourceRateLimited as exc:
            wait = _retry_after(exc.retry_after, DEFAULT_RATE_LIMITED_S)
            raise source_rate_limited(
                wait, f"The nutrition source {name} asks to slow down; try again in {wait} s."
            ) from exc
        except SourceUnavailable as exc:
            wait = _retry_after(exc.retry_after, self.config.unavailable_retry_after_s)
            log.warning("nutrition source %s is unavailable: %s", name, exc)
            raise FoodSourceUnavailable(
                f"The nutrition source {name} is unavailable; try again in {wait} s.",
                headers={"Retry-After": str(wait)},
            ) from exc
        except FoodNotFound as exc:
            raise NotFound(f"{name} has no such food.", code="food_not_found") from exc
        except Exception as exc:  # a plugin's bug or an untyped vendor error: never leak it
            log.error("nutrition source %s failed in %s", name, operation, exc_info=True)
            raise FoodSourceFailed(f"The nutrition source {name} answered with an error.") from exc

    async def _count(self, name: str, operation: SourceOperation, user_id: int | None) -> None:
        """Count one call against the source's declared limit; 429 when it is spent."""
        limits: Mapping[str, RateLimit] = getattr(self.classes[name], "limits", {}) or {}
        limit = limits.get(operation)
        if limit is None:
            return
        owner = f"u{user_id}" if limit.scope == "user" and user_id is not None else "app"
        key = f"nutrition:{name}:{operation}:{owner}:{limit.per_seconds}"
        wait = await take(self.limiter, key, limit.requests, limit.per_seconds)
        if wait:
            raise source_rate_limited(
                wait, f"The {operation} quota of {name} is spent; try again in {wait} s."
            )

    # -- breakers ---------------------------------------------------------------------------------

    def breaker(self, name: str) -> pybreaker.CircuitBreaker:
        """Source ``name``'s breaker (its state in Redis when configured)."""
        if name not in self._breakers:
            storage: pybreaker.CircuitBreakerStorage
            if self._breaker_redis is not None:
                storage = pybreaker.CircuitRedisStorage(
                    pybreaker.STATE_CLOSED,
                    self._breaker_redis,
                    namespace=f"{self.settings.redis_namespace}:nutrition:{name}",
                )
            else:
                storage = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
            self._breakers[name] = pybreaker.CircuitBreaker(
                fail_max=self.config.breaker_fail_max,
                reset_timeout=self.config.breaker_reset_s,
                exclude=[lambda exc: not _counts_as_failure(exc)],
                state_storage=storage,
                name=f"nutrition:{name}",
                throw_new_error_on_trip=False,  # the failure that trips it is reported as itself
            )
        return self._breakers[name]

    def breaker_retry_after(self, name: str) -> int:
        """Whole seconds until the open breaker of ``name`` lets a trial call through (at least 1)."""
        opened_at = self.breaker(name)._state_storage.opened_at  # pybreaker keeps it there only
        if opened_at is None:
            return max(1, math.ceil(self.config.breaker_reset_s))
        left = self.config.breaker_reset_s - (datetime.now(UTC) - opened_at).total_seconds()
        return max(1, math.ceil(left))


# -- cached search pages -------------------------------------------------------------------------


def page_to_json(page: FoodPage) -> bytes:
    """A search page as JSON bytes (for the cache)."""
    return json.dumps(asdict(page), separators=(",", ":")).encode()


def page_from_json(data: bytes) -> FoodPage:
    """The page :func:`page_to_json` wrote."""
    raw = json.loads(data)
    items = tuple(
        FoodFacts(
            source_id=item["source_id"],
            name=item["name"],
            per_100=Nutrients(**item["per_100"]),
            basis=item["basis"],
            brand=item["brand"],
            barcode=item["barcode"],
            category=item["category"],
            servings=tuple(Serving(**serving) for serving in item["servings"]),
        )
        for item in raw["items"]
    )
    return FoodPage(items=items, total=int(raw["total"]))
