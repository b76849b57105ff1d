"""Is my plugin listed? The first test every fithub plugin should have."""

from __future__ import annotations

from fithub_hello_provider import HelloProvider

from fithub.plugins import DeviceProvider
from fithub.plugins.manager import load_plugins


def test_plugin_is_listed() -> None:
    registry = load_plugins()
    record = next((r for r in registry.records if r.name == "hello"), None)
    assert record is not None, "entry point 'hello' not found: is the package installed?"
    assert record.status == "loaded", record.error
    assert record.builtin is False
    assert record.version == "0.1.0"
    provider = registry.components("device_provider")["hello"]
    assert provider.cls is HelloProvider
    assert provider.display_name == "Hello Provider"


def test_provider_satisfies_the_protocol() -> None:
    assert isinstance(HelloProvider.__new__(HelloProvider), DeviceProvider)
