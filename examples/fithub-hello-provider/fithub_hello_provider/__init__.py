"""A fithub plugin adding one device provider, ``hello``: a template to copy for a real vendor.

"Hello" is an imaginary vendor with the smallest useful API: OAuth 2.0 with PKCE, and one
collection, ``GET /v1/days`` (daily step counts, paged with ``next``). Its fake, for tests, is
in ``tests/fake_hello.py``; ``tests/test_contract.py`` runs fithub's provider contract on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from fithub.plugins import (
    AuthKind,
    AuthorizationCallback,
    AuthorizationRequest,
    AuthorizationStart,
    DailySummary,
    DataType,
    DeviceProvider,
    FetchQuery,
    Page,
    PluginHost,
    ProviderContext,
    PushRequest,
    PushResult,
    RateLimit,
    Record,
    Source,
    TokenSet,
    hookimpl,
)
from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.http import VendorHTTP
from fithub.plugins.oauth import token_request, token_set_from_response

__version__ = "0.1.0"
API = "https://api.hello.example"


class HelloProvider:
    """Daily steps from the Hello vendor."""

    name: ClassVar[str] = "hello"
    display_name: ClassVar[str] = "Hello Provider"
    auth_kind: ClassVar[AuthKind] = "oauth2_pkce"
    scopes: ClassVar[tuple[str, ...]] = ("steps",)
    data_types: ClassVar[tuple[DataType, ...]] = (DataType.DAILY,)
    required_scopes: ClassVar[Mapping[DataType, tuple[str, ...]]] = {DataType.DAILY: ("steps",)}
    rate_limits: ClassVar[tuple[RateLimit, ...]] = (RateLimit(60, 60, "user"),)
    max_window: ClassVar[timedelta] = timedelta(days=30)

    def __init__(self, context: ProviderContext) -> None:
        self.credentials = context.credentials
        self.http = VendorHTTP(context.session, "Hello", timeout_s=context.timeout_s)
        self.base = (context.credentials.base_url or API).rstrip("/")

    def _app(self) -> dict[str, str]:
        return {"client_id": self.credentials.client_id,
                "client_secret": self.credentials.client_secret}  # fmt: skip

    async def authorization_url(self, request: AuthorizationRequest) -> AuthorizationStart:
        query = {"response_type": "code", "client_id": self.credentials.client_id,
                 "redirect_uri": request.redirect_uri, "scope": " ".join(request.scopes),
                 "state": request.state, "code_challenge": request.code_challenge or "",
                 "code_challenge_method": "S256"}  # fmt: skip
        return AuthorizationStart(f"{self.base}/oauth/authorize?{urlencode(query)}")

    async def exchange_code(self, callback: AuthorizationCallback) -> TokenSet:
        form = {"grant_type": "authorization_code", "code": callback.code or "",
                "redirect_uri": callback.redirect_uri, "code_verifier": callback.code_verifier
                or "", **self._app()}  # fmt: skip
        body = await token_request(self.http, f"{self.base}/oauth/token", form)
        return token_set_from_response(body, vendor="Hello", requested_scopes=self.scopes)

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token or "",
                **self._app()}  # fmt: skip
        body = await token_request(self.http, f"{self.base}/oauth/token", form)
        return token_set_from_response(body, vendor="Hello", previous=tokens)

    async def revoke(self, tokens: TokenSet) -> None:
        try:
            await self.http.request("POST", f"{self.base}/oauth/revoke",
                                    data={"token": tokens.access_token}, expect_json=False)  # fmt: skip
        except ProviderError:
            return  # already gone, or Hello is down: fithub deletes the tokens either way

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        params = {"start": query.start.date().isoformat(), "end": query.end.date().isoformat()}
        if query.page_token:
            params["page"] = query.page_token
        body = await self.http.get_json(f"{self.base}/v1/days", params=params,
                                        headers={"Authorization": f"Bearer {tokens.access_token}"})  # fmt: skip
        if not isinstance(body, dict) or not isinstance(body.get("days"), list):
            raise ProviderMalformedResponse("Hello /v1/days: no 'days' list")
        return Page(items=body["days"], next_token=body.get("next"))

    def normalise(self, data_type: DataType, item: Mapping[str, Any]) -> list[Record]:
        try:
            day = date.fromisoformat(str(item["date"]))
            return [DailySummary(source=Source(self.name, str(item["date"])), day=day,
                                 steps=int(item["steps"]), raw=dict(item))]  # fmt: skip
        except (KeyError, ValueError, TypeError) as exc:
            raise ProviderMalformedResponse(f"Hello day {item.get('date')}: {exc}") from exc

    async def handle_push(self, request: PushRequest) -> PushResult:
        raise ProviderError("Hello sends no webhooks")


@hookimpl
def register_device_providers(host: PluginHost) -> list[type[DeviceProvider]]:
    """Called once when fithub starts: hand over the provider classes this plugin adds."""
    host.logger.debug("fithub-hello-provider registering on fithub %s", host.version)
    return [HelloProvider]
