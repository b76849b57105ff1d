"""The provider contract on the WHOOP provider, and WHOOP's own rules, against the fake WHOOP."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from fithub.plugins import DataType, DeviceProvider, ProviderContext
from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderRateLimited
from fithub.plugins.testing import FakeVendor, assert_provider_contract
from fithub.plugins.testing.contract import connect, fetch_all
from fithub.plugins.testing.fakes.whoop import FakeWhoop
from fithub.plugins.types import AuthorizationRequest, FetchQuery, TokenSet
from fithub.plugins.whoop import WhoopProvider

REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture
def fake_vendor_class() -> type[FakeVendor]:
    return FakeWhoop


@pytest.fixture
async def whoop(provider_context: ProviderContext) -> WhoopProvider:
    return WhoopProvider(provider_context)


def _window(days: int = 4) -> tuple[datetime, datetime]:
    end = datetime.now(UTC).replace(microsecond=0)
    return end - timedelta(days=days), end


async def _connected(fake: FakeWhoop, provider: WhoopProvider, **authorize: object) -> TokenSet:
    account = fake.add_account()
    start, end = _window()
    fake.seed(account, start, end)
    return await connect(provider, fake, account, **authorize)  # type: ignore[arg-type]


async def test_whoop_keeps_the_provider_contract(fake_vendor: FakeVendor) -> None:
    report = await assert_provider_contract(WhoopProvider, fake_vendor, days=4)
    assert set(report.pages) == set(WhoopProvider.data_types)
    paged = {t: n for t, n in report.pages.items() if t is not DataType.BODY}
    assert all(pages > 1 for pages in paged.values()), report.pages  # every collection paged
    assert report.pages[DataType.BODY] == 1
    assert isinstance(WhoopProvider.__new__(WhoopProvider), DeviceProvider)


async def test_pages_ask_for_25_with_utc_times_and_follow_next_token(
    fake_vendor: FakeWhoop, whoop: WhoopProvider
) -> None:
    tokens = await _connected(fake_vendor, whoop)
    fake_vendor.page_size = 3
    start, end = _window()
    before = len(fake_vendor.requests)
    items = await fetch_all(whoop, tokens, DataType.SLEEP, start, end)
    asked = [r for r in fake_vendor.requests[before:] if r.path.endswith("/activity/sleep")]
    assert len(asked) > 1 and len(items) == asked[0].total
    assert all(r.query["limit"] == "25" for r in asked)
    assert asked[0].query["start"].endswith(".000Z") and "nextToken" not in asked[0].query
    assert all("nextToken" in r.query for r in asked[1:])
    starts = [datetime.fromisoformat(i["start"]) for i in items]
    assert all(start <= s < end for s in starts) and len({i["id"] for i in items}) == len(items)


async def test_the_consent_url_asks_for_offline_and_a_short_state_is_refused(
    fake_vendor: FakeWhoop, whoop: WhoopProvider
) -> None:
    begun = await whoop.authorization_url(
        AuthorizationRequest("state-123", REDIRECT, ("read:sleep",))
    )
    assert begun.url.startswith(f"{fake_vendor.url}/oauth/oauth2/auth?")
    assert "offline" in begun.url and "read%3Asleep" in begun.url
    with pytest.raises(ProviderError, match="8 characters"):
        await whoop.authorization_url(AuthorizationRequest("short", REDIRECT, whoop.scopes))
    # and WHOOP itself refuses it on the consent page
    url = begun.url.replace("state=state-123", "state=short")
    assert fake_vendor.authorize(url).params["error"] == "invalid_state"


async def test_refresh_tokens_rotate_and_the_old_one_is_refused(
    fake_vendor: FakeWhoop, whoop: WhoopProvider
) -> None:
    tokens = await _connected(fake_vendor, whoop)
    assert tokens.external_user_id and int(tokens.external_user_id) > 0
    fresh = await whoop.refresh(tokens)
    assert fresh.refresh_token and fresh.refresh_token != tokens.refresh_token
    assert fresh.external_user_id == tokens.external_user_id and "offline" in fresh.scopes
    with pytest.raises(ProviderAuthFailed):
        await whoop.refresh(tokens)  # the retired refresh token
    again = await whoop.refresh(fresh)  # asked with scope=offline: a refresh token once more
    assert again.refresh_token not in (None, fresh.refresh_token)


async def test_without_the_offline_scope_there_is_no_refresh_token(
    fake_vendor: FakeWhoop, whoop: WhoopProvider
) -> None:
    tokens = await _connected(fake_vendor, whoop, scopes=("read:profile", "read:sleep"))
    assert tokens.access_token and tokens.refresh_token is None
    with pytest.raises(ProviderAuthFailed, match="offline"):
        await whoop.refresh(tokens)


async def test_rate_limits_come_back_with_the_reset_in_seconds(
    fake_vendor: FakeWhoop, whoop: WhoopProvider
) -> None:
    tokens = await _connected(fake_vendor, whoop)
    fake_vendor.limit_per_minute = 3
    start, end = _window(1)
    query = FetchQuery(DataType.ACTIVITIES, start, end)
    with pytest.raises(ProviderRateLimited) as limited:
        for _ in range(4):
            await whoop.fetch_page(tokens, query)
    assert limited.value.retry_after is not None and 0 < limited.value.retry_after <= 60
    # the headers WHOOP sends with every answer
    async with aiohttp.ClientSession() as session:
        url = f"{fake_vendor.url}/developer/v2/cycle"
        headers = {"Authorization": f"Bearer {tokens.access_token}"}
        async with session.get(url, headers=headers) as answer:
            assert answer.status == 429 and "Retry-After" not in answer.headers
            assert answer.headers["X-RateLimit-Limit"] == "3, 3;window=60, 10000;window=86400"
            assert answer.headers["X-RateLimit-Remaining"] == "0"
            assert 0 < int(answer.headers["X-RateLimit-Reset"]) <= 60


async def test_the_body_measurement_is_read_only_for_the_window_that_reaches_now(
    fake_vendor: FakeWhoop, whoop: WhoopProvider
) -> None:
    tokens = await _connected(fake_vendor, whoop)
    start, end = _window()
    old = await whoop.fetch_page(tokens, FetchQuery(DataType.BODY, start, end - timedelta(days=2)))
    assert list(old.items) == []
    now = await whoop.fetch_page(tokens, FetchQuery(DataType.BODY, end - timedelta(days=2), end))
    (item,) = now.items
    assert item["fithub_observed_on"] == end.date().isoformat() and now.next_token is None
    records = whoop.normalise(DataType.BODY, item)
    assert {str(r.kind) for r in records} == {"weight", "height"}  # type: ignore[union-attr]


async def test_revoking_ends_the_grant_refresh_token_included(
    fake_vendor: FakeWhoop, whoop: WhoopProvider
) -> None:
    tokens = await _connected(fake_vendor, whoop)
    await whoop.revoke(tokens)
    assert fake_vendor.requests_to("/developer/v2/user/access")[-1].status == 204
    assert fake_vendor.is_revoked(tokens.access_token)
    with pytest.raises(ProviderAuthFailed):
        await whoop.refresh(tokens)
    await whoop.revoke(tokens)  # already gone: not an error


async def test_a_context_aimed_elsewhere_uses_the_real_hosts() -> None:
    from fithub.plugins.types import AppCredentials

    credentials = AppCredentials("id", "secret", REDIRECT)
    async with aiohttp.ClientSession() as session:
        provider = WhoopProvider(ProviderContext(session, credentials, logging.getLogger("t")))
        begun = await provider.authorization_url(
            AuthorizationRequest("state-123", REDIRECT, provider.scopes)
        )
    assert begun.url.startswith("https://api.prod.whoop.com/oauth/oauth2/auth?")
