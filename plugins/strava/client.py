"""Strava API v3 over HTTP: OAuth 2.0 quirks (scopes from the callback), activities paged by number.

A 429 from Strava carries no ``Retry-After``; the wait is derived from the rate-limit headers
(see :func:`rate_limit_wait`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from fithub.plugins.errors import (
    ProviderAuthFailed,
    ProviderError,
    ProviderMalformedResponse,
)
from fithub.plugins.http import VendorHTTP, parse_retry_after
from fithub.plugins.oauth import OAuth2Client, bearer, split_scopes
from fithub.plugins.strava.const import (
    ACTIVITIES_PATH,
    FIFTEEN_MINUTES_S,
    PER_PAGE,
    RATE_HEADER_PAIRS,
)
from fithub.plugins.types import AuthorizationCallback, Page, TokenSet


def _pair(value: str | None) -> tuple[int, int] | None:
    """``"100,1000"`` -> (100, 1000); None when absent or unreadable."""
    try:
        first, second = (int(part.strip()) for part in (value or "").split(","))
    except ValueError:
        return None
    return first, second


def _server_time(date_header: str, now: datetime | None) -> datetime:
    """Strava's clock (its ``Date`` header) when readable: its windows reset by it."""
    if now is not None:
        return now
    try:
        when = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        return datetime.now(UTC)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def rate_limit_wait(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds until Strava lets the app call again, from a 429's rate-limit headers.

    Daily budget spent (overall or read) -> until midnight UTC; else a 15-minute budget spent
    -> until the next quarter of the clock (:00, :15, :30, :45). Headers present but no budget
    spent -> the next quarter too (Strava's documented reset); no headers -> None.
    """
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}  # "X-Ratelimit-…" in the wild
    pairs = [(_pair(lowered.get(a.lower())), _pair(lowered.get(b.lower())))
             for a, b in RATE_HEADER_PAIRS]  # fmt: skip
    known = [(limit, usage) for limit, usage in pairs if limit is not None and usage is not None]
    if not known:
        return None
    moment = _server_time(lowered.get("date", ""), now).astimezone(UTC)
    epoch = moment.timestamp()
    if any(usage[1] >= limit[1] for limit, usage in known):
        midnight = datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), UTC)
        return max(0.0, midnight.timestamp() - epoch)
    return (epoch // FIFTEEN_MINUTES_S + 1) * FIFTEEN_MINUTES_S - epoch


def _error_detail(text: str) -> str:
    """Strava's error body ``{"message", "errors": [{"resource", "field", "code"}]}`` in short."""
    try:
        body = json.loads(text)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body.get("message") or "")]
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            parts.append(f"{error.get('resource')}.{error.get('field')} {error.get('code')}")
    return "; ".join(p for p in parts if p)[:200]


class StravaHTTP(VendorHTTP):
    """VendorHTTP that reads Strava's 429s (no Retry-After) and its error bodies."""

    def detail(self, text: str) -> str:
        return _error_detail(text) or super().detail(text)

    def retry_after(self, headers: Any, text: str) -> float | None:
        wait = parse_retry_after(headers.get("Retry-After"))
        return rate_limit_wait(headers) if wait is None else wait


class StravaClient(OAuth2Client):
    """One process's client for Strava; stateless per user (tokens are passed in)."""

    http_class = StravaHTTP

    async def exchange(self, callback: AuthorizationCallback, scopes: tuple[str, ...]) -> TokenSet:
        """Trade the code; scopes are the callback's ``scope`` (the token answer has none)."""
        tokens = await super().exchange(callback, scopes)
        return replace(tokens, scopes=split_scopes(callback.params.get("scope")) or scopes)

    def tokens_from(
        self, body: Mapping[str, Any], previous: TokenSet | None, scopes: tuple[str, ...]
    ) -> TokenSet:
        """A code's answer names the athlete; a refresh may rotate the refresh token, and may
        hand back the same access token (> 1 h left): whatever comes back is kept."""
        tokens = super().tokens_from(body, previous, scopes)
        if previous is not None:
            return tokens
        athlete = body.get("athlete")
        athlete_id = athlete.get("id") if isinstance(athlete, Mapping) else None
        if isinstance(athlete_id, bool) or not isinstance(athlete_id, int | str) or not athlete_id:
            raise ProviderMalformedResponse("Strava: the token answer names no athlete id")
        return replace(tokens, external_user_id=str(athlete_id), token_type="Bearer")

    async def revoke(self, tokens: TokenSet) -> None:
        """Revoke every token of the athlete for this app; an unknown token is already revoked."""
        live = tokens
        if tokens.expires_within(60, datetime.now(UTC)) and tokens.refresh_token:
            # Deauthorizing needs a live access token; a dead refresh token means no grant.
            try:
                live = await self.refresh(tokens)
            except ProviderAuthFailed:
                return
        await super().revoke(live)

    async def activities_page(
        self, tokens: TokenSet, start: datetime, end: datetime, page_token: str | None
    ) -> Page:
        """One page of the athlete's activities that started in [start, end).

        ``after``/``before`` are whole epoch seconds; ``after`` is one second early so an
        activity starting exactly at ``start`` is kept whether Strava's bound is strict or not.
        """
        try:
            page = int(page_token) if page_token else 1
        except ValueError as exc:
            raise ProviderError(f"Strava: page token {page_token!r} is not a page number") from exc
        if page < 1:
            raise ProviderError(f"Strava: page token {page_token!r} is not a page number")
        params = {
            "after": str(int(start.timestamp()) - 1),
            "before": str(int(end.timestamp()) + (0 if end.timestamp().is_integer() else 1)),
            "page": str(page),
            "per_page": str(PER_PAGE),
        }
        body = await self.http.get_json(f"{self.api_base}{ACTIVITIES_PATH}", params=params,
                                        headers=bearer(tokens))  # fmt: skip
        if not isinstance(body, list):
            raise ProviderMalformedResponse("Strava activities: the page is not a JSON list")
        items = [item for item in body if isinstance(item, Mapping)]
        if len(items) != len(body):
            raise ProviderMalformedResponse("Strava activities: an item is not a JSON object")
        inside = [item for item in items if _starts_within(item, start, end)]
        # An empty page is the end of the list; anything else may have a next page.
        return Page(items=inside, next_token=str(page + 1) if items else None)


def _starts_within(item: Mapping[str, Any], start: datetime, end: datetime) -> bool:
    """Keep items that start in [start, end); an unreadable start is kept (normalise reports it)."""
    value = item.get("start_date")
    if not isinstance(value, str):
        return True
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return True
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return start <= moment < end
