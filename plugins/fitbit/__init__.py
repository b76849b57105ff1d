"""The built-in Fitbit provider (Fitbit Web API): OAuth 2.0 with PKCE, activity, heart rate, sleep, body.

Registered like any third-party plugin (``fithub.plugins.manager.BUILTIN_PLUGINS``). Settings:
``FITHUB_FITBIT_CLIENT_ID``, ``FITHUB_FITBIT_CLIENT_SECRET``; ``FITHUB_FITBIT_BASE_URL`` points the
API (and, unless ``FITHUB_FITBIT_AUTH_BASE_URL`` is set, the consent page) elsewhere, e.g. a fake
Fitbit in tests; ``FITHUB_FITBIT_OPTIONS`` holds the webhook settings (docs/providers/fitbit.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from fithub.plugins import types
from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderMalformedResponse
from fithub.plugins.fitbit import const, mapping
from fithub.plugins.fitbit.client import FitbitClient
from fithub.plugins.provider import OAuth2Provider, device_providers, normalisers_in
from fithub.plugins.types import DataType


def push_window(day: date, now: datetime) -> tuple[datetime, datetime]:
    """Every instant that is ``day`` somewhere on Earth (fithub does not know the person's zone
    here), ending no later than ``now``: repeated notifications of today differ by their end."""
    start = datetime.combine(day, time.min, UTC) - const.EARLIEST_OFFSET
    end = datetime.combine(day + timedelta(days=1), time.min, UTC) + const.LATEST_OFFSET
    end = min(end, now.astimezone(UTC).replace(microsecond=0))
    return start, max(end, start + timedelta(seconds=1))


class FitbitProvider(OAuth2Provider[FitbitClient]):
    """Fitbit: see plugins/fitbit/client.py for how each data type is read and paged."""

    spec = const.SPEC
    refused_error = ProviderAuthFailed
    normalisers = normalisers_in(mapping)
    malformed_errors = (ValueError, TypeError, KeyError, OverflowError)
    item_keys = ("logId", const.DATE_KEY)

    async def connected(self, tokens: types.TokenSet) -> types.TokenSet:
        """With the person's time zone, then (with the option) subscribed to notifications."""
        tokens = await self._with_zone(tokens)
        await self._subscribe(tokens)
        return tokens

    async def refresh(self, tokens: types.TokenSet) -> types.TokenSet:
        # The old refresh token is spent now: nothing after this may lose the new one.
        return await self._with_zone(await self.client.refresh(tokens))

    async def _with_zone(self, tokens: types.TokenSet) -> types.TokenSet:
        """Keep the person's time zone (Fitbit's local times need it); best effort."""
        if "profile" not in tokens.scopes:
            return tokens
        try:
            user = await self.client.profile(tokens)
        except ProviderError as exc:
            self.context.logger.warning("Fitbit profile not read, time zone kept: %s", exc)
            return tokens
        extra = dict(tokens.extra)
        if isinstance(user.get("timezone"), str) and user["timezone"]:
            extra[const.EXTRA_TIMEZONE] = user["timezone"]
        offset = user.get("offsetFromUTCMillis")
        if isinstance(offset, int) and not isinstance(offset, bool):
            extra[const.EXTRA_OFFSET] = str(offset)
        return replace(tokens, extra=extra)

    async def _subscribe(self, tokens: types.TokenSet) -> None:
        """With the ``subscribe`` option: ask Fitbit to notify fithub's webhook; best effort."""
        options = self.context.credentials.options
        if str(options.get(const.SUBSCRIBE_OPTION, "")).lower() not in ("1", "true", "yes"):
            return
        subscription = f"fithub-{tokens.external_user_id}"
        for collection in const.SUBSCRIBED_COLLECTIONS:
            try:
                await self.client.subscribe(tokens, collection, subscription,
                                            options.get(const.SUBSCRIBER_ID_OPTION))  # fmt: skip
            except ProviderError as exc:  # polling still works without notifications
                self.context.logger.warning("Fitbit %s subscription failed: %s", collection, exc)

    async def fetch_page(self, tokens: types.TokenSet, query: types.FetchQuery) -> types.Page:
        start, end, token = query.start, query.end, query.page_token
        if query.data_type is DataType.DAILY:
            return await self.client.daily_page(tokens, start, end, token)
        if query.data_type is DataType.ACTIVITIES:
            return await self.client.log_list_page(tokens, const.ACTIVITY_LIST_PATH, "activities",
                                                   start, end, token)  # fmt: skip
        if query.data_type is DataType.HEART_RATE:
            return await self.client.heart_rate_page(tokens, start, end, token)
        if query.data_type is DataType.SLEEP:
            return await self.client.log_list_page(tokens, const.SLEEP_LIST_PATH, "sleep",
                                                   start, end, token)  # fmt: skip
        if query.data_type is DataType.BODY:
            return await self.client.weight_page(tokens, start, end, token)
        raise self.unsupported(query.data_type)

    async def handle_push(self, request: types.PushRequest) -> types.PushResult:
        """Fitbit's subscriber verification (GET ?verify=) and signed notifications (POST).

        The verification answers 204 for the configured code and 404 for any other, as Fitbit
        requires (it sends a wrong code on purpose); a notification whose signature does not match
        raises ProviderError.
        """
        if request.method in ("GET", "HEAD"):
            expected = str(self.context.credentials.options.get(const.VERIFY_CODE_OPTION, ""))
            if not expected:
                raise ProviderError("Fitbit subscriber verification: no verify_code is configured")
            if "verify" not in request.query:
                raise ProviderError("Fitbit subscriber verification: no verify code was sent")
            matches = hmac.compare_digest(request.query["verify"].encode(), expected.encode())
            return types.PushResult(status=204 if matches else 404)
        if request.method != "POST":
            raise ProviderError(f"Fitbit webhooks do not use {request.method}")
        key = f"{self.context.credentials.client_secret}&".encode()
        digest = hmac.new(key, request.body, hashlib.sha1).digest()
        signature = request.headers.get(const.SIGNATURE_HEADER, "").strip()
        if not signature or not hmac.compare_digest(base64.b64encode(digest),
                                                    signature.encode()):  # fmt: skip
            raise ProviderError("Fitbit notification signature does not match")
        return types.PushResult(status=204, events=tuple(self._events(request.body)))

    def _events(self, raw: bytes) -> list[types.PushEvent]:
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise ProviderMalformedResponse("Fitbit notification body is not JSON") from exc
        if not isinstance(body, list):
            raise ProviderMalformedResponse("Fitbit notification body is not a JSON array")
        now = datetime.now(UTC)
        events: list[types.PushEvent] = []
        for entry in body:
            if not isinstance(entry, Mapping):
                raise ProviderMalformedResponse("a Fitbit notification is not an object")
            owner, collection = entry.get("ownerId"), entry.get("collectionType")
            if not isinstance(owner, str) or not owner or not isinstance(collection, str):
                raise ProviderMalformedResponse("a Fitbit notification lacks ownerId or type")
            if collection in const.DEAUTHORIZE_COLLECTIONS:
                events.append(types.PushEvent(owner, None, action="deauthorize"))
                continue
            data_types = const.PUSH_DATA_TYPES.get(collection)
            if data_types is None:
                continue  # foods, or a collection fithub does not read
            try:
                day = date.fromisoformat(str(entry.get("date")))
            except ValueError as exc:
                raise ProviderMalformedResponse("a Fitbit notification has no valid date") from exc
            start, end = push_window(day, now)
            events.extend(types.PushEvent(owner, t, start=start, end=end) for t in data_types)
        return events


register_device_providers = device_providers(FitbitProvider)
