"""``assert_provider_contract``: one reusable test that a device provider keeps fithub's contract.

Run it against the provider's fake vendor (a started :class:`~fithub.plugins.testing.FakeVendor`
subclass that can :meth:`~FakeVendor.seed` data)::

    async def test_contract(fake_vendor):
        await assert_provider_contract(AcmeProvider, fake_vendor)

It checks, in order: the declarations; connecting (consent URL with state, code exchange,
tokens with an expiry); refreshing; paging every data type to its end with every item
normalised into valid records from this provider; and that each vendor failure comes out as
the right ``ProviderError``: 429 (with its Retry-After), 401, 5xx, a timeout, a malformed page,
a refused refresh, an expired token, and a revoked grant. An ``AssertionError`` says which.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, get_args
from urllib.parse import parse_qs, urlsplit

import aiohttp

from fithub.plugins.errors import (
    ProviderAuthFailed,
    ProviderError,
    ProviderMalformedResponse,
    ProviderRateLimited,
    ProviderUnavailable,
)
from fithub.plugins.oauth import pkce_pair
from fithub.plugins.records import (
    Activity,
    BodyMeasurement,
    DailySummary,
    Record,
    Sample,
    SleepSession,
    record_problems,
    sample_problems,
    series_problems,
)
from fithub.plugins.testing.fake import FakeVendor
from fithub.plugins.types import (
    OAUTH_KINDS,
    AuthKind,
    AuthorizationCallback,
    AuthorizationRequest,
    DataType,
    DeviceProvider,
    FetchQuery,
    ProviderContext,
    RateLimit,
    TokenSet,
)

log = logging.getLogger("fithub.plugins.testing")

# The record a data type must produce (others may come with it: HRV samples with a sleep).
PRIMARY_RECORD: dict[DataType, type[Any]] = {
    DataType.ACTIVITIES: Activity,
    DataType.DAILY: DailySummary,
    DataType.HEART_RATE: Sample,
    DataType.SLEEP: SleepSession,
    DataType.BODY: BodyMeasurement,
    DataType.HRV: Sample,
    DataType.SPO2: Sample,
}
MAX_PAGES = 2000
REDIRECT_URI = "http://127.0.0.1:9/callback"


@dataclass
class ContractReport:
    """What the contract run saw, for tests that want to look further."""

    pages: dict[DataType, int] = field(default_factory=dict)
    records: dict[DataType, list[Record]] = field(default_factory=dict)


def check_declarations(cls: type[Any]) -> None:
    """The class attributes fithub reads before it ever makes an instance."""
    for attr in ("name", "display_name"):
        value = getattr(cls, attr, None)
        assert isinstance(value, str) and value, f"{cls.__name__}.{attr} must be a non-empty str"
    assert cls.name == cls.name.lower() and cls.name.replace("_", "").isalnum(), (
        f"{cls.__name__}.name must be lower-case letters, digits and underscores: {cls.name!r}"
    )
    kind = getattr(cls, "auth_kind", None)
    assert kind in get_args(AuthKind), f"{cls.__name__}.auth_kind {kind!r} is not an AuthKind"
    scopes = getattr(cls, "scopes", None)
    assert isinstance(scopes, tuple) and all(isinstance(s, str) for s in scopes), (
        "scopes: tuple[str]"
    )
    types = getattr(cls, "data_types", None)
    assert isinstance(types, tuple) and types, (
        f"{cls.__name__}.data_types must be a non-empty tuple"
    )
    assert all(isinstance(t, DataType) for t in types), "data_types must hold DataType members"
    required = getattr(cls, "required_scopes", None)
    assert isinstance(required, Mapping), "required_scopes must be a mapping"
    for data_type, needed in required.items():
        assert data_type in types, f"required_scopes names {data_type}, which is not offered"
        assert set(needed) <= set(scopes), f"{data_type} needs scopes the provider never asks for"
    limits = getattr(cls, "rate_limits", None)
    assert isinstance(limits, tuple) and all(isinstance(r, RateLimit) for r in limits)
    window = getattr(cls, "max_window", None)
    assert isinstance(window, timedelta) and window >= timedelta(hours=1), "max_window >= 1 h"
    for method in ("authorization_url", "exchange_code", "refresh", "revoke", "fetch_page",
                   "normalise", "handle_push"):  # fmt: skip
        assert callable(getattr(cls, method, None)), f"{cls.__name__}.{method} is missing"


async def expect_error(
    expected: type[ProviderError], what: str, call: Callable[[], Awaitable[Any]]
) -> ProviderError:
    """Run ``call``; it must raise ``expected`` (and nothing but a ProviderError ever)."""
    try:
        await call()
    except expected as exc:
        return exc
    except ProviderError as exc:
        raise AssertionError(
            f"{what}: raised {type(exc).__name__} ({exc}), expected {expected.__name__}"
        ) from exc
    except Exception as exc:
        raise AssertionError(
            f"{what}: leaked {type(exc).__name__} ({exc}); translate it "
            f"into a ProviderError at the client boundary"
        ) from exc
    raise AssertionError(f"{what}: raised nothing, expected {expected.__name__}")


async def connect(
    provider: DeviceProvider, fake: FakeVendor, account: str, scopes: Sequence[str] | None = None
) -> TokenSet:
    """Consent and code exchange, as fithub and the user do them."""
    verifier, challenge = pkce_pair()
    pkce = provider.auth_kind == "oauth2_pkce"
    request = AuthorizationRequest("contract-state-1", REDIRECT_URI, provider.scopes,
                                   challenge if pkce else None)  # fmt: skip
    start = await provider.authorization_url(request)
    query = parse_qs(urlsplit(start.url).query)
    assert query.get("state") == ["contract-state-1"], "the consent URL must carry the state"
    if pkce:
        assert query.get("code_challenge") == [challenge], "oauth2_pkce: send the code_challenge"
    back = fake.authorize(start.url, account, scopes=scopes)
    assert back.state == "contract-state-1" and back.code, f"consent failed: {back.params}"
    callback = AuthorizationCallback(back.code, back.params, REDIRECT_URI,
                                     verifier if pkce else None, start.stash)  # fmt: skip
    return await provider.exchange_code(callback)


async def fetch_all(
    provider: DeviceProvider, tokens: TokenSet, data_type: DataType, start: datetime, end: datetime
) -> list[Mapping[str, Any]]:
    """Every item of one data type in [start, end), following page tokens to the end."""
    items: list[Mapping[str, Any]] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = await provider.fetch_page(tokens, FetchQuery(data_type, start, end, token))
        items.extend(page.items)
        if page.next_token is None:
            return items
        assert page.next_token != token, f"{data_type}: the same page token came back twice"
        token = page.next_token
    raise AssertionError(f"{data_type}: still more pages after {MAX_PAGES}")


def check_records(
    provider: DeviceProvider, data_type: DataType, items: Sequence[Mapping[str, Any]]
) -> list[Record]:
    records: list[Record] = []
    for item in items:
        produced = provider.normalise(data_type, item)
        assert isinstance(produced, list), f"normalise({data_type}) must return a list"
        for record in produced:
            problems = record_problems(record, provider.name)
            assert not problems, f"{data_type}: invalid {type(record).__name__}: {problems}"
            records.append(record)
    primary = PRIMARY_RECORD[data_type]
    assert any(isinstance(r, primary) for r in records), (
        f"{data_type}: {len(items)} items gave no {primary.__name__}"
    )
    seen: set[tuple[str, str, str]] = set()
    for record in records:
        key = (type(record).__name__, str(getattr(record, "kind", "")), record.source.external_id)
        assert key not in seen, f"{data_type}: two records share the external id {key}"
        seen.add(key)
    check_page_normaliser(provider, data_type, items, records)
    return records


def check_page_normaliser(provider: DeviceProvider, data_type: DataType,
                          items: Sequence[Mapping[str, Any]], records: list[Record]) -> None:  # fmt: skip
    """A provider's optional ``normalise_page`` must stand for what ``normalise`` gives per item."""
    by_page = getattr(provider, "normalise_page", None)
    if by_page is None:
        return
    outcome = by_page(data_type, items)
    assert not outcome.errors, f"{data_type}: normalise_page refused items: {outcome.errors[:3]}"
    paged: list[Record] = list(outcome.records)
    for series in outcome.series:
        problems = series_problems(series, provider.name) + [m for _, m in sample_problems(series)]
        assert not problems, f"{data_type}: invalid SampleSeries: {problems[:3]}"
        paged.extend(series.samples())

    def described(found: list[Record]) -> list[str]:
        return sorted(f"{r!r} {dict(r.raw)!r}" for r in found)

    assert described(paged) == described(records), (
        f"{data_type}: normalise_page does not give what normalise gives item by item"
    )


