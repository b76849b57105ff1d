"""Syncing one connection (journey 4): tokens, windows, pages, upserts, cursors, the sync log.

For each data type the connection may read, the time since its cursor (minus a look-back, as
vendors revise recent data; on the first sync the backfill period) is cut into windows no longer
than the provider's ``max_window``, and each window is fetched page by page. Each page's records
and the cursor that points past them are committed in one transaction, so a crash repeats at most
one page and never skips one. Vendor calls go through :meth:`SyncRun.call`: the declared rate
budget, the provider's breaker, one forced refresh on a 401, and Retry-After waits (short waits in
the job, longer ones defer the whole run by re-queuing it). A failing data type (vendor error,
malformed page) is logged and the others go on; an open breaker or a refused refresh ends the run.
A page commits only while the run still holds the connection's lease (core/devices/recovery.py),
and with it the log's counts, so a log always says what its run wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from tortoise.transactions import in_transaction

from fithub.core.devices.connections import (
    mark_reauth_required,
    read_tokens,
    refresh_tokens,
    rekey,
)
from fithub.core.devices.errors import ConnectionGone, Deferred, LeaseLost, ReauthRequired
from fithub.core.devices.gateway import ProviderGateway
from fithub.core.devices.models import ConnectionStatus, DeviceConnection, SyncLog
from fithub.core.devices.store import Counts, upsert_records
from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderRateLimited
from fithub.plugins.records import (
    Record,
    SampleSeries,
    record_problems,
    sample_problems,
    series_problems,
)
from fithub.plugins.types import (
    DataType,
    DeviceProvider,
    FetchQuery,
    NormalisedPage,
    Page,
    TokenSet,
)

log = logging.getLogger("fithub.devices.sync")
T = TypeVar("T")
MAX_ERRORS_KEPT = 5
DEFAULT_RETRY_AFTER = 60.0
SKIPPED_UNGRANTED = "scope not granted"
LOG_COUNTS = ("pages", "fetched", "inserted", "updated", "unchanged")


@dataclass
class TypeReport:
    """What one data type of one run did (kept in ``SyncLog.details``)."""

    pages: int = 0
    fetched: int = 0
    counts: Counts = field(default_factory=Counts)
    errors: int = 0
    messages: list[str] = field(default_factory=list)
    rate_limited: int = 0
    window: tuple[str, str] | None = None
    failed: str | None = None

    def note(self, message: str) -> None:
        self.errors += 1
        if len(self.messages) < MAX_ERRORS_KEPT:
            self.messages.append(message[:300])

    def as_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages, "fetched": self.fetched, "inserted": self.counts.inserted,
            "updated": self.counts.updated, "unchanged": self.counts.unchanged,
            "errors": self.errors, "messages": self.messages, "rate_limited": self.rate_limited,
            "window": list(self.window) if self.window else None, "failed": self.failed,
        }  # fmt: skip


def windows(start: datetime, end: datetime, size: timedelta) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut into consecutive spans of at most ``size``."""
    while start < end:
        stop = min(end, start + size)
        yield start, stop
        start = stop


async def _fetch(provider: DeviceProvider, query: FetchQuery, tokens: TokenSet) -> Page:
    return await provider.fetch_page(tokens, query)


