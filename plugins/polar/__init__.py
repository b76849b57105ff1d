"""The built-in Polar provider (AccessLink v3): exercises, daily activity, sleep, Nightly Recharge, heart rate.

Registered like any third-party plugin (``fithub.plugins.manager.BUILTIN_PLUGINS``). Settings:
``FITHUB_POLAR_CLIENT_ID``, ``FITHUB_POLAR_CLIENT_SECRET``; ``FITHUB_POLAR_BASE_URL`` points the
API (and, unless ``FITHUB_POLAR_AUTH_BASE_URL`` is set, the sign-in hosts) elsewhere;
``FITHUB_POLAR_OPTIONS`` = ``{"webhook_secret": "<signature_secret_key>"}`` verifies webhooks.
See docs/providers/polar.md.

Polar's quirks, in short: tokens last for years and there is **no refresh token** (``refresh``
always raises ``ProviderAuthFailed``: the user connects again); a connected user must be
**registered** with the partner before any data is served, and de-registering is how a grant is
withdrawn; nothing is paged, so date-keyed data is walked one date per page.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import ClassVar

from fithub.plugins import types
from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderMalformedResponse
from fithub.plugins.polar import const, mapping
from fithub.plugins.polar.client import PolarClient
from fithub.plugins.provider import OAuth2Provider, day_token, device_providers, normalisers_in
from fithub.plugins.types import DataType

ACTIVITY_SPAN_DAYS = 28  # dates one daily-activity request may cover (from and to included)


def window_dates(query: types.FetchQuery) -> tuple[date, date]:
    """The UTC dates the window [start, end) touches (the last before the first when it is empty)."""
    first = query.start.astimezone(UTC).date()
    last = (query.end.astimezone(UTC) - timedelta(microseconds=1)).date()
    return first, last


def _day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, UTC)
    return start, start + timedelta(days=1)


class PolarProvider(OAuth2Provider[PolarClient]):
    """Polar watches and sensors through AccessLink: see plugins/polar/const.py for the endpoints."""

    spec = const.SPEC
    normalisers = normalisers_in(mapping)
    malformed_errors = (ValueError, TypeError, KeyError, AttributeError)
    item_keys = ("id", "date", "start_time")
    refreshes: ClassVar[bool] = False  # Polar issues no refresh tokens
    # Data types Polar answers whole, with no paging (the rest: one date per page).
    single_page_types: ClassVar[tuple[DataType, ...]] = (DataType.ACTIVITIES, DataType.DAILY)

    # -- connecting -------------------------------------------------------------------------------

    async def connected(self, tokens: types.TokenSet) -> types.TokenSet:
        """Register the user with fithub's Polar client (409, already registered: fine)."""
        await self.client.register(tokens)
        return tokens

    async def refresh(self, tokens: types.TokenSet) -> types.TokenSet:
        raise ProviderAuthFailed(
            "Polar issues no refresh tokens: the user must connect Polar again"
        )

    # -- reading ----------------------------------------------------------------------------------

    async def fetch_page(self, tokens: types.TokenSet, query: types.FetchQuery) -> types.Page:
        kind = query.data_type
        if kind is DataType.ACTIVITIES:
            return await self._exercises(tokens, query)
        if kind is DataType.DAILY:
            return await self._activities(tokens, query)
        if kind in const.DATE_PATHS:
            return await self._one_date(tokens, query, const.DATE_PATHS[kind])
        raise self.unsupported(kind)

    async def _exercises(self, tokens: types.TokenSet, query: types.FetchQuery) -> types.Page:
        """Exercises *uploaded* in the window, so a late upload of an old session is not missed."""
        kept = []
        for item in await self.client.exercises(tokens):
            try:
                uploaded = mapping.uploaded_at(item)
            except (ValueError, TypeError):
                kept.append(item)  # normalise reports it as unreadable
                continue
            if query.start <= uploaded < query.end:
                kept.append(item)
        return types.Page(items=kept)

    async def _activities(self, tokens: types.TokenSet, query: types.FetchQuery) -> types.Page:
        """Daily summaries, at most 28 dates a request (a longer window pages by 28 dates)."""
        first, last = window_dates(query)
        if query.page_token:
            first = day_token(query.page_token, first, last, self.display_name)
        oldest = datetime.now(UTC).date() - const.ACTIVITY_HISTORY + timedelta(days=1)
        first = max(first, oldest)  # Polar refuses older dates with a 400
        if first > last:
            return types.Page(items=[])
        until = min(last, first + timedelta(days=ACTIVITY_SPAN_DAYS - 1))
        items = await self.client.activities(tokens, first, until)
        following = (until + timedelta(days=1)).isoformat() if until < last else None
        return types.Page(items=items, next_token=following)

    async def _one_date(
        self, tokens: types.TokenSet, query: types.FetchQuery, path: str
    ) -> types.Page:
        first, last = window_dates(query)
        if first > last:
            return types.Page(items=[])
        day = day_token(query.page_token, first, last, self.display_name)
        document = await self.client.on_date(tokens, path, day)
        following = (day + timedelta(days=1)).isoformat() if day < last else None
        return types.Page(items=[document] if document is not None else [], next_token=following)

    # -- webhooks ---------------------------------------------------------------------------------

    async def handle_push(self, request: types.PushRequest) -> types.PushResult:
        """Polar webhooks: the PING sent when the webhook is created, and signed notifications.

        Polar needs 200 for every delivery. The PING is answered without checking its signature:
        Polar sends it while the webhook is being created, before its signing key is known, and it
        names no user. Every other call must carry ``Polar-Webhook-Signature``, the hex
        HMAC-SHA256 of the raw body keyed with the webhook's ``signature_secret_key``.
        """
        if request.method.upper() != "POST":
            raise ProviderError("Polar webhooks are POSTs")
        try:
            body = json.loads(request.body)
        except ValueError as exc:
            raise ProviderMalformedResponse("Polar webhook body is not JSON") from exc
        if not isinstance(body, Mapping) or not isinstance(body.get("event"), str):
            raise ProviderMalformedResponse("Polar webhook body has no event")
        if body["event"] == const.PING:
            return types.PushResult(status=200)
        self._verify(request)
        data_types = const.PUSH_DATA_TYPES.get(body["event"], ())
        if not data_types:  # PHYSICAL_INFORMATION, SleepWise...: nothing fithub reads
            return types.PushResult(status=200)
        user_id = body.get("user_id")
        if isinstance(user_id, bool) or not isinstance(user_id, int | str) or user_id == "":
            raise ProviderMalformedResponse(f"Polar webhook {body['event']} names no user")
        start = end = None
        if body.get("date") is not None:
            try:
                start, end = _day_window(date.fromisoformat(str(body["date"])))
            except ValueError as exc:
                raise ProviderMalformedResponse("Polar webhook date is not a date") from exc
        entity = body.get("entity_id")
        events = tuple(
            types.PushEvent(
                external_user_id=str(user_id),
                data_type=data_type,
                object_id=str(entity) if entity else None,
                start=start,
                end=end,
            )
            for data_type in data_types
        )
        return types.PushResult(status=200, events=events)

    def _verify(self, request: types.PushRequest) -> None:
        secret = self.context.credentials.options.get(const.WEBHOOK_SECRET_OPTION, "")
        if not secret:
            raise ProviderError("Polar webhook cannot be verified: no webhook_secret is set")
        signature = request.headers.get(const.SIGNATURE_HEADER, "").strip()
        digest = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not signature or not hmac.compare_digest(digest.encode(), signature.lower().encode()):
            raise ProviderError("Polar webhook signature does not match")


register_device_providers = device_providers(PolarProvider)
