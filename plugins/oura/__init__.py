"""The built-in Oura provider (Oura API v2): OAuth 2.0, daily activity, workouts, sleep, heart rate.

Registered like any third-party plugin (``fithub.plugins.manager.BUILTIN_PLUGINS``). Settings:
``FITHUB_OURA_CLIENT_ID``, ``FITHUB_OURA_CLIENT_SECRET``; ``FITHUB_OURA_BASE_URL`` points both the
API and the consent page elsewhere (a fake Oura in tests); ``FITHUB_OURA_OPTIONS`` holds the
webhook's ``webhook_verification_token``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from fithub.plugins import hookimpl
from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.oura import const, mapping, webhook
from fithub.plugins.oura.client import OuraClient
from fithub.plugins.records import Record
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
    PushEvent,
    PushRequest,
    PushResult,
    RateLimit,
    TokenSet,
)

NORMALISERS: dict[DataType, Callable[[Mapping[str, Any]], list[Record]]] = {
    DataType.DAILY: mapping.daily_activity,
    DataType.ACTIVITIES: mapping.workout,
    DataType.SLEEP: mapping.sleep,
    DataType.HEART_RATE: mapping.heartrate,
}


class OuraProvider:
    """Oura ring: see plugins/oura/const.py for what each data type reads."""

    name: ClassVar[str] = const.NAME
    display_name: ClassVar[str] = const.DISPLAY_NAME
    auth_kind: ClassVar[AuthKind] = "oauth2"
    scopes: ClassVar[tuple[str, ...]] = const.SCOPES
    data_types: ClassVar[tuple[DataType, ...]] = tuple(const.COLLECTIONS)
    required_scopes: ClassVar[Mapping[DataType, tuple[str, ...]]] = const.REQUIRED_SCOPES
    rate_limits: ClassVar[tuple[RateLimit, ...]] = const.RATE_LIMITS
    max_window: ClassVar[timedelta] = const.MAX_WINDOW

    pushes_signed: ClassVar[bool] = True  # HMAC over timestamp + body: deletes are acted on

    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.client = OuraClient(context)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # tests may pin it

    async def authorization_url(self, request: AuthorizationRequest) -> AuthorizationStart:
        url = self.client.authorize_url(request.state, request.redirect_uri, request.scopes)
        return AuthorizationStart(url=url)

    async def exchange_code(self, callback: AuthorizationCallback) -> TokenSet:
        if not callback.code:
            raise ProviderError("Oura sent the user back without a code")
        tokens = await self.client.exchange(callback.code, callback.redirect_uri, self.scopes)
        external_id: str | None = None
        if "personal" in tokens.scopes:
            info = await self.client.personal_info(tokens)
            external_id = str(info["id"]) if info.get("id") else None
        return TokenSet(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at,
            scopes=tokens.scopes,
            external_user_id=external_id,
            token_type=tokens.token_type,
        )

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        return await self.client.refresh(tokens)

    async def revoke(self, tokens: TokenSet) -> None:
        await self.client.revoke(tokens)

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        if query.data_type not in const.COLLECTIONS:
            raise ProviderError(f"Oura does not offer {query.data_type}")
        collection, style = const.COLLECTIONS[query.data_type]
        return await self.client.collection_page(
            tokens, collection, style, query.start, query.end, query.page_token
        )

    def normalise(self, data_type: DataType, item: Mapping[str, Any]) -> list[Record]:
        normaliser = NORMALISERS.get(data_type)
        if normaliser is None:
            raise ProviderError(f"Oura does not offer {data_type}")
        try:
            return normaliser(item)
        except (ValueError, TypeError, KeyError) as exc:
            ident = item.get("id") or item.get("timestamp") or "?"
            raise ProviderMalformedResponse(f"Oura {data_type} item {ident}: {exc}") from exc

    async def handle_push(self, request: PushRequest) -> PushResult:
        """Oura webhooks: the GET verification handshake, and signed change notifications with a
        fresh timestamp (see webhook.py)."""
        options = self.context.credentials.options
        if request.method == "GET":
            expected = options.get(const.WEBHOOK_TOKEN_OPTION, "")
            token = request.query.get("verification_token", "")
            if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
                raise ProviderError("Oura webhook verification token does not match")
            return PushResult(status=200, body={"challenge": request.query.get("challenge", "")})
        webhook.verify(request.headers, request.body, self.context.credentials.client_secret,
                       self.clock())  # fmt: skip
        try:
            body = json.loads(request.body)
            event = PushEvent(
                external_user_id=str(body["user_id"]),
                data_type=const.PUSH_DATA_TYPES.get(str(body.get("data_type"))),
                action="delete" if body.get("event_type") == "delete" else "upsert",
                object_id=str(body["object_id"]) if body.get("object_id") else None,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderMalformedResponse(f"Oura webhook body is unreadable: {exc}") from exc
        return PushResult(status=200, events=(event,))


@hookimpl
def register_device_providers(host: PluginHost) -> list[type[DeviceProvider]]:
    return [OuraProvider]
