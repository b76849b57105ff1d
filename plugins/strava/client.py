"""Strava API v3 over HTTP: OAuth 2.0 (credentials in the body), activities paged by page number.

A 429 from Strava carries no ``Retry-After``; the wait is derived from the rate-limit headers
(see :func:`rate_limit_wait`).
"""

from __future__ import annotations

import json
from collections.abc import Container, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

from yarl import URL

from fithub.plugins.errors import (
    ProviderAuthFailed,
    ProviderError,
    ProviderMalformedResponse,
    ProviderRateLimited,
)
from fithub.plugins.http import VendorHTTP, parse_retry_after
from fithub.plugins.oauth import split_scopes, token_request, token_set_from_response
from fithub.plugins.strava.const import (
    ACTIVITIES_PATH,
    AUTHORIZE_PATH,
    BASE,
    DEAUTHORIZE_PATH,
    DISPLAY_NAME,
    FIFTEEN_MINUTES_S,
    PER_PAGE,
    RATE_HEADER_PAIRS,
    TOKEN_PATH,
)
from fithub.plugins.types import AppCredentials, Page, ProviderContext, TokenSet


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


def _error_detail(text: str, *, message: bool = True) -> str:
    """Strava's error body ``{"message", "errors": [{"resource", "field", "code"}]}`` in short."""
    try:
        body = json.loads(text)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body.get("message") or "")] if message else []
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            parts.append(f"{error.get('resource')}.{error.get('field')} {error.get('code')}")
    return "; ".join(p for p in parts if p)[:200]


class StravaHTTP(VendorHTTP):
    """VendorHTTP that reads Strava's 429s (no Retry-After) and its error bodies."""

    def check_status(
        self,
        method: str,
        url: str,
        status: int,
        headers: Any,
        text: str,
        auth_statuses: Container[int] = (401,),
    ) -> None:
        if status == 429:
            wait = parse_retry_after(headers.get("Retry-After"))
            if wait is None:
                wait = rate_limit_wait(headers)
            raise ProviderRateLimited(
                f"{self.vendor} {method} {URL(url).path}: 429 rate limited ({_error_detail(text)})",
                retry_after=wait,
            )
        try:
            super().check_status(method, url, status, headers, text, auth_statuses)
        except ProviderError as exc:
            errors = _error_detail(text, message=False)  # the message is in exc already
            if errors:
                raise type(exc)(f"{exc} [{errors}]") from None
            raise


class StravaClient:
    """One process's client for Strava; stateless per user (tokens are passed in)."""

    def __init__(self, context: ProviderContext) -> None:
        self.credentials: AppCredentials = context.credentials
        self.http = StravaHTTP(context.session, DISPLAY_NAME, timeout_s=context.timeout_s)
        base = (context.credentials.base_url or BASE).rstrip("/")
        self.base = base
        self.auth_base = (context.credentials.auth_base_url or base).rstrip("/")

    def authorize_url(self, state: str, redirect_uri: str, scopes: tuple[str, ...]) -> str:
        query = {
            "client_id": self.credentials.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "approval_prompt": "auto",
            "scope": ",".join(scopes),
            "state": state,
        }
        return f"{self.auth_base}{AUTHORIZE_PATH}?{urlencode(query)}"

    async def _token(self, form: dict[str, str]) -> Any:
        form = {
            **form,
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
        }
        return await token_request(self.http, f"{self.base}{TOKEN_PATH}", form)

    async def exchange(self, code: str, granted: str | None, asked: tuple[str, ...]) -> TokenSet:
        """Trade the code; scopes are the callback's ``scope`` (the token answer has none)."""
        body = await self._token({"grant_type": "authorization_code", "code": code})
        tokens = token_set_from_response(body, vendor=DISPLAY_NAME, requested_scopes=asked)
        athlete = body.get("athlete") if isinstance(body, Mapping) else None
        athlete_id = athlete.get("id") if isinstance(athlete, Mapping) else None
        if isinstance(athlete_id, bool) or not isinstance(athlete_id, int | str) or not athlete_id:
            raise ProviderMalformedResponse("Strava: the token answer names no athlete id")
        return TokenSet(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at,
            scopes=split_scopes(granted) or asked,
            external_user_id=str(athlete_id),
            token_type="Bearer",
        )

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """New tokens; Strava may hand back the same access token (> 1 h left) and may rotate
        the refresh token (the old one then dies at once): whatever comes back is kept."""
        if not tokens.refresh_token:
            raise ProviderAuthFailed("Strava: no refresh token to renew the access token with")
        body = await self._token(
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        )
        return token_set_from_response(body, vendor=DISPLAY_NAME, previous=tokens)

    async def deauthorize(self, tokens: TokenSet) -> None:
        """Revoke every token of the athlete for this app; an unknown token is already revoked."""
        live = tokens
        if tokens.expires_within(60, datetime.now(UTC)) and tokens.refresh_token:
            # Deauthorizing needs a live access token; a dead refresh token means no grant.
            try:
                live = await self.refresh(tokens)
            except ProviderAuthFailed:
                return
        url = f"{self.base}{DEAUTHORIZE_PATH}"
        try:
            await self.http.request(
                "POST", url, params={"access_token": live.access_token}, expect_json=False
            )
        except ProviderAuthFailed:
            return  # the grant is already gone: what deauthorizing wanted

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
        headers = {"Authorization": f"Bearer {tokens.access_token}"}
        body = await self.http.get_json(f"{self.base}{ACTIVITIES_PATH}", params=params,
                                        headers=headers)  # fmt: skip
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
