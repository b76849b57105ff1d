"""Polar AccessLink v3 over HTTP: OAuth 2.0 (Basic client auth), user registration, data reads.

Tokens are passed in on every call (the client is stateless per user). Every failure leaves as a
``ProviderError`` subclass: :class:`PolarHTTP` adds Polar's rate-limit headers to fithub's usual
mapping, and answers a 403 (the user has not accepted Polar's mandatory consents, or is no longer
registered) as ``ProviderAuthFailed``: only the user can fix it, by connecting again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Container, Mapping
from datetime import date
from typing import Any

from yarl import URL

from fithub.plugins.errors import (
    ProviderAuthFailed,
    ProviderError,
    ProviderMalformedResponse,
)
from fithub.plugins.http import VendorHTTP, VendorResponse, parse_retry_after
from fithub.plugins.oauth import OAuth2Client
from fithub.plugins.polar.const import (
    ACTIVITIES_PATH,
    EXERCISES_PATH,
    RATE_LIMIT_HEADER,
    RATE_RESET_HEADER,
    RATE_USAGE_HEADER,
    USER_PATH,
    USERS_PATH,
)
from fithub.plugins.types import TokenSet

DATA_AUTH_STATUSES = (401, 403)
MEMBER_ID_EXTRA = "member_id"


def _numbers(value: str | None) -> list[float] | None:
    """The comma-separated numbers of a RateLimit-* header ("12, 340"), or None."""
    if not value:
        return None
    try:
        return [float(part) for part in value.split(",")]
    except ValueError:
        return None


def rate_limit_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait after a 429: Retry-After, else the reset of the exhausted window(s).

    Polar sends ``RateLimit-Usage``, ``RateLimit-Limit`` and ``RateLimit-Reset`` as
    "short-term,long-term" pairs; the long window's reset counts only when it is the one spent.
    """
    wait = parse_retry_after(headers.get("Retry-After"))
    if wait is not None:
        return wait
    resets = _numbers(headers.get(RATE_RESET_HEADER))
    if not resets:
        return None
    usage = _numbers(headers.get(RATE_USAGE_HEADER))
    limits = _numbers(headers.get(RATE_LIMIT_HEADER))
    if usage and limits and len(usage) == len(limits) == len(resets):
        spent = [reset for reset, used, limit in zip(resets, usage, limits, strict=True)
                 if used >= limit]  # fmt: skip
        if spent:
            return max(0.0, max(spent))
    return max(0.0, min(resets))


class PolarHTTP(VendorHTTP):
    """``VendorHTTP`` that reads Polar's rate-limit headers."""

    def retry_after(self, headers: Any, text: str) -> float | None:
        return rate_limit_wait(headers)


def parse_json(text: str, what: str) -> Any:
    """The JSON of a Polar answer; ProviderMalformedResponse when it is empty or not JSON."""
    if not text.strip():
        raise ProviderMalformedResponse(f"Polar {what}: an empty body, expected JSON")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProviderMalformedResponse(
            f"Polar {what}: the body is not JSON ({exc.msg} at {exc.pos})"
        ) from exc


def objects(value: Any, what: str) -> list[Mapping[str, Any]]:
    """``value`` as a list of JSON objects, or ProviderMalformedResponse."""
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise ProviderMalformedResponse(f"Polar {what}: expected a list of objects")
    return list(value)


