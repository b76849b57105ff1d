"""Google Health API v4 over HTTP: Google OAuth 2.0 with PKCE, paged lists and daily rollups.

Errors come in Google's envelope ``{"error": {"code", "message", "status", "details"}}``; a 429
(``RESOURCE_EXHAUSTED``) may carry no Retry-After, in which case a ``google.rpc.RetryInfo``
detail's ``retryDelay`` (``"7s"``) is used when present.
"""

from __future__ import annotations

import json
from collections.abc import Container, Mapping, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fithub.plugins.errors import ProviderAuthFailed, ProviderMalformedResponse, ProviderRateLimited
from fithub.plugins.google.const import (
    API_BASE,
    AUTH_BASE,
    AUTHORIZE_PATH,
    DISPLAY_NAME,
    IDENTITY_PATH,
    LIST_PATH,
    RETRY_INFO_TYPE,
    REVOKE_PATH,
    ROLLUP_PATH,
    TOKEN_BASE,
    TOKEN_PATH,
)
from fithub.plugins.http import VendorHTTP
from fithub.plugins.oauth import token_request, token_set_from_response
from fithub.plugins.types import AppCredentials, ProviderContext, TokenSet


def _envelope(text: str) -> Mapping[str, Any] | None:
    """The ``error`` object of a Google API error body, if it is one."""
    try:
        body = json.loads(text)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, Mapping) else None
    return error if isinstance(error, Mapping) else None


def retry_delay(error: Mapping[str, Any]) -> float | None:
    """Seconds from a RetryInfo detail (``"retryDelay": "7s"`` or ``"1.5s"``), if any."""
    details = error.get("details")
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, Mapping) and detail.get("@type") == RETRY_INFO_TYPE:
            delay = detail.get("retryDelay")
            if isinstance(delay, str) and delay.endswith("s"):
                try:
                    return max(0.0, float(delay[:-1]))
                except ValueError:
                    return None
    return None


class GoogleHTTP(VendorHTTP):
    """VendorHTTP that reads Google's error envelope for messages and RetryInfo."""

    def check_status(
        self,
        method: str,
        url: str,
        status: int,
        headers: Any,
        text: str,
        auth_statuses: Container[int] = (401,),
    ) -> None:
        error = _envelope(text) if status >= 400 else None
        if error is not None:  # "PERMISSION_DENIED: Request had insufficient scopes."
            summary = ": ".join(str(error[k]) for k in ("status", "message") if error.get(k))
            text = json.dumps({"message": summary or f"HTTP {status}"})
        try:
            super().check_status(method, url, status, headers, text, auth_statuses)
        except ProviderRateLimited as exc:
            if exc.retry_after is None and error is not None:
                wait = retry_delay(error)
                if wait is not None:
                    raise ProviderRateLimited(str(exc), retry_after=wait) from None
            raise

    async def post_json(self, url: str, payload: Any, *, headers: Mapping[str, str]) -> Any:
        """POST a JSON body and return the JSON answer.

        VendorHTTP.request only sends forms; aiohttp sends a text ``data`` as it is, so the body
        goes as text with an explicit JSON content type.
        """
        text: Any = json.dumps(payload, separators=(",", ":"))
        headers = {**headers, "Content-Type": "application/json"}
        return (await self.request("POST", url, data=text, headers=headers)).body


def civil(day: date) -> dict[str, Any]:
    """A CivilDateTime at the start of ``day``."""
    return {"date": {"year": day.year, "month": day.month, "day": day.day}}


