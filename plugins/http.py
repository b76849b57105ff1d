"""The client boundary of a vendor: HTTP calls whose failures come out as ``ProviderError`` subclasses.

Every built-in provider's ``client.py`` goes through :class:`VendorHTTP`, so the same vendor answer
means the same error everywhere:

- no connection, a reset, a timeout, a cut-off body -> ``ProviderUnavailable``
- 401 -> ``ProviderAuthFailed``; 429 -> ``ProviderRateLimited`` with ``Retry-After`` in seconds
- 408 and 5xx -> ``ProviderUnavailable``; any other status >= 400 -> ``ProviderError``
- a 2xx body that is not JSON (or not the expected shape) -> ``ProviderMalformedResponse``

Messages name the vendor, the method, the path and the status, never a query string or a header
(they may hold tokens).
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import orjson
from yarl import URL

from fithub.plugins.errors import (
    ProviderAuthFailed,
    ProviderError,
    ProviderMalformedResponse,
    ProviderRateLimited,
    ProviderUnavailable,
)

MAX_DETAIL = 200


@dataclass(frozen=True)
class VendorHosts:
    """A vendor's hosts: the API, the consent page and the token endpoint (both default: the API).

    The app's ``base_url`` replaces every host, its ``auth_base_url`` the consent page (and the
    token endpoint too when ``token_follows_auth`` is set: the vendor's sign-in hosts go together).
    """

    api: str
    consent: str | None = None
    token: str | None = None
    token_follows_auth: bool = False

    def resolve(self, base_url: str | None, auth_base_url: str | None) -> tuple[str, str, str]:
        """``(api, consent, token)`` base URLs for an app's overrides, without a trailing slash."""
        api = base_url or self.api
        consent = auth_base_url or base_url or self.consent or self.api
        token = (auth_base_url if self.token_follows_auth else None) or base_url
        token = token or self.token or self.api
        return api.rstrip("/"), consent.rstrip("/"), token.rstrip("/")


@dataclass(frozen=True)
class VendorResponse:
    """A vendor answer that passed the status checks: its status, headers and parsed JSON."""

    status: int
    headers: Mapping[str, str]
    body: Any


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _detail(text: str) -> str:
    """A short excerpt of a vendor's error body (``detail``/``message``/``error`` when JSON)."""
    try:
        body = json.loads(text)
    except ValueError:
        return text.strip()[:MAX_DETAIL]
    if isinstance(body, dict):
        for key in ("detail", "message", "error_description", "error", "title"):
            if isinstance(body.get(key), str):
                return str(body[key])[:MAX_DETAIL]
    return text.strip()[:MAX_DETAIL]


