"""The process's notifiers: one instance per loaded notifier plugin whose settings are complete.

A channel is named by its notifier plugin (``email``, ``sms``, ``push``, ``webhook``, ``inapp``...).
Each notifier gets its ``FITHUB_NOTIFIER_<NAME>_*`` environment values; one whose settings are
missing or wrong (no sender address for e-mail) is *unconfigured*: its deliveries are skipped
with that reason, and ``fithub doctor``/``GET /api/v1/notifications/channels`` say why.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp

from fithub.core.version import __version__
from fithub.plugins import Notifier, NotifierContext
from fithub.plugins.errors import NotifierError
from fithub.plugins.manager import PluginRegistry
from fithub.plugins.notifier import Publisher

log = logging.getLogger("fithub.notifications")


def notifier_settings(name: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The ``FITHUB_NOTIFIER_<NAME>_*`` values, keyed by the lower-case rest of the name."""
    prefix = f"FITHUB_NOTIFIER_{name.upper()}_"
    return {k[len(prefix) :].lower(): v for k, v in environ.items() if k.startswith(prefix)}


@dataclass
class ChannelSet:
    """Makes each notifier once, on first use, with the process's shared HTTP session."""

    registry: PluginRegistry
    publisher: Publisher | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)
    timeout_s: float = 30.0
    _instances: dict[str, Notifier] = field(default_factory=dict, repr=False)
    _problems: dict[str, str] = field(default_factory=dict)
    _session: aiohttp.ClientSession | None = field(default=None, repr=False)

    def names(self) -> list[str]:
        """Every loaded notifier's name."""
        return sorted(self.registry.components("notifier"))

    def get(self, name: str) -> Notifier | None:
        """The notifier ``name``, or None when it is not loaded or not configured (see ``problem``)."""
        if name in self._instances:
            return self._instances[name]
        if name in self._problems:
            return None
        component = self.registry.components("notifier").get(name)
        if component is None:
            self._problems[name] = f"no notifier plugin called {name!r} is loaded"
            return None
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"User-Agent": f"fithub/{__version__}"})
        context = NotifierContext(
            settings=notifier_settings(name, self.environ),
            session=self._session,
            logger=logging.getLogger(f"fithub.notifiers.{name}"),
            timeout_s=self.timeout_s,
            publisher=self.publisher,
        )
        try:
            instance: Notifier = component.cls(context)
        except (NotifierError, ValueError, KeyError, OSError) as exc:
            self._problems[name] = str(exc) or type(exc).__name__
            log.warning("notifier %s is not configured: %s", name, self._problems[name])
            return None
        self._instances[name] = instance
        return instance

    def problem(self, name: str) -> str | None:
        """Why ``name`` cannot deliver (after :meth:`get` returned None), else None."""
        return self._problems.get(name)

    def status(self) -> dict[str, str | None]:
        """Every loaded notifier with None when it can deliver, else the reason it cannot."""
        return {name: (None if self.get(name) else self.problem(name)) for name in self.names()}

    async def close(self) -> None:
        """Close what the notifiers opened and the shared session."""
        for instance in self._instances.values():
            closer = getattr(instance, "aclose", None)
            if closer is not None:
                await closer()
        self._instances.clear()
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()
