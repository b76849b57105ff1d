"""The checks behind each quality criterion, run on a provider against its started fake vendor.

Each check returns what it saw (a line for the report), raises ``AssertionError`` naming what
failed, or :class:`NotApplicable` with the reason the vendor cannot offer it. The rules that
decide which check belongs to which tier are data, in :mod:`fithub.plugins.testing.quality`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from fithub.plugins.errors import ProviderAuthFailed, ProviderRateLimited
from fithub.plugins.records import (
    Activity,
    BodyMeasurement,
    DailySummary,
    Record,
    Sample,
    SampleKind,
    SleepSession,
    record_problems,
)
from fithub.plugins.testing.contract import (
    REDIRECT_URI,
    assert_provider_contract,
    check_declarations,
    check_records,
    connect,
    contract_window,
    expect_error,
    fetch_all,
)
from fithub.plugins.testing.fake import FakeVendor
from fithub.plugins.testing.fakes.registry import VendorFake
from fithub.plugins.testing.push_contract import PushSpec, assert_push_authentication
from fithub.plugins.types import (
    OAUTH_KINDS,
    DataType,
    DeviceProvider,
    FetchQuery,
    ProviderContext,
    PushResult,
    TokenSet,
)

log = logging.getLogger("fithub.plugins.testing")
PAGE_SIZE = 25  # pages, so that paging is exercised (the contract pages by 2)
BACKFILL_PAGE_SIZE = 200
ACCOUNT = "10234567"  # digits: some vendors' user ids are numbers


class NotApplicable(Exception):
    """The vendor cannot offer what the criterion checks; ``str(exc)`` says why."""


@dataclass
class Run:
    """One provider class, its fake (started, or None) and the session its instances share."""

    cls: type[DeviceProvider]
    vendor: VendorFake
    fake: FakeVendor | None
    session: aiohttp.ClientSession
    docs: Path
    timeout_s: float = 2.0

    @property
    def oauth(self) -> bool:
        return self.cls.auth_kind in OAUTH_KINDS

    @property
    def refreshes(self) -> bool:
        return bool(self.vendor.contract.get("expect_refresh", True))

    def server(self) -> FakeVendor:
        if self.fake is None:
            raise AssertionError(f"no fake vendor is registered for {self.cls.name}")
        return self.fake

    def provider(self, options: Mapping[str, str] | None = None) -> DeviceProvider:
        credentials = self.server().credentials(REDIRECT_URI)
        if options:
            credentials = replace(credentials, options={**credentials.options, **options})
        return self.cls(ProviderContext(self.session, credentials, log, self.timeout_s))

    async def connected(self, days: float) -> tuple[DeviceProvider, TokenSet, datetime, datetime]:
        """A provider, a newly connected account holding ``days`` of data, and that window."""
        fake = self.server()
        start, end = contract_window(None, days)
        account = fake.add_account()
        fake.seed(account, start, end)
        provider = self.provider()
        return provider, await connect(provider, fake, account), start, end

    def push_spec(self) -> PushSpec:
        spec = self.vendor.push_spec(self.fake, ACCOUNT)
        if spec is None:
            raise NotApplicable(no_push_reason(self))
        return spec


def no_push_reason(run: Run) -> str:
    """Why a criterion about pushes does not apply (a vendor that is polled still counts)."""
    if run.vendor.no_push:
        return run.vendor.no_push
    return ("the vendor pushes nothing: fithub polls it on a schedule, which the syncs "
            "criterion covers")  # fmt: skip


def needs_oauth(run: Run) -> None:
    if not run.oauth:
        raise NotApplicable(
            f"auth_kind {run.cls.auth_kind!r}: nobody signs in at the vendor and fithub fetches "
            "nothing from it (the person brings the data)"
        )


def record_type(record: Record) -> DataType | None:
    """The data type a record belongs to."""
    if isinstance(record, Sample):
        if str(record.kind).startswith("hrv"):  # RMSSD, or another measure of it
            return DataType.HRV
        return {SampleKind.HEART_RATE: DataType.HEART_RATE,
                SampleKind.SPO2: DataType.SPO2}.get(record.kind)  # fmt: skip
    kinds: dict[type[Any], DataType] = {Activity: DataType.ACTIVITIES, DailySummary: DataType.DAILY,
                                        SleepSession: DataType.SLEEP, BodyMeasurement: DataType.BODY}  # fmt: skip
    return kinds.get(type(record))


def record_key(record: Record) -> tuple[str, str, str]:
    return type(record).__name__, str(getattr(record, "kind", "")), record.source.external_id


def record_day(record: Record) -> date:
    """The (UTC) day a record is about."""
    if isinstance(record, DailySummary):
        return record.day
    when = record.start if isinstance(record, Activity | SleepSession) else record.time
    return when.astimezone(UTC).date()


# -- bronze ----------------------------------------------------------------------------------------


async def check_connects(run: Run) -> str:
    needs_oauth(run)
    provider, tokens, _, _ = await run.connected(1)
    assert tokens.access_token, "the code exchange gave no access token"
    assert tokens.expires_at is not None, "the tokens have no expiry (expires_at)"
    assert tokens.expires_at.tzinfo is not None, "expires_at must be timezone-aware"
    assert tokens.external_user_id, "the tokens do not name the vendor's user (external_user_id)"
    pkce = " and the PKCE challenge" if provider.auth_kind == "oauth2_pkce" else ""
    left = (tokens.expires_at - datetime.now(UTC)).total_seconds() / 3600
    return (f"the consent URL carried the state{pkce}; the code exchange gave tokens for vendor "
            f"user {tokens.external_user_id} that expire in {left:.1f} h")  # fmt: skip


async def check_syncs(run: Run) -> str:
    if not run.oauth:
        return _imports(run, days=2)
    fake = run.server()
    provider, tokens, start, end = await run.connected(run.vendor.contract.get("days", 2))
    seen: list[str] = []
    saved, fake.page_size = fake.page_size, PAGE_SIZE
    try:
        for data_type in provider.data_types:
            before = len(fake.requests)
            items = await fetch_all(provider, tokens, data_type, start, end)
            pages = sum(1 for r in fake.requests[before:] if r.total is not None) or 1
            records = check_records(provider, data_type, items)
            again = [k for item in items for k in map(record_key, provider.normalise(data_type,
                                                                                      item))]  # fmt: skip
            assert again == [record_key(r) for r in records], (
                f"{data_type}: normalising the same items again gave other external ids"
            )
            seen.append(f"{data_type} {len(items)} items/{pages} pages")
    finally:
        fake.page_size = saved
    return (f"every declared data type fetched to its last page and normalised into valid "
            f"records with stable external ids: {', '.join(seen)}")  # fmt: skip


def _imports(run: Run, days: float) -> str:
    importer = run.vendor.importer
    if importer is None:
        raise AssertionError(
            f"auth_kind {run.cls.auth_kind!r} and no importer registered for the kit to read"
        )
    start, end = contract_window(None, days)
    counts: dict[DataType, int] = {}
    for record in importer(start, end):
        problems = record_problems(record, run.cls.name)
        assert not problems, f"an imported {type(record).__name__} is invalid: {problems}"
        data_type = record_type(record)
        if data_type is not None:
            counts[data_type] = counts.get(data_type, 0) + 1
    missing = [str(t) for t in run.cls.data_types if not counts.get(t)]
    assert not missing, f"the import gave no records of {', '.join(missing)}"
    shown = ", ".join(f"{t} {counts[t]}" for t in run.cls.data_types)
    return f"nothing to fetch; an import of {days:g} days gave valid records of each type: {shown}"


async def check_contract(run: Run) -> str:
    if not run.oauth:
        check_declarations(run.cls)
        assert isinstance(run.cls.__new__(run.cls), DeviceProvider), "not a DeviceProvider"
        return ("declarations and methods are valid; the rest of assert_provider_contract is "
                "for OAuth providers")  # fmt: skip
    fake = run.server()
    report = await assert_provider_contract(run.cls, fake, **run.vendor.contract)
    pages = sum(report.pages.values())
    return (f"assert_provider_contract passed: {len(report.pages)} data types in {pages} pages, "
            "429/401/5xx/timeout/malformed/refused refresh/expired/revoked each mapped")  # fmt: skip


# -- silver ----------------------------------------------------------------------------------------


async def check_push_authentication(run: Run) -> str:
    spec = run.push_spec()
    report = await assert_push_authentication(run.cls, run.server(), spec)
    how = ("an HMAC over the body" if spec.body_signed
           else "a shared secret (the body is not signed: fithub confirms each delete)")  # fmt: skip
    return (f"the genuine push was accepted and {len(report.refused)} forged, unsigned or stale "
            f"variants refused; the vendor proves itself by {how}")  # fmt: skip


async def check_push_idempotent(run: Run) -> str:
    spec = run.push_spec()
    provider = run.provider(spec.options)
    push = spec.make(datetime.now(UTC))
    first: PushResult = await provider.handle_push(push)
    second: PushResult = await provider.handle_push(push)
    assert first.events, "the genuine push announced no event"
    assert (first.status, first.events) == (second.status, second.events), (
        "the same push handled twice announced different events"
    )
    for event in first.events:
        assert event.external_user_id, "an event names no vendor user"
        if event.action != "deauthorize":
            assert event.data_type in run.cls.data_types, (
                f"an event names {event.data_type!r}, which the provider does not offer"
            )
    named = ", ".join(f"{e.action} {e.data_type or ''}".strip() for e in first.events)
    return (f"the same push twice announced the same events ({named}): a redelivery changes "
            "nothing, as fithub upserts on external ids")  # fmt: skip


async def check_rate_limits(run: Run) -> str:
    needs_oauth(run)
    limits = run.cls.rate_limits
    assert limits, "declares no rate_limits: fithub would call the vendor as fast as it can"
    provider, tokens, _, end = await run.connected(1)
    probe = FetchQuery(provider.data_types[0], end - timedelta(hours=6), end)
    run.server().inject(429, retry_after=7)
    limited = await expect_error(ProviderRateLimited, "a 429",
                                 lambda: provider.fetch_page(tokens, probe))  # fmt: skip
    assert isinstance(limited, ProviderRateLimited) and limited.retry_after == 7, (
        f"a 429 with Retry-After: 7 gave retry_after={getattr(limited, 'retry_after', None)}"
    )
    declared = ", ".join(f"{r.requests}/{r.per_seconds} s per {r.scope}" for r in limits)
    return f"declares {declared}; a 429 with Retry-After: 7 became ProviderRateLimited(7)"


async def check_reauth(run: Run) -> str:
    needs_oauth(run)
    fake = run.server()
    provider, tokens, _, end = await run.connected(1)
    probe = FetchQuery(provider.data_types[0], end - timedelta(hours=6), end)
    if run.refreshes:
        fake.refuse_refresh = True
        await expect_error(ProviderAuthFailed, "a refused refresh",
                           lambda: provider.refresh(tokens))  # fmt: skip
        fake.refuse_refresh = False
        first = "a refused refresh"
    else:
        await expect_error(ProviderAuthFailed, "refresh with no refresh token",
                           lambda: provider.refresh(tokens))  # fmt: skip
        first = "refresh (the vendor issues no refresh tokens)"
    fake.inject(401)
    await expect_error(ProviderAuthFailed, "a 401", lambda: provider.fetch_page(tokens, probe))
    fake.expire_access_tokens()
    await expect_error(ProviderAuthFailed, "an expired access token",
                       lambda: provider.fetch_page(tokens, probe))  # fmt: skip
    if run.refreshes:
        fresh = await provider.refresh(tokens)
        await provider.fetch_page(fresh, probe)
        return (f"{first}, a 401 and an expired token each gave ProviderAuthFailed (fithub asks "
                "the person to reconnect); a later refresh recovered")  # fmt: skip
    return (f"{first}, a 401 and an expired token each gave ProviderAuthFailed (fithub asks the "
            "person to reconnect)")  # fmt: skip


# -- gold ------------------------------------------------------------------------------------------


def windows(start: datetime, end: datetime, longest: timedelta) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into windows of at most ``longest``, oldest first, as fithub cuts it."""
    cut: list[tuple[datetime, datetime]] = []
    while start < end:
        cut.append((start, min(start + longest, end)))
        start = cut[-1][1]
    return cut


