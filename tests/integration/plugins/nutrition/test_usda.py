"""The USDA FoodData Central source against a fake FDC on loopback: wire format, caching, errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace

import aiohttp
import pytest

from fithub.plugins.errors import (
    FoodNotFound,
    NutritionSourceError,
    SourceRateLimited,
    SourceUnavailable,
)
from fithub.plugins.nutrition import (
    NutritionSource,
    Serving,
    SourceCache,
    SourceContext,
    SourceSettings,
)
from fithub.plugins.testing.fakes.usda import API_KEY, FakeUsda
from fithub.plugins.testing.nutrition import assert_nutrition_source_contract, source_context
from fithub.plugins.types import PluginHost, RateLimit
from fithub.plugins.usda import UsdaSource, register_nutrition_sources
from tests.integration.plugins.nutrition.helpers import BrokenCache, DictCache, closed_port_url

AGENT = "fithub/0.1.0 (ops@fithub.example)"


@pytest.fixture
def fake() -> Iterator[FakeUsda]:
    vendor = FakeUsda()
    vendor.start()
    try:
        yield vendor
    finally:
        vendor.stop()


def make(
    session: aiohttp.ClientSession,
    settings: SourceSettings,
    cache: SourceCache,
    timeout_s: float = 2.0,
) -> UsdaSource:
    return UsdaSource(
        SourceContext(session, settings, cache, logging.getLogger("test.usda"), timeout_s)
    )


@pytest.fixture
def usda(fake: FakeUsda, session: aiohttp.ClientSession, cache: DictCache) -> UsdaSource:
    return make(session, replace(fake.settings(), user_agent=AGENT), cache)


def test_the_plugin_declares_a_shared_hourly_budget_and_registers() -> None:
    assert UsdaSource.name == "usda" and UsdaSource.needs_api_key and UsdaSource.barcodes
    assert UsdaSource.limits == {op: RateLimit(1000, 3600) for op in ("search", "food", "barcode")}
    host = PluginHost(version="0", logger=logging.getLogger("t"))
    assert register_nutrition_sources(host) == [UsdaSource]


async def test_search_sends_the_documented_query_and_reads_hits(
    fake: FakeUsda, usda: UsdaSource
) -> None:
    assert isinstance(usda, NutritionSource)
    page = await usda.search("banana", page=1, page_size=5)
    assert page.total == 1
    assert [f.source_id for f in page.items] == ["173944"]
    assert page.items[0].per_100.energy_kcal == 89
    [request] = fake.requests_to("/v1/foods/search")
    assert request.query == {"query": "banana", "pageSize": "5", "pageNumber": "1",
                             "dataType": "Foundation,SR Legacy,Branded", "api_key": API_KEY}  # fmt: skip
    assert fake.user_agents == [AGENT]


async def test_a_repeated_search_is_answered_from_the_cache(
    fake: FakeUsda, usda: UsdaSource, cache: DictCache
) -> None:
    first = await usda.search("butter")
    again = await usda.search("  BUTTER ")  # the same query, spelled differently
    assert again == first
    assert [f.name for f in first.items] == ["Butter, salted", "Peanut butter, smooth, reduced fat"]
    assert len(fake.requests_to("/v1/foods/search")) == 1
    assert sorted(cache.ttls.values()) == [3600]  # one search page, kept an hour


async def test_food_reads_the_full_record_with_portions_once(
    fake: FakeUsda, usda: UsdaSource, cache: DictCache
) -> None:
    banana = await usda.food("173944")
    assert Serving('1 medium (7" to 7-7/8" long)', 118) in banana.servings
    assert await usda.food("173944") == banana
    assert [r.path for r in fake.requests] == ["/v1/food/173944"]
    assert cache.ttls == {"usda:food:173944": 86400}


async def test_an_unknown_food_is_not_found_and_remembered_briefly(
    fake: FakeUsda, usda: UsdaSource, cache: DictCache
) -> None:
    for _ in range(2):
        with pytest.raises(FoodNotFound):
            await usda.food("999999")
    assert len(fake.requests) == 1  # the second answer came from the negative cache
    assert cache.ttls == {"usda:food:999999": 600}
    with pytest.raises(FoodNotFound):
        await usda.food("not-an-id")
    assert len(fake.requests) == 1  # refused without asking FDC


async def test_barcode_searches_branded_foods_by_upc(fake: FakeUsda, usda: UsdaSource) -> None:
    nutella = await usda.barcode("0009800800056")
    assert (nutella.source_id, nutella.brand, nutella.barcode) == (
        "2099245",
        "NUTELLA",
        "0009800800056",
    )
    [request] = fake.requests_to("/v1/foods/search")
    assert (request.query["query"], request.query["dataType"]) == ("009800800056", "Branded")
    cola = await usda.barcode("0049000028911")
    assert cola.basis == "ml" and cola.servings == (Serving("1 can", 355),)
    assert await usda.barcode("0009800800056") == nutella
    assert len(fake.requests) == 2  # the repeated barcode came from the cache


async def test_a_barcode_fdc_does_not_have_is_not_found(fake: FakeUsda, usda: UsdaSource) -> None:
    with pytest.raises(FoodNotFound):
        await usda.barcode("3017620422003")
    with pytest.raises(FoodNotFound):
        await usda.barcode("3017620422003")
    assert len(fake.requests) == 1


async def test_foods_batches_twenty_ids_per_request(fake: FakeUsda, usda: UsdaSource) -> None:
    known = ["173944", "173410", "172471", "321358", "2099245"]
    ids = [*known, *(str(n) for n in range(1, 21))]  # 25 ids: a batch of 20, then one of 5
    found = await usda.foods(ids)
    assert sorted(f.source_id for f in found) == sorted(known)
    posts = [r for r in fake.requests if r.method == "POST"]
    assert len(posts) == 2 and all(r.query == {"api_key": API_KEY} for r in posts)
    await usda.food("321358")  # foods() filled the cache
    assert len(fake.requests) == 2


async def test_a_refused_key_is_a_source_error_that_never_shows_the_key(
    fake: FakeUsda, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # whatever fithub logs, at any level
    wrong = "wrong-key-1234567890abcdef"
    source = make(session, fake.settings(api_key=wrong), DictCache())
    with pytest.raises(NutritionSourceError) as caught:
        await source.search("banana")
    assert type(caught.value) is NutritionSourceError
    assert "API_KEY_INVALID" in str(caught.value)
    assert wrong not in str(caught.value)
    # The fake vendor's own access log (aiohttp.access, the vendor's side of the wire) sees the
    # key, as USDA's servers do; nothing on fithub's side may log it.
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("aiohttp.access")]
    assert not [m for m in ours if wrong in m]


async def test_no_configured_key_fails_without_a_request(
    fake: FakeUsda, session: aiohttp.ClientSession
) -> None:
    source = make(session, fake.settings(api_key=""), DictCache())
    with pytest.raises(NutritionSourceError, match="FITHUB_USDA_API_KEY"):
        await source.food("173944")
    assert fake.requests == []


@pytest.mark.parametrize("status", [429, 403])
async def test_over_the_rate_limit_waits_the_hour_the_key_is_blocked(
    fake: FakeUsda, usda: UsdaSource, status: int
) -> None:
    fake.over_limit, fake.over_limit_status = True, status
    with pytest.raises(SourceRateLimited) as caught:
        await usda.search("banana")
    assert caught.value.retry_after == 3600
    assert API_KEY not in str(caught.value)


async def test_a_429_with_retry_after_keeps_the_vendors_wait(
    fake: FakeUsda, usda: UsdaSource
) -> None:
    fake.inject(status=429, retry_after=7)
    with pytest.raises(SourceRateLimited) as caught:
        await usda.food("173944")
    assert caught.value.retry_after == 7


async def test_outages_timeouts_and_refused_connections_are_unavailable(
    fake: FakeUsda, session: aiohttp.ClientSession
) -> None:
    usda = make(session, fake.settings(), DictCache(), timeout_s=0.5)
    fake.inject(status=503)
    with pytest.raises(SourceUnavailable):
        await usda.food("173944")
    fake.inject(delay_s=5)  # far beyond the 0.5 s timeout
    with pytest.raises(SourceUnavailable, match="no answer in time"):
        await usda.food("173944")
    down = make(session, SourceSettings(api_key=API_KEY, base_url=closed_port_url()), DictCache())
    with pytest.raises(SourceUnavailable) as caught:
        await down.search("banana")
    assert API_KEY not in str(caught.value)


async def test_a_body_that_is_not_json_is_a_source_error(fake: FakeUsda, usda: UsdaSource) -> None:
    fake.inject(malformed=True)
    with pytest.raises(NutritionSourceError) as caught:
        await usda.food("173944")
    assert type(caught.value) is NutritionSourceError


async def test_a_broken_cache_does_not_fail_the_look_up(
    fake: FakeUsda, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    usda = make(session, fake.settings(), BrokenCache())
    assert (await usda.food("173944")).name == "Bananas, raw"
    assert "cache read failed (ConnectionError)" in caplog.text


async def test_the_source_keeps_the_nutrition_source_contract(
    fake: FakeUsda, session: aiohttp.ClientSession
) -> None:
    source = UsdaSource(source_context(session, api_key=API_KEY, base_url=fake.url))
    report = await assert_nutrition_source_contract(
        source,
        search_text="butter",  # two hits: the contract pages through them
        known_id="173944",
        unknown_id="999999",
        barcode="009800800056",  # Nutella's UPC-A
        unknown_barcode="0000000000000",
    )
    assert report.page is not None and report.page.total == 2
    assert report.barcode_food is not None and report.barcode_food.source_id == "2099245"
