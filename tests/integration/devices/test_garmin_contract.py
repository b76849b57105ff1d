"""The provider contract and Garmin's quirks, run on the Garmin provider against FakeGarmin."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from fithub.plugins import DataType, DeviceProvider, ProviderContext
from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderRateLimited
from fithub.plugins.garmin import GarminProvider
from fithub.plugins.testing import FakeVendor, assert_provider_contract
from fithub.plugins.testing.contract import connect, expect_error, fetch_all
from fithub.plugins.testing.fakes.garmin import FakeGarmin
from fithub.plugins.types import AuthorizationRequest, FetchQuery, PushRequest, TokenSet
from tests.instants import at_each_instant


@pytest.fixture
def fake_vendor_class() -> type[FakeVendor]:
    return FakeGarmin


@pytest.fixture
async def garmin(fake_vendor: FakeGarmin, provider_context: ProviderContext) -> GarminProvider:
    return GarminProvider(provider_context)


async def connected(provider: GarminProvider, fake: FakeGarmin, days: int = 3) -> TokenSet:
    account = fake.add_account()
    now = datetime.now(UTC)
    fake.seed(account, now - timedelta(days=days), now)
    return await connect(provider, fake, account)


@at_each_instant
async def test_garmin_keeps_the_provider_contract(
    fake_vendor: FakeGarmin, instant: datetime
) -> None:
    # One window of at most a day: Garmin pulls are not paged (one request per window).
    report = await assert_provider_contract(GarminProvider, fake_vendor, days=1, end=instant)
    assert set(report.pages) == set(GarminProvider.data_types)
    assert all(pages == 1 for pages in report.pages.values())
    assert isinstance(GarminProvider.__new__(GarminProvider), DeviceProvider)
    assert fake_vendor.deregistered, "revoke must DELETE the user registration"


async def test_the_consent_url_carries_pkce_and_no_scope(garmin: GarminProvider,
                                                         fake_vendor: FakeGarmin) -> None:  # fmt: skip
    start = await garmin.authorization_url(
        AuthorizationRequest("s1", "http://127.0.0.1/cb", garmin.scopes, "challenge")
    )
    assert start.url.startswith(f"{fake_vendor.url}/oauth2Confirm?")
    assert "code_challenge=challenge" in start.url and "code_challenge_method=S256" in start.url
    assert "scope=" not in start.url
    with pytest.raises(ProviderError, match="PKCE"):
        await garmin.authorization_url(AuthorizationRequest("s1", "http://x/cb", ()))


async def test_auth_base_url_moves_only_the_consent_page(fake_vendor: FakeGarmin) -> None:
    credentials = replace(fake_vendor.credentials(), auth_base_url="https://consent.example")
    async with aiohttp.ClientSession() as session:
        provider = GarminProvider(ProviderContext(session, credentials, logging.getLogger("t")))
        start = await provider.authorization_url(
            AuthorizationRequest("s", "http://127.0.0.1/cb", (), "c")
        )
        assert start.url.startswith("https://consent.example/oauth2Confirm?")
        assert provider.client.token_base == provider.client.api_base == fake_vendor.url


async def test_connecting_reads_the_user_id_and_the_granted_permissions(
    garmin: GarminProvider, fake_vendor: FakeGarmin
) -> None:
    tokens = await connected(garmin, fake_vendor)
    account = fake_vendor.requests_to("/wellness-api/rest/user/id")[-1].account
    assert tokens.external_user_id == account
    assert set(tokens.scopes) == {"ACTIVITY_EXPORT", "HEALTH_EXPORT", "WORKOUT_IMPORT"}
    assert tokens.extra["refresh_expires_at"] > datetime.now(UTC).isoformat()
    assert tokens.expires_at is not None
    assert timedelta(hours=23) < tokens.expires_at - datetime.now(UTC) <= timedelta(days=1)


async def test_a_user_who_unticks_health_keeps_activities_only(
    garmin: GarminProvider, fake_vendor: FakeGarmin
) -> None:
    account = fake_vendor.add_account()
    now = datetime.now(UTC)
    fake_vendor.seed(account, now - timedelta(days=1), now)
    tokens = await connect(garmin, fake_vendor, account, scopes=["ACTIVITY_EXPORT"])
    assert tokens.scopes == ("ACTIVITY_EXPORT",)
    window = (now - timedelta(days=1), now)
    assert await fetch_all(garmin, tokens, DataType.ACTIVITIES, *window)
    # fithub skips types whose permission is missing; asked anyway, Garmin answers 403.
    refused = await expect_error(ProviderError, "403", lambda: fetch_all(garmin, tokens,
                                                                         DataType.SLEEP, *window))  # fmt: skip
    assert type(refused) is ProviderError and ": 403 " in str(refused)


async def test_refresh_rotates_and_the_old_refresh_token_is_refused(
    garmin: GarminProvider, fake_vendor: FakeGarmin
) -> None:
    tokens = await connected(garmin, fake_vendor)
    fresh = await garmin.refresh(tokens)
    assert fresh.refresh_token and fresh.refresh_token != tokens.refresh_token
    assert fresh.scopes == tokens.scopes and fresh.external_user_id == tokens.external_user_id
    await expect_error(ProviderAuthFailed, "a rotated refresh token",
                       lambda: garmin.refresh(tokens))  # fmt: skip
    form = [r for r in fake_vendor.requests_to("/di-oauth2-service/oauth/token")]
    assert form and all(r.method == "POST" for r in form)


async def test_the_vendor_refuses_windows_over_a_day_and_the_provider_splits_them(
    garmin: GarminProvider, fake_vendor: FakeGarmin, provider_context: ProviderContext
) -> None:
    tokens = await connected(garmin, fake_vendor, days=4)
    url = f"{fake_vendor.url}/wellness-api/rest/dailies"
    now = int(datetime.now(UTC).timestamp())
    params = {"uploadStartTimeInSeconds": str(now - 86401), "uploadEndTimeInSeconds": str(now)}
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    async with provider_context.session.get(url, params=params, headers=headers) as answer:
        assert answer.status == 400
        assert "86400" in json.loads(await answer.text())["errorMessage"]

    end = datetime.now(UTC)
    before = len(fake_vendor.requests)
    items = await fetch_all(garmin, tokens, DataType.DAILY, end - timedelta(days=3), end)
    pulls = [r for r in fake_vendor.requests[before:] if r.path.endswith("/dailies")]
    assert len(pulls) == 3 and all(r.status == 200 for r in pulls)
    spans = [(int(r.query["uploadStartTimeInSeconds"]), int(r.query["uploadEndTimeInSeconds"]))
             for r in pulls]  # fmt: skip
    assert all(0 < b - a <= 86400 for a, b in spans)
    assert all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1))
    assert len(items) == 3 and len({i["calendarDate"] for i in items}) == 3


async def test_a_429_becomes_provider_rate_limited(garmin: GarminProvider,
                                                   fake_vendor: FakeGarmin) -> None:  # fmt: skip
    tokens = await connected(garmin, fake_vendor)
    fake_vendor.inject(429, retry_after=30)
    end = datetime.now(UTC)
    error = await expect_error(
        ProviderRateLimited,
        "429",
        lambda: garmin.fetch_page(
            tokens, FetchQuery(DataType.SLEEP, end - timedelta(hours=1), end)
        ),
    )
    assert isinstance(error, ProviderRateLimited) and error.retry_after == 30


async def test_revoke_refreshes_an_expired_token_to_deregister(
    garmin: GarminProvider, fake_vendor: FakeGarmin
) -> None:
    tokens = await connected(garmin, fake_vendor)
    fake_vendor.expire_access_tokens()
    await garmin.revoke(tokens)
    assert fake_vendor.deregistered == [tokens.external_user_id]
    await garmin.revoke(tokens)  # already gone: not an error


async def test_backfill_requests_are_accepted_once(garmin: GarminProvider,
                                                   fake_vendor: FakeGarmin) -> None:  # fmt: skip
    tokens = await connected(garmin, fake_vendor)
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=10)
    assert await garmin.request_backfill(tokens, DataType.SLEEP, start, end) is True
    assert await garmin.request_backfill(tokens, DataType.SLEEP, start, end) is False
    (asked,) = fake_vendor.backfills
    assert asked[1:] == ("sleeps", int(start.timestamp()), int(end.timestamp()))
    with pytest.raises(ProviderError, match="30 days"):
        await garmin.request_backfill(tokens, DataType.SLEEP, end - timedelta(days=31), end)


async def test_a_ping_from_the_fake_names_a_window_fetch_page_can_pull(
    garmin: GarminProvider, fake_vendor: FakeGarmin
) -> None:
    tokens = await connected(garmin, fake_vendor)
    now = int(datetime.now(UTC).timestamp())
    body = fake_vendor.ping_body(str(tokens.external_user_id), "sleeps", now - 86400, now)
    result = await garmin.handle_push(
        PushRequest("POST", fake_vendor.webhook_headers(), fake_vendor.webhook_query(), json.dumps(body).encode())
    )
    (event,) = result.events
    assert event.start is not None and event.end is not None
    page = await garmin.fetch_page(tokens, FetchQuery(DataType.SLEEP, event.start, event.end))
    assert len(page.items) == 1 and page.next_token is None