class GoogleHealthClient:
    """One process's client for the Google Health API; stateless per user (tokens passed in)."""

    def __init__(self, context: ProviderContext) -> None:
        self.credentials: AppCredentials = context.credentials
        self.http = GoogleHTTP(context.session, DISPLAY_NAME, timeout_s=context.timeout_s)
        base = context.credentials.base_url
        self.api_base = (base or API_BASE).rstrip("/")
        self.token_base = (base or TOKEN_BASE).rstrip("/")
        self.auth_base = (context.credentials.auth_base_url or base or AUTH_BASE).rstrip("/")

    # -- OAuth 2.0 --------------------------------------------------------------------------------

    def authorize_url(self, state: str, redirect_uri: str, scopes: Sequence[str],
                      challenge: str | None) -> str:  # fmt: skip
        query = {
            "client_id": self.credentials.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(scopes),
            "state": state,
            "access_type": "offline",  # without it Google sends no refresh token
            "prompt": "consent",  # and only on the first consent unless asked again
        }
        if challenge:
            query.update(code_challenge=challenge, code_challenge_method="S256")
        return f"{self.auth_base}{AUTHORIZE_PATH}?{urlencode(query)}"

    async def _token(self, form: dict[str, str], previous: TokenSet | None,
                     scopes: tuple[str, ...]) -> TokenSet:  # fmt: skip
        form = {**form, "client_id": self.credentials.client_id,
                "client_secret": self.credentials.client_secret}  # fmt: skip
        body = await token_request(self.http, f"{self.token_base}{TOKEN_PATH}", form)
        return token_set_from_response(body, vendor=DISPLAY_NAME, previous=previous,
                                       requested_scopes=scopes)  # fmt: skip

    async def exchange(self, code: str, redirect_uri: str, verifier: str | None,
                       scopes: tuple[str, ...]) -> TokenSet:  # fmt: skip
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if verifier:
            form["code_verifier"] = verifier
        return await self._token(form, None, scopes)

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """New access token; Google sends no new refresh token, so the old one is kept."""
        if not tokens.refresh_token:
            raise ProviderAuthFailed("Google Health: no refresh token to renew the access with")
        form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        return await self._token(form, tokens, tokens.scopes)

    async def revoke(self, tokens: TokenSet) -> None:
        """Revoke the grant (by the refresh token when there is one: it outlives the access)."""
        token = tokens.refresh_token or tokens.access_token
        try:
            await self.http.request("POST", f"{self.token_base}{REVOKE_PATH}",
                                    data={"token": token}, expect_json=False,
                                    auth_statuses=(400, 401))  # fmt: skip
        except ProviderAuthFailed:
            return  # 400 invalid_token: already revoked or expired, which is what we wanted

    # -- data -------------------------------------------------------------------------------------

    def _auth(self, tokens: TokenSet) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.access_token}"}

    async def identity(self, tokens: TokenSet) -> str:
        """The user's ``healthUserId`` (webhooks name users by it)."""
        body = await self.http.get_json(f"{self.api_base}{IDENTITY_PATH}",
                                        headers=self._auth(tokens))  # fmt: skip
        user = body.get("healthUserId") if isinstance(body, Mapping) else None
        if not isinstance(user, str) or not user:
            raise ProviderMalformedResponse("Google Health identity has no healthUserId")
        return user

    async def list_page(self, tokens: TokenSet, data_type: str, filter_text: str,
                        page_size: int, page_token: str | None,
                        ) -> tuple[list[Mapping[str, Any]], str | None]:  # fmt: skip
        """One page of ``users/me/dataTypes/{data_type}/dataPoints`` and the next page token."""
        params = {"filter": filter_text, "pageSize": str(page_size)}
        if page_token:
            params["pageToken"] = page_token
        url = f"{self.api_base}{LIST_PATH.format(data_type=data_type)}"
        body = await self.http.get_json(url, params=params, headers=self._auth(tokens))
        if not isinstance(body, Mapping):
            raise ProviderMalformedResponse(f"Google Health {data_type}: the page is not an object")
        points = body.get("dataPoints", [])  # proto3 JSON leaves out an empty list
        if not isinstance(points, list) or not all(isinstance(p, Mapping) for p in points):
            raise ProviderMalformedResponse(f"Google Health {data_type}: bad dataPoints")
        token = body.get("nextPageToken")
        if token is not None and not isinstance(token, str):
            raise ProviderMalformedResponse(f"Google Health {data_type}: bad nextPageToken")
        return list(points), token or None

    async def daily_rollup(self, tokens: TokenSet, data_type: str, first: date,
                           end: date) -> list[Mapping[str, Any]]:  # fmt: skip
        """``dataPoints:dailyRollUp`` of one collection for local days [first, end), one a day."""
        request = {"range": {"start": civil(first), "end": civil(end)}, "windowSizeDays": 1}
        url = f"{self.api_base}{ROLLUP_PATH.format(data_type=data_type)}"
        body = await self.http.post_json(url, request, headers=self._auth(tokens))
        points = body.get("rollupDataPoints", []) if isinstance(body, Mapping) else None
        if not isinstance(points, list) or not all(isinstance(p, Mapping) for p in points):
            raise ProviderMalformedResponse(f"Google Health {data_type}: bad rollupDataPoints")
        return list(points)
