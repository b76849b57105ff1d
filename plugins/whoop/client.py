"""WHOOP over HTTP: OAuth 2.0 quirks (``offline`` for refresh tokens, a long state), v2 collections.

Collections page with ``limit`` (at most 25) and ``nextToken``, and answer
``{"records": [...], "next_token": "..."}``; a 429 says when to come back in ``X-RateLimit-Reset``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderMalformedResponse
from fithub.plugins.http import json_page
from fithub.plugins.oauth import OAuth2Client, bearer
from fithub.plugins.types import AuthorizationRequest, Page, TokenSet
from fithub.plugins.whoop.const import (
    BODY_PATH,
    MIN_STATE_LENGTH,
    OFFLINE,
    PAGE_LIMIT,
    PROFILE_PATH,
)


def whoop_time(moment: datetime) -> str:
    """An instant as WHOOP writes them: UTC with milliseconds (``2024-03-05T04:00:00.000Z``)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class WhoopClient(OAuth2Client):
    """One process's client for WHOOP; stateless per user (tokens are passed in)."""

    def authorize_url(self, request: AuthorizationRequest) -> str:
        if len(request.state) < MIN_STATE_LENGTH:
            raise ProviderError(f"WHOOP needs a state of at least {MIN_STATE_LENGTH} characters")
        return super().authorize_url(request)

    def consent_scopes(self, scopes: tuple[str, ...]) -> tuple[str, ...]:
        """``offline`` always: it is what makes WHOOP hand out a refresh token."""
        return scopes if OFFLINE in scopes else (OFFLINE, *scopes)

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """Refresh tokens rotate: the answer's refresh token replaces (and retires) the old one."""
        if not tokens.refresh_token:
            raise ProviderAuthFailed("WHOOP: no refresh token (was the offline scope granted?)")
        return await super().refresh(tokens)

    async def _object(self, path: str, tokens: TokenSet) -> Mapping[str, Any]:
        body = await self.http.get_json(f"{self.api_base}{path}", headers=bearer(tokens))
        if not isinstance(body, Mapping):
            raise ProviderMalformedResponse(f"WHOOP {path}: the answer is not a JSON object")
        return body

    async def profile(self, tokens: TokenSet) -> Mapping[str, Any]:
        return await self._object(PROFILE_PATH, tokens)

    async def body_measurement(self, tokens: TokenSet) -> Mapping[str, Any]:
        return await self._object(BODY_PATH, tokens)

    async def collection_page(
        self, tokens: TokenSet, path: str, start: datetime, end: datetime, next_token: str | None
    ) -> Page:
        """One page of a collection: items that started in [start, end), newest first."""
        params = {"start": whoop_time(start), "end": whoop_time(end), "limit": str(PAGE_LIMIT)}
        if next_token:
            params["nextToken"] = next_token
        url = f"{self.api_base}{path}"
        body = await self.http.get_json(url, params=params, headers=bearer(tokens))
        items, token = json_page(body, "records", "next_token", f"WHOOP {path}")
        return Page(items=items, next_token=token)
