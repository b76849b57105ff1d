"""The built-in WHOOP provider (WHOOP Developer API v2): workouts, sleep, cycles, recovery, body.

Registered like any third-party plugin (``fithub.plugins.manager.BUILTIN_PLUGINS``). Settings:
``FITHUB_WHOOP_CLIENT_ID``, ``FITHUB_WHOOP_CLIENT_SECRET`` (also the webhook signing key);
``FITHUB_WHOOP_BASE_URL`` points the API and the consent page elsewhere (a fake WHOOP in tests);
``FITHUB_WHOOP_OPTIONS`` may set ``webhook_tolerance_s``. See docs/providers/whoop.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

from fithub.plugins import hookimpl
from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
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
from fithub.plugins.whoop import const, mapping
from fithub.plugins.whoop.client import WhoopClient

NORMALISERS: dict[DataType, Callable[[Mapping[str, Any]], list[Record]]] = {
    DataType.ACTIVITIES: mapping.workout,
    DataType.SLEEP: mapping.sleep,
    DataType.DAILY: mapping.cycle,
    DataType.HRV: mapping.recovery_hrv,
    DataType.SPO2: mapping.recovery_spo2,
    DataType.BODY: mapping.body,
}


def _is_id(value: Any) -> bool:
    """An id as WHOOP sends them: an integer (v1, user ids) or text (v2 UUIDs)."""
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and bool(value)
    )


class WhoopProvider:
    """WHOOP strap: see plugins/whoop/const.py for what each data type reads."""

    name: ClassVar[str] = const.NAME
    display_name: ClassVar[str] = const.DISPLAY_NAME
    auth_kind: ClassVar[AuthKind] = "oauth2"
    scopes: ClassVar[tuple[str, ...]] = const.SCOPES
    data_types: ClassVar[tuple[DataType, ...]] = const.DATA_TYPES
    required_scopes: ClassVar[Mapping[DataType, tuple[str, ...]]] = const.REQUIRED_SCOPES
    rate_limits: ClassVar[tuple[RateLimit, ...]] = const.RATE_LIMITS
    max_window: ClassVar[timedelta] = const.MAX_WINDOW
    pushes_signed: ClassVar[bool] = True  # HMAC-SHA256 over timestamp + body: deletes are acted on

    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.client = WhoopClient(context)

    async def authorization_url(self, request: AuthorizationRequest) -> AuthorizationStart:
        url = self.client.authorize_url(request.state, request.redirect_uri, request.scopes)
        return AuthorizationStart(url=url)

    async def exchange_code(self, callback: AuthorizationCallback) -> TokenSet:
        if not callback.code:
            error = callback.params.get("error") or "no code"
            raise ProviderError(f"WHOOP sent the user back without a code ({error})")
        tokens = await self.client.exchange(callback.code, callback.redirect_uri, self.scopes)
        external_id: str | None = None
        if "read:profile" in tokens.scopes:
            profile = await self.client.profile(tokens)
            user_id = profile.get("user_id")
            if isinstance(user_id, bool) or not isinstance(user_id, int | str) or user_id == "":
                raise ProviderMalformedResponse("WHOOP profile has no user_id")
            external_id = str(user_id)
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
        if query.data_type is DataType.BODY:
            return await self._body_page(tokens, query)
        path = const.COLLECTIONS.get(query.data_type)
        if path is None:
            raise ProviderError(f"WHOOP does not offer {query.data_type}")
        return await self.client.collection_page(
            tokens, path, query.start, query.end, query.page_token
        )

    async def _body_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        """The body measurement, once: in the window that reaches now, stamped with its day."""
        if query.end < datetime.now(UTC) - const.BODY_FRESH:
            return Page(items=[])  # WHOOP keeps no history of these: nothing for the past
        item = await self.client.body_measurement(tokens)
        day = query.end.astimezone(UTC).date().isoformat()
        return Page(items=[{**item, const.BODY_DAY_KEY: day}])

    def normalise(self, data_type: DataType, item: Mapping[str, Any]) -> list[Record]:
        normaliser = NORMALISERS.get(data_type)
        if normaliser is None:
            raise ProviderError(f"WHOOP does not offer {data_type}")
        try:
            return normaliser(item)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            ident = item.get("id") or item.get("sleep_id") or "?"
            raise ProviderMalformedResponse(f"WHOOP {data_type} item {ident}: {exc}") from exc

    # -- webhooks ---------------------------------------------------------------------------------

    def _tolerance_s(self) -> float:
        value = self.context.credentials.options.get(const.WEBHOOK_TOLERANCE_OPTION)
        try:
            return float(value) if value is not None else const.WEBHOOK_TOLERANCE_S
        except ValueError:
            return const.WEBHOOK_TOLERANCE_S

    def _verify(self, request: PushRequest) -> None:
        """The signature (base64 HMAC-SHA256 of timestamp + body) and a fresh timestamp (ms)."""
        timestamp = request.headers.get(const.TIMESTAMP_HEADER, "").strip()
        signature = request.headers.get(const.SIGNATURE_HEADER, "").strip()
        if not timestamp or not signature:
            raise ProviderError("WHOOP webhook without its signature headers")
        secret = self.context.credentials.client_secret.encode()
        digest = hmac.new(secret, timestamp.encode() + request.body, hashlib.sha256).digest()
        try:
            given = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProviderError("WHOOP webhook signature is not base64") from exc
        if not hmac.compare_digest(digest, given):
            raise ProviderError("WHOOP webhook signature does not match")
        try:
            sent_ms = int(timestamp)
        except ValueError as exc:
            raise ProviderError("WHOOP webhook timestamp is not milliseconds") from exc
        if abs(time.time() - sent_ms / 1000) > self._tolerance_s():
            raise ProviderError("WHOOP webhook timestamp is too old (or ahead): a replay?")

    async def handle_push(self, request: PushRequest) -> PushResult:
        """WHOOP webhooks: signed POSTs of ``{user_id, id, type, trace_id}``; no handshake."""
        if request.method.upper() != "POST":
            raise ProviderError("WHOOP sends webhooks as POST only (it has no handshake)")
        self._verify(request)
        try:
            body = json.loads(request.body)
            user_id, object_id, kind = body["user_id"], body["id"], body["type"]
            if not isinstance(kind, str) or not _is_id(user_id) or not _is_id(object_id):
                raise TypeError("type must be text, user_id and id must be ids")
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderMalformedResponse(f"WHOOP webhook body is unreadable: {exc}") from exc
        noun, _, verb = kind.partition(".")
        data_types = const.PUSH_DATA_TYPES.get(noun, ())
        if verb not in ("updated", "deleted"):
            data_types = ()  # an event fithub does not know: acknowledge it, WHOOP stops retrying
        action: Literal["upsert", "delete"] = "delete" if verb == "deleted" else "upsert"
        events = tuple(
            PushEvent(
                external_user_id=str(user_id),
                data_type=data_type,
                action=action,
                object_id=str(object_id),
            )
            for data_type in data_types
        )
        return PushResult(status=204, events=events)


@hookimpl
def register_device_providers(host: PluginHost) -> list[type[DeviceProvider]]:
    return [WhoopProvider]
