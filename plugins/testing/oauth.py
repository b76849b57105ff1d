"""The OAuth 2.0 side of a fake vendor: consent page, token endpoint, revocation, bearer checks.

A mixin of :class:`~fithub.plugins.testing.fake.FakeVendor`: authorization codes (with PKCE when a
challenge was sent), the code and refresh grants (refresh tokens rotate unless told otherwise),
revocation, and :meth:`OAuth2Endpoints.account_for`, which data routes call to check the bearer.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from aiohttp import web


@dataclass
class Grant:
    account: str
    scopes: tuple[str, ...]
    expires_at: float
    refresh_token: str | None = None


@dataclass
class PendingCode:
    account: str
    redirect_uri: str
    scopes: tuple[str, ...]
    challenge: str | None
    used: bool = False


@dataclass
class Authorized:
    """What the vendor's consent page sent the user back with."""

    redirect_uri: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str | None:
        return self.params.get("code")

    @property
    def state(self) -> str | None:
        return self.params.get("state")


class OAuth2Endpoints:
    """Routes and state of a generic OAuth 2.0 vendor (see the module docstring)."""

    authorize_path: ClassVar[str] = "/oauth/authorize"
    token_path: ClassVar[str] = "/oauth/token"
    revoke_path: ClassVar[str] = "/oauth/revoke"
    credentials_in: ClassVar[Literal["body", "basic"]] = "body"
    rotate_refresh_tokens: ClassVar[bool] = True
    client_id: ClassVar[str] = "fake-client-id"
    client_secret: ClassVar[str] = "fake-client-secret"

    _lock: threading.RLock
    access_ttl_s: float
    codes: dict[str, PendingCode]
    access_tokens: dict[str, Grant]
    refresh_tokens: dict[str, Grant]
    issued_refresh: dict[str, Grant]
    revoked: set[str]
    refuse_refresh: bool
    refuse_refresh_for: set[str]

    def add_account(self, account: str | None = None) -> str:
        raise NotImplementedError

    def note_account(self, request: web.Request, account: str) -> None:
        """Record whose token a request carried (the request log does it)."""

    def add_oauth_routes(self, app: web.Application) -> None:
        app.router.add_get(self.authorize_path, self._authorize)
        app.router.add_post(self.token_path, self._token)
        app.router.add_post(self.revoke_path, self._revoke)

    def expire_access_tokens(self, account: str | None = None) -> None:
        """Access tokens issued so far (of ``account``, or all) are expired; refresh tokens work."""
        with self._lock:
            for grant in self.access_tokens.values():
                if account is None or grant.account == account:
                    grant.expires_at = 0.0

    def tokens_of(self, account: str) -> list[str]:
        """Every access and refresh token ever issued to ``account`` (to look for leaks)."""
        with self._lock:
            return [t for t, g in self.access_tokens.items() if g.account == account] + [
                t for t, g in self.issued_refresh.items() if g.account == account
            ]

    def is_revoked(self, token: str) -> bool:
        with self._lock:
            return token in self.revoked

    # -- the user's side of the consent page -----------------------------------------------------

    def authorize(
        self,
        authorization_url: str,
        account: str | None = None,
        *,
        scopes: Sequence[str] | None = None,
        deny: bool = False,
    ) -> Authorized:
        """Play the user: open the consent page as ``account``, approve (or deny), follow nothing.

        Returns where the vendor redirected the browser and with which query parameters.
        """
        extra = {"fake_account": self.add_account(account)}
        if scopes is not None:
            extra["fake_scopes"] = " ".join(scopes)
        if deny:
            extra["fake_deny"] = "1"
        url = f"{authorization_url}&{urlencode(extra)}"

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(url, timeout=10)  # noqa: S310 - loopback only
        except urllib.error.HTTPError as answer:
            if answer.code != 302:
                raise AssertionError(
                    f"consent page answered {answer.code}: {answer.read()!r}"
                ) from None
            location = answer.headers["Location"]
        else:
            raise AssertionError("the consent page did not redirect")
        parts = urlsplit(location)
        redirect = f"{parts.scheme}://{parts.netloc}{parts.path}"
        return Authorized(redirect, dict(parse_qsl(parts.query)))

    # -- OAuth 2.0 --------------------------------------------------------------------------------

    @staticmethod
    def oauth_error(error: str, status: int = 400) -> web.Response:
        return web.json_response({"error": error}, status=status)

    async def _authorize(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return web.json_response({"detail": "unknown client or response type"}, status=400)
        redirect_uri = query.get("redirect_uri", "")
        state = query.get("state", "")
        if query.get("fake_deny"):
            params = {"error": "access_denied", "state": state}
        else:
            asked = tuple(query.get("scope", "").replace(",", " ").split())
            granted = tuple(query["fake_scopes"].split()) if "fake_scopes" in query else asked
            code = secrets.token_urlsafe(16)
            with self._lock:
                self.codes[code] = PendingCode(
                    self.add_account(query.get("fake_account")),
                    redirect_uri,
                    granted,
                    query.get("code_challenge"),
                )
            params = {"code": code, "state": state}
        raise web.HTTPFound(f"{redirect_uri}?{urlencode(params)}")

    def _client_ok(self, request: web.Request, form: dict[str, str]) -> bool:
        if self.credentials_in == "basic":
            header = request.headers.get("Authorization", "")
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            return header == f"Basic {expected}"
        return form.get("client_id") == self.client_id and (
            form.get("client_secret") == self.client_secret
        )

    def issue(self, account: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        """New tokens for ``account``: the body of a token response."""
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        expires = time.time() + self.access_ttl_s
        with self._lock:
            self.access_tokens[access] = Grant(account, scopes, expires, refresh)
            self.refresh_tokens[refresh] = Grant(account, scopes, expires, refresh)
            self.issued_refresh[refresh] = self.refresh_tokens[refresh]
        return {
            "token_type": "bearer",
            "access_token": access,
            "expires_in": int(self.access_ttl_s),
            "refresh_token": refresh,
            "scope": " ".join(scopes),
        }

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        if not self._client_ok(request, form):
            return self.oauth_error("invalid_client", 401)
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                pending = self.codes.get(form.get("code", ""))
                if (
                    pending is None
                    or pending.used
                    or pending.redirect_uri != form.get("redirect_uri")
                ):
                    return self.oauth_error("invalid_grant")
                if pending.challenge is not None:
                    verifier = form.get("code_verifier", "")
                    digest = hashlib.sha256(verifier.encode()).digest()
                    if base64.urlsafe_b64encode(digest).decode().rstrip("=") != pending.challenge:
                        return self.oauth_error("invalid_grant")
                pending.used = True
                return web.json_response(self.issue(pending.account, pending.scopes))
            if grant_type == "refresh_token":
                grant = self.refresh_tokens.get(form.get("refresh_token", ""))
                if grant is None or self.refuse_refresh or grant.account in self.refuse_refresh_for:
                    return self.oauth_error("invalid_grant")
                if self.rotate_refresh_tokens:
                    del self.refresh_tokens[form["refresh_token"]]
                body = self.issue(grant.account, grant.scopes)
                if not self.rotate_refresh_tokens:
                    self.refresh_tokens.pop(body["refresh_token"], None)
                    body["refresh_token"] = form["refresh_token"]
                return web.json_response(body)
        return self.oauth_error("unsupported_grant_type")

    async def _revoke(self, request: web.Request) -> web.Response:
        form = await request.post()
        token = str(request.query.get("access_token") or form.get("token") or "")
        with self._lock:
            if token in self.refresh_tokens:  # RFC 7009 2.1: a refresh token ends its whole grant
                self.refresh_tokens.pop(token)
                granted = [t for t, g in self.access_tokens.items() if g.refresh_token == token]
                for access in granted:
                    self.access_tokens.pop(access)
                self.revoked.update([token, *granted])
                return web.Response(status=200)
            grant = self.access_tokens.pop(token, None)
            if grant is None:
                return web.json_response({"detail": "unknown token"}, status=401)
            self.revoked.add(token)
            if grant.refresh_token:
                self.refresh_tokens.pop(grant.refresh_token, None)
        return web.Response(status=200)

    def account_for(self, request: web.Request, scope: str | None = None) -> str:
        """The account of the bearer token, or raise the 401 (or 403 for a missing scope)."""
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        with self._lock:
            grant = self.access_tokens.get(token)
            if grant is None or grant.expires_at <= time.time():
                raise web.HTTPUnauthorized(
                    text='{"detail": "invalid or expired access token"}',
                    content_type="application/json",
                )
            if scope is not None and scope not in grant.scopes:
                raise web.HTTPForbidden(
                    text='{"detail": "missing scope"}', content_type="application/json"
                )
        self.note_account(request, grant.account)
        return grant.account