async def _cancel(task: asyncio.Task[Any] | None) -> None:
    """Stop a prefetch whose page will not be needed (its error, if any, does not matter)."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(BaseException):
        await task


def _parse(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _valid_series(series: SampleSeries, name: str, report: TypeReport) -> SampleSeries | None:
    """``series`` without the samples that break a rule (each noted); None when it is unusable."""
    problems = series_problems(series, name)
    if problems:
        report.note(f"invalid SampleSeries: {'; '.join(problems)}")
        return None
    bad = dict(sample_problems(series))
    if not bad:
        return series
    for index, problem in bad.items():
        report.note(f"invalid Sample {index} of a series: {problem}")
    keep = [i for i in range(len(series.times)) if i not in bad]

    def pick(column: Sequence[Any] | None) -> list[Any] | None:
        return None if column is None else [column[i] for i in keep]

    return replace(series, times=[series.times[i] for i in keep],
                   values=[series.values[i] for i in keep], external_ids=pick(series.external_ids),
                   contexts=pick(series.contexts), raws=pick(series.raws))  # fmt: skip


def normalise_items(
    provider: DeviceProvider,
    name: str,
    data_type: DataType,
    items: Sequence[Mapping[str, Any]],
    report: TypeReport,
) -> list[Record | SampleSeries]:
    """The valid records of vendor ``items``; each unreadable item or invalid record is noted.

    A provider with ``normalise_page`` reads the page at once (dense series come in columns)."""
    records: list[Record | SampleSeries] = []
    produced: list[Record] = []
    by_page = getattr(provider, "normalise_page", None)
    if by_page is not None:
        outcome: NormalisedPage = by_page(data_type, items)
        for message in outcome.errors:
            report.note(message)
        produced = outcome.records
        for series in outcome.series:
            valid = _valid_series(series, name, report)
            if valid is not None and len(valid.times):
                records.append(valid)
    else:
        for item in items:
            try:
                produced.extend(provider.normalise(data_type, item))
            except Exception as exc:  # one unreadable item must not lose the page
                report.note(f"{type(exc).__name__}: {exc}")
    for record in produced:
        problems = record_problems(record, name)
        if problems:
            report.note(f"invalid {type(record).__name__}: {'; '.join(problems)}")
        else:
            records.append(record)
    return records


def requested_window(log_row: SyncLog) -> tuple[datetime, datetime] | None:
    """The window a push asked for (``details.requested_window``), if any."""
    window = (log_row.details or {}).get("requested_window")
    if not window:
        return None
    start, end = _parse(window[0]), _parse(window[1])
    return (start, end) if start and end and start < end else None


class SyncRun:
    """One run of one connection; see the module docstring."""

    def __init__(
        self,
        gateway: ProviderGateway,
        connection: DeviceConnection,
        provider: DeviceProvider,
        log_row: SyncLog,
    ) -> None:
        self.gateway, self.connection, self.provider, self.log = (
            gateway,
            connection,
            provider,
            log_row,
        )
        self.name = connection.provider
        self.tokens: TokenSet | None = None
        self.reports: dict[str, TypeReport] = {}
        # What earlier attempts of this log (a deferred run) wrote; the log's counts add to it.
        self.base = {name: int(getattr(log_row, name) or 0) for name in LOG_COUNTS}

    # -- guarded vendor calls ---------------------------------------------------------------------

    async def _respect_budget(self) -> None:
        while wait := await self.gateway.budget_wait(self.name, self.connection.id):
            if wait > self.gateway.config.max_inline_wait_s:
                raise Deferred(wait)
            await asyncio.sleep(wait)

    async def call(self, op: Callable[[TokenSet], Awaitable[T]], report: TypeReport) -> T:
        refreshed, waits = False, 0
        while True:
            assert self.tokens is not None
            await self._respect_budget()
            tokens = self.tokens
            try:
                return await self.gateway.guarded(self.name, partial(op, tokens))
            except ProviderAuthFailed as exc:
                if refreshed or not tokens.refresh_token:
                    await mark_reauth_required(
                        self.connection, f"the vendor refused access ({exc})"
                    )
                    raise ReauthRequired(str(exc)) from exc
                self.tokens = await refresh_tokens(
                    self.gateway, self.connection, tokens, force=True
                )
                refreshed = True
            except ProviderRateLimited as exc:
                report.rate_limited += 1
                wait = exc.retry_after if exc.retry_after is not None else min(
                    DEFAULT_RETRY_AFTER, 2.0**waits)  # fmt: skip
                if wait > self.gateway.config.max_inline_wait_s or (
                    waits >= self.gateway.config.max_rate_limit_waits
                ):
                    raise Deferred(max(wait, 1.0)) from exc
                waits += 1
                await asyncio.sleep(wait)

    # -- one data type ----------------------------------------------------------------------------

    def _normalise(
        self, data_type: DataType, items: Any, report: TypeReport
    ) -> list[Record | SampleSeries]:
        return normalise_items(self.provider, self.name, data_type, items, report)

    def _start(self, cursor: Mapping[str, Any], now: datetime) -> datetime:
        config = self.gateway.config
        since = _parse(cursor.get("since"))
        if since is None:
            return now - timedelta(days=config.backfill_days)
        return min(since, now - timedelta(hours=config.lookback_hours))

    def _totals(self, page: Counts) -> dict[str, int]:
        """The log's counts once ``page`` (not yet in the reports) is committed."""
        totals = dict(self.base)
        for report in self.reports.values():
            totals["pages"] += report.pages
            totals["fetched"] += report.fetched
            for name in ("inserted", "updated", "unchanged"):
                totals[name] += getattr(report.counts, name)
        for name in ("inserted", "updated", "unchanged"):
            totals[name] += getattr(page, name)
        return totals

    async def _commit_page(self, data_type: DataType, records: list[Record | SampleSeries],
                           cursor: dict[str, Any]) -> Counts:  # fmt: skip
        cursors = {**self.connection.cursors, data_type.value: cursor}
        async with in_transaction() as conn:
            counts = await upsert_records(conn, self.connection.user_id, self.name, records)
            moved = (
                await DeviceConnection.filter(
                    id=self.connection.id,
                    status=ConnectionStatus.CONNECTED,
                    running_sync_id=self.log.id,
                )  # fmt: skip
                .using_db(conn)
                .update(cursors=cursors)
            )
            if not moved:  # rolls the page back
                still = await DeviceConnection.filter(
                    id=self.connection.id, status=ConnectionStatus.CONNECTED
                ).using_db(conn).exists()  # fmt: skip
                if still:
                    raise LeaseLost(f"sync {self.log.id} lost connection {self.connection.id}")
                raise ConnectionGone(self.connection.id)
            await SyncLog.filter(id=self.log.id).using_db(conn).update(**self._totals(counts))
        self.connection.cursors = cursors
        return counts

    async def sync_type(self, data_type: DataType, report: TypeReport) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        cursor = dict(self.connection.cursors.get(data_type.value) or {})
        resume = _parse(cursor.get("window_start")), _parse(cursor.get("window_end"))
        token: str | None = cursor.get("page_token")
        pushed = requested_window(self.log)
        if pushed is not None:  # a push named this window: fetch it, the cursor stays put
            token = None
            spans = list(windows(pushed[0], min(pushed[1], now), self.provider.max_window))
        elif token and resume[0] and resume[1]:
            spans = [(resume[0], resume[1]), *windows(resume[1], now, self.provider.max_window)]
        else:
            token = None
            spans = list(windows(self._start(cursor, now), now, self.provider.max_window))
        if spans:
            report.window = (spans[0][0].isoformat(), spans[-1][1].isoformat())
        since = cursor.get("since")
        upcoming = iter(spans)
        first = next(upcoming, None)
        pending = self._prefetch(FetchQuery(data_type, *first, token), report) if first else None
        while pending is not None:
            query, page = await pending
            report.pages += 1
            report.fetched += len(page.items)
            token = page.next_token
            following = next(upcoming, None) if not token else (query.start, query.end)
            # The next page is fetched while this one is normalised and committed.
            pending = (
                self._prefetch(FetchQuery(data_type, *following, token), report)
                if following
                else None
            )
            try:
                records = self._normalise(data_type, page.items, report)
                if pushed is not None:
                    position = cursor
                elif token:
                    position = {"since": since, "window_start": query.start.isoformat(),
                                "window_end": query.end.isoformat(), "page_token": token}  # fmt: skip
                else:
                    since = query.end.isoformat()
                    position = {"since": since}
                report.counts.add(await self._commit_page(data_type, records, position))
            except BaseException:
                await _cancel(pending)
                raise

    def _prefetch(
        self, query: FetchQuery, report: TypeReport
    ) -> asyncio.Task[tuple[FetchQuery, Page]]:
        async def fetch() -> tuple[FetchQuery, Page]:
            return query, await self.call(partial(_fetch, self.provider, query), report)

        return asyncio.create_task(fetch())

    # -- the run ----------------------------------------------------------------------------------

    def data_types(self) -> list[DataType]:
        wanted = {str(t) for t in self.log.data_types}
        granted = set(self.connection.scopes)
        required: Mapping[DataType, tuple[str, ...]] = self.provider.required_scopes
        chosen = []
        for data_type in self.provider.data_types:
            if wanted and data_type.value not in wanted:
                continue
            if granted and not set(required.get(data_type, ())) <= granted:
                self.reports[data_type.value] = TypeReport(failed=SKIPPED_UNGRANTED)
                continue
            chosen.append(data_type)
        return chosen

    async def run(self) -> SyncLog:
        """Sync every chosen data type; returns the log, finished (or deferred)."""
        self.tokens = read_tokens(self.gateway, self.connection)
        await rekey(self.gateway, self.connection)  # sealed with a retired key: seal it again
        self.tokens = await refresh_tokens(self.gateway, self.connection, self.tokens)
        for data_type in self.data_types():
            report = self.reports.setdefault(data_type.value, TypeReport())
            try:
                await self.sync_type(data_type, report)
            except ProviderError as exc:
                report.failed = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("sync %s of %s failed: %s", data_type, self.name, report.failed)
        return self.log


