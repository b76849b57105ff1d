"""OAuth 2.0 for providers (RFC 6749, 7636, 7009): PKCE pairs, token requests and parsing, and
:class:`OAuth2Client`, the client every built-in OAuth provider configures with an :class:`OAuth2Config`."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urlencode

import aiohttp

from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderMalformedResponse
from fithub.plugins.http import VendorHTTP
from fithub.plugins.types import (
    AuthorizationCallback,
    AuthorizationRequest,
    ProviderContext,
    TokenSet,
)

if TYPE_CHECKING:
    from fithub.plugins.provider import ProviderSpec


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


@dataclass(frozen=True)
class Revocation:
    """How a grant is withdrawn: ``form`` posts RFC 7009's ``token`` (the refresh token when there
    is one) to the token host; ``query`` sends ``?access_token=``, ``bearer`` the bearer header,
    both to the API host. A refusal (the grant is gone already) is success."""

    path: str
    style: Literal["form", "query", "bearer"] = "form"
    method: str = "POST"


@dataclass(frozen=True)
class OAuth2Config:
    """A vendor's OAuth 2.0 endpoints (paths on :class:`~fithub.plugins.http.VendorHosts`) and ways.

    ``client_auth``: the client id and secret in the token form (``body``) or as HTTP Basic (which
    also authenticates a ``form`` revocation). A PKCE challenge and verifier are passed on whenever
    fithub made them; ``require_pkce`` refuses to go on without them.
    """

    authorize_path: str
    token_path: str
    revocation: Revocation | None = None
    client_auth: Literal["body", "basic"] = "body"
    require_pkce: bool = False
    send_scope: bool = True  # False: the consent page takes no scope (the user ticks them there)
    scope_separator: str = " "
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    refresh_params: Mapping[str, str] = field(default_factory=dict)
    exchange_redirect_uri: bool = True  # send redirect_uri with the code (RFC 6749 4.1.3)


def bearer(tokens: TokenSet) -> dict[str, str]:
    """The ``Authorization`` header of a call made with ``tokens``."""
    return {"Authorization": f"Bearer {tokens.access_token}"}


class OAuth2Client:
    """HTTP to one vendor (``self.http``, ``api_base``) and its OAuth 2.0 flow, set by the spec.

    Subclasses add the vendor's reads; a quirk of the flow is an override of one hook:
    :meth:`token_call` (an envelope around the answer), :meth:`tokens_from` (a user id in the
    answer, rotated values), :meth:`revoke` (a signed or custom withdrawal).
    """

    http_class: ClassVar[type[VendorHTTP]] = VendorHTTP

    def __init__(self, context: ProviderContext, spec: ProviderSpec) -> None:
        if spec.oauth is None or spec.hosts is None:
            raise ProviderError(f"{spec.display_name}: the spec declares no OAuth 2.0 or hosts")
        self.spec, self.oauth = spec, spec.oauth
        self.credentials = context.credentials
        self.http = self.http_class(context.session, spec.display_name, timeout_s=context.timeout_s,
                                    retry_after_headers=spec.retry_after_headers)  # fmt: skip
        self.api_base, self.auth_base, self.token_base = spec.hosts.resolve(
            context.credentials.base_url, context.credentials.auth_base_url
        )

    @property
    def vendor(self) -> str:
        return self.spec.display_name

    def _basic(self) -> tuple[str, str] | None:
        creds = self.credentials
        return (creds.client_id, creds.client_secret) if self.oauth.client_auth == "basic" else None

    def authorize_url(self, request: AuthorizationRequest) -> str:
        """The consent page for ``request``: state, scopes, PKCE challenge, the vendor's extras."""
        if self.oauth.require_pkce and not request.code_challenge:
            raise ProviderError(f"{self.vendor} needs a PKCE code challenge")
        query = {"response_type": "code", "client_id": self.credentials.client_id,
                 "redirect_uri": request.redirect_uri}  # fmt: skip
        if self.oauth.send_scope:
            query["scope"] = self.oauth.scope_separator.join(self.consent_scopes(request.scopes))
        query |= {"state": request.state, **self.oauth.authorize_params}
        if request.code_challenge:
            query |= {"code_challenge": request.code_challenge, "code_challenge_method": "S256"}
        return f"{self.auth_base}{self.oauth.authorize_path}?{urlencode(query)}"

    def consent_scopes(self, scopes: tuple[str, ...]) -> tuple[str, ...]:
        """Hook: the scopes the consent page asks for (default: fithub's request)."""
        return scopes

    async def token_call(self, form: dict[str, str]) -> Mapping[str, Any]:
        """Hook: POST ``form`` (client credentials added) to the token endpoint; its JSON object."""
        if self.oauth.client_auth == "body":
            form = {**form, "client_id": self.credentials.client_id,
                    "client_secret": self.credentials.client_secret}  # fmt: skip
        url = f"{self.token_base}{self.oauth.token_path}"
        body = await token_request(self.http, url, form, basic_auth=self._basic())
        if not isinstance(body, Mapping):
            raise ProviderMalformedResponse(f"{self.vendor}: the token response is not an object")
        return body

    def tokens_from(
        self, body: Mapping[str, Any], previous: TokenSet | None, scopes: tuple[str, ...]
    ) -> TokenSet:
        """Hook: the TokenSet of a token answer (default: the standard fields)."""
        return token_set_from_response(body, vendor=self.vendor, previous=previous,
                                       requested_scopes=scopes)  # fmt: skip

    async def exchange(self, callback: AuthorizationCallback, scopes: tuple[str, ...]) -> TokenSet:
        """Trade the callback's code (and PKCE verifier) for tokens."""
        if not callback.code:
            raise ProviderError(f"{self.vendor} sent the user back without a code")
        if self.oauth.require_pkce and not callback.code_verifier:
            raise ProviderError(f"{self.vendor}: fithub lost the PKCE verifier")
        form = {"grant_type": "authorization_code", "code": callback.code}
        if self.oauth.exchange_redirect_uri:
            form["redirect_uri"] = callback.redirect_uri
        if callback.code_verifier:
            form["code_verifier"] = callback.code_verifier
            if self.oauth.client_auth == "basic":  # RFC 7636 public-client style, as Fitbit asks
                form["client_id"] = self.credentials.client_id
        return self.tokens_from(await self.token_call(form), None, scopes)

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """New tokens from the refresh token (a rotated one replaces it; none sent: it is kept)."""
        if not tokens.refresh_token:
            raise ProviderAuthFailed(
                f"{self.vendor}: no refresh token to renew the access token with"
            )
        form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token,
                **self.oauth.refresh_params}  # fmt: skip
        return self.tokens_from(await self.token_call(form), tokens, tokens.scopes)

    async def revoke(self, tokens: TokenSet) -> None:
        """Withdraw the grant as ``revocation`` says; a grant already gone is what was wanted."""
        revocation = self.oauth.revocation
        if revocation is None:
            return
        data = params = headers = None
        url, statuses = f"{self.api_base}{revocation.path}", [401]
        if revocation.style == "form":
            url, statuses = f"{self.token_base}{revocation.path}", [400, 401]
            data = {"token": tokens.refresh_token or tokens.access_token}
            basic = self._basic()
            headers = {"Authorization": aiohttp.encode_basic_auth(*basic)} if basic else None
        elif revocation.style == "bearer":
            headers = bearer(tokens)
        else:
            params = {"access_token": tokens.access_token}
        try:
            await self.http.request(revocation.method, url, params=params, data=data,
                                    headers=headers, expect_json=False,
                                    auth_statuses=statuses)  # fmt: skip
        except ProviderAuthFailed:
            return