class PolarClient(OAuth2Client):
    """One process's client for Polar AccessLink; stateless per user (tokens are passed in)."""

    http_class = PolarHTTP

    def member_id(self, polar_user_id: str) -> str:
        """fithub's id for a Polar user at Polar: stable, and telling nothing about the person."""
        key = self.credentials.client_secret.encode()
        digest = hmac.new(key, f"polar-member:{polar_user_id}".encode(), hashlib.sha256)
        return f"fithub-{digest.hexdigest()[:32]}"

    def tokens_from(
        self, body: Mapping[str, Any], previous: TokenSet | None, scopes: tuple[str, ...]
    ) -> TokenSet:
        """Polar names its user in ``x_user_id`` and sends no refresh token."""
        tokens = super().tokens_from(body, previous, scopes)
        user_id = body.get("x_user_id")
        if isinstance(user_id, bool) or not isinstance(user_id, int | str) or user_id == "":
            raise ProviderMalformedResponse("Polar: the token response has no x_user_id")
        return TokenSet(
            access_token=tokens.access_token,
            expires_at=tokens.expires_at,
            scopes=tokens.scopes,
            external_user_id=str(user_id),
            token_type="Bearer",
            extra={MEMBER_ID_EXTRA: self.member_id(str(user_id))},
        )

    async def _send(self, method: str, url: str, tokens: TokenSet, *,
                    params: Mapping[str, str] | None = None, body: Any = None,
                    tolerate: Container[int] = (),
                    auth_statuses: Container[int] = DATA_AUTH_STATUSES) -> VendorResponse:  # fmt: skip
        """One call with the user's token; the answer's ``body`` is its text (see parse_json)."""
        return await self.http.request(method, url, params=params, json_body=body,
                                       headers=self._auth(tokens), expect_json=False,
                                       tolerate=tolerate, auth_statuses=auth_statuses)  # fmt: skip

    def _auth(self, tokens: TokenSet) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens.access_token}", "Accept": "application/json"}

    async def register(self, tokens: TokenSet) -> bool:
        """Register the user with fithub's client: True when new, False when already registered.

        Polar serves a user's data to a partner only after this; 409 means it was done before.
        """
        member_id = tokens.extra.get(MEMBER_ID_EXTRA) or self.member_id(
            tokens.external_user_id or ""
        )
        answer = await self._send("POST", f"{self.api_base}{USERS_PATH}", tokens,
                                  body={"member-id": member_id}, tolerate=(409,))  # fmt: skip
        return answer.status != 409

    async def revoke(self, tokens: TokenSet) -> None:
        """De-register the user, which also revokes the token; already gone is not an error."""
        if not tokens.external_user_id:
            raise ProviderError("Polar: no Polar user id to de-register")
        url = f"{self.api_base}{USER_PATH.format(user_id=tokens.external_user_id)}"
        try:
            await self._send("DELETE", url, tokens, tolerate=(404,), auth_statuses=(401,))
        except ProviderAuthFailed:
            return  # the token is revoked already: what de-registering wanted

    # -- data -------------------------------------------------------------------------------------

    async def exercises(self, tokens: TokenSet) -> list[Mapping[str, Any]]:
        """Every exercise uploaded in the last 30 days (Polar neither pages nor filters it)."""
        answer = await self._send("GET", f"{self.api_base}{EXERCISES_PATH}", tokens)
        return objects(parse_json(answer.body, "exercises"), "exercises")

    async def activities(
        self, tokens: TokenSet, first: date, last: date
    ) -> list[Mapping[str, Any]]:
        """Daily activity summaries of the dates ``first`` to ``last`` (both included)."""
        answer = await self._send("GET", f"{self.api_base}{ACTIVITIES_PATH}", tokens,
                                  params={"from": first.isoformat(), "to": last.isoformat()})  # fmt: skip
        return objects(parse_json(answer.body, "activities"), "activities")

    async def on_date(self, tokens: TokenSet, path: str, day: date) -> Mapping[str, Any] | None:
        """The document of one date under ``path`` ("/v3/users/sleep/{date}"), None when absent."""
        url = f"{self.api_base}{path.format(date=day.isoformat())}"
        answer = await self._send("GET", url, tokens, tolerate=(404,))
        if answer.status in (204, 404):
            return None
        body = parse_json(answer.body, URL(url).path)
        if not isinstance(body, Mapping):
            raise ProviderMalformedResponse(f"Polar {URL(url).path}: not a JSON object")
        return body
