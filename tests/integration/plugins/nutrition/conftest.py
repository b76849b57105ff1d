"""Fixtures the nutrition-source tests share: one aiohttp session per test, a recording cache."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from tests.integration.plugins.nutrition.helpers import DictCache


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def cache() -> DictCache:
    return DictCache()