def contract_window(end: datetime | None, days: float) -> tuple[datetime, datetime]:
    """[start, end) of the contract's window, in UTC: ``days`` back from ``end`` (default: now)."""
    if end is None:
        end = datetime.now(UTC).replace(microsecond=0)
    elif end.utcoffset() is None:
        raise ValueError(f"the contract's end must be timezone-aware, not {end}")
    if days <= 0:
        raise ValueError(f"the contract's window must be longer than nothing, not {days} days")
    end = end.astimezone(UTC)
    return end - timedelta(days=days), end


async def assert_provider_contract(
    provider_cls: type[DeviceProvider],
    fake: FakeVendor,
    *,
    timeout_s: float = 1.0,
    days: float = 2,
    end: datetime | None = None,
    page_size: int = 2,
    expect_refresh: bool = True,
    single_page: Collection[DataType] = (),
) -> ContractReport:
    """Check ``provider_cls`` against the running ``fake``; raise AssertionError naming a breach.

    The fake is seeded, and every data type fetched, over the window [end - days, end): ``end``
    (timezone-aware) defaults to now, to the second; pass a fixed instant so the run does not
    depend on the time of day, and ``days`` (need not be whole) long enough to hold one of each
    thing the fake seeds wherever the window ends. ``expect_refresh=False`` is for a vendor that
    issues no refresh tokens (Polar): ``refresh`` must then raise ``ProviderAuthFailed`` (fithub
    asks the user to connect again), and a second connection stands in for a refreshed grant.
    ``single_page`` names data types the vendor answers whole, with no paging: they need not come
    in more than one page.
    """
    check_declarations(provider_cls)
    assert provider_cls.auth_kind in OAUTH_KINDS, "the contract test covers OAuth providers only"
    report = ContractReport()
    start, end = contract_window(end, days)
    saved_page_size, fake.page_size = fake.page_size, page_size
    try:
        async with aiohttp.ClientSession() as session:
            context = ProviderContext(session, fake.credentials(REDIRECT_URI), log, timeout_s)
            provider = provider_cls(context)
            account = fake.add_account()
            fake.seed(account, start, end)

            tokens = await connect(provider, fake, account)
            assert tokens.access_token and tokens.expires_at is not None, "tokens need an expiry"
            assert tokens.expires_at.tzinfo is not None, "expires_at must be timezone-aware"
            assert set(tokens.scopes) <= set(provider.scopes) | set(tokens.scopes)
            if expect_refresh:
                assert tokens.refresh_token, "an OAuth 2.0 grant should come with a refresh token"
                refreshed = await provider.refresh(tokens)
                assert refreshed.access_token != tokens.access_token, "refresh gave the same token"
                assert refreshed.external_user_id == tokens.external_user_id, (
                    "refresh lost the user"
                )
            else:
                await expect_error(ProviderAuthFailed, "refresh without refresh tokens",
                                   lambda: provider.refresh(tokens))  # fmt: skip
                refreshed = tokens

            for data_type in fake.data_types() or provider.data_types:
                before = len(fake.requests)
                items = await fetch_all(provider, refreshed, data_type, start, end)
                pages = [r for r in fake.requests[before:] if r.total is not None]
                report.pages[data_type] = len(pages)
                totals = {r.total for r in pages}
                assert len(totals) == 1, f"{data_type}: the query changed between pages"
                total = totals.pop() or 0
                assert total > 0, f"{data_type}: the fake seeded nothing in the window"
                assert len(items) == total, f"{data_type}: got {len(items)} of {total} items"
                if total > page_size and data_type not in single_page:
                    assert len(pages) > 1, f"{data_type}: {total} items came in one page"
                report.records[data_type] = check_records(provider, data_type, items)

            probe = FetchQuery(provider.data_types[0], end - timedelta(hours=6), end)

            async def fetch() -> Any:
                return await provider.fetch_page(refreshed, probe)

            fake.inject(429, retry_after=7)
            limited = await expect_error(ProviderRateLimited, "429", fetch)
            assert isinstance(limited, ProviderRateLimited) and limited.retry_after == 7, (
                "429 with Retry-After: 7 must give ProviderRateLimited(retry_after=7)"
            )
            for status in (500, 502, 503):
                fake.inject(status)
                await expect_error(ProviderUnavailable, str(status), fetch)
            fake.inject(401)
            await expect_error(ProviderAuthFailed, "401", fetch)
            fake.inject(delay_s=timeout_s + 1.0)
            await expect_error(ProviderUnavailable, "a vendor slower than timeout_s", fetch)
            fake.inject(malformed=True)
            await expect_error(ProviderMalformedResponse, "a page that is not JSON", fetch)
            fake.clear_faults()
            await fetch()  # and it works again

            if expect_refresh:
                fake.refuse_refresh = True
                await expect_error(ProviderAuthFailed, "a refused refresh",
                                   lambda: provider.refresh(refreshed))  # fmt: skip
                fake.refuse_refresh = False
            fake.expire_access_tokens()
            await expect_error(ProviderAuthFailed, "an expired access token", fetch)

            if expect_refresh:
                again = await provider.refresh(refreshed)
            else:
                again = await connect(provider, fake, account)
                assert again.external_user_id == tokens.external_user_id, "reconnecting lost it"
            await provider.revoke(again)
            assert fake.is_revoked(again.access_token), "revoke did not reach the vendor"
            await expect_error(ProviderAuthFailed, "a revoked grant",
                               lambda: provider.fetch_page(again, probe))  # fmt: skip
            await provider.revoke(again)  # revoking twice is not an error
    finally:
        fake.page_size = saved_page_size
        fake.clear_faults()
        fake.refuse_refresh = False
    return report
