"""The per-process services an app or worker holds (``Runtime``), and the current app's one.

Built by ``fithub.core.bootstrap.build_runtime``; types only here, so any module may ask for the
runtime without importing what it wires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from quart import current_app

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from fithub.core.accounts.services import AccountService
    from fithub.core.config import Settings
    from fithub.core.devices.gateway import ProviderGateway
    from fithub.core.fanout import Fanout
    from fithub.core.keys import KeyRing
    from fithub.core.notifications.service import NotificationService
    from fithub.core.nutrition.sources import SourceGateway
    from fithub.core.ratelimit import Limiter
    from fithub.plugins.manager import PluginRegistry


@dataclass
class Runtime:
    """Built once per process; holds no state another process would need."""

    settings: Settings
    keys: KeyRing
    redis: Redis | None
    limiter: Limiter
    accounts: AccountService
    plugins: PluginRegistry = field(repr=False)
    devices: ProviderGateway = field(repr=False)
    fanout: Fanout = field(repr=False)
    notifications: NotificationService = field(repr=False)
    nutrition: SourceGateway = field(repr=False)


def runtime() -> Runtime:
    """The runtime of the app handling the current request (or WebSocket)."""
    found: Runtime = current_app.config["FITHUB"]
    return found