async def check_backfill(run: Run) -> str:
    days = run.vendor.backfill_days
    if not run.oauth:
        if run.vendor.importer is None:
            raise AssertionError("no importer registered for the kit to read")
        start, end = contract_window(None, days)
        records = list(run.vendor.importer(start, end))
        first = min(record_day(r) for r in records)
        assert first <= (start + timedelta(days=7)).date(), (
            f"an import of {days:g} days reached back to {first} only"
        )
        return f"an import of {days:g} days gave {len(records)} records back to {first}"
    fake = run.server()
    provider, tokens, start, end = await run.connected(days)
    cut = windows(start, end, provider.max_window)
    oldest = cut[0]
    counts: list[str] = []
    reached = False
    for data_type in provider.data_types:
        walks: list[set[tuple[str, str, str]]] = []
        for page_size in (BACKFILL_PAGE_SIZE, 10**6):
            saved, fake.page_size = fake.page_size, page_size
            keys: set[tuple[str, str, str]] = set()
            try:
                for window in cut:
                    items = await fetch_all(provider, tokens, data_type, *window)
                    records = [r for i in items for r in provider.normalise(data_type, i)]
                    keys |= {record_key(r) for r in records}
                    if window == oldest and records:
                        reached = True
            finally:
                fake.page_size = saved
            walks.append(keys)
        paged, whole = walks
        assert whole, f"{data_type}: nothing came back from {days:g} days"
        assert paged == whole, (
            f"{data_type}: pages of {BACKFILL_PAGE_SIZE} gave {len(paged)} records, one page "
            f"{len(whole)}: paging over a long window loses or repeats items"
        )
        counts.append(f"{data_type} {len(whole)}")
    assert reached, f"nothing came back from the oldest window ({oldest[0]:%Y-%m-%d})"
    longest = provider.max_window / timedelta(days=1)
    return (f"{days:g} days in {len(cut)} window(s) of at most {longest:g} days: the same "
            f"records in pages of {BACKFILL_PAGE_SIZE} as whole ({', '.join(counts)})")  # fmt: skip


