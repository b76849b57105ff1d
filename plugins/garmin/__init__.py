"""The built-in Garmin provider (Garmin Health API): OAuth 2.0 + PKCE, wellness summaries by pull.

Registered like any third-party plugin (``fithub.plugins.manager.BUILTIN_PLUGINS``). Settings:
``FITHUB_GARMIN_CLIENT_ID`` and ``FITHUB_GARMIN_CLIENT_SECRET`` (Garmin's consumer key and
secret); ``FITHUB_GARMIN_BASE_URL`` sends every call (API, token, consent page) elsewhere, and
``FITHUB_GARMIN_AUTH_BASE_URL`` the consent page only; ``FITHUB_GARMIN_OPTIONS`` holds the
webhook's ``callback_token`` (required for pushes). See docs/providers/garmin.md.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fithub.plugins import types
from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderMalformedResponse
from fithub.plugins.garmin import const, mapping
from fithub.plugins.garmin.client import GarminClient, epoch
from fithub.plugins.provider import OAuth2Provider, device_providers, normalisers_in
from fithub.plugins.types import DataType
from fithub.plugins.webhooks import check_callback_token, same_secret

log = logging.getLogger("fithub.plugins.garmin")


def _moment(value: Any) -> datetime | None:
    """Epoch seconds (a number or digits) as a UTC datetime; None when absent or unreadable."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bool) or value is None:
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _ping_window(item: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The upload window of a ping: the item's own fields, else its callbackURL's query."""
    start, end = (
        _moment(item.get("uploadStartTimeInSeconds")),
        _moment(item.get("uploadEndTimeInSeconds")),
    )
    if start is None or end is None:
        query = parse_qs(urlsplit(str(item.get("callbackURL", ""))).query)
        start = _moment(query.get("uploadStartTimeInSeconds"))
        end = _moment(query.get("uploadEndTimeInSeconds"))
    if start is None or end is None or end <= start:
        return None, None
    return start, end


def _user_of(entry: Any) -> str | None:
    user = entry.get("userId") if isinstance(entry, Mapping) else None
    if isinstance(user, bool) or not isinstance(user, str | int) or user == "":
        return None
    return str(user)


class GarminProvider(OAuth2Provider[GarminClient]):
    """Garmin watches and scales: see plugins/garmin/const.py for what each data type reads."""

    spec = const.SPEC
    normalisers = normalisers_in(mapping)
    malformed_errors = (ValueError, TypeError, KeyError, OverflowError, OSError)
    item_keys = ("summaryId", "calendarDate")

    def check_callback(self, callback: types.AuthorizationCallback) -> None:
        if callback.params.get("error"):
            raise ProviderAuthFailed(f"Garmin consent was not given ({callback.params['error']})")
        if not callback.code or not callback.code_verifier:
            raise ProviderError("Garmin sent the user back without a code (or fithub lost PKCE)")

    async def connected(self, tokens: types.TokenSet) -> types.TokenSet:
        """With the Garmin user id and the permissions the user granted (fithub's scopes)."""
        user = await self.client.user_id(tokens)
        granted = await self.client.permissions(tokens)
        return replace(tokens, scopes=granted, external_user_id=user)

    async def revoke(self, tokens: types.TokenSet) -> None:
        """Deregister the user at Garmin; an expired token is refreshed once, a dead grant is fine."""
        try:
            await self.client.deregister(tokens)
            return
        except ProviderAuthFailed:
            if not tokens.refresh_token:
                return  # nothing left to withdraw with
        try:
            fresh = await self.client.refresh(tokens)
            await self.client.deregister(fresh)
        except ProviderAuthFailed:
            return  # the grant is already gone: what revoking wanted

    async def fetch_page(self, tokens: types.TokenSet, query: types.FetchQuery) -> types.Page:
        """The summaries uploaded in the window; longer windows come a day per page."""
        summary = const.SUMMARIES.get(query.data_type)
        if summary is None:
            raise self.unsupported(query.data_type)
        # Whole epoch seconds on both ends, so that consecutive windows tile exactly.
        start, final = epoch(query.start), epoch(query.end)
        if query.page_token:
            try:
                start = int(query.page_token)
            except ValueError as exc:
                raise ProviderError("Garmin: the page token is not a time") from exc
        end = min(final, start + int(self.max_window.total_seconds()))
        if end <= start:
            return types.Page(items=[])
        items = await self.client.summaries(
            tokens, summary, datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
        )
        return types.Page(items=items, next_token=str(end) if end < final else None)

    async def request_backfill(
        self, tokens: types.TokenSet, data_type: DataType, start: datetime, end: datetime
    ) -> bool:
        """Ask Garmin to re-deliver ``data_type`` for [start, end) by webhook (not used by sync)."""
        summary = const.SUMMARIES.get(data_type)
        if summary is None:
            raise self.unsupported(data_type)
        return await self.client.request_backfill(tokens, summary, start, end)

    def _verify(self, request: types.PushRequest) -> None:
        """The secret ``?token=`` of the registered callback URL, and this app's client id."""
        check_callback_token(request, self.context.credentials.options, "Garmin")
        sender = request.headers.get(const.CLIENT_ID_HEADER, "")
        expected = self.context.credentials.client_id
        if not sender or not same_secret(sender, expected):
            raise ProviderError("Garmin webhook: the garmin-client-id header is not this app's")

    async def handle_push(self, request: types.PushRequest) -> types.PushResult:
        """Garmin's ping or push POSTs: unsigned, so the callback URL carries a secret token.

        ``pushes_signed`` stays False: a deregistration is confirmed with Garmin (a refresh must
        be refused) before fithub drops anything.
        """
        if request.method != "POST":
            raise ProviderError(f"Garmin webhooks are POSTs, not {request.method}")
        self._verify(request)
        try:
            body = json.loads(request.body)
        except ValueError as exc:
            raise ProviderMalformedResponse(f"Garmin webhook body is not JSON: {exc}") from exc
        if not isinstance(body, Mapping):
            raise ProviderMalformedResponse("Garmin webhook body is not a JSON object")
        return types.PushResult(status=200, events=tuple(self._events(body)))

    def _events(self, body: Mapping[str, Any]) -> list[types.PushEvent]:
        events: list[types.PushEvent] = []
        pings: dict[tuple[str, DataType, datetime | None, datetime | None], None] = {}
        pushed: dict[tuple[str, DataType], list[Mapping[str, Any]]] = {}
        for key, entries in body.items():
            if not isinstance(entries, list):
                raise ProviderMalformedResponse(f"Garmin webhook: {key} is not a list")
            for entry in entries:
                user = _user_of(entry)
                if user is None:
                    log.warning("Garmin webhook: a %s entry without a userId was skipped", key)
                    continue
                if key == const.DEREGISTRATIONS:
                    events.append(types.PushEvent(user, None, "deauthorize"))
                elif key == const.PERMISSIONS_CHANGE:
                    permissions = entry.get("permissions")
                    if isinstance(permissions, list) and not permissions:
                        events.append(types.PushEvent(user, None, "deauthorize"))
                    else:  # a partial change: syncs of a withdrawn type then fail on their own
                        log.info("Garmin user %s now grants %s", user, permissions)
                elif key in const.PUSH_DATA_TYPES:
                    for data_type in const.PUSH_DATA_TYPES[key]:
                        if "callbackURL" in entry:
                            pings[(user, data_type, *_ping_window(entry))] = None
                        else:
                            pushed.setdefault((user, data_type), []).append(entry)
                else:
                    log.debug("Garmin webhook: %s is not synced by fithub; ignored", key)
        for user, data_type, start, end in pings:
            events.append(types.PushEvent(user, data_type, "upsert", start=start, end=end))
        for (user, data_type), items in pushed.items():
            events.append(types.PushEvent(user, data_type, "upsert", items=tuple(items)))
        return events


register_device_providers = device_providers(GarminProvider)
