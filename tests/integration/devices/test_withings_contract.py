"""The provider contract on Withings, and its quirks: the status envelope, rotating refresh tokens
with a grace period, 24-hour intraday chunks, signed revocation and notification subscriptions.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from fithub.plugins import DataType, DeviceProvider, ProviderContext
from fithub.plugins.errors import (
    ProviderAuthFailed,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from fithub.plugins.records import Sample, SampleKind, SleepSession
from fithub.plugins.testing import FakeVendor, assert_provider_contract
from fithub.plugins.testing.contract import connect, fetch_all
from fithub.plugins.testing.fakes.withings import FakeWithings
from fithub.plugins.types import FetchQuery, Page, TokenSet
from fithub.plugins.withings import WithingsProvider
from tests.instants import INSTANTS, at_each_instant


@pytest.fixture
def fake_vendor_class() -> type[FakeVendor]:
    return FakeWithings


@pytest.fixture
async def withings(fake_vendor: FakeWithings) -> AsyncIterator[WithingsProvider]:
    async with aiohttp.ClientSession() as session:
        context = ProviderContext(session, fake_vendor.credentials(), logging.getLogger("t"), 2.0)
        yield WithingsProvider(context)


def _window(days: float) -> tuple[datetime, datetime]:
    """A window ending at a fixed instant (23:59 at UTC+14), so no test depends on the clock."""
    end = INSTANTS["23:59-utc+14"].astimezone(UTC)
    return end - timedelta(days=days), end


@at_each_instant
async def test_withings_keeps_the_provider_contract(
    fake_vendor: FakeWithings, instant: datetime
) -> None:
    # Two days hold a whole night (22:40-06:25 UTC) wherever they end; intraday heart rate, at
    # most 24 h a call, comes in two chunks that must together bring back every sample.
    report = await assert_provider_contract(WithingsProvider, fake_vendor, end=instant)
    assert set(report.pages) == set(WithingsProvider.data_types)
    assert report.pages[DataType.HEART_RATE] == 2
    assert len(report.records[DataType.HEART_RATE]) == 2 * 24 * 6  # one every 10 minutes
    assert any(isinstance(r, SleepSession) for r in report.records[DataType.SLEEP])
    assert isinstance(WithingsProvider.__new__(WithingsProvider), DeviceProvider)
    # Connecting subscribed to every notification category; revoking was the signed call.
    subscribed = [form for path, form in fake_vendor.calls if path == "/notify"]
    assert {int(form["appli"]) for form in subscribed} == {1, 4, 16, 44, 46}
    assert all(form["action"] == "subscribe" for form in subscribed)
    assert all(form["callbackurl"] == f"{FakeWithings.callback_url}?token="
               f"{FakeWithings.callback_token}" for form in subscribed)  # fmt: skip
    assert fake_vendor.revoked_users and not any(fake_vendor.subscriptions.values())


async def test_the_contract_catches_a_walk_that_stops_after_the_first_chunk(
    fake_vendor: FakeWithings,
) -> None:
    class FirstChunkOnly(WithingsProvider):
        async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
            page = await super().fetch_page(tokens, query)
            if query.data_type is DataType.HEART_RATE:
                return Page(items=page.items, next_token=None)
            return page

    end = datetime(2026, 6, 1, tzinfo=UTC)
    with pytest.raises(AssertionError, match="heart_rate: got 144 of 288 items"):
        await assert_provider_contract(FirstChunkOnly, fake_vendor, end=end)
    with pytest.raises(ValueError, match="timezone-aware"):
        await assert_provider_contract(WithingsProvider, fake_vendor, end=end.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("data_type", "path", "seeded"),
    [(DataType.BODY, "/measure", "measuregrps"), (DataType.DAILY, "/v2/measure", "activities"),
     (DataType.ACTIVITIES, "/v2/measure", "workouts"), (DataType.SLEEP, "/v2/sleep", "sleep")],
)  # fmt: skip
async def test_every_list_pages_by_more_and_offset(
    fake_vendor: FakeWithings, withings: WithingsProvider, data_type: DataType, path: str,
    seeded: str,
) -> None:  # fmt: skip
    start, end = _window(5)
    account = fake_vendor.add_account()
    fake_vendor.seed(account, start, end)
    tokens = await connect(withings, fake_vendor, account)
    fake_vendor.page_size = 2
    before = len(fake_vendor.calls)
    items = await fetch_all(withings, tokens, data_type, start, end)
    offsets = [form.get("offset", "0") for p, form in fake_vendor.calls[before:] if p == path]
    assert len(items) == len(fake_vendor.items(account, seeded)) >= 4
    assert offsets == [str(2 * i) for i in range(len(offsets))] and len(offsets) >= 2


async def test_heart_rate_is_fetched_in_24_hour_chunks(
    fake_vendor: FakeWithings, withings: WithingsProvider
) -> None:
    start, end = _window(2.5)
    account = fake_vendor.add_account()
    fake_vendor.seed(account, start, end)
    tokens = await connect(withings, fake_vendor, account)
    before = len(fake_vendor.requests)
    items = await fetch_all(withings, tokens, DataType.HEART_RATE, start, end)
    calls = [r for r in fake_vendor.requests[before:] if r.path == "/v2/measure"]
    assert len(calls) == 3  # 24 h + 24 h + 12 h
    seeded = [s for s in fake_vendor.items(account, "intraday")
              if start.timestamp() <= s["timestamp"] < end.timestamp()]  # fmt: skip
    assert len(items) == len(seeded) > 300  # nothing lost at the chunk edges, nothing twice
    records = [r for item in items for r in withings.normalise(DataType.HEART_RATE, item)]
    assert all(isinstance(r, Sample) and r.kind is SampleKind.HEART_RATE for r in records)
    assert len({r.source.external_id for r in records}) == len(records)
    assert records[0].value == seeded[0]["heart_rate"] and records[0].source.device == "ScanWatch"


async def test_an_hour_without_samples_is_an_empty_series(
    fake_vendor: FakeWithings, withings: WithingsProvider
) -> None:
    account = fake_vendor.add_account()
    tokens = await connect(withings, fake_vendor, account)
    start, end = _window(1 / 24)
    page = await withings.fetch_page(tokens, FetchQuery(DataType.HEART_RATE, start, end))
    assert list(page.items) == [] and page.next_token is None


async def test_windows_longer_than_withings_allows_are_split(
    fake_vendor: FakeWithings, withings: WithingsProvider
) -> None:
    start, end = _window(10)
    account = fake_vendor.add_account()
    fake_vendor.seed(account, start, end)
    tokens = await connect(withings, fake_vendor, account)
    before = len(fake_vendor.calls)
    groups = await fetch_all(withings, tokens, DataType.BODY, start, end)
    calls = [form for path, form in fake_vendor.calls[before:] if path == "/measure"]
    spans = [int(form["enddate"]) - int(form["startdate"]) for form in calls]
    assert len(spans) == 2 and max(spans) < 7 * 86400  # a 7-day chunk, then the other 3 days
    assert int(calls[1]["startdate"]) == int(calls[0]["enddate"]) + 1
    assert len({g["grpid"] for g in groups}) == len(groups) == 20


async def test_a_refresh_rotates_the_token_and_the_old_one_dies_once_the_new_one_is_used(
    fake_vendor: FakeWithings, withings: WithingsProvider
) -> None:
    account = fake_vendor.add_account()
    first = await connect(withings, fake_vendor, account)
    assert first.external_user_id == account and set(first.scopes) == set(withings.scopes)
    second = await withings.refresh(first)
    assert second.refresh_token != first.refresh_token
    assert second.external_user_id == account
    # Withings' safety net: until the new access token is used, the old refresh token works.
    spare = await withings.refresh(first)
    start, end = _window(1)
    await withings.fetch_page(spare, FetchQuery(DataType.DAILY, start, end))
    with pytest.raises(ProviderAuthFailed, match="status 503"):
        await withings.refresh(first)
    # ... and 8 hours after the refresh at most.
    fake_vendor.old_refresh_grace_s = 0.0
    await withings.refresh(second)
    with pytest.raises(ProviderAuthFailed):
        await withings.refresh(second)


@pytest.mark.parametrize(
    ("status", "error"),
    [(601, ProviderRateLimited), (522, ProviderUnavailable), (2554, ProviderError),
     (503, ProviderError), (401, ProviderAuthFailed), (5000, ProviderUnavailable)],
)  # fmt: skip
async def test_envelope_statuses_come_out_as_provider_errors(
    fake_vendor: FakeWithings, withings: WithingsProvider, status: int, error: type[Exception]
) -> None:
    account = fake_vendor.add_account()
    tokens = await connect(withings, fake_vendor, account)
    fake_vendor.inject_status(status)
    start, end = _window(1)
    with pytest.raises(error, match=f"status {status}") as raised:
        await withings.fetch_page(tokens, FetchQuery(DataType.SLEEP, start, end))
    if error is ProviderError:  # not a subclass that would make fithub retry or reconnect
        assert type(raised.value) is ProviderError
    assert fake_vendor.requests_to("/v2/sleep")[-1].status == 200  # all with HTTP 200


async def test_an_expired_token_is_a_401_status_inside_an_http_200(
    fake_vendor: FakeWithings, withings: WithingsProvider
) -> None:
    account = fake_vendor.add_account()
    tokens = await connect(withings, fake_vendor, account)
    fake_vendor.expire_access_tokens()
    start, end = _window(1)
    with pytest.raises(ProviderAuthFailed, match="status 401"):
        await withings.fetch_page(tokens, FetchQuery(DataType.BODY, start, end))
    assert fake_vendor.requests_to("/measure")[-1].status == 200


async def test_a_refused_code_is_an_auth_failure(
    fake_vendor: FakeWithings, withings: WithingsProvider
) -> None:
    from fithub.plugins.types import AuthorizationCallback

    callback = AuthorizationCallback("stale-code", {}, "http://127.0.0.1:9/callback")
    with pytest.raises(ProviderAuthFailed, match="invalid code"):
        await withings.exchange_code(callback)


async def test_revoking_kills_every_token_and_needs_a_valid_signature(
    fake_vendor: FakeWithings,
) -> None:
    async with aiohttp.ClientSession() as session:
        forged = fake_vendor.credentials()
        forged = type(forged)(forged.client_id, "wrong-secret", forged.redirect_uri,
                              base_url=forged.base_url)  # fmt: skip
        impostor = WithingsProvider(ProviderContext(session, forged, logging.getLogger("t"), 2.0))
        honest = WithingsProvider(
            ProviderContext(session, fake_vendor.credentials(), logging.getLogger("t"), 2.0)
        )
        account = fake_vendor.add_account()
        tokens = await connect(honest, fake_vendor, account)
        with pytest.raises(ProviderError, match="getnonce"):
            await impostor.revoke(tokens)
        assert not fake_vendor.is_revoked(tokens.access_token)
        await honest.revoke(tokens)
        assert fake_vendor.is_revoked(tokens.access_token)
        assert fake_vendor.is_revoked(str(tokens.refresh_token))
        with pytest.raises(ProviderAuthFailed):
            await honest.refresh(tokens)