def summarise(log_row: SyncLog, reports: Mapping[str, TypeReport]) -> None:
    """Add the per-type reports to the log (a deferred run adds to its earlier attempts)."""
    details = dict(log_row.details or {})
    types: dict[str, dict[str, Any]] = dict(details.get("types") or {})
    for key, report in reports.items():
        fresh, old = report.as_dict(), types.get(key) or {}
        for name in ("pages", "fetched", "inserted", "updated", "unchanged", "errors",
                     "rate_limited"):  # fmt: skip
            fresh[name] += int(old.get(name) or 0)
        fresh["messages"] = (list(old.get("messages") or []) + fresh["messages"])[-MAX_ERRORS_KEPT:]
        if old.get("window") and fresh["window"]:
            fresh["window"] = [min(old["window"][0], fresh["window"][0]), fresh["window"][1]]
        types[key] = fresh
    log_row.details = {**details, "types": types}
    totals = list(types.values())
    log_row.pages = sum(t["pages"] for t in totals)
    log_row.fetched = sum(t["fetched"] for t in totals)
    log_row.inserted = sum(t["inserted"] for t in totals)
    log_row.updated = sum(t["updated"] for t in totals)
    log_row.unchanged = sum(t["unchanged"] for t in totals)
    log_row.errors = sum(t["errors"] + (1 if t["failed"] and t["failed"] != SKIPPED_UNGRANTED
                                         else 0) for t in totals)  # fmt: skip
    starts = [t["window"][0] for t in totals if t["window"]]
    ends = [t["window"][1] for t in totals if t["window"]]
    log_row.window_start = datetime.fromisoformat(min(starts)) if starts else None
    log_row.window_end = datetime.fromisoformat(max(ends)) if ends else None
