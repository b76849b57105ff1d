"""Oura API v2 over HTTP: OAuth 2.0 (credentials in the body), collections paged by ``next_token``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderMalformedResponse
from fithub.plugins.http import VendorHTTP
from fithub.plugins.oauth import token_request, token_set_from_response
from fithub.plugins.oura.const import (
    API_BASE,
    AUTH_BASE,
    AUTHORIZE_PATH,
    COLLECTION_PATH,
    DISPLAY_NAME,
    PERSONAL_INFO,
    REVOKE_PATH,
    TOKEN_PATH,
    UPGRADE_REQUIRED,
)
from fithub.plugins.types import AppCredentials, Page, ProviderContext, TokenSet


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


class OuraClient:
    """One process's client for Oura; stateless per user (tokens are passed in)."""

    def __init__(self, context: ProviderContext) -> None:
        self.credentials: AppCredentials = context.credentials
        self.http = VendorHTTP(context.session, DISPLAY_NAME, timeout_s=context.timeout_s)
        base = (context.credentials.base_url or API_BASE).rstrip("/")
        auth_base = context.credentials.auth_base_url or context.credentials.base_url or AUTH_BASE
        self.api_base = base
        self.auth_base = auth_base.rstrip("/")

    def authorize_url(self, state: str, redirect_uri: str, scopes: tuple[str, ...]) -> str:
        query = {
            "response_type": "code",
            "client_id": self.credentials.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
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
        body = await token_request(self.http, f"{self.api_base}{TOKEN_PATH}", form)
        return token_set_from_response(
            body, vendor=DISPLAY_NAME, previous=previous, requested_scopes=scopes
        )

    async def exchange(self, code: str, redirect_uri: str, scopes: tuple[str, ...]) -> TokenSet:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return await self._token(form, None, scopes)

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        if not tokens.refresh_token:
            raise ProviderAuthFailed("Oura: no refresh token to renew the access token with")
        form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        return await self._token(form, tokens, tokens.scopes)

    async def revoke(self, tokens: TokenSet) -> None:
        url = f"{self.api_base}{REVOKE_PATH}"
        try:
            await self.http.request(
                "POST", url, params={"access_token": tokens.access_token}, expect_json=False
            )
        except ProviderAuthFailed:
            return  # the grant is already gone: what revoking wanted

    def _auth(self, tokens: TokenSet) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.access_token}"}

    async def personal_info(self, tokens: TokenSet) -> Mapping[str, Any]:
        url = f"{self.api_base}{COLLECTION_PATH.format(collection=PERSONAL_INFO)}"
        body = await self.http.get_json(url, headers=self._auth(tokens))
        if not isinstance(body, Mapping):
            raise ProviderMalformedResponse("Oura personal_info is not a JSON object")
        return body

    async def collection_page(
        self,
        tokens: TokenSet,
        collection: str,
        style: str,
        start: datetime,
        end: datetime,
        next_token: str | None,
    ) -> Page:
        """One page of a collection; date collections get whole days padded by one on each side."""
        if style == "date":
            # Oura files items under the person's local day: pad so no time zone falls outside.
            params = {
                "start_date": (start.astimezone(UTC) - timedelta(days=1)).date().isoformat(),
                "end_date": (end.astimezone(UTC) + timedelta(days=1)).date().isoformat(),
            }
        else:
            params = {"start_datetime": _utc_text(start), "end_datetime": _utc_text(end)}
        if next_token:
            params["next_token"] = next_token
        url = f"{self.api_base}{COLLECTION_PATH.format(collection=collection)}"
        try:
            body = await self.http.get_json(url, params=params, headers=self._auth(tokens))
        except ProviderError as exc:
            if f": {UPGRADE_REQUIRED} " in str(exc):
                raise ProviderError(
                    f"Oura {collection}: the user's Oura app is too old to share this data (426)"
                ) from exc
            raise
        if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
            raise ProviderMalformedResponse(f"Oura {collection}: the page has no 'data' list")
        token = body.get("next_token")
        if token is not None and not isinstance(token, str):
            raise ProviderMalformedResponse(f"Oura {collection}: next_token is not text")
        items = [item for item in body["data"] if isinstance(item, Mapping)]
        if len(items) != len(body["data"]):
            raise ProviderMalformedResponse(f"Oura {collection}: an item is not a JSON object")
        return Page(items=items, next_token=token or None)
