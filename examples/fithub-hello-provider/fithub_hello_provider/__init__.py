"""A fithub plugin adding one device provider, ``hello``: a template to copy for a real vendor."""

from __future__ import annotations

from typing import ClassVar

from fithub.plugins import DeviceProvider, PluginHost, hookimpl

__version__ = "0.1.0"


class HelloProvider:
    """A device provider with nothing behind it; a real one talks to its vendor's API."""

    name: ClassVar[str] = "hello"
    display_name: ClassVar[str] = "Hello Provider"


@hookimpl
def register_device_providers(hub: PluginHost) -> list[type[DeviceProvider]]:
    """Called once when fithub starts: hand over the provider classes this plugin adds."""
    hub.logger.debug("fithub-hello-provider registering on fithub %s", hub.version)
    return [HelloProvider]
