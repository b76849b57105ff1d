"""Security headers on every HTTP response, errors and 404s included (an ASGI middleware).

What each response gets, unless the route already set the header:

- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``, ``X-Frame-Options: DENY``;
- ``Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`` (the API serves data,
  not pages). A route serving HTML sets its own policy; ``frame-ancestors 'none'`` is added to it
  when missing, so no page of fithub can be framed;
- ``Cache-Control: no-store`` on everything under ``/api/`` (accounts, tokens and personal data)
  and on any response to a request that carried an ``Authorization`` header. A route with public
  data it wants cached says so with its own ``Cache-Control``; no API route does today;
- ``Strict-Transport-Security`` in production (``FITHUB_ENV=production``) when the request came over
  HTTPS: served by hypercorn with TLS itself, or through a proxy listed in ``FITHUB_TRUSTED_PROXIES``
  whose ``X-Forwarded-Proto`` says ``https``. The header is believed only from such a proxy (never
  from the client), the same rule as ``X-Forwarded-For`` in :func:`fithub.core.auth.client_info`;
  hypercorn's ``ProxyFixMiddleware`` trusts a count of hops, not the proxy's address, so it is not
  used. HSTS over plain HTTP would be ignored by browsers, and in development it would pin
  ``localhost`` to HTTPS for a year.

``no-referrer`` rather than ``strict-origin-when-cross-origin``: fithub's pages link out only to
its own documentation, and API URLs carry ids (and the OAuth callback a ``code`` and ``state``)
that no other site needs to see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from quart import Quart

from fithub.core.config import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]  # Quart's asgi_app, typed with its own scope classes

API_CSP = "default-src 'none'; frame-ancestors 'none'"
_ALWAYS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def _header(scope: Scope, name: bytes) -> bytes | None:
    """The last value of request header ``name`` (lower case), or None."""
    found = None
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            found = value
    return found


def came_over_https(scope: Scope, trusted_proxies: list[str]) -> bool:
    """True if the client's connection was TLS: direct, or as a trusted proxy reports it."""
    if scope.get("scheme") == "https":
        return True
    client = scope.get("client")
    if not client or client[0] not in trusted_proxies:
        return False
    forwarded = _header(scope, b"x-forwarded-proto")
    if not forwarded:
        return False
    # The proxy nearest to us speaks last; an earlier entry may be the client's own words.
    return forwarded.split(b",")[-1].strip().lower() == b"https"


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response the app sends."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.trusted_proxies = list(settings.trusted_proxies)
        self.hsts: bytes | None = None
        if settings.env == "production" and settings.hsts_max_age > 0:
            # No includeSubDomains: fithub may live on a name whose siblings it does not own.
            self.hsts = f"max-age={settings.hsts_max_age}".encode()

    def _extra(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        extra = list(_ALWAYS)
        path: str = scope.get("path", "")
        if path.startswith("/api/") or _header(scope, b"authorization") is not None:
            extra.append((b"cache-control", b"no-store"))
        if self.hsts is not None and came_over_https(scope, self.trusted_proxies):
            extra.append((b"strict-transport-security", self.hsts))
        return extra

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._extra(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = _merge(list(message.get("headers", ())), extra)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _merge(
    headers: list[tuple[bytes, bytes]], extra: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """Add each of ``extra`` the response lacks; make sure any page policy refuses framing."""
    present = {name.lower() for name, _ in headers}
    merged = headers + [(name, value) for name, value in extra if name not in present]
    if b"content-security-policy" not in present:
        merged.append((b"content-security-policy", API_CSP.encode()))
        return merged
    out = []
    for name, value in merged:
        if name.lower() == b"content-security-policy" and b"frame-ancestors" not in value:
            value = value.rstrip(b"; ") + b"; frame-ancestors 'none'"
        out.append((name, value))
    return out


def install(app: Quart, settings: Settings) -> None:
    """Wrap ``app``'s ASGI entry (Quart's documented way) so that every response gets the headers."""
    app.asgi_app = SecurityHeaders(app.asgi_app, settings)  # type: ignore[method-assign,assignment]
