"""The provider contract on Polar, and Polar's quirks: no refresh tokens, registration, no paging."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from fithub.plugins import DataType, DeviceProvider, ProviderContext
from fithub.plugins.errors import ProviderAuthFailed, ProviderRateLimited
from fithub.plugins.polar import PolarProvider
from fithub.plugins.testing import FakeVendor, assert_provider_contract
from fithub.plugins.testing.contract import REDIRECT_URI, connect, fetch_all
from fithub.plugins.testing.fakes.polar import FakePolar
from fithub.plugins.types import AppCredentials, FetchQuery, PushRequest, TokenSet


@pytest.fixture
def fake_vendor_class() -> type[FakeVendor]:
    return FakePolar


@pytest.fixture
async def polar(fake_vendor: FakePolar) -> AsyncIterator[PolarProvider]:
    async with aiohttp.ClientSession() as session:
        context = ProviderContext(session, fake_vendor.credentials(REDIRECT_URI),
                                  logging.getLogger("t"), 2.0)  # fmt: skip
        yield PolarProvider(context)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def _connected(
    polar: PolarProvider, fake: FakePolar, days: int = 3, end: datetime | None = None
) -> tuple[str, TokenSet]:
    account = fake.add_account()
    end = end or _now()
    fake.seed(account, end - timedelta(days=days), end)
    return account, await connect(polar, fake, account)


async def test_polar_keeps_the_provider_contract(fake_vendor: FakePolar) -> None:
    report = await assert_provider_contract(
        PolarProvider,
        fake_vendor,
        expect_refresh=PolarProvider.refreshes,
        single_page=PolarProvider.single_page_types,
    )
    assert set(report.pages) == set(PolarProvider.data_types)
    for data_type in (DataType.SLEEP, DataType.HRV, DataType.HEART_RATE):
        assert report.pages[data_type] > 1, data_type  # one date per page
    assert report.pages[DataType.ACTIVITIES] == report.pages[DataType.DAILY] == 1
    assert isinstance(PolarProvider.__new__(PolarProvider), DeviceProvider)


async def test_the_contract_still_wants_paging_unless_told(fake_vendor: FakePolar) -> None:
    with pytest.raises(AssertionError, match="came in one page"):
        await assert_provider_contract(PolarProvider, fake_vendor, expect_refresh=False)


async def test_the_contract_still_wants_a_refresh_token_unless_told(fake_vendor: FakePolar) -> None:
    with pytest.raises(AssertionError, match="refresh token"):
        await assert_provider_contract(PolarProvider, fake_vendor,
                                       single_page=PolarProvider.single_page_types)  # fmt: skip


async def test_a_connection_lasts_for_years_with_no_refresh_token(
    polar: PolarProvider, fake_vendor: FakePolar
) -> None:
    account, tokens = await _connected(polar, fake_vendor)
    assert tokens.refresh_token is None
    assert tokens.expires_at is not None and tokens.expires_at - _now() > timedelta(days=3000)
    assert tokens.external_user_id == str(fake_vendor.polar_id(account))
    with pytest.raises(ProviderAuthFailed, match="connect Polar again"):
        await polar.refresh(tokens)
    token = fake_vendor.requests_to("/v2/oauth2/token")[-1]
    assert token.status == 200 and token.method == "POST"


async def test_connecting_registers_the_user_once_with_a_stable_member_id(
    polar: PolarProvider, fake_vendor: FakePolar
) -> None:
    account, first = await _connected(polar, fake_vendor)
    member = fake_vendor.registered[account]
    assert member.startswith("fithub-") and str(fake_vendor.polar_id(account)) not in member
    again = await connect(polar, fake_vendor, account)  # Polar answers 409: already registered
    registrations = [r.status for r in fake_vendor.requests_to("/v3/users") if r.method == "POST"]
    assert registrations == [200, 409]
    assert fake_vendor.registered[account] == member
    assert again.extra["member_id"] == first.extra["member_id"] == member


async def test_missing_consents_ask_the_user_to_act(
    polar: PolarProvider, fake_vendor: FakePolar
) -> None:
    account, tokens = await _connected(polar, fake_vendor)
    fake_vendor.consents_missing.add(account)
    query = FetchQuery(DataType.SLEEP, _now() - timedelta(days=1), _now())
    with pytest.raises(ProviderAuthFailed):
        await polar.fetch_page(tokens, query)


async def test_disconnecting_deregisters_the_user_and_revokes_every_token(
    polar: PolarProvider, fake_vendor: FakePolar
) -> None:
    account, tokens = await _connected(polar, fake_vendor)
    older = await connect(polar, fake_vendor, account)
    await polar.revoke(tokens)
    assert account not in fake_vendor.registered and fake_vendor.deregistered == [account]
    assert fake_vendor.is_revoked(tokens.access_token) and fake_vendor.is_revoked(
        older.access_token
    )
    await polar.revoke(tokens)  # already gone: not an error
    deletes = [r for r in fake_vendor.requests if r.method == "DELETE"]
    assert deletes[0].path == f"/v3/users/{tokens.external_user_id}"


async def test_a_spent_rate_limit_waits_for_the_reset_polar_announces(
    polar: PolarProvider, fake_vendor: FakePolar
) -> None:
    _, tokens = await _connected(polar, fake_vendor)
    fake_vendor.short_limit = (3, 0, 900)  # registering took one request already
    query = FetchQuery(DataType.HEART_RATE, _now() - timedelta(hours=1), _now())
    await polar.fetch_page(tokens, query)
    answer = fake_vendor.requests[-1]
    assert answer.status == 200
    await polar.fetch_page(tokens, query)
    with pytest.raises(ProviderRateLimited) as limited:
        await polar.fetch_page(tokens, query)
    assert limited.value.retry_after is not None and 890 <= limited.value.retry_after <= 900


async def test_every_answer_carries_the_rate_limit_pairs(
    polar: PolarProvider, fake_vendor: FakePolar
) -> None:
    _, tokens = await _connected(polar, fake_vendor)
    url = f"{fake_vendor.url}/v3/exercises"
    async with aiohttp.ClientSession() as session:
        async with session.get(
            url, headers={"Authorization": f"Bearer {tokens.access_token}"}
        ) as r:
            assert r.status == 200
            usage = [int(v) for v in r.headers["RateLimit-Usage"].split(",")]
            limits = [int(v) for v in r.headers["RateLimit-Limit"].split(",")]
            resets = [int(v) for v in r.headers["RateLimit-Reset"].split(",")]
    assert usage == [2, 2]  # registering, then this
    assert limits == [500 + 20, 5000 + 100]  # one registered user
    assert 0 < resets[0] <= 900 and 900 < resets[1] <= 86400


async def test_exercises_belong_to_the_window_they_were_uploaded_in(
    polar: PolarProvider, fake_vendor: FakePolar
) -> None:
    # Everything seeded was uploaded over two hours ago, whatever the time of day (the fake's runs
    # end in the evening and would otherwise fall in the last hour when the test runs then).
    account, tokens = await _connected(polar, fake_vendor, days=4, end=_now() - timedelta(hours=2))
    every = fake_vendor.items(account, "exercises")
    assert len(every) >= 3
    late = every[0]
    synced = _now() - timedelta(minutes=5)  # the run was days ago; the watch synced just now
    late["upload_time"] = synced.isoformat().replace("+00:00", "Z")
    page = await polar.fetch_page(tokens, FetchQuery(DataType.ACTIVITIES,
                                                     _now() - timedelta(hours=1), _now()))  # fmt: skip
    assert [item["id"] for item in page.items] == [late["id"]] and page.next_token is None


async def test_a_window_is_walked_one_date_per_page_and_empty_dates_are_empty_pages(
    polar: PolarProvider, fake_vendor: FakePolar
) -> None:
    account, tokens = await _connected(polar, fake_vendor, days=2)
    start = _now() - timedelta(days=6)
    items = await fetch_all(polar, tokens, DataType.SLEEP, start, _now())
    walked = [r for r in fake_vendor.requests if r.path.startswith("/v3/users/sleep/")]
    dates = [r.path.rsplit("/", 1)[1] for r in walked]
    assert dates == [(start.date() + timedelta(days=i)).isoformat() for i in range(7)]
    assert [r.status for r in walked].count(404) == 7 - len(items)
    assert {i["date"] for i in items} == {d["date"] for d in fake_vendor.items(account, "sleep")}


async def test_daily_activity_is_asked_for_at_most_28_dates_at_a_time(
    polar: PolarProvider, fake_vendor: FakePolar
) -> None:
    _, tokens = await _connected(polar, fake_vendor)
    end = _now()
    start = end - timedelta(days=400)  # longer than max_window and older than Polar keeps
    await fetch_all(polar, tokens, DataType.DAILY, start, end)
    asked = [r.query for r in fake_vendor.requests_to("/v3/users/activities")]
    assert all(r.status == 200 for r in fake_vendor.requests_to("/v3/users/activities"))
    spans = [(datetime.fromisoformat(q["from"]), datetime.fromisoformat(q["to"])) for q in asked]
    assert all(timedelta(0) <= last - first <= timedelta(days=27) for first, last in spans)
    assert spans[0][0].date() == end.date() - timedelta(days=364)  # nothing older is asked for
    assert spans[-1][1].date() == end.date()
    assert all(b[0] - a[1] == timedelta(days=1) for a, b in zip(spans, spans[1:], strict=False))


async def test_a_webhook_is_created_against_a_ping_then_signed_deliveries_verify(
    fake_vendor: FakePolar,
) -> None:
    """Polar PINGs the URL while creating the webhook (before its key exists), then signs."""
    seen: list[tuple[int, tuple]] = []
    async with aiohttp.ClientSession() as session:
        holder: dict[str, PolarProvider] = {}

        async def webhook(request: web.Request) -> web.Response:
            push = PushRequest(request.method, {k.lower(): v for k, v in request.headers.items()},
                               dict(request.query), await request.read())  # fmt: skip
            try:
                result = await holder["provider"].handle_push(push)
            except Exception:
                return web.Response(status=401)
            seen.append((result.status, result.events))
            return web.Response(status=result.status)

        app = web.Application()
        app.router.add_post("/webhooks/polar", webhook)
        async with TestServer(app, host="127.0.0.1") as receiver:
            url = str(receiver.make_url("/webhooks/polar"))
            blind = AppCredentials(fake_vendor.client_id, fake_vendor.client_secret, REDIRECT_URI)
            holder["provider"] = PolarProvider(
                ProviderContext(session, blind, logging.getLogger("t"))
            )
            basic = f"{fake_vendor.client_id}:{fake_vendor.client_secret}".encode()
            auth = {"Authorization": f"Basic {base64.b64encode(basic).decode()}"}
            async with session.post(f"{fake_vendor.url}/v3/webhooks", headers=auth,
                                    json={"events": ["EXERCISE", "SLEEP"], "url": url}) as made:  # fmt: skip
                assert made.status == 201
                secret = (await made.json())["data"]["signature_secret_key"]
            assert seen == [(200, ())]  # the PING

            keyed = AppCredentials(fake_vendor.client_id, fake_vendor.client_secret, REDIRECT_URI,
                                   options={"webhook_secret": secret})  # fmt: skip
            holder["provider"] = PolarProvider(
                ProviderContext(session, keyed, logging.getLogger("t"))
            )
            account = fake_vendor.add_account()
            note = fake_vendor.notification("SLEEP", account, date="2024-03-05")
            status = await _deliver(fake_vendor, url, note)
            assert status == 200
            (_, events), = seen[1:]  # fmt: skip
            assert [e.data_type for e in events] == [DataType.SLEEP, DataType.HRV]
            assert events[0].external_user_id == str(fake_vendor.polar_id(account))
            assert await _deliver(fake_vendor, url, note, secret="not-the-key") == 401
            async with session.post(f"{fake_vendor.url}/v3/webhooks", headers=auth,
                                    json={"events": ["SLEEP"], "url": url}) as twice:  # fmt: skip
                assert twice.status == 409


async def _deliver(fake: FakePolar, url: str, payload: dict, secret: str | None = None) -> int:
    return await asyncio.to_thread(fake.deliver, url, payload, secret)
