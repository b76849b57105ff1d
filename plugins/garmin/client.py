"""Garmin Health API over HTTP: OAuth 2.0 + PKCE, the user id and permissions, pulls, deregistration.

Stateless per user: tokens are passed in. Pulls ask for the summaries *uploaded* in
[uploadStartTimeInSeconds, uploadEndTimeInSeconds), at most 86,400 s at a time, with no paging.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderMalformedResponse
from fithub.plugins.garmin.const import (
    API_BASE,
    AUTH_BASE,
    AUTHORIZE_PATH,
    BACKFILL_PATH,
    DISPLAY_NAME,
    MAX_BACKFILL_WINDOW,
    PERMISSIONS_PATH,
    REGISTRATION_PATH,
    SUMMARY_PATH,
    TOKEN_BASE,
    TOKEN_PATH,
    USER_ID_PATH,
)
from fithub.plugins.http import VendorHTTP
from fithub.plugins.oauth import split_scopes, token_request, token_set_from_response
from fithub.plugins.types import AppCredentials, ProviderContext, TokenSet

REFRESH_EXPIRES_AT = "refresh_expires_at"  # TokenSet.extra: when the refresh token lapses


def epoch(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp())


class GarminClient:
    """One process's client for Garmin; every method takes the user's tokens."""

    def __init__(self, context: ProviderContext) -> None:
        self.credentials: AppCredentials = context.credentials
        self.http = VendorHTTP(context.session, DISPLAY_NAME, timeout_s=context.timeout_s)
        base = context.credentials.base_url
        self.api_base = (base or API_BASE).rstrip("/")
        self.token_base = (base or TOKEN_BASE).rstrip("/")
        self.auth_base = (context.credentials.auth_base_url or base or AUTH_BASE).rstrip("/")

    # -- OAuth 2.0 + PKCE -------------------------------------------------------------------------

    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str) -> str:
        """The consent page; Garmin takes no scope (the user ticks permissions there)."""
        query = {
            "response_type": "code",
            "client_id": self.credentials.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.auth_base}{AUTHORIZE_PATH}?{urlencode(query)}"

    async def _token(self, form: Mapping[str, str], previous: TokenSet | None) -> TokenSet:
        form = {
            **form,
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
        }
        body = await token_request(self.http, f"{self.token_base}{TOKEN_PATH}", form)
        tokens = token_set_from_response(body, vendor=DISPLAY_NAME, previous=previous)
        # "scope" names Garmin's OAuth scopes (CONNECT_READ ...), not the user's permissions:
        # keep the permissions read from the API instead.
        extra = dict(tokens.extra)
        lifetime = body.get("refresh_token_expires_in")
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool):
            later = datetime.now(UTC) + timedelta(seconds=float(lifetime))
            extra[REFRESH_EXPIRES_AT] = later.replace(microsecond=0).isoformat()
        return replace(tokens, scopes=previous.scopes if previous else (), extra=extra)

    async def exchange(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": code_verifier,
            "redirect_uri": redirect_uri,
        }
        return await self._token(form, None)

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """New tokens; Garmin sends a new refresh token each time, so the old one is dropped."""
        if not tokens.refresh_token:
            raise ProviderAuthFailed("Garmin: no refresh token to renew the access token with")
        form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        return await self._token(form, tokens)

    # -- the user ---------------------------------------------------------------------------------

    def _auth(self, tokens: TokenSet) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.access_token}"}

    async def user_id(self, tokens: TokenSet) -> str:
        body = await self.http.get_json(
            f"{self.api_base}{USER_ID_PATH}", headers=self._auth(tokens)
        )
        user = body.get("userId") if isinstance(body, Mapping) else None
        if not isinstance(user, str | int) or isinstance(user, bool) or user == "":
            raise ProviderMalformedResponse("Garmin user/id has no userId")
        return str(user)

    async def permissions(self, tokens: TokenSet) -> tuple[str, ...]:
        """What the user let this app read: a JSON array (or ``{"permissions": [...]}``)."""
        url = f"{self.api_base}{PERMISSIONS_PATH}"
        body = await self.http.get_json(url, headers=self._auth(tokens))
        if isinstance(body, Mapping):
            body = body.get("permissions")
        if not isinstance(body, list) or not all(isinstance(p, str) for p in body):
            raise ProviderMalformedResponse("Garmin user/permissions is not a list of names")
        return split_scopes(body)

    async def deregister(self, tokens: TokenSet) -> None:
        """DELETE the user's registration: Garmin stops sending data and the tokens die."""
        url = f"{self.api_base}{REGISTRATION_PATH}"
        await self.http.request("DELETE", url, headers=self._auth(tokens), expect_json=False)

    # -- data ---------------------------------------------------------------------------------------

    async def summaries(
        self, tokens: TokenSet, summary: str, start: datetime, end: datetime
    ) -> list[Mapping[str, Any]]:
        """The ``summary`` items uploaded in [start, end) (at most 86,400 s)."""
        params = {
            "uploadStartTimeInSeconds": str(epoch(start)),
            "uploadEndTimeInSeconds": str(epoch(end)),
        }
        url = f"{self.api_base}{SUMMARY_PATH.format(summary=summary)}"
        body = await self.http.get_json(url, params=params, headers=self._auth(tokens))
        if not isinstance(body, list):
            raise ProviderMalformedResponse(f"Garmin {summary}: the answer is not a JSON array")
        if not all(isinstance(item, Mapping) for item in body):
            raise ProviderMalformedResponse(f"Garmin {summary}: an item is not a JSON object")
        return body

    async def request_backfill(
        self, tokens: TokenSet, summary: str, start: datetime, end: datetime
    ) -> bool:
        """Ask Garmin to re-send ``summary`` for summary times [start, end) by ping or push.

        Returns True when accepted (202), False when the same range was already asked for (409).
        fithub's sync does not need this (it pulls window by window); it is for re-delivery.
        """
        if end - start > MAX_BACKFILL_WINDOW:
            raise ProviderError(f"Garmin backfill covers at most {MAX_BACKFILL_WINDOW.days} days")
        params = {
            "summaryStartTimeInSeconds": str(epoch(start)),
            "summaryEndTimeInSeconds": str(epoch(end)),
        }
        url = f"{self.api_base}{BACKFILL_PATH.format(summary=summary)}"
        try:
            await self.http.request("GET", url, params=params, headers=self._auth(tokens),
                                    expect_json=False)  # fmt: skip
        except ProviderError as exc:
            if ": 409 " in str(exc) and not isinstance(exc, ProviderAuthFailed):
                return False
            raise
        return True
