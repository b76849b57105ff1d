"""The ``fithub`` pytest plugin (entry point group ``pytest11``): fixtures for provider authors.

- ``fake_vendor_class``: override it in your ``conftest.py`` to return your FakeVendor subclass;
- ``fake_vendor``: that fake, started on loopback for the test and stopped after it;
- ``provider_context``: a ProviderContext pointing at ``fake_vendor``, for calling a provider's
  methods one by one (its aiohttp session lives for the test).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from fithub.plugins.testing.fake import FakeVendor
from fithub.plugins.types import ProviderContext


@pytest.fixture
def fake_vendor_class() -> type[FakeVendor]:
    """The fake to serve: override with your vendor's FakeVendor subclass."""
    return FakeVendor


@pytest.fixture
def fake_vendor(fake_vendor_class: type[FakeVendor]) -> Iterator[FakeVendor]:
    """A started fake vendor (its own thread and port), stopped after the test."""
    fake = fake_vendor_class().start()
    try:
        yield fake
    finally:
        fake.stop()


async def _provider_context(fake_vendor: FakeVendor) -> AsyncIterator[ProviderContext]:
    """What fithub would hand a provider, aimed at ``fake_vendor``; short timeouts."""
    async with aiohttp.ClientSession() as session:
        yield ProviderContext(
            session, fake_vendor.credentials(), logging.getLogger("fithub.plugins.test"), 2.0
        )


try:  # an async fixture needs pytest-asyncio (in "strict" mode too, hence its own decorator)
    import pytest_asyncio
except ImportError:  # pragma: no cover - the fake vendor fixtures still work without it
    pass
else:
    provider_context = pytest_asyncio.fixture(_provider_context, name="provider_context")
