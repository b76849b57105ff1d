"""Per-process machinery of the devices domain: providers, their HTTP session, breakers, budgets, locks.

One :class:`ProviderGateway` lives on the Runtime of each process (API or worker). It makes each
provider once, with the process's shared aiohttp session and the app credentials from
``FITHUB_<NAME>_*``; guards every vendor call with a per-provider circuit breaker (pybreaker,
its state in Redis when configured so every process sees the same one); counts calls against the
limits the provider declares; and keeps one sync per connection at a time.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiohttp
import pybreaker
import redis as sync_redis
from redis.asyncio import Redis

from fithub.core.config import Settings
from fithub.core.devices.crypto import CredentialVault
from fithub.core.devices.errors import (
    BreakerOpen,
    ProviderNotConfigured,
    ProviderNotSupported,
    SyncBusy,
)
from fithub.core.devices.settings import ProviderAppSettings, provider_app_settings
from fithub.core.errors import NotFound
from fithub.core.keys import KeyRing
from fithub.core.ratelimit import Limiter
from fithub.core.version import __version__
from fithub.plugins.errors import ProviderUnavailable
from fithub.plugins.manager import PluginRegistry
from fithub.plugins.types import (
    AppCredentials,
    BatchImporter,
    DeviceProvider,
    FileImporter,
    ProviderContext,
)

log = logging.getLogger("fithub.devices")
T = TypeVar("T")

LOCK_TTL_S = 5 * 60  # the grant check's lock (syncs hold a lease on the connection row instead)
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)
REQUIRED_MEMBERS = ("auth_kind", "scopes", "data_types", "required_scopes", "rate_limits",
                    "max_window", "authorization_url", "exchange_code", "refresh", "revoke",
                    "fetch_page", "normalise", "handle_push")  # fmt: skip


@dataclass(frozen=True)
class BreakerState:
    state: str  # closed | open | half-open
    failures: int
    opened_at: datetime | None
    retry_at: datetime | None


def _counts_as_failure(exc: BaseException) -> bool:
    return isinstance(exc, ProviderUnavailable)


class _ClockedBreaker(pybreaker.CircuitBreaker):
    """pybreaker's breaker on the gateway's clock: stamped by it when it opens, tried again by it."""

    _NEVER_S = 10 * 365 * 86400.0  # pybreaker's own timer (the wall clock) never half-opens it

    def __init__(self, clock: Callable[[], datetime], reset_s: float, **options: Any) -> None:
        super().__init__(reset_timeout=self._NEVER_S, **options)
        self.clock, self.reset_s = clock, reset_s

    def retry_at(self) -> datetime | None:
        opened_at = self._state_storage.opened_at
        return None if opened_at is None else opened_at + timedelta(seconds=self.reset_s)

    def open(self) -> bool:
        with self._lock:
            tripped = super().open()
            self._state_storage.opened_at = self.clock()
            return tripped

    def call(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._lock:
            retry_at = self.retry_at() if self.current_state == pybreaker.STATE_OPEN else None
            if retry_at is not None and self.clock() >= retry_at:
                self.half_open()  # the wait is over: the next call is the trial
            return super().call(func, *args, **kwargs)


class ProviderGateway:
    """Providers and their guards for one process (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        keys: KeyRing,
        redis: Redis | None,
        limiter: Limiter,
        plugins: PluginRegistry,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or now_utc  # when breakers open and may try again (tests may pin it)
        self.config = settings.devices
        self.vault = CredentialVault(keys.secret_key, keys.retired_secret_keys)
        self.redis = redis
        self.limiter = limiter
        self.classes: dict[str, type[Any]] = {
            name: component.cls for name, component in plugins.components("device_provider").items()
        }
        self.apps: dict[str, ProviderAppSettings] = {
            name: provider_app_settings(name) for name in self.classes
        }
        self._instances: dict[str, DeviceProvider] = {}
        self._session: aiohttp.ClientSession | None = None
        self._breakers: dict[str, _ClockedBreaker] = {}
        self._breaker_redis = (
            sync_redis.Redis.from_url(settings.redis_url) if settings.redis_url else None
        )
        self._local_locks: set[int] = set()

    # -- providers --------------------------------------------------------------------------------

    def missing_members(self, name: str) -> list[str]:
        """What provider ``name`` lacks of the contract (empty: it can connect and sync)."""
        cls = self.classes[name]
        return [member for member in REQUIRED_MEMBERS if not hasattr(cls, member)]

    def provider_class(self, name: str) -> type[Any]:
        if name not in self.classes:
            raise NotFound(f"No device provider is called {name!r}.", code="unknown_provider")
        return self.classes[name]

    def file_importers(self) -> dict[str, type[FileImporter]]:
        """The providers offering the FileImporter capability (people upload their data), by name."""
        return {name: cls for name, cls in self.classes.items() if isinstance(cls, FileImporter)}

    def file_importer(self, name: str) -> type[FileImporter]:
        """Provider ``name`` as a file importer; 404 when there is none of that name, 422 when
        it takes no files."""
        cls = self.provider_class(name)
        if not isinstance(cls, FileImporter):
            raise ProviderNotSupported(f"{name} does not import files.")
        return cls

    def batch_importers(self) -> dict[str, type[BatchImporter]]:
        """The providers offering the BatchImporter capability (a person's app pushes), by name."""
        return {name: cls for name, cls in self.classes.items() if isinstance(cls, BatchImporter)}

    def batch_importer(self, name: str) -> type[BatchImporter]:
        """Provider ``name`` as a batch importer; 404 when there is none of that name, 422 when
        it takes no pushed batches."""
        cls = self.provider_class(name)
        if not isinstance(cls, BatchImporter):
            raise ProviderNotSupported(f"{name} takes no pushed batches.")
        return cls

    def require_usable(self, name: str, *, explain: bool = False) -> type[Any]:
        """The provider's class, if it implements the contract and its app is configured.

        What is missing (the contract members, the ``FITHUB_*`` settings) goes to the server log;
        the error names it only with ``explain`` (an authenticated user setting up a connection).
        Anyone else, such as a vendor's webhook call, learns only that the provider is not
        available.
        """
        cls = self.provider_class(name)
        missing = self.missing_members(name)
        if missing:
            log.warning("%s does not implement the provider contract (missing %s)",
                        name, ", ".join(missing))  # fmt: skip
            raise ProviderNotSupported(
                f"{name} does not implement the provider contract (missing {', '.join(missing)})."
                if explain
                else f"{name} is not available."
            )
        if not self.apps[name].configured:
            settings = f"FITHUB_{name.upper()}_CLIENT_ID and FITHUB_{name.upper()}_CLIENT_SECRET"
            log.warning("%s is not configured: set %s", name, settings)
            raise ProviderNotConfigured(
                f"{name} is not configured: set {settings}." if explain
                else f"{name} is not available."
            )  # fmt: skip
        return cls

    def redirect_uri(self, name: str) -> str:
        app = self.apps[name]
        return app.redirect_uri or (
            f"{self.settings.public_url.rstrip('/')}/api/v1/devices/{name}/callback"
        )

    def _credentials(self, name: str) -> AppCredentials:
        app = self.apps[name]
        return AppCredentials(
            client_id=app.client_id,
            client_secret=app.client_secret.get_secret_value(),
            redirect_uri=self.redirect_uri(name),
            base_url=app.base_url,
            auth_base_url=app.auth_base_url,
            options=dict(app.options),
        )

    async def provider(self, name: str) -> DeviceProvider:
        """The process's instance of provider ``name`` (made on first use, on the running loop)."""
        cls = self.require_usable(name)
        if name not in self._instances:
            if self._session is None or self._session.closed:
                self._session = aiohttp.ClientSession(
                    headers={"User-Agent": f"fithub/{__version__}"}
                )
            context = ProviderContext(
                session=self._session,
                credentials=self._credentials(name),
                logger=logging.getLogger(f"fithub.providers.{name}"),
                timeout_s=self.config.http_timeout_s,
            )
            self._instances[name] = cls(context)
        return self._instances[name]

    async def close(self) -> None:
        session, self._session = self._session, None
        self._instances.clear()
        if session is not None and not session.closed:
            await session.close()
        if self._breaker_redis is not None:
            self._breaker_redis.close()

    # -- breakers ---------------------------------------------------------------------------------

    def breaker(self, name: str) -> _ClockedBreaker:
        if name not in self._breakers:
            storage: pybreaker.CircuitBreakerStorage
            if self._breaker_redis is not None:
                storage = pybreaker.CircuitRedisStorage(
                    pybreaker.STATE_CLOSED,
                    self._breaker_redis,
                    namespace=f"{self.settings.redis_namespace}:devices:{name}",
                )
            else:
                storage = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
            self._breakers[name] = _ClockedBreaker(
                self.clock,
                self.config.breaker_reset_s,
                fail_max=self.config.breaker_fail_max,
                exclude=[lambda exc: not _counts_as_failure(exc)],
                state_storage=storage,
                name=name,
                throw_new_error_on_trip=False,  # the failure that trips it is reported as itself
            )
        return self._breakers[name]

    def _read_breaker(self, name: str) -> BreakerState:
        breaker = self.breaker(name)
        opened_at = breaker._state_storage.opened_at  # pybreaker keeps it only in its storage
        state = breaker.current_state
        retry_at = breaker.retry_at() if state == pybreaker.STATE_OPEN else None
        return BreakerState(state, breaker.fail_counter, opened_at, retry_at)

    async def breaker_state(self, name: str) -> BreakerState:
        """The breaker as every process sees it (read off the loop: it may ask Redis)."""
        return await asyncio.to_thread(self._read_breaker, name)

    async def guarded(self, name: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run one vendor call under the provider's breaker; BreakerOpen while it is open.

        Only ProviderUnavailable (5xx, timeouts, connection failures) counts as a failure;
        a refused token or a rate limit says nothing about the vendor's health.
        """
        breaker = self.breaker(name)
        try:
            with breaker.calling():
                return await call()
        except pybreaker.CircuitBreakerError as exc:
            raise BreakerOpen(name, self._read_breaker(name).retry_at) from exc

    # -- budgets and locks ------------------------------------------------------------------------

    async def budget_wait(self, name: str, connection_id: int) -> float:
        """Seconds to wait before the next call to ``name`` fits its declared limits (0: go).

        A call that fits is counted against every limit at once.
        """
        limits = getattr(self.classes[name], "rate_limits", ())
        keys = []
        for limit in limits:
            owner = "app" if limit.scope == "app" else f"c{connection_id}"
            key = f"devices:{name}:{owner}:{limit.per_seconds}"
            wait = await self.limiter.retry_after(key, limit.requests, limit.per_seconds)
            if wait:
                return float(wait)
            keys.append((key, limit.per_seconds))
        for key, window in keys:
            await self.limiter.hit(key, window)
        return 0.0

    @asynccontextmanager
    async def sync_lock(self, connection_id: int) -> AsyncIterator[None]:
        """Hold a connection for a grant check (Redis when configured); SyncBusy if taken."""
        if self.redis is None:
            if connection_id in self._local_locks:
                raise SyncBusy(connection_id)
            self._local_locks.add(connection_id)
            try:
                yield
            finally:
                self._local_locks.discard(connection_id)
            return
        key = f"{self.settings.redis_namespace}:devices:sync:{connection_id}"
        token = secrets.token_hex(8)
        if not await self.redis.set(key, token, nx=True, ex=LOCK_TTL_S):
            raise SyncBusy(connection_id)
        try:
            yield
        finally:
            await self.redis.eval(_RELEASE, 1, key, token)


def now_utc() -> datetime:
    return datetime.now(UTC)
