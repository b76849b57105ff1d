"""WHOOP over HTTP: OAuth 2.0 (credentials in the body, ``offline`` for refresh tokens), v2 collections.

Collections page with ``limit`` (at most 25) and ``nextToken``, and answer
``{"records": [...], "next_token": "..."}``; a 429 says when to come back in ``X-RateLimit-Reset``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderMalformedResponse
from fithub.plugins.http import VendorHTTP
from fithub.plugins.oauth import token_request, token_set_from_response
from fithub.plugins.types import AppCredentials, Page, ProviderContext, TokenSet
from fithub.plugins.whoop.const import (
    API_BASE,
    AUTHORIZE_PATH,
    BODY_PATH,
    DISPLAY_NAME,
    MIN_STATE_LENGTH,
    OFFLINE,
    PAGE_LIMIT,
    PROFILE_PATH,
    RATE_LIMIT_RESET_HEADER,
    REVOKE_PATH,
    TOKEN_PATH,
)


def whoop_time(moment: datetime) -> str:
    """An instant as WHOOP writes them: UTC with milliseconds (``2024-03-05T04:00:00.000Z``)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class WhoopClient:
    """One process's client for WHOOP; stateless per user (tokens are passed in)."""

    def __init__(self, context: ProviderContext) -> None:
        self.credentials: AppCredentials = context.credentials
        self.http = VendorHTTP(
            context.session,
            DISPLAY_NAME,
            timeout_s=context.timeout_s,
            retry_after_headers=(RATE_LIMIT_RESET_HEADER, "Retry-After"),
        )
        self.api_base = (context.credentials.base_url or API_BASE).rstrip("/")
        auth_base = context.credentials.auth_base_url or context.credentials.base_url or API_BASE
        self.auth_base = auth_base.rstrip("/")

    def authorize_url(self, state: str, redirect_uri: str, scopes: tuple[str, ...]) -> str:
        if len(state) < MIN_STATE_LENGTH:
            raise ProviderError(f"WHOOP needs a state of at least {MIN_STATE_LENGTH} characters")
        wanted = scopes if OFFLINE in scopes else (OFFLINE, *scopes)
        query = {
            "response_type": "code",
            "client_id": self.credentials.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(wanted),
            "state": state,
        }
        return f"{self.auth_base}{AUTHORIZE_PATH}?{urlencode(query)}"

    async def _token(
        self, form: dict[str, str], previous: TokenSet | None, scopes: tuple[str, ...]
    ) -> TokenSet:
        form = {
            **form,
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
        }
        body = await token_request(self.http, f"{self.auth_base}{TOKEN_PATH}", form)
        return token_set_from_response(
            body, vendor=DISPLAY_NAME, previous=previous, requested_scopes=scopes
        )

    async def exchange(self, code: str, redirect_uri: str, scopes: tuple[str, ...]) -> TokenSet:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return await self._token(form, None, scopes)

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """Refresh tokens rotate: the answer's refresh token replaces (and retires) the old one."""
        if not tokens.refresh_token:
            raise ProviderAuthFailed("WHOOP: no refresh token (was the offline scope granted?)")
        # Without scope=offline WHOOP answers with an access token only.
        form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        form["scope"] = OFFLINE
        return await self._token(form, tokens, tokens.scopes)

    async def revoke(self, tokens: TokenSet) -> None:
        """``DELETE /v2/user/access``: ends the grant (and the webhooks for this user)."""
        try:
            url = f"{self.api_base}{REVOKE_PATH}"
            await self.http.request("DELETE", url, headers=self._auth(tokens), expect_json=False)
        except ProviderAuthFailed:
            return  # the grant is already gone: what revoking wanted

    @staticmethod
    def _auth(tokens: TokenSet) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.access_token}"}

    async def _object(self, path: str, tokens: TokenSet) -> Mapping[str, Any]:
        body = await self.http.get_json(f"{self.api_base}{path}", headers=self._auth(tokens))
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
        body = await self.http.get_json(url, params=params, headers=self._auth(tokens))
        if not isinstance(body, Mapping) or not isinstance(body.get("records"), list):
            raise ProviderMalformedResponse(f"WHOOP {path}: the page has no 'records' list")
        token = body.get("next_token")
        if token is not None and not isinstance(token, str):
            raise ProviderMalformedResponse(f"WHOOP {path}: next_token is not text")
        items = [item for item in body["records"] if isinstance(item, Mapping)]
        if len(items) != len(body["records"]):
            raise ProviderMalformedResponse(f"WHOOP {path}: a record is not a JSON object")
        return Page(items=items, next_token=token or None)
