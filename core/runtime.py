"""The per-process services an app or worker holds: settings, keys, token issuer, limiter, plugins."""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.asyncio import Redis

from fithub.core.accounts.services import AccountService
from fithub.core.config import Settings
from fithub.core.devices.hub import DeviceHub
from fithub.core.keys import KeyRing, load_or_create_keys
from fithub.core.ratelimit import Limiter, MemoryLimiter, RedisLimiter
from fithub.core.security.tokens import TokenIssuer
from fithub.plugins.manager import PluginRegistry, load_plugins


@dataclass
class Runtime:
    """Built once per process; holds no state another process would need."""

    settings: Settings
    keys: KeyRing
    redis: Redis | None
    limiter: Limiter
    accounts: AccountService
    plugins: PluginRegistry = field(repr=False)
    devices: DeviceHub = field(repr=False)


def build_runtime(settings: Settings) -> Runtime:
    """Wire the process's services from its settings."""
    keys = load_or_create_keys(settings.resolved_data_dir)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    limiter: Limiter = (
        RedisLimiter(redis, prefix=f"{settings.redis_namespace}:rl:")
        if redis is not None
        else MemoryLimiter()
    )
    issuer = TokenIssuer(keys, settings.jwt_issuer, settings.access_token_ttl)
    plugins = load_plugins()
    return Runtime(
        settings=settings,
        keys=keys,
        redis=redis,
        limiter=limiter,
        accounts=AccountService(settings, issuer, limiter),
        plugins=plugins,
        devices=DeviceHub(settings, keys, redis, limiter, plugins),
    )
