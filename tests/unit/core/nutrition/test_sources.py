"""The nutrition-source gateway: settings, listing, limits, breaker, timeout and error translation.

Real gateway, real pybreaker, real in-memory limiter and cache; the sources are small classes
written here that answer from a script.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest

from fithub.core.config import Settings
from fithub.core.errors import NotFound, RateLimited
from fithub.core.nutrition.errors import (
    FoodSourceFailed,
    FoodSourceNotConfigured,
    FoodSourceUnavailable,
)
from fithub.core.nutrition.source_settings import NutritionSettings
from fithub.core.nutrition.sources import SourceGateway, page_from_json, page_to_json
from fithub.core.ratelimit import MemoryLimiter
from fithub.core.version import __version__
from fithub.plugins.errors import FoodNotFound, SourceRateLimited, SourceUnavailable
from fithub.plugins.manager import Component, PluginRecord, PluginRegistry
from fithub.plugins.nutrition import FoodFacts, FoodPage, Nutrients, Serving, SourceContext
from fithub.plugins.types import RateLimit

APPLE = FoodFacts(
    source_id="a1",
    name="Apple",
    per_100=Nutrients(energy_kcal=52, protein_g=0.26, carbohydrate_g=13.81, fat_g=0.17),
    category="Fruits",
    servings=(Serving("1 medium", 182.0),),
)


class Scripted:
    """A source whose next answers are scripted: an exception to raise, or 'hang'."""

    name: ClassVar[str] = "scripted"
    display_name: ClassVar[str] = "Scripted"
    needs_network: ClassVar[bool] = True
    needs_api_key: ClassVar[bool] = False
    barcodes: ClassVar[bool] = True
    attribution: ClassVar[str] = "CC0, the tests"
    limits: ClassVar[Mapping[str, RateLimit]] = {}
    script: ClassVar[list[BaseException | str]] = []
    calls: ClassVar[list[str]] = []
    contexts: ClassVar[list[SourceContext]] = []

    def __init__(self, context: SourceContext) -> None:
        self.contexts.append(context)

    async def _answer(self, what: str) -> None:
        self.calls.append(what)
        if self.script:
            step = self.script.pop(0)
            if step == "hang":
                await asyncio.Event().wait()
            if isinstance(step, BaseException):
                raise step

    async def search(self, text: str, *, page: int = 1, page_size: int = 20) -> FoodPage:
        await self._answer(f"search {text}")
        return FoodPage(items=(APPLE,), total=1)

    async def food(self, source_id: str) -> FoodFacts:
        await self._answer(f"food {source_id}")
        return APPLE

    async def barcode(self, code: str) -> FoodFacts:
        await self._answer(f"barcode {code}")
        return APPLE


class Keyed(Scripted):
    name: ClassVar[str] = "keyed"
    needs_api_key: ClassVar[bool] = True
    barcodes: ClassVar[bool] = False


class Limited(Scripted):
    name: ClassVar[str] = "limited"
    needs_network: ClassVar[bool] = False  # no search cache: every search reaches the limit
    limits: ClassVar[Mapping[str, RateLimit]] = {
        "search": RateLimit(requests=2, per_seconds=60),
        "food": RateLimit(requests=1, per_seconds=60, scope="user"),
    }


def registry(*classes: type[Any]) -> PluginRegistry:
    record = PluginRecord(name="tests", module="tests", version="0", builtin=False)
    record.components = [Component("nutrition_source", c.name, c.display_name, c) for c in classes]
    return PluginRegistry([record])


@pytest.fixture(autouse=True)
def fresh_script() -> None:
    for cls in (Scripted, Keyed, Limited):
        cls.script, cls.calls, cls.contexts = [], [], []


def gateway(environ: Mapping[str, str] | None = None, **nutrition: Any) -> SourceGateway:
    settings = Settings(
        redis_url=None,
        public_url="https://fithub.example",
        nutrition=NutritionSettings(**nutrition),
    )
    return SourceGateway(
        settings, None, MemoryLimiter(), registry(Scripted, Keyed, Limited), environ or {}
    )


def test_sources_are_listed_with_what_they_need() -> None:
    listed = {info.name: info for info in gateway().list()}
    assert list(listed) == ["scripted", "keyed", "limited"]
    assert listed["scripted"].configured and listed["scripted"].barcodes
    assert listed["scripted"].attribution == "CC0, the tests"
    assert not listed["keyed"].configured  # needs FITHUB_KEYED_API_KEY
    assert gateway({"FITHUB_KEYED_API_KEY": "k"}).list()[1].configured


async def test_unknown_and_unconfigured_sources_are_refused() -> None:
    gw = gateway()
    with pytest.raises(NotFound) as unknown:
        await gw.search("nope", "apple")
    assert (unknown.value.status, unknown.value.code) == (404, "unknown_source")
    with pytest.raises(FoodSourceNotConfigured) as keyless:
        await gw.search("keyed", "apple")
    assert keyless.value.status == 503
    assert Keyed.calls == []


async def test_a_source_is_made_once_with_its_settings() -> None:
    environ = {
        "FITHUB_SCRIPTED_API_KEY": "secret",
        "FITHUB_SCRIPTED_BASE_URL": "http://127.0.0.1:9/",
        "FITHUB_SCRIPTED_OPTION_CONTACT": "ops@example.com",
    }
    gw = gateway(environ, http_timeout_s=7)
    try:
        await gw.food("scripted", "a1")
        await gw.barcode("scripted", "3017620422003")
        assert len(Scripted.contexts) == 1
        context = Scripted.contexts[0]
        assert context.settings.api_key == "secret"
        assert context.settings.base_url == "http://127.0.0.1:9/"
        assert context.settings.options == {"contact": "ops@example.com"}
        assert context.settings.user_agent == f"fithub/{__version__} (https://fithub.example)"
        assert context.session.headers["User-Agent"] == context.settings.user_agent
        assert context.timeout_s == 7
    finally:
        await gw.close()
    assert context.session.closed


@pytest.mark.parametrize(
    ("raised", "status", "code", "retry_after"),
    [
        (SourceRateLimited("slow down", retry_after=12.2), 429, "source_rate_limited", "13"),
        (SourceRateLimited("slow down"), 429, "source_rate_limited", "60"),
        (SourceUnavailable("down", retry_after=90), 503, "source_unavailable", "90"),
        (SourceUnavailable("down"), 503, "source_unavailable", "30"),  # the default wait
        (FoodNotFound("no such food"), 404, "food_not_found", None),
    ],
)
async def test_plugin_errors_become_problems(
    raised: Exception, status: int, code: str, retry_after: str | None
) -> None:
    Scripted.script = [raised]
    gw = gateway()
    with pytest.raises((RateLimited, FoodSourceUnavailable, NotFound)) as caught:
        await gw.food("scripted", "a1")
    assert (caught.value.status, caught.value.code) == (status, code)
    assert caught.value.headers.get("Retry-After") == retry_after
    await gw.close()


async def test_a_plugin_bug_is_a_502_that_leaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    Scripted.script = [KeyError("internal detail 0xdeadbeef")]
    gw = gateway()
    with pytest.raises(FoodSourceFailed) as caught:
        await gw.search("scripted", "apple")
    assert (caught.value.status, caught.value.code) == (502, "source_error")
    assert "deadbeef" not in caught.value.detail
    assert "deadbeef" in caplog.text  # the traceback is in the server log only
    await gw.close()


async def test_a_hanging_source_is_cut_off() -> None:
    Scripted.script = ["hang"]
    gw = gateway(http_timeout_s=0.05)  # the whole call may take 2 x 0.05 s
    with pytest.raises(FoodSourceUnavailable) as caught:
        await asyncio.wait_for(gw.barcode("scripted", "3017620422003"), timeout=10)
    assert caught.value.headers["Retry-After"] == "30"
    await gw.close()


async def test_the_breaker_opens_after_failures_and_answers_at_once() -> None:
    Scripted.script = [SourceUnavailable("down"), SourceUnavailable("down")]
    gw = gateway(breaker_fail_max=2, breaker_reset_s=120)
    for _ in range(2):
        with pytest.raises(FoodSourceUnavailable):
            await gw.food("scripted", "a1")
    with pytest.raises(FoodSourceUnavailable) as fast:
        await gw.food("scripted", "a1")
    assert len(Scripted.calls) == 2  # the third call never reached the source
    assert 1 <= int(fast.value.headers["Retry-After"]) <= 120
    await gw.close()


async def test_not_found_and_rate_limits_do_not_open_the_breaker() -> None:
    Scripted.script = [FoodNotFound("x"), SourceRateLimited("x"), FoodNotFound("x")]
    gw = gateway(breaker_fail_max=1)
    for _ in range(3):
        with pytest.raises((NotFound, RateLimited)):
            await gw.food("scripted", "a1")
    assert (await gw.food("scripted", "a1")) == APPLE
    assert len(Scripted.calls) == 4
    await gw.close()


async def test_declared_limits_are_enforced_before_calling() -> None:
    gw = gateway()
    await gw.search("limited", "one")
    await gw.search("limited", "two")
    with pytest.raises(RateLimited) as caught:
        await gw.search("limited", "three")
    assert caught.value.code == "source_rate_limited"
    assert 1 <= int(caught.value.headers["Retry-After"]) <= 60
    assert Limited.calls == ["search one", "search two"]
    await gw.close()


async def test_a_per_user_limit_counts_each_user_apart() -> None:
    gw = gateway()
    await gw.food("limited", "a1", user_id=1)
    await gw.food("limited", "a1", user_id=2)
    with pytest.raises(RateLimited):
        await gw.food("limited", "a1", user_id=1)
    assert Limited.calls == ["food a1", "food a1"]
    await gw.close()


async def test_network_searches_are_cached() -> None:
    gw = gateway()
    first = await gw.search("scripted", "apple", page=2, page_size=5)
    again = await gw.search("scripted", "apple", page=2, page_size=5)
    other_page = await gw.search("scripted", "apple", page=3, page_size=5)
    assert first == again == other_page == FoodPage(items=(APPLE,), total=1)
    assert Scripted.calls == ["search apple", "search apple"]  # page 2 once, page 3 once
    await gw.close()


def test_a_cached_page_reads_back_equal() -> None:
    page = FoodPage(items=(APPLE,), total=41)
    assert page_from_json(page_to_json(page)) == page


def test_the_barcode_source_is_the_first_configured_one_that_reads_barcodes() -> None:
    assert gateway().barcode_source() == "scripted"
