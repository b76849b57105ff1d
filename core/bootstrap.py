"""Wiring a process: build its ``Runtime`` (keys, Redis, limiter, accounts, plugins, provider gateway)."""

from __future__ import annotations

from redis.asyncio import Redis

from fithub.core.accounts.services import AccountService
from fithub.core.config import Settings
from fithub.core.devices.crypto import CredentialVault
from fithub.core.devices.gateway import ProviderGateway
from fithub.core.fanout import Fanout
from fithub.core.keys import load_or_create_keys
from fithub.core.notifications import account_mail
from fithub.core.notifications.channels import ChannelSet
from fithub.core.notifications.service import NotificationService
from fithub.core.nutrition.sources import SourceGateway
from fithub.core.ratelimit import Limiter, MemoryLimiter, RedisLimiter
from fithub.core.runtime import Runtime
from fithub.core.security.tokens import TokenIssuer
from fithub.plugins.manager import load_plugins


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
    fanout = Fanout(redis, settings.redis_namespace)
    notifications = NotificationService(
        settings=settings,
        channels=ChannelSet(plugins, publisher=fanout),
        vault=CredentialVault(keys.secret_key, keys.retired_secret_keys),
        fanout=fanout,
    )
    account_mail.register(notifications)  # account e-mails go out through this process's notifiers
    return Runtime(
        settings=settings,
        keys=keys,
        redis=redis,
        limiter=limiter,
        accounts=AccountService(settings, issuer, limiter),
        plugins=plugins,
        devices=ProviderGateway(settings, keys, redis, limiter, plugins),
        fanout=fanout,
        notifications=notifications,
        nutrition=SourceGateway(settings, redis, limiter, plugins),
    )