async def check_deletions(run: Run) -> str:
    make = run.vendor.deletion
    if make is None:
        if run.vendor.no_deletions:
            raise NotApplicable(run.vendor.no_deletions)
        if run.vendor.push_spec(run.fake, ACCOUNT) is None:
            raise NotApplicable(f"{no_push_reason(run)}; a re-sync brings back what changed")
        raise AssertionError("the vendor pushes but the kit has no deletion push for it "
                             "(register VendorFake.deletion, or no_deletions with the reason)")  # fmt: skip
    spec = run.push_spec()
    provider = run.provider(spec.options)
    result = await provider.handle_push(make(run.server(), ACCOUNT, datetime.now(UTC)))
    deletes = [e for e in result.events if e.action == "delete"]
    assert deletes, "a push reporting a deletion gave no delete event"
    for event in deletes:
        assert event.data_type in run.cls.data_types, f"a delete names {event.data_type!r}"
        assert event.object_id or (event.start and event.end), "a delete names no id or window"
    event = deletes[0]
    what = event.object_id or f"[{event.start:%Y-%m-%d %H:%M}, {event.end:%H:%M})"
    acted = ("acted on (the body is signed)" if getattr(run.cls, "pushes_signed", False)
             else "confirmed with the vendor before fithub deletes (unsigned pushes)")  # fmt: skip
    return f"a deletion push gave delete {event.data_type} {what}, {acted}"


def doc_sections(run: Run) -> list[tuple[str, tuple[str, ...]]]:
    """The sections a provider's page needs: (name, headings that count as it)."""
    needed = [("Settings", ("settings",)), ("Data types", ("data", "what maps to what"))]
    if run.oauth:
        needed += [("Connecting", ("connecting",)), ("Rate limits", ("rate limits", "limits"))]
    if run.vendor.push_spec(run.fake, ACCOUNT) is not None:
        needed.append(("Webhooks", ("webhooks", "notifications")))
    needed.append(("Quality tier", ("quality tier",)))
    return needed


async def check_docs(run: Run) -> str:
    assert run.docs.is_file(), f"no documentation page at {run.docs}"
    headings = [line.lstrip("#").strip().lower() for line in
                run.docs.read_text(encoding="utf-8").splitlines() if line.startswith("## ")]  # fmt: skip
    needed = doc_sections(run)
    missing = [name for name, starts in needed
               if not any(h.startswith(s) for h in headings for s in starts)]  # fmt: skip
    assert not missing, f"{run.docs.name} lacks the sections: {', '.join(missing)}"
    return f"{run.docs.name} has {', '.join(name for name, _ in needed)}"
