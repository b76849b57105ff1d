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
from datetime import UTC, datetime
from typing import Any, Literal

from fithub.plugins import types
from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.provider import OAuth2Provider, device_providers, normalisers_in
from fithub.plugins.types import DataType
from fithub.plugins.whoop import const, mapping
from fithub.plugins.whoop.client import WhoopClient


def _is_id(value: Any) -> bool:
    """An id as WHOOP sends them: an integer (v1, user ids) or text (v2 UUIDs)."""
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and bool(value)
    )


class WhoopProvider(OAuth2Provider[WhoopClient]):
    """WHOOP strap: see plugins/whoop/const.py for what each data type reads."""

    spec = const.SPEC
    normalisers = normalisers_in(mapping)
    malformed_errors = (ValueError, TypeError, KeyError, AttributeError)
    item_keys = ("id", "sleep_id")

    async def external_user_id(self, tokens: types.TokenSet) -> str | None:
        """The WHOOP user id from the profile, when ``read:profile`` was granted."""
        if "read:profile" not in tokens.scopes:
            return None
        user_id = (await self.client.profile(tokens)).get("user_id")
        if isinstance(user_id, bool) or not isinstance(user_id, int | str) or user_id == "":
            raise ProviderMalformedResponse("WHOOP profile has no user_id")
        return str(user_id)

    async def fetch_page(self, tokens: types.TokenSet, query: types.FetchQuery) -> types.Page:
        if query.data_type is DataType.BODY:
            return await self._body_page(tokens, query)
        path = const.COLLECTIONS.get(query.data_type)
        if path is None:
            raise self.unsupported(query.data_type)
        return await self.client.collection_page(
            tokens, path, query.start, query.end, query.page_token
        )

    async def _body_page(self, tokens: types.TokenSet, query: types.FetchQuery) -> types.Page:
        """The body measurement, once: in the window that reaches now, stamped with its day."""
        if query.end < datetime.now(UTC) - const.BODY_FRESH:
            return types.Page(items=[])  # WHOOP keeps no history of these: nothing for the past
        item = await self.client.body_measurement(tokens)
        day = query.end.astimezone(UTC).date().isoformat()
        return types.Page(items=[{**item, const.BODY_DAY_KEY: day}])

    # -- webhooks ---------------------------------------------------------------------------------

    def _tolerance_s(self) -> float:
        value = self.context.credentials.options.get(const.WEBHOOK_TOLERANCE_OPTION)
        try:
            return float(value) if value is not None else const.WEBHOOK_TOLERANCE_S
        except ValueError:
            return const.WEBHOOK_TOLERANCE_S

    def _verify(self, request: types.PushRequest) -> None:
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

    async def handle_push(self, request: types.PushRequest) -> types.PushResult:
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
            types.PushEvent(
                external_user_id=str(user_id),
                data_type=data_type,
                action=action,
                object_id=str(object_id),
            )
            for data_type in data_types
        )
        return types.PushResult(status=204, events=events)


register_device_providers = device_providers(WhoopProvider)
