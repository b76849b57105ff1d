"""The provider contract on Google Health, and Google's quirks, against the fake Google Health API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from fithub.plugins import DataType, DeviceProvider, ProviderContext
from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderRateLimited
from fithub.plugins.google import GoogleHealthProvider
from fithub.plugins.google.const import ACTIVITY_SCOPE, DAILY_ROLLUPS, SCOPES
from fithub.plugins.testing import FakeVendor, assert_provider_contract
from fithub.plugins.testing.contract import connect, fetch_all
from fithub.plugins.testing.fakes.google import FakeGoogle
from fithub.plugins.types import AuthorizationRequest, FetchQuery
from tests.instants import at_each_instant

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def fake_vendor_class() -> type[FakeVendor]:
    return FakeGoogle


@pytest.fixture
def google(fake_vendor: FakeVendor) -> FakeGoogle:
    assert isinstance(fake_vendor, FakeGoogle)
    return fake_vendor


@at_each_instant
async def test_google_keeps_the_provider_contract_and_every_list_pages(
    google: FakeGoogle, instant: datetime
) -> None:
    report = await assert_provider_contract(GoogleHealthProvider, google, days=3, end=instant)
    assert set(report.pages) == set(GoogleHealthProvider.data_types)
    lists = set(GoogleHealthProvider.data_types) - {DataType.DAILY}
    assert all(report.pages[t] > 1 for t in lists), report.pages
    # a daily page is one dailyRollUp per metric over the same local days
    assert report.pages[DataType.DAILY] == len(DAILY_ROLLUPS)
    assert isinstance(GoogleHealthProvider.__new__(GoogleHealthProvider), DeviceProvider)


async def test_consent_asks_for_offline_access_with_pkce_and_names_the_health_user(
    provider_context: ProviderContext, google: FakeGoogle
) -> None:
    provider = GoogleHealthProvider(provider_context)
    start = await provider.authorization_url(
        AuthorizationRequest("s", "http://127.0.0.1/cb", SCOPES, code_challenge="abc"))  # fmt: skip
    url = urlsplit(start.url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{google.url}/o/oauth2/v2/auth"
    assert query["access_type"] == "offline" and query["prompt"] == "consent"
    assert query["code_challenge"] == "abc" and query["code_challenge_method"] == "S256"
    assert query["scope"].split() == list(SCOPES)
    account = google.add_account()
    tokens = await connect(provider, google, account)
    assert tokens.external_user_id == account  # the healthUserId webhooks name users by


async def test_without_offline_access_the_fake_gives_no_refresh_token(google: FakeGoogle) -> None:
    account = google.add_account()
    url = (f"{google.url}/o/oauth2/v2/auth?client_id={google.client_id}&response_type=code"
           "&redirect_uri=http://127.0.0.1/cb&scope=x&state=s")  # fmt: skip
    back = google.authorize(url, account)
    async with aiohttp.ClientSession() as session:
        answer = await session.post(f"{google.url}/token", data={
            "grant_type": "authorization_code", "code": back.code or "",
            "redirect_uri": "http://127.0.0.1/cb", "client_id": google.client_id,
            "client_secret": google.client_secret})  # fmt: skip
        body = await answer.json()
    assert answer.status == 200 and "access_token" in body and "refresh_token" not in body


async def test_refresh_tokens_do_not_rotate(
    provider_context: ProviderContext, google: FakeGoogle
) -> None:
    provider = GoogleHealthProvider(provider_context)
    tokens = await connect(provider, google, google.add_account())
    first = await provider.refresh(tokens)
    second = await provider.refresh(first)  # the same refresh token, again
    assert tokens.refresh_token == first.refresh_token == second.refresh_token
    assert len({tokens.access_token, first.access_token, second.access_token}) == 3
    assert first.external_user_id == tokens.external_user_id


async def test_revoking_by_the_refresh_token_ends_the_whole_grant(
    provider_context: ProviderContext, google: FakeGoogle
) -> None:
    provider = GoogleHealthProvider(provider_context)
    tokens = await connect(provider, google, google.add_account())
    refreshed = await provider.refresh(tokens)
    await provider.revoke(refreshed)
    assert google.requests_to("/revoke")[-1].status == 200
    assert google.is_revoked(tokens.access_token) and google.is_revoked(refreshed.access_token)
    with pytest.raises(ProviderAuthFailed):
        await provider.refresh(refreshed)
    await provider.revoke(refreshed)  # Google: 400 invalid_token, which is fine
    assert google.requests_to("/revoke")[-1].status == 400


async def test_a_429_without_retry_after_still_says_how_long_to_wait(
    provider_context: ProviderContext, google: FakeGoogle
) -> None:
    provider = GoogleHealthProvider(provider_context)
    tokens = await connect(provider, google, google.add_account())
    google.send_retry_after = False  # Google may leave the header out; RetryInfo remains
    google.inject(429, retry_after=9)
    with pytest.raises(ProviderRateLimited) as limited:
        await provider.fetch_page(tokens, FetchQuery(DataType.HEART_RATE, NOW - timedelta(1), NOW))
    assert limited.value.retry_after == 9


async def test_a_missing_scope_is_a_permission_error_not_a_reconnect(
    provider_context: ProviderContext, google: FakeGoogle
) -> None:
    provider = GoogleHealthProvider(provider_context)
    tokens = await connect(provider, google, google.add_account(), scopes=[ACTIVITY_SCOPE])
    assert tokens.scopes == (ACTIVITY_SCOPE,)
    with pytest.raises(ProviderError, match="403 .*PERMISSION_DENIED") as denied:
        await provider.fetch_page(tokens, FetchQuery(DataType.SLEEP, NOW - timedelta(1), NOW))
    assert not isinstance(denied.value, ProviderAuthFailed)


async def test_a_long_daily_window_is_split_into_rollups_of_at_most_14_days(
    provider_context: ProviderContext, google: FakeGoogle
) -> None:
    provider = GoogleHealthProvider(provider_context)
    account = google.add_account()
    google.seed(account, NOW - timedelta(days=30), NOW)
    tokens = await connect(provider, google, account)
    items = await fetch_all(provider, tokens, DataType.DAILY, NOW - timedelta(days=30), NOW)
    rollups = google.requests_to("/v4/users/me/dataTypes/steps/dataPoints:dailyRollUp")
    assert len(rollups) == 3  # 30 days padded to ~32 local days: 14 + 14 + the rest
    days = [item["civilStartTime"]["date"] for item in items]
    assert len(days) == len({(d["year"], d["month"], d["day"]) for d in days}) >= 30
    # the fake refuses what Google refuses: a total-calories rollup over 14 days
    async with aiohttp.ClientSession() as session:
        answer = await session.post(
            f"{google.url}/v4/users/me/dataTypes/total-calories/dataPoints:dailyRollUp",
            json={"range": {"start": {"date": {"year": 2024, "month": 3, "day": 1}},
                            "end": {"date": {"year": 2024, "month": 3, "day": 16}}}},
            headers={"Authorization": f"Bearer {tokens.access_token}"})  # fmt: skip
        body = await answer.json()
    assert answer.status == 400 and body["error"]["status"] == "INVALID_ARGUMENT"


async def test_exercise_is_filtered_by_local_start_time_as_google_requires(
    provider_context: ProviderContext, google: FakeGoogle
) -> None:
    provider = GoogleHealthProvider(provider_context)
    account = google.add_account()
    google.seed(account, NOW - timedelta(days=3), NOW)
    tokens = await connect(provider, google, account)
    items = await fetch_all(provider, tokens, DataType.ACTIVITIES, NOW - timedelta(days=3), NOW)
    assert items and all("exercise" in item for item in items)
    async with aiohttp.ClientSession() as session:  # a physical filter is not offered
        answer = await session.get(
            f"{google.url}/v4/users/me/dataTypes/exercise/dataPoints",
            params={"filter": 'exercise.interval.start_time >= "2024-01-01T00:00:00Z"'},
            headers={"Authorization": f"Bearer {tokens.access_token}"})  # fmt: skip
        assert answer.status == 400
        assert (await answer.json())["error"]["status"] == "INVALID_ARGUMENT"


async def test_body_pages_through_weight_then_body_fat(
    provider_context: ProviderContext, google: FakeGoogle
) -> None:
    provider = GoogleHealthProvider(provider_context)
    account = google.add_account()
    google.seed(account, NOW - timedelta(days=3), NOW)
    tokens = await connect(provider, google, account)
    google.page_size = 2
    items = await fetch_all(provider, tokens, DataType.BODY, NOW - timedelta(days=3), NOW)
    kinds = ["weight" if "weight" in i else "bodyFat" for i in items]
    assert kinds == sorted(kinds, key=lambda k: k != "weight") and set(kinds) == {
        "weight",
        "bodyFat",
    }
    assert kinds.count("weight") == kinds.count("bodyFat") == 3
    with pytest.raises(ProviderError, match="page token"):
        await provider.fetch_page(tokens, FetchQuery(DataType.BODY, NOW - timedelta(1), NOW,
                                                     page_token="7:abc"))  # fmt: skip
