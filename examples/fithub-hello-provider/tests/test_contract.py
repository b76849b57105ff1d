"""fithub's provider contract, run on HelloProvider against the fake Hello vendor."""

from __future__ import annotations

import pytest
from fithub_hello_provider import HelloProvider

from fithub.plugins.testing import FakeVendor, assert_provider_contract


@pytest.mark.asyncio
async def test_hello_keeps_the_provider_contract(fake_vendor: FakeVendor) -> None:
    await assert_provider_contract(HelloProvider, fake_vendor)
