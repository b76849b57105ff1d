"""Finds, registers and queries plugins: built-ins first, then the ``fithub.plugins`` entry points.

A plugin that fails to import, register or answer its hooks is logged, listed with its error and
skipped; the rest of fithub starts normally.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, PackageNotFoundError, entry_points, version
from types import ModuleType
from typing import Any

import pluggy

from fithub.plugins import ENTRY_POINT_GROUP, hookspecs
from fithub.plugins.types import PluginHost, PluginKind

log = logging.getLogger("fithub.plugins")

# Built-in plugins are ordinary plugin modules, registered the same way as third-party ones.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "fithub.notifiers.log",
    "fithub.notifiers.email",
    "fithub.notifiers.sms",
    "fithub.notifiers.webhook",
    "fithub.notifiers.push",
    "fithub.notifiers.inapp",
    "fithub.vision.classifiers",
    "fithub.plugins.oura",
    "fithub.plugins.withings",
    "fithub.plugins.strava",
    "fithub.plugins.garmin",
    "fithub.plugins.polar",
    "fithub.plugins.whoop",
    "fithub.plugins.google",
    "fithub.plugins.fitbit",
    "fithub.plugins.apple_health",
    "fithub.plugins.usda",
    "fithub.plugins.openfoodfacts",
    "fithub.plugins.food_table",
)

HOOK_KINDS: dict[str, PluginKind] = {
    "register_device_providers": "device_provider",
    "register_nutrition_sources": "nutrition_source",
    "register_notifiers": "notifier",
    "register_exercise_classifiers": "exercise_classifier",
}


@dataclass
class Component:
    """One class a plugin contributed."""

    kind: PluginKind
    name: str
    display_name: str
    cls: type[Any] = field(repr=False)


@dataclass
class PluginRecord:
    """One plugin module and what became of it."""

    name: str
    module: str
    version: str
    builtin: bool
    status: str = "loaded"  # loaded | failed
    error: str | None = None
    components: list[Component] = field(default_factory=list)


@dataclass
class PluginRegistry:
    """Every plugin found, and the components of the ones that loaded."""

    records: list[PluginRecord]

    def components(self, kind: PluginKind) -> dict[str, Component]:
        """Components of one kind by name (the first plugin to claim a name wins)."""
        found: dict[str, Component] = {}
        for record in self.records:
            for component in record.components:
                if component.kind == kind:
                    found.setdefault(component.name, component)
        return found


def _distribution_version(module: str, ep: EntryPoint | None) -> str:
    dist = getattr(ep, "dist", None) if ep is not None else None
    if dist is not None:
        return str(dist.version)
    try:
        return version(module.split(".")[0])
    except PackageNotFoundError:
        return "unknown"


def _collect(
    pm: pluggy.PluginManager, plugin: ModuleType, record: PluginRecord, host: PluginHost
) -> None:
    """Call each registration hook this plugin implements, on its own, and keep valid classes."""
    hook_args: dict[str, Any] = {"host": host}
    for hook_name, kind in HOOK_KINDS.items():
        caller = getattr(pm.hook, hook_name)
        for impl in caller.get_hookimpls():
            if impl.plugin is not plugin:
                continue
            # Like pluggy itself: an implementation may take any subset of the spec's arguments.
            classes = impl.function(*(hook_args[arg] for arg in impl.argnames))
            for cls in classes or []:
                name = getattr(cls, "name", None)
                if not isinstance(name, str) or not name:
                    raise TypeError(f"{hook_name} returned {cls!r} without a 'name'")
                record.components.append(
                    Component(kind, name, str(getattr(cls, "display_name", name)), cls)
                )


def load_plugins(
    builtins: tuple[str, ...] = BUILTIN_PLUGINS, *, group: str = ENTRY_POINT_GROUP
) -> PluginRegistry:
    """Register built-ins and discovered plugins; never raises for a broken plugin."""
    from fithub.core.version import __version__

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    host = PluginHost(version=__version__, logger=log)
    records: list[PluginRecord] = []
    candidates: list[tuple[str, str, EntryPoint | None]] = [(m, m, None) for m in builtins]
    seen = set(builtins)
    for found in entry_points(group=group):
        if found.value in seen:
            continue  # fithub itself announces its built-ins too
        seen.add(found.value)
        candidates.append((found.name, found.value, found))
    for name, module_name, ep in candidates:
        record = PluginRecord(
            name=name,
            module=module_name,
            version=_distribution_version(module_name, ep),
            builtin=ep is None,
        )
        records.append(record)
        plugin: ModuleType | None = None
        try:
            plugin = ep.load() if ep is not None else importlib.import_module(module_name)
            if pm.has_plugin(name):  # pluggy's own message lists every module and its path
                raise ValueError(f"another plugin is already registered as {name!r}")
            pm.register(plugin, name=name)
            unknown = [h.name for h in pm.get_hookcallers(plugin) or [] if h.spec is None]
            if unknown:
                raise TypeError(f"implements unknown hooks: {', '.join(unknown)}")
            _collect(pm, plugin, record, host)
        except Exception as exc:  # a broken plugin must not stop the hub
            record.status, record.error = "failed", f"{type(exc).__name__}: {exc}"
            record.components.clear()
            if plugin is not None and pm.is_registered(plugin):
                pm.unregister(plugin)
            log.error("plugin %s failed to load and was skipped: %s", name, record.error)
    return PluginRegistry(records)
