"""The provider contract on Fitbit, and Fitbit's own quirks, against the fake Fitbit."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from fithub.plugins import DataType, DeviceProvider, ProviderContext
from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderRateLimited
from fithub.plugins.fitbit import FitbitProvider
from fithub.plugins.records import BodyMeasurement, Sample, SleepSession
from fithub.plugins.testing import FakeVendor, assert_provider_contract
from fithub.plugins.testing.contract import connect, fetch_all
from fithub.plugins.testing.fakes.fitbit import FakeFitbit
from fithub.plugins.types import FetchQuery, TokenSet
from tests.instants import at_each_instant

REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture
def fake_vendor_class() -> type[FakeVendor]:
    return FakeFitbit


@pytest.fixture
async def fitbit(fake_vendor: FakeFitbit):
    """A provider aimed at the fake, and a connected account with two days of data."""
    async with aiohttp.ClientSession() as session:
        context = ProviderContext(session, fake_vendor.credentials(REDIRECT),
                                  logging.getLogger("test.fitbit"), 2.0)  # fmt: skip
        provider = FitbitProvider(context)
        account = fake_vendor.add_account()
        end = datetime.now(UTC).replace(microsecond=0)
        fake_vendor.seed(account, end - timedelta(days=2), end)
        tokens = await connect(provider, fake_vendor, account)
        yield provider, tokens, account, end


@at_each_instant
async def test_fitbit_keeps_the_provider_contract(
    fake_vendor: FakeFitbit, instant: datetime
) -> None:
    report = await assert_provider_contract(FitbitProvider, fake_vendor, end=instant)
    assert set(report.pages) == set(FitbitProvider.data_types)
    # Fitbit pages its log lists; daily summaries and heart rate come a day per page. The weight
    # log is one request for up to 31 days, so two days of it are one page.
    assert all(report.pages[t] > 1 for t in FitbitProvider.data_types if t is not DataType.BODY)
    assert isinstance(FitbitProvider.__new__(FitbitProvider), DeviceProvider)
    sleeps = [r for r in report.records[DataType.SLEEP] if isinstance(r, SleepSession)]
    assert {s.is_nap for s in sleeps} == {True, False}  # stages nights and classic naps


async def test_connecting_keeps_the_user_id_and_the_profile_time_zone(
    fake_vendor: FakeFitbit, fitbit
) -> None:
    provider, tokens, account, _ = fitbit
    assert tokens.external_user_id == account
    assert tokens.extra["timezone"] == FakeFitbit.timezone
    assert int(tokens.extra["utc_offset_ms"]) in (-8 * 3600_000, -7 * 3600_000)
    assert tokens.expires_at is not None
    assert 28700 < (tokens.expires_at - datetime.now(UTC)).total_seconds() <= 28800
    consent = fake_vendor.requests_to("/oauth2/authorize")[-1]
    assert consent.query["code_challenge_method"] == "S256" and consent.query["code_challenge"]
    assert set(consent.query["scope"].split()) == set(FitbitProvider.scopes)


async def test_refresh_tokens_rotate_and_the_old_one_is_refused(fitbit) -> None:
    provider, tokens, _, _ = fitbit
    renewed = await provider.refresh(tokens)
    assert renewed.refresh_token != tokens.refresh_token
    assert renewed.external_user_id == tokens.external_user_id
    assert renewed.extra["timezone"] == tokens.extra["timezone"]
    with pytest.raises(ProviderAuthFailed) as refused:
        await provider.refresh(tokens)  # the spent refresh token
    assert "invalid_grant" in str(refused.value)
    assert tokens.refresh_token not in str(refused.value)
    assert (await provider.refresh(renewed)).access_token  # the new one works


async def test_fitbit_error_bodies_never_put_tokens_in_messages(
    fake_vendor: FakeFitbit, fitbit
) -> None:
    provider, tokens, _, end = fitbit
    fake_vendor.expire_access_tokens()
    with pytest.raises(ProviderAuthFailed) as expired:
        await provider.fetch_page(tokens, FetchQuery(DataType.SLEEP, end - timedelta(days=1), end))
    assert "expired_token" in str(expired.value)
    assert tokens.access_token not in str(expired.value)
    unknown = TokenSet(access_token="not-a-token", external_user_id="x")
    with pytest.raises(ProviderAuthFailed, match="invalid_token") as invalid:
        await provider.fetch_page(
            unknown, FetchQuery(DataType.DAILY, end - timedelta(hours=1), end)
        )
    assert "not-a-token" not in str(invalid.value)


async def test_rate_limit_headers_and_a_spent_budget(fake_vendor: FakeFitbit, fitbit) -> None:
    provider, tokens, account, end = fitbit
    fake_vendor.rate_limit_per_hour = 2
    fake_vendor.spent.clear()
    query = FetchQuery(DataType.BODY, end - timedelta(days=2), end)
    await provider.fetch_page(tokens, query)
    await provider.fetch_page(tokens, query)
    with pytest.raises(ProviderRateLimited) as limited:
        await provider.fetch_page(tokens, query)
    # No Retry-After: the wait is Fitbit-Rate-Limit-Reset, the seconds to the top of the hour.
    seconds_left = 3600 - datetime.now(UTC).timestamp() % 3600
    assert limited.value.retry_after is not None
    assert abs(limited.value.retry_after - seconds_left) <= 2
    hits = fake_vendor.requests_to("/1/user/-/body/")
    assert [r.status for r in hits[-3:]] == [200, 200, 429]
    assert all(r.account == account for r in hits[-3:-1])


async def test_a_fitbit_429_with_retry_after_uses_it(fake_vendor: FakeFitbit, fitbit) -> None:
    provider, tokens, _, end = fitbit
    fake_vendor.rate_limit_per_hour = 0
    fake_vendor.retry_after_s = 42
    with pytest.raises(ProviderRateLimited) as limited:
        await provider.fetch_page(tokens, FetchQuery(DataType.DAILY, end - timedelta(hours=1), end))
    assert limited.value.retry_after == 42  # Retry-After wins over Fitbit-Rate-Limit-Reset


async def test_the_fake_serves_rate_limit_headers_on_data(fake_vendor: FakeFitbit, fitbit) -> None:
    _, tokens, _, _ = fitbit
    fake_vendor.rate_limit_per_hour = 150
    fake_vendor.spent.clear()
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{fake_vendor.url}/1/user/-/profile.json",
            headers={"Authorization": f"Bearer {tokens.access_token}"},
        ) as got:
            assert got.status == 200
            assert got.headers["Fitbit-Rate-Limit-Limit"] == "150"
            assert got.headers["Fitbit-Rate-Limit-Remaining"] == "149"
            assert 0 < int(got.headers["Fitbit-Rate-Limit-Reset"]) <= 3600
        async with session.get(f"{fake_vendor.url}/1/user/-/profile.json") as refused:
            body = await refused.json()
            assert refused.status == 401 and body["success"] is False
            assert body["errors"][0]["errorType"] == "invalid_token"


async def test_lists_page_through_pagination_next_and_stop_at_the_window_end(
    fake_vendor: FakeFitbit, fitbit
) -> None:
    provider, tokens, account, end = fitbit
    fake_vendor.page_size = 1
    middle = end - timedelta(days=1)
    items = await fetch_all(provider, tokens, DataType.ACTIVITIES, end - timedelta(days=2), middle)
    stored = [a for a in fake_vendor.items(account, "activities")
              if fake_vendor.start_of(a) < middle]  # fmt: skip
    assert {i["logId"] for i in items} >= {a["logId"] for a in stored}
    assert all(fake_vendor.start_of(dict(i)) < middle for i in items)
    pages = fake_vendor.requests_to("/1/user/-/activities/list.json")
    assert len(pages) > 1 and pages[0].query["offset"] == "0" and pages[0].query["sort"] == "asc"
    assert pages[1].query["offset"] == "1"  # followed pagination.next


async def test_a_window_longer_than_the_weight_log_allows_is_split(
    fake_vendor: FakeFitbit, fitbit
) -> None:
    provider, tokens, account, end = fitbit
    fake_vendor.seed(account, end - timedelta(days=75), end)
    items = await fetch_all(provider, tokens, DataType.BODY, end - timedelta(days=75), end)
    ranges = [r.path for r in fake_vendor.requests_to("/1/user/-/body/log/weight/date/")]
    assert len(ranges) == 3 and all(
        r.status == 200 for r in fake_vendor.requests_to("/1/user/-/body/")
    )
    assert len(items) == len(fake_vendor.items(account, "weight"))
    records = [r for i in items for r in provider.normalise(DataType.BODY, i)]
    assert all(isinstance(r, BodyMeasurement) for r in records)


async def test_heart_rate_is_asked_for_in_utc_a_day_per_page(
    fake_vendor: FakeFitbit, fitbit
) -> None:
    provider, tokens, account, end = fitbit
    start = end - timedelta(hours=30)
    items = await fetch_all(provider, tokens, DataType.HEART_RATE, start, end)
    calls = fake_vendor.requests_to("/1/user/-/activities/heart/")
    assert all(c.query == {"timezone": "UTC"} for c in calls)
    assert (
        len(calls)
        == (end - timedelta(microseconds=1)).date().toordinal() - start.date().toordinal() + 1
    )
    samples = [r for i in items for r in provider.normalise(DataType.HEART_RATE, i)]
    stored = {s["t"] for s in fake_vendor.items(account, "heart")
              if start <= datetime.fromisoformat(s["t"]) < end}  # fmt: skip
    assert {s.time.isoformat() for s in samples if isinstance(s, Sample)} == stored


async def test_without_intraday_access_heart_rate_is_empty(fake_vendor: FakeFitbit, fitbit) -> None:
    provider, tokens, _, end = fitbit
    fake_vendor.intraday_access = False
    assert (
        await fetch_all(provider, tokens, DataType.HEART_RATE, end - timedelta(days=1), end) == []
    )


async def test_daily_summaries_come_per_local_day(fake_vendor: FakeFitbit, fitbit) -> None:
    provider, tokens, account, end = fitbit
    items = await fetch_all(provider, tokens, DataType.DAILY, end - timedelta(days=2), end)
    days = [r.path.rsplit("/", 1)[1].removesuffix(".json")
            for r in fake_vendor.requests_to("/1/user/-/activities/date/")]  # fmt: skip
    local = [d["date"] for d in fake_vendor.items(account, "daily")]
    assert days == local == [i["fithub_date"] for i in items]


async def test_subscribing_at_connect_when_asked(fake_vendor: FakeFitbit) -> None:
    async with aiohttp.ClientSession() as session:
        credentials = fake_vendor.credentials(REDIRECT)
        options = {"subscribe": "true", "subscriber_id": "7"}
        context = ProviderContext(session, type(credentials)(**{**credentials.__dict__,
                                  "options": options}), logging.getLogger("t"), 2.0)  # fmt: skip
        provider = FitbitProvider(context)
        account = fake_vendor.add_account()
        tokens = await connect(provider, fake_vendor, account)
        again = await connect(provider, fake_vendor, account)  # reconnecting: 200, not a conflict
    assert tokens.external_user_id == again.external_user_id == account
    assert {c for (a, c) in fake_vendor.subscriptions if a == account} == {
        "activities",
        "body",
        "sleep",
        "userRevokedAccess",
    }
    assert set(fake_vendor.subscriptions.values()) == {f"fithub-{account}"}
    posts = [r.status for r in fake_vendor.requests if "apiSubscriptions" in r.path]
    assert posts == [201] * 4 + [200] * 4


async def test_revoking_ends_the_grant_and_twice_is_fine(fake_vendor: FakeFitbit, fitbit) -> None:
    provider, tokens, _, end = fitbit
    await provider.revoke(tokens)
    assert fake_vendor.is_revoked(tokens.access_token)
    with pytest.raises(ProviderAuthFailed):
        await provider.refresh(tokens)  # the refresh token went with it
    with pytest.raises(ProviderAuthFailed):
        await provider.fetch_page(tokens, FetchQuery(DataType.DAILY, end - timedelta(hours=1), end))
    await provider.revoke(tokens)


async def test_a_page_token_never_sends_the_token_elsewhere(
    fake_vendor: FakeFitbit, fitbit
) -> None:
    provider, tokens, _, end = fitbit
    query = FetchQuery(DataType.DAILY, end - timedelta(days=1), end, page_token="1999-01-01")
    with pytest.raises(ProviderError, match="outside the window"):
        await provider.fetch_page(tokens, query)
    query = FetchQuery(DataType.SLEEP, end - timedelta(days=1), end,
                       page_token="https://evil.example/steal?offset=1")  # fmt: skip
    with pytest.raises(ProviderError, match="not a"):
        await provider.fetch_page(tokens, query)
    query = FetchQuery(
        DataType.SLEEP,
        end - timedelta(days=1),
        end,
        page_token=(
            "https://evil.example/1.2/user/-/sleep/list.json?afterDate=2020-01-01&sort=asc&limit=1&offset=0"
        ),
    )
    await provider.fetch_page(tokens, query)  # only the link's query is used, on Fitbit's host
    assert (
        fake_vendor.requests_to("/1.2/user/-/sleep/list.json")[-1].query["afterDate"]
        == "2020-01-01"
    )
