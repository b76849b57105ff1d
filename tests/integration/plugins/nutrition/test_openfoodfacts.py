"""The Open Food Facts source against a fake OFF on loopback: User-Agent, caching, throttling."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import aiohttp
import pytest

from fithub.plugins.errors import (
    FoodNotFound,
    NutritionSourceError,
    SourceRateLimited,
    SourceUnavailable,
)
from fithub.plugins.nutrition import NutritionSource, SourceContext, SourceSettings
from fithub.plugins.openfoodfacts import OpenFoodFactsSource, mapping, register_nutrition_sources
from fithub.plugins.testing.fakes.openfoodfacts import CONTACT, FakeOpenFoodFacts
from fithub.plugins.testing.nutrition import assert_nutrition_source_contract, source_context
from fithub.plugins.types import PluginHost, RateLimit
from tests.integration.plugins.nutrition.helpers import DictCache

NUTELLA = "3017620422003"


@pytest.fixture
def fake() -> Iterator[FakeOpenFoodFacts]:
    vendor = FakeOpenFoodFacts()
    vendor.start()
    try:
        yield vendor
    finally:
        vendor.stop()


def make(
    session: aiohttp.ClientSession,
    settings: SourceSettings,
    cache: DictCache | None = None,
    timeout_s: float = 2.0,
) -> OpenFoodFactsSource:
    logger = logging.getLogger("test.openfoodfacts")
    return OpenFoodFactsSource(
        SourceContext(session, settings, cache or DictCache(), logger, timeout_s)
    )


@pytest.fixture
def off(
    fake: FakeOpenFoodFacts, session: aiohttp.ClientSession, cache: DictCache
) -> OpenFoodFactsSource:
    return make(session, fake.settings(), cache)


def test_the_plugin_declares_off_s_current_per_minute_limits_and_registers() -> None:
    assert OpenFoodFactsSource.name == "openfoodfacts" and not OpenFoodFactsSource.needs_api_key
    assert OpenFoodFactsSource.limits == {
        "search": RateLimit(10, 60),
        "food": RateLimit(15, 60),
        "barcode": RateLimit(15, 60),
    }
    assert "ODbL" in OpenFoodFactsSource.attribution
    host = PluginHost(version="0", logger=logging.getLogger("t"))
    assert register_nutrition_sources(host) == [OpenFoodFactsSource]


async def test_barcode_asks_for_the_fields_and_identifies_fithub(
    fake: FakeOpenFoodFacts, off: OpenFoodFactsSource
) -> None:
    assert isinstance(off, NutritionSource)
    nutella = await off.barcode(NUTELLA)
    assert (nutella.name, nutella.per_100.energy_kcal, nutella.basis) == ("Nutella", 539, "g")
    [request] = fake.requests
    assert request.path == f"/api/v2/product/{NUTELLA}.json"
    assert request.query == {"fields": mapping.FIELDS}
    [agent] = fake.user_agents
    assert agent.startswith("fithub/") and agent.endswith(f" ({CONTACT})")


async def test_a_configured_user_agent_is_sent_as_it_is(
    fake: FakeOpenFoodFacts, session: aiohttp.ClientSession
) -> None:
    settings = SourceSettings(base_url=fake.url, user_agent="acme-fit/2.0 (ops@acme.example)",
                              options={"contact": "ignored@example.org"})  # fmt: skip
    await make(session, settings).search("nutella")
    assert fake.user_agents == ["acme-fit/2.0 (ops@acme.example)"]


async def test_without_a_contact_fithub_warns_and_still_identifies_itself(
    fake: FakeOpenFoodFacts, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    source = make(session, SourceSettings(base_url=fake.url))
    assert "FITHUB_OPENFOODFACTS_OPTION_CONTACT" in caplog.text
    await source.barcode(NUTELLA)
    [agent] = fake.user_agents
    assert agent.startswith("fithub/") and "(" not in agent


async def test_a_looked_up_product_is_cached_for_a_day(
    fake: FakeOpenFoodFacts, off: OpenFoodFactsSource, cache: DictCache
) -> None:
    first = await off.barcode(NUTELLA)
    assert await off.food(NUTELLA) == first  # the source id is the barcode
    assert await off.barcode(NUTELLA) == first
    assert len(fake.requests) == 1
    assert cache.ttls == {f"openfoodfacts:product:{NUTELLA}": 86400}


@pytest.mark.parametrize("status", [404, 200])
async def test_an_unknown_barcode_is_not_found_and_cached_briefly(
    fake: FakeOpenFoodFacts, off: OpenFoodFactsSource, cache: DictCache, status: int
) -> None:
    fake.not_found_status = status  # OFF answers status 0, with a 404 or a 200
    for _ in range(2):
        with pytest.raises(FoodNotFound):
            await off.barcode("0000000000000")
    assert len(fake.requests) == 1
    assert cache.ttls == {"openfoodfacts:product:0000000000000": 600}


async def test_a_product_without_nutrition_facts_is_not_found(
    fake: FakeOpenFoodFacts, off: OpenFoodFactsSource
) -> None:
    with pytest.raises(FoodNotFound, match="no name or energy"):
        await off.barcode("4006381333931")
    with pytest.raises(FoodNotFound):
        await off.food("not-a-barcode")
    assert len(fake.requests) == 1


async def test_search_uses_the_full_text_endpoint_and_is_cached_an_hour(
    fake: FakeOpenFoodFacts, off: OpenFoodFactsSource, cache: DictCache
) -> None:
    page = await off.search("alpro soya", page=1, page_size=10)
    assert page.total == 1 and [f.source_id for f in page.items] == ["5411188080213"]
    assert page.items[0].basis == "ml" and page.items[0].per_100.sodium_mg == 36.0
    assert await off.search("Alpro  Soya", page=1, page_size=10) == page
    [request] = fake.requests
    assert request.path == "/cgi/search.pl"
    assert request.query == {"search_terms": "alpro soya", "search_simple": "1",
                             "action": "process", "json": "1", "page": "1", "page_size": "10",
                             "fields": mapping.FIELDS}  # fmt: skip
    assert list(cache.ttls.values()) == [3600]


async def test_search_leaves_out_products_it_cannot_use(
    fake: FakeOpenFoodFacts, off: OpenFoodFactsSource
) -> None:
    page = await off.search("stabilo")
    assert page.items == () and page.total == 1  # OFF's count, though the one hit had no facts


@pytest.mark.parametrize(("status", "error"), [(429, SourceRateLimited), (503, SourceUnavailable)])
async def test_throttling_waits_a_minute(
    fake: FakeOpenFoodFacts, off: OpenFoodFactsSource, status: int, error: type[Exception]
) -> None:
    fake.inject(status=status)  # no Retry-After, as OFF sends none
    with pytest.raises(error) as caught:
        await off.barcode(NUTELLA)
    assert caught.value.retry_after == 60  # type: ignore[attr-defined]
    assert (await off.barcode(NUTELLA)).name == "Nutella"  # a failure is not cached


async def test_a_timeout_is_unavailable_and_bad_json_an_error(
    fake: FakeOpenFoodFacts, session: aiohttp.ClientSession
) -> None:
    off = make(session, fake.settings(), timeout_s=0.5)
    fake.inject(delay_s=5)
    with pytest.raises(SourceUnavailable):
        await off.search("nutella")
    fake.inject(malformed=True)
    with pytest.raises(NutritionSourceError) as caught:
        await off.search("nutella")
    assert type(caught.value) is NutritionSourceError


async def test_the_source_keeps_the_nutrition_source_contract(
    fake: FakeOpenFoodFacts, session: aiohttp.ClientSession
) -> None:
    context = source_context(session, base_url=fake.url, options={"contact": CONTACT})
    report = await assert_nutrition_source_contract(
        OpenFoodFactsSource(context),
        search_text="coca-cola",  # two hits: the contract pages through them
        known_id=NUTELLA,
        unknown_id="0000000000000",
        barcode=NUTELLA,
        unknown_barcode="4006381333931",  # known to OFF, but without nutrition facts
    )
    assert report.page is not None and report.page.total == 2
    assert {f.basis for f in report.page.items} == {"ml"}
    assert all(agent.endswith(f"({CONTACT})") for agent in fake.user_agents)
