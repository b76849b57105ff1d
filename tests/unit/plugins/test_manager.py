"""load_plugins() over fake entry points and modules made on the fly: no installed packages needed."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from importlib.metadata import EntryPoint
from types import ModuleType
from typing import Any

import pytest

from fithub.core.version import __version__
from fithub.notifiers.log import LogNotifier
from fithub.plugins import ENTRY_POINT_GROUP, PluginHost, hookimpl, hookspecs, manager
from fithub.plugins.manager import HOOK_KINDS, PluginRecord, load_plugins

LOG = "fithub.notifiers.log"


def component_class(name: str | None, display_name: str = "") -> type:
    attrs: dict[str, Any] = {"display_name": display_name or f"{name} (test)"}
    if name is not None:
        attrs["name"] = name
    return type(f"Component_{name}", (), attrs)


def returning(*classes: type) -> Callable[..., list[type]]:
    """A hook implementation returning ``classes``; the module attribute name picks the hook."""

    def impl(host: PluginHost) -> list[type]:
        return list(classes)

    return hookimpl(impl)


def raising(exc: Exception) -> Callable[..., list[type]]:
    def impl(host: PluginHost) -> list[type]:
        raise exc

    return hookimpl(impl)


@pytest.fixture
def make_module(monkeypatch: pytest.MonkeyPatch) -> Callable[..., ModuleType]:
    """Put a plugin module in ``sys.modules`` for the length of the test."""

    def make(name: str, **attrs: Any) -> ModuleType:
        module = ModuleType(name)
        for key, value in attrs.items():
            setattr(module, key, value)
        monkeypatch.setitem(sys.modules, name, module)
        return module

    return make


@pytest.fixture
def discovered(monkeypatch: pytest.MonkeyPatch) -> list[EntryPoint]:
    """The entry points load_plugins() will find: append to the list to "install" a plugin."""
    found: list[EntryPoint] = []
    monkeypatch.setattr(
        manager, "entry_points", lambda group: [ep for ep in found if ep.group == group]
    )
    return found


def announce(found: list[EntryPoint], name: str, module: str) -> None:
    found.append(EntryPoint(name=name, value=module, group=ENTRY_POINT_GROUP))


def by_name(records: list[PluginRecord]) -> dict[str, PluginRecord]:
    return {record.name: record for record in records}


def test_every_hookspec_has_a_plugin_kind() -> None:
    specs = {
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("register_")
    }
    assert specs == set(HOOK_KINDS)


def test_builtins_are_registered_like_third_party_plugins(
    discovered: list[EntryPoint], make_module: Callable[..., ModuleType]
) -> None:
    vendor = component_class("vendor")
    make_module("fake_vendor_plugin", register_device_providers=returning(vendor))
    announce(discovered, "vendor", "fake_vendor_plugin")

    registry = load_plugins(builtins=(LOG,))

    log, third = registry.records
    assert (log.name, log.module, log.builtin, log.status) == (LOG, LOG, True, "loaded")
    assert log.version == __version__
    assert [(c.kind, c.name, c.cls) for c in log.components] == [("notifier", "log", LogNotifier)]
    assert (third.name, third.module, third.builtin, third.status) == (
        "vendor",
        "fake_vendor_plugin",
        False,
        "loaded",
    )
    assert third.version == "unknown"  # no distribution behind a module made on the fly
    assert registry.components("notifier")["log"].display_name == "Log (development)"
    assert registry.components("device_provider")["vendor"].cls is vendor


def test_builtin_announced_again_by_entry_point_is_listed_once(
    discovered: list[EntryPoint],
) -> None:
    announce(discovered, "fithub-builtin-log-notifier", LOG)
    registry = load_plugins(builtins=(LOG,))
    assert [(r.name, r.builtin) for r in registry.records] == [(LOG, True)]


def test_broken_builtin_fails_like_any_plugin(make_module: Callable[..., ModuleType]) -> None:
    make_module("fake_broken_builtin", register_notifiers=raising(RuntimeError("no config")))
    registry = load_plugins(builtins=("fake_broken_builtin", LOG), group="fithub.tests.none")
    broken, log = registry.records
    assert (broken.builtin, broken.status, broken.error) == (
        True,
        "failed",
        "RuntimeError: no config",
    )
    assert log.status == "loaded"


def test_plugin_implementing_an_unknown_hook_is_failed(
    discovered: list[EntryPoint], make_module: Callable[..., ModuleType]
) -> None:
    make_module(
        "fake_unknown_hook",
        register_notifier=returning(),
        register_notifiers=returning(component_class("pager")),
    )
    announce(discovered, "misspelt", "fake_unknown_hook")

    registry = load_plugins(builtins=(LOG,))

    record = by_name(registry.records)["misspelt"]
    assert record.status == "failed"
    assert record.error == "TypeError: implements unknown hooks: register_notifier"
    assert record.components == []
    assert set(registry.components("notifier")) == {"log"}  # its valid hook counts for nothing


def test_one_plugins_failing_hook_does_not_affect_another(
    discovered: list[EntryPoint], make_module: Callable[..., ModuleType]
) -> None:
    healthy = component_class("healthy")
    make_module(
        "fake_failing",
        register_device_providers=raising(RuntimeError("vendor down")),
        register_notifiers=returning(component_class("half")),
    )
    make_module("fake_healthy", register_device_providers=returning(healthy))
    announce(discovered, "failing", "fake_failing")
    announce(discovered, "healthy", "fake_healthy")

    registry = load_plugins(builtins=(LOG,))

    records = by_name(registry.records)
    assert records["failing"].status == "failed"
    assert records["failing"].error == "RuntimeError: vendor down"
    assert records["failing"].components == []
    assert records["healthy"].status == "loaded" and records[LOG].status == "loaded"
    assert registry.components("device_provider") == {"healthy": records["healthy"].components[0]}
    assert set(registry.components("notifier")) == {"log"}  # the failed plugin's notifier is gone


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (
            "fake_missing_module_0f3c",
            "ModuleNotFoundError: No module named 'fake_missing_module_0f3c'",
        ),
        ("fake_no_name", "TypeError: register_device_providers returned"),
        ("fake_not_a_list", "TypeError: 'type' object is not iterable"),
        ("fake_bad_signature", "PluginValidationError: "),
    ],
)
def test_broken_plugin_is_listed_with_its_error(
    discovered: list[EntryPoint], make_module: Callable[..., ModuleType], value: str, error: str
) -> None:
    def bad_signature(host: PluginHost, extra: int) -> list[type]:
        return []

    make_module("fake_no_name", register_device_providers=returning(component_class(None)))
    make_module(
        "fake_not_a_list", register_device_providers=hookimpl(lambda host: component_class("single"))
    )
    make_module("fake_bad_signature", register_device_providers=hookimpl(bad_signature))
    announce(discovered, "broken", value)

    registry = load_plugins(builtins=(LOG,))

    record = by_name(registry.records)["broken"]
    assert record.status == "failed" and record.components == []
    assert record.error is not None and record.error.startswith(error), record.error
    assert by_name(registry.records)[LOG].status == "loaded"


def test_duplicate_component_names_first_plugin_wins(
    discovered: list[EntryPoint], make_module: Callable[..., ModuleType]
) -> None:
    first, second = component_class("dup", "First"), component_class("dup", "Second")
    make_module("fake_first", register_device_providers=returning(first))
    make_module(
        "fake_second",
        register_device_providers=returning(second),
        register_notifiers=returning(component_class("log", "Impostor")),
    )
    announce(discovered, "first", "fake_first")
    announce(discovered, "second", "fake_second")

    registry = load_plugins(builtins=(LOG,))

    assert all(record.status == "loaded" for record in registry.records)
    assert registry.components("device_provider")["dup"].cls is first
    assert registry.components("notifier")["log"].cls is LogNotifier  # a built-in is never shadowed


def test_duplicate_plugin_names_second_is_failed_without_leaking_paths(
    discovered: list[EntryPoint], make_module: Callable[..., ModuleType]
) -> None:
    make_module("fake_twin_a", register_device_providers=returning(component_class("a")))
    make_module("fake_twin_b", register_device_providers=returning(component_class("b")))
    announce(discovered, "twin", "fake_twin_a")
    announce(discovered, "twin", "fake_twin_b")

    registry = load_plugins(builtins=(LOG,))

    first, second = (r for r in registry.records if r.name == "twin")
    assert first.status == "loaded"
    assert (second.status, second.error) == (
        "failed",
        "ValueError: another plugin is already registered as 'twin'",
    )
    assert set(registry.components("device_provider")) == {"a"}


def test_hook_receives_the_host_or_may_leave_it_out(
    discovered: list[EntryPoint], make_module: Callable[..., ModuleType]
) -> None:
    seen: list[PluginHost] = []

    def with_hub(host: PluginHost) -> list[type]:
        seen.append(host)
        return [component_class("with-hub")]

    def without_hub() -> list[type]:
        return [component_class("without-hub")]

    make_module("fake_with_hub", register_nutrition_sources=hookimpl(with_hub))
    make_module("fake_without_hub", register_exercise_classifiers=hookimpl(without_hub))
    announce(discovered, "with-hub", "fake_with_hub")
    announce(discovered, "without-hub", "fake_without_hub")

    registry = load_plugins(builtins=())

    assert [r.status for r in registry.records] == ["loaded", "loaded"], registry.records
    assert set(registry.components("nutrition_source")) == {"with-hub"}
    assert set(registry.components("exercise_classifier")) == {"without-hub"}
    assert seen[0].version == __version__ and seen[0].logger.name == "fithub.plugins"
