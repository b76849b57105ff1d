"""The built-in Oura provider (Oura API v2): OAuth 2.0, daily activity, workouts, sleep, heart rate.

Registered like any third-party plugin (``fithub.plugins.manager.BUILTIN_PLUGINS``). Settings:
``FITHUB_OURA_CLIENT_ID``, ``FITHUB_OURA_CLIENT_SECRET``; ``FITHUB_OURA_BASE_URL`` points both the
API and the consent page elsewhere (a fake Oura in tests); ``FITHUB_OURA_OPTIONS`` holds the
webhook's ``webhook_verification_token``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime

from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.oura import const, mapping, webhook
from fithub.plugins.oura.client import OuraClient
from fithub.plugins.provider import (
    OAuth2Provider,
    device_providers,
    normalisers_in,
    page_normalisers_in,
)
from fithub.plugins.types import (
    FetchQuery,
    Page,
    ProviderContext,
    PushEvent,
    PushRequest,
    PushResult,
    TokenSet,
)


class OuraProvider(OAuth2Provider[OuraClient]):
    """Oura ring: see plugins/oura/const.py for what each data type reads."""

    spec = const.SPEC
    normalisers = normalisers_in(mapping)
    page_normalisers = page_normalisers_in(mapping)
    item_keys = ("id", "timestamp")

    def __init__(self, context: ProviderContext) -> None:
        super().__init__(context)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # tests may pin it

    async def external_user_id(self, tokens: TokenSet) -> str | None:
        """The Oura user id, when the ``personal`` scope was granted."""
        if "personal" not in tokens.scopes:
            return None
        info = await self.client.personal_info(tokens)
        return str(info["id"]) if info.get("id") else None

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        if query.data_type not in const.COLLECTIONS:
            raise self.unsupported(query.data_type)
        collection, style = const.COLLECTIONS[query.data_type]
        return await self.client.collection_page(
            tokens, collection, style, query.start, query.end, query.page_token
        )

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


register_device_providers = device_providers(OuraProvider)
