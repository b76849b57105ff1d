"""The public plugin API of fithub: what a plugin package may import.

A plugin module implements one or more hooks from :mod:`fithub.plugins.hookspecs`::

    from fithub.plugins import hookimpl

    @hookimpl
    def register_device_providers(hub):
        return [MyProvider]

and is announced by an entry point in the ``fithub.plugins`` group.
"""

from __future__ import annotations

import pluggy

from fithub.plugins.errors import (
    PluginError,
    ProviderAuthFailed,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from fithub.plugins.types import (
    DeviceProvider,
    ExerciseClassifier,
    ExerciseCounter,
    Notifier,
    NutritionSource,
    PluginHost,
    PluginKind,
)

ENTRY_POINT_GROUP = "fithub.plugins"
hookimpl = pluggy.HookimplMarker("fithub")

__all__ = [
    "ENTRY_POINT_GROUP",
    "DeviceProvider",
    "ExerciseClassifier",
    "ExerciseCounter",
    "Notifier",
    "NutritionSource",
    "PluginError",
    "PluginHost",
    "PluginKind",
    "ProviderAuthFailed",
    "ProviderError",
    "ProviderRateLimited",
    "ProviderUnavailable",
    "hookimpl",
]
