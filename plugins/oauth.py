"""OAuth 2.0 helpers for providers (RFC 6749, RFC 7636): PKCE pairs, token requests, token parsing."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from fithub.plugins.errors import ProviderMalformedResponse
from fithub.plugins.http import VendorHTTP
from fithub.plugins.types import TokenSet


def pkce_pair() -> tuple[str, str]:
    """A fresh PKCE ``(code_verifier, code_challenge)`` using S256 (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)  # 64 characters, within 43..128
    return verifier, pkce_challenge(verifier)


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def split_scopes(value: Any) -> tuple[str, ...]:
    """Scopes from a token response: space- or comma-separated text, or a list."""
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if str(v))
    if isinstance(value, str):
        return tuple(part for part in value.replace(",", " ").split() if part)
    return ()


def token_set_from_response(
    body: Any,
    *,
    vendor: str,
    now: datetime | None = None,
    previous: TokenSet | None = None,
    requested_scopes: tuple[str, ...] = (),
) -> TokenSet:
    """Parse a standard token response; keep ``previous`` values the vendor did not repeat.

    Vendors that rotate refresh tokens send a new one (the old one then stops working); others
    send none on refresh and the old one stays valid. Scopes not reported are taken to be the
    ones asked for (or, on refresh, the ones granted before).
    """
    if not isinstance(body, Mapping):
        raise ProviderMalformedResponse(f"{vendor}: the token response is not a JSON object")
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise ProviderMalformedResponse(f"{vendor}: the token response has no access_token")
    now = now or datetime.now(UTC)
    expires_at: datetime | None = None
    if isinstance(body.get("expires_at"), int | float):
        expires_at = datetime.fromtimestamp(float(body["expires_at"]), UTC)
    elif isinstance(body.get("expires_in"), int | float | str):
        try:
            expires_at = now + timedelta(seconds=float(body["expires_in"]))
        except ValueError as exc:
            raise ProviderMalformedResponse(f"{vendor}: expires_in is not a number") from exc
    refresh = body.get("refresh_token")
    scopes = split_scopes(body.get("scope"))
    return TokenSet(
        access_token=access,
        refresh_token=refresh
        if isinstance(refresh, str) and refresh
        else (previous.refresh_token if previous else None),
        expires_at=expires_at,
        scopes=scopes or (previous.scopes if previous else requested_scopes),
        external_user_id=previous.external_user_id if previous else None,
        token_type=str(body.get("token_type") or "Bearer"),
        extra=dict(previous.extra) if previous else {},
    )


async def token_request(
    http: VendorHTTP,
    url: str,
    form: Mapping[str, str],
    *,
    basic_auth: tuple[str, str] | None = None,
) -> Any:
    """POST a token request; a refused grant (400 or 401 from the token endpoint) is ProviderAuthFailed.

    RFC 6749 5.2: ``invalid_grant`` and ``invalid_client`` come back as 400; retrying cannot help.
    """
    headers = {"Authorization": aiohttp.encode_basic_auth(*basic_auth)} if basic_auth else None
    response = await http.request("POST", url, data=form, headers=headers, auth_statuses=(400, 401))
    return response.body
