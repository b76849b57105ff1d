"""The reusable provider contract, run on the built-in Oura provider with the pytest plugin's fixtures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest

from fithub.plugins import DataType, DeviceProvider, ProviderContext
from fithub.plugins.oura import OuraProvider
from fithub.plugins.records import Record
from fithub.plugins.testing import FakeVendor, assert_provider_contract
from fithub.plugins.testing.fakes.oura import FakeOura
from fithub.plugins.types import AuthorizationRequest, FetchQuery, Page, TokenSet
from tests.instants import at_each_instant


@pytest.fixture
def fake_vendor_class() -> type[FakeVendor]:
    return FakeOura


@at_each_instant
async def test_oura_keeps_the_provider_contract(fake_vendor: FakeVendor, instant: datetime) -> None:
    # Three days: a window ending at midnight holds only two dated items a type, one page of two.
    report = await assert_provider_contract(OuraProvider, fake_vendor, days=3, end=instant)
    assert set(report.pages) == set(OuraProvider.data_types)
    assert all(pages > 1 for pages in report.pages.values())  # every data type paged
    assert isinstance(OuraProvider.__new__(OuraProvider), DeviceProvider)


async def test_the_provider_context_fixture_points_at_the_fake(
    provider_context: ProviderContext, fake_vendor: FakeVendor
) -> None:
    assert provider_context.credentials.base_url == fake_vendor.url
    provider = OuraProvider(provider_context)
    start = await provider.authorization_url(
        AuthorizationRequest("s", "http://127.0.0.1/cb", ("daily",))
    )
    assert start.url.startswith(f"{fake_vendor.url}/oauth/authorize?")


class SwallowsRateLimits(OuraProvider):
    """A provider that 'helps' by hiding a 429 behind an empty page: the contract must object."""

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        try:
            return await super().fetch_page(tokens, query)
        except Exception:
            return Page(items=[])


class ForgetsItsName(OuraProvider):
    def normalise(self, data_type: DataType, item: Mapping[str, Any]) -> list[Record]:
        from dataclasses import replace

        return [replace(r, source=replace(r.source, provider="someone")) for r in
                super().normalise(data_type, item)]  # fmt: skip


@pytest.mark.parametrize(
    ("provider", "complaint"),
    [(SwallowsRateLimits, "429: raised nothing"), (ForgetsItsName, "source.provider")],
)
async def test_the_contract_catches_a_broken_provider(
    fake_vendor: FakeVendor, provider: type[OuraProvider], complaint: str
) -> None:
    with pytest.raises(AssertionError, match=complaint):
        await assert_provider_contract(provider, fake_vendor)
