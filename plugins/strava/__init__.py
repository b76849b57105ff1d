"""The built-in Strava provider (Strava API v3): OAuth 2.0, the athlete's activities, webhooks.

Registered like any third-party plugin (``fithub.plugins.manager.BUILTIN_PLUGINS``). Settings:
``FITHUB_STRAVA_CLIENT_ID``, ``FITHUB_STRAVA_CLIENT_SECRET``; ``FITHUB_STRAVA_BASE_URL`` points
the API, the token endpoint and the consent page elsewhere (a fake Strava in tests);
``FITHUB_STRAVA_OPTIONS`` holds the webhook's ``callback_token``, ``verify_token`` and
``subscription_id`` (all required for webhooks). See docs/providers/strava.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from fithub.plugins import hookimpl
from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.records import Record
from fithub.plugins.strava import const, mapping, webhook
from fithub.plugins.strava.client import StravaClient
from fithub.plugins.types import (
    AuthKind,
    AuthorizationCallback,
    AuthorizationRequest,
    AuthorizationStart,
    DataType,
    DeviceProvider,
    FetchQuery,
    Page,
    PluginHost,
    ProviderContext,
    PushRequest,
    PushResult,
    RateLimit,
    TokenSet,
)


class StravaProvider:
    """Strava: activities only (see plugins/strava/const.py and docs/providers/strava.md)."""

    name: ClassVar[str] = const.NAME
    display_name: ClassVar[str] = const.DISPLAY_NAME
    auth_kind: ClassVar[AuthKind] = "oauth2"
    scopes: ClassVar[tuple[str, ...]] = const.SCOPES
    data_types: ClassVar[tuple[DataType, ...]] = const.DATA_TYPES
    required_scopes: ClassVar[Mapping[DataType, tuple[str, ...]]] = const.REQUIRED_SCOPES
    rate_limits: ClassVar[tuple[RateLimit, ...]] = const.RATE_LIMITS
    max_window: ClassVar[timedelta] = const.MAX_WINDOW

    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.client = StravaClient(context)

    async def authorization_url(self, request: AuthorizationRequest) -> AuthorizationStart:
        url = self.client.authorize_url(request.state, request.redirect_uri, request.scopes)
        return AuthorizationStart(url=url)

    async def exchange_code(self, callback: AuthorizationCallback) -> TokenSet:
        if not callback.code:
            raise ProviderError("Strava sent the user back without a code")
        return await self.client.exchange(callback.code, callback.params.get("scope"), self.scopes)

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        return await self.client.refresh(tokens)

    async def revoke(self, tokens: TokenSet) -> None:
        await self.client.deauthorize(tokens)

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        if query.data_type is not DataType.ACTIVITIES:
            raise ProviderError(f"Strava does not offer {query.data_type}")
        return await self.client.activities_page(tokens, query.start, query.end, query.page_token)

    def normalise(self, data_type: DataType, item: Mapping[str, Any]) -> list[Record]:
        if data_type is not DataType.ACTIVITIES:
            raise ProviderError(f"Strava does not offer {data_type}")
        try:
            return mapping.activity(item)
        except (ValueError, TypeError, KeyError) as exc:
            raise ProviderMalformedResponse(
                f"Strava {data_type} item {item.get('id') or '?'}: {exc}"
            ) from exc

    async def handle_push(self, request: PushRequest) -> PushResult:
        """The ``hub.challenge`` handshake and unsigned events, checked as webhook.py says.

        ``pushes_signed`` stays False: fithub confirms deletes and deauthorizations with Strava.
        """
        return webhook.handle(request, self.context.credentials.options)


@hookimpl
def register_device_providers(host: PluginHost) -> list[type[DeviceProvider]]:
    return [StravaProvider]
