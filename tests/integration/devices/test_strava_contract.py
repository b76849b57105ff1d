"""The provider contract on Strava, and Strava's quirks against the fake: token reuse and rotation,
page-number paging ended by an empty page, rate-limit headers and the derived wait of a 429."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from fithub.plugins import DataType, DeviceProvider, ProviderContext
from fithub.plugins.errors import ProviderAuthFailed, ProviderRateLimited
from fithub.plugins.strava import StravaProvider
from fithub.plugins.testing import FakeVendor, assert_provider_contract
from fithub.plugins.testing.contract import REDIRECT_URI, connect, fetch_all
from fithub.plugins.testing.fakes.strava import FakeStrava
from fithub.plugins.types import FetchQuery, PushRequest, TokenSet

# 2024-03-05 10:07:30 UTC: 7.5 minutes to the next quarter hour, 13 h 52.5 min to midnight.
FROZEN = datetime(2024, 3, 5, 10, 7, 30, tzinfo=UTC).timestamp()


@pytest.fixture
def fake_vendor_class() -> type[FakeVendor]:
    return FakeStrava


@pytest_asyncio.fixture
async def strava(fake_vendor: FakeStrava) -> AsyncIterator[StravaProvider]:
    async with aiohttp.ClientSession() as session:
        credentials = fake_vendor.credentials(REDIRECT_URI)
        yield StravaProvider(ProviderContext(session, credentials, logging.getLogger("t"), 2.0))


async def test_strava_keeps_the_provider_contract(fake_vendor: FakeStrava) -> None:
    # Strava hands back the same access token while it has more than an hour left; the contract
    # wants a new one from its refresh, so the fake's tokens start with an hour to live.
    fake_vendor.access_ttl_s = 3600
    report = await assert_provider_contract(StravaProvider, fake_vendor)
    assert report.pages[DataType.ACTIVITIES] > 1  # paged, ended by an empty page
    activities = report.records[DataType.ACTIVITIES]
    assert {a.sport for a in activities} >= {"running", "cycling"}  # type: ignore[union-attr]
    assert isinstance(StravaProvider.__new__(StravaProvider), DeviceProvider)


async def test_a_refresh_with_over_an_hour_left_returns_the_same_tokens(
    fake_vendor: FakeStrava, strava: StravaProvider
) -> None:
    account = fake_vendor.add_account()
    tokens = await connect(strava, fake_vendor, account)
    assert tokens.external_user_id == account and tokens.external_user_id.isdigit()
    assert tokens.scopes == ("read", "activity:read_all")
    assert tokens.expires_at is not None
    assert abs((tokens.expires_at - datetime.now(UTC)) - timedelta(hours=6)) < timedelta(minutes=1)
    same = await strava.refresh(tokens)
    assert (same.access_token, same.refresh_token) == (tokens.access_token, tokens.refresh_token)
    assert same.external_user_id == account and same.scopes == tokens.scopes


async def test_a_rotated_refresh_token_is_refused_afterwards(
    fake_vendor: FakeStrava, strava: StravaProvider
) -> None:
    account = fake_vendor.add_account()
    tokens = await connect(strava, fake_vendor, account)
    fake_vendor.clock = lambda: datetime.now(UTC).timestamp() + 5.5 * 3600  # 30 min left
    fresh = await strava.refresh(tokens)
    assert fresh.access_token != tokens.access_token
    assert fresh.refresh_token != tokens.refresh_token
    with pytest.raises(ProviderAuthFailed, match="RefreshToken.refresh_token invalid"):
        await strava.refresh(tokens)  # the old refresh token died at once
    start = datetime.now(UTC) - timedelta(days=1)
    # the older access token stays usable until it expires, as Strava says
    await strava.fetch_page(tokens, FetchQuery(DataType.ACTIVITIES, start, datetime.now(UTC)))


async def test_a_person_who_unticks_private_activities_grants_read_only(
    fake_vendor: FakeStrava, strava: StravaProvider
) -> None:
    tokens = await connect(strava, fake_vendor, fake_vendor.add_account(), scopes=["read"])
    assert tokens.scopes == ("read",)
    assert not set(StravaProvider.required_scopes[DataType.ACTIVITIES]) <= set(tokens.scopes)
    query = FetchQuery(DataType.ACTIVITIES, datetime.now(UTC) - timedelta(days=1),
                       datetime.now(UTC))  # fmt: skip
    with pytest.raises(ProviderAuthFailed, match="activity:read_permission missing"):
        await strava.fetch_page(tokens, query)


def _at(moment: datetime, ident: int) -> dict[str, Any]:
    return {"id": ident, "name": "Run", "sport_type": "Run", "type": "Run", "elapsed_time": 600,
            "start_date": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "visibility": "everyone",
            "distance": 2000.0, "has_heartrate": False}  # fmt: skip


async def test_windows_keep_their_start_and_leave_out_their_end(
    fake_vendor: FakeStrava, strava: StravaProvider
) -> None:
    account = fake_vendor.add_account()
    start = datetime(2024, 3, 4, 12, tzinfo=UTC)
    end = start + timedelta(hours=6)
    fake_vendor.items(account, "activities").extend(
        [_at(start - timedelta(seconds=1), 1), _at(start, 2), _at(end - timedelta(seconds=1), 3),
         _at(end, 4)]
    )  # fmt: skip
    tokens = await connect(strava, fake_vendor, account)
    items = await fetch_all(strava, tokens, DataType.ACTIVITIES, start, end)
    assert [i["id"] for i in items] == [2, 3]


async def test_paging_goes_on_past_a_short_page_until_an_empty_one(
    fake_vendor: FakeStrava, strava: StravaProvider
) -> None:
    account = fake_vendor.add_account()
    end = datetime.now(UTC).replace(microsecond=0)
    fake_vendor.seed(account, end - timedelta(days=3), end)
    tokens = await connect(strava, fake_vendor, account)
    fake_vendor.page_size = 2  # Strava answers fewer than per_page=200: that is not the end
    before = len(fake_vendor.requests)
    items = await fetch_all(strava, tokens, DataType.ACTIVITIES, end - timedelta(days=3), end)
    pages = [r for r in fake_vendor.requests[before:] if r.total is not None]
    total = len(fake_vendor.items(account, "activities"))
    assert len(items) == total and total > 2
    assert len(pages) == -(-total // 2) + 1  # every page, then the empty one
    assert [r.query["page"] for r in pages] == [str(n) for n in range(1, len(pages) + 1)]
    assert {r.query["per_page"] for r in pages} == {"200"}
    assert [i["start_date"] for i in items] == sorted(i["start_date"] for i in items)


async def test_every_answer_carries_the_apps_rate_limit_usage(fake_vendor: FakeStrava) -> None:
    account = fake_vendor.add_account()
    access = fake_vendor.issue(account, ("read", "activity:read_all"))["access_token"]
    url = f"{fake_vendor.url}/api/v3/athlete/activities"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {access}"}) as session:
        for n in (1, 2):
            async with session.get(url) as answer:
                assert answer.status == 200
                assert answer.headers["X-RateLimit-Limit"] == "200,2000"
                assert answer.headers["X-RateLimit-Usage"] == f"{n},{n}"
                assert answer.headers["X-ReadRateLimit-Limit"] == "100,1000"
                assert answer.headers["X-ReadRateLimit-Usage"] == f"{n},{n}"


async def _limited(strava: StravaProvider, tokens: TokenSet) -> ProviderRateLimited:
    end = datetime.fromtimestamp(FROZEN, UTC)
    with pytest.raises(ProviderRateLimited) as caught:
        await strava.fetch_page(tokens, FetchQuery(DataType.ACTIVITIES, end - timedelta(days=1),
                                                   end))  # fmt: skip
    return caught.value


async def test_a_spent_fifteen_minute_budget_waits_for_the_next_quarter_hour(
    fake_vendor: FakeStrava, strava: StravaProvider
) -> None:
    fake_vendor.clock = lambda: FROZEN
    tokens = await connect(strava, fake_vendor, fake_vendor.add_account())
    fake_vendor.use("read", fifteen=100, daily=400)
    limited = await _limited(strava, tokens)
    assert limited.retry_after == 450.0  # 10:07:30 -> 10:15:00 by Strava's Date header
    assert "Rate Limit Exceeded" in str(limited)
    assert fake_vendor.budgets["read"].used_15min == 101  # a refused request still counts
    assert fake_vendor.requests[-1].status == 429


async def test_a_spent_daily_budget_waits_for_midnight_utc(
    fake_vendor: FakeStrava, strava: StravaProvider
) -> None:
    fake_vendor.clock = lambda: FROZEN
    tokens = await connect(strava, fake_vendor, fake_vendor.add_account())
    fake_vendor.use("overall", fifteen=150, daily=2000)
    limited = await _limited(strava, tokens)
    assert limited.retry_after == (13 * 60 + 52.5) * 60  # 10:07:30 -> 00:00:00 UTC


async def test_deauthorizing_revokes_every_token_even_with_an_expired_access_token(
    fake_vendor: FakeStrava, strava: StravaProvider
) -> None:
    account = fake_vendor.add_account()
    first = await connect(strava, fake_vendor, account)
    second = await connect(strava, fake_vendor, account)
    fake_vendor.expire_access_tokens(account)
    stale = replace(second, expires_at=datetime.now(UTC) - timedelta(minutes=5))
    await strava.revoke(stale)  # refreshes to get a live token, then deauthorizes
    assert fake_vendor.is_revoked(first.access_token)  # every token of the athlete
    assert not [g for g in fake_vendor.access_tokens.values() if g.account == account]
    assert not [g for g in fake_vendor.refresh_tokens.values() if g.account == account]
    await strava.revoke(stale)  # nothing left to revoke: not an error


async def test_the_fakes_webhook_events_parse_for_the_right_athlete(
    fake_vendor: FakeStrava, strava: StravaProvider
) -> None:
    import json

    account = fake_vendor.add_account()
    body = json.dumps(fake_vendor.webhook_event(account, object_id=777)).encode()
    result = await strava.handle_push(PushRequest("POST", {}, fake_vendor.webhook_query(), body))
    (event,) = result.events
    assert (event.external_user_id, event.object_id, event.action) == (account, "777", "upsert")