def _loads(text: str) -> Any:
    """JSON text decoded (orjson; the standard library for what orjson refuses: NaN, big ints)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def json_page(
    body: Any, items_key: str, token_key: str, what: str, *, required: bool = True
) -> tuple[list[Mapping[str, Any]], str | None]:
    """A JSON page's items (the objects listed under ``items_key``; absent and not ``required``:
    none) and next page token (text under ``token_key``; absent or empty: None)."""
    raw = body.get(items_key, None if required else []) if isinstance(body, Mapping) else None
    if not isinstance(raw, list):
        raise ProviderMalformedResponse(f"{what}: the page has no '{items_key}' list")
    if not all(type(item) is dict or isinstance(item, Mapping) for item in raw):
        raise ProviderMalformedResponse(f"{what}: an item is not a JSON object")
    token = body.get(token_key)
    if token is not None and not isinstance(token, str):
        raise ProviderMalformedResponse(f"{what}: {token_key} is not text")
    return list(raw), token or None


SENSITIVE_KEYS = ("token", "secret", "code", "password", "verifier", "assertion")
REDACTED = "[redacted]"


def _secrets_of(headers: Mapping[str, str] | None, *forms: Mapping[str, str] | None) -> list[str]:
    """The credentials a request carries (its Authorization value, token-like form fields)."""
    found: list[str] = []
    for name, value in (headers or {}).items():
        if name.lower() == "authorization" and value:
            found.extend(part for part in value.split() if len(part) >= 8)
    for form in forms:
        if not isinstance(form, Mapping):
            continue  # a raw body (JSON text) carries no form fields
        for name, value in form.items():
            if any(key in name.lower() for key in SENSITIVE_KEYS) and len(str(value)) >= 8:
                found.append(str(value))
    return found


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every one of ``secrets`` replaced (vendors echo tokens in error messages)."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


class VendorHTTP:
    """HTTP to one vendor over the host's shared session, with fithub's error mapping.

    An error body is checked with the request's own credentials blanked out, so a vendor that
    echoes a token ("access token expired: eyJ...") never puts it into an exception or a log.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        vendor: str,
        *,
        timeout_s: float = 30.0,
        retry_after_headers: Iterable[str] = ("Retry-After",),
    ) -> None:
        self._session = session
        self.vendor = vendor
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._retry_after_headers = tuple(retry_after_headers)

    def _where(self, method: str, url: str) -> str:
        return f"{self.vendor} {method} {URL(url).path}"

    def detail(self, text: str) -> str:
        """Hook: the part of an error body a message carries (its ``detail``, ``message``...)."""
        return _detail(text)

    def retry_after(self, headers: Any, text: str) -> float | None:
        """Hook: seconds to wait after a 429 (the first readable ``retry_after_headers``)."""
        for name in self._retry_after_headers:
            wait = parse_retry_after(headers.get(name))
            if wait is not None:
                return wait
        return None

    def check_status(
        self,
        method: str,
        url: str,
        status: int,
        headers: Any,
        text: str,
        auth_statuses: Container[int] = (401,),
    ) -> None:
        """Raise the error for a failed status (nothing for 1xx-3xx)."""
        where = self._where(method, url)
        if status < 400:
            return
        detail = self.detail(text)
        if status in auth_statuses:
            raise ProviderAuthFailed(
                f"{where}: {status} the vendor refused the credentials ({detail})"
            )
        if status == 429:
            wait = self.retry_after(headers, text)
            said = f" ({detail})" if detail else ""
            raise ProviderRateLimited(f"{where}: 429 rate limited{said}", retry_after=wait)
        if status == 408 or status >= 500:
            raise ProviderUnavailable(f"{where}: {status} ({detail})")
        raise ProviderError(f"{where}: {status} ({detail})")

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: aiohttp.BasicAuth | None = None,
        expect_json: bool = True,
        auth_statuses: Container[int] = (401,),
        tolerate: Container[int] = (),
    ) -> VendorResponse:
        """Send one request; return the parsed answer or raise the matching ``ProviderError``.

        ``data`` goes as a form, ``json_body`` (when not None) as compact JSON. ``auth_statuses``
        are the statuses that mean "credentials refused" (a token endpoint adds 400, RFC 6749's
        answer to an invalid grant); statuses in ``tolerate`` come back unraised, with their text.
        """
        where = self._where(method, url)
        if auth is not None:  # aiohttp deprecates its auth= parameter: send the header
            headers = {**(headers or {}), "Authorization": auth.encode()}
        body: Any = data
        if json_body is not None:  # aiohttp sends a text body as it is
            body = json.dumps(json_body, separators=(",", ":"))
            headers = {**(headers or {}), "Content-Type": "application/json"}
        try:
            async with self._session.request(
                method,
                url,
                params=params,
                data=body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                text = await response.text(errors="replace")
                status, response_headers = response.status, response.headers
        except TimeoutError as exc:
            raise ProviderUnavailable(f"{where}: no answer in time") from exc
        except aiohttp.ClientConnectionError as exc:
            raise ProviderUnavailable(f"{where}: connection failed ({type(exc).__name__})") from exc
        except aiohttp.ClientPayloadError as exc:
            raise ProviderUnavailable(f"{where}: the answer was cut off") from exc
        except aiohttp.ClientError as exc:
            raise ProviderError(f"{where}: {type(exc).__name__}") from exc
        if status >= 400:
            text = redact(text, _secrets_of(headers, params, data))
        if status in tolerate:
            return VendorResponse(status, dict(response_headers), text)
        self.check_status(method, url, status, response_headers, text, auth_statuses)
        if not expect_json:
            return VendorResponse(status, dict(response_headers), text)
        if not text.strip():
            raise ProviderMalformedResponse(f"{where}: {status} with an empty body, expected JSON")
        try:
            body = _loads(text)
        except json.JSONDecodeError as exc:
            raise ProviderMalformedResponse(
                f"{where}: {status} with a body that is not JSON ({exc.msg} at {exc.pos})"
            ) from exc
        return VendorResponse(status, dict(response_headers), body)

    async def get_json(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """GET ``url`` and return its JSON body."""
        return (await self.request("GET", url, params=params, headers=headers)).body
