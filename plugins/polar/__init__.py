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
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

from fithub.plugins import hookimpl
from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderMalformedResponse
from fithub.plugins.polar import const, mapping
from fithub.plugins.polar.client import PolarClient
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
    DataType.ACTIVITIES: mapping.exercise,
    DataType.DAILY: mapping.daily_activity,
    DataType.SLEEP: mapping.sleep,
    DataType.HRV: mapping.nightly_recharge,
    DataType.HEART_RATE: mapping.continuous_heart_rate,
}
ACTIVITY_SPAN_DAYS = 28  # dates one daily-activity request may cover (from and to included)


def window_dates(query: FetchQuery) -> tuple[date, date]:
    """The UTC dates the window [start, end) touches (the last before the first when it is empty)."""
    first = query.start.astimezone(UTC).date()
    last = (query.end.astimezone(UTC) - timedelta(microseconds=1)).date()
    return first, last


def _day_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, UTC)
    return start, start + timedelta(days=1)


class PolarProvider:
    """Polar watches and sensors through AccessLink: see plugins/polar/const.py for the endpoints."""

    name: ClassVar[str] = const.NAME
    display_name: ClassVar[str] = const.DISPLAY_NAME
    auth_kind: ClassVar[AuthKind] = "oauth2"
    scopes: ClassVar[tuple[str, ...]] = const.SCOPES
    data_types: ClassVar[tuple[DataType, ...]] = const.DATA_TYPES
    required_scopes: ClassVar[Mapping[DataType, tuple[str, ...]]] = const.REQUIRED_SCOPES
    rate_limits: ClassVar[tuple[RateLimit, ...]] = const.RATE_LIMITS
    max_window: ClassVar[timedelta] = const.MAX_WINDOW
    pushes_signed: ClassVar[bool] = True  # HMAC-SHA256 over the body: deletes are acted on
    refreshes: ClassVar[bool] = False  # Polar issues no refresh tokens
    # Data types Polar answers whole, with no paging (the rest: one date per page).
    single_page_types: ClassVar[tuple[DataType, ...]] = (DataType.ACTIVITIES, DataType.DAILY)

    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.client = PolarClient(context)

    # -- connecting -------------------------------------------------------------------------------

    async def authorization_url(self, request: AuthorizationRequest) -> AuthorizationStart:
        url = self.client.authorize_url(request.state, request.redirect_uri, request.scopes)
        return AuthorizationStart(url=url)

    async def exchange_code(self, callback: AuthorizationCallback) -> TokenSet:
        """Trade the code for a token, then register the user with fithub's Polar client."""
        if not callback.code:
            raise ProviderError("Polar sent the user back without a code")
        tokens = await self.client.exchange(callback.code, callback.redirect_uri, self.scopes)
        await self.client.register(tokens)  # 409, already registered: fine
        return tokens

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        raise ProviderAuthFailed(
            "Polar issues no refresh tokens: the user must connect Polar again"
        )

    async def revoke(self, tokens: TokenSet) -> None:
        """De-register the user at Polar, which revokes the access token too."""
        await self.client.deregister(tokens)

    # -- reading ----------------------------------------------------------------------------------

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        kind = query.data_type
        if kind is DataType.ACTIVITIES:
            return await self._exercises(tokens, query)
        if kind is DataType.DAILY:
            return await self._activities(tokens, query)
        if kind in const.DATE_PATHS:
            return await self._one_date(tokens, query, const.DATE_PATHS[kind])
        raise ProviderError(f"Polar does not offer {kind}")

    async def _exercises(self, tokens: TokenSet, query: FetchQuery) -> Page:
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
        return Page(items=kept)

    async def _activities(self, tokens: TokenSet, query: FetchQuery) -> Page:
        """Daily summaries, at most 28 dates a request (a longer window pages by 28 dates)."""
        first, last = window_dates(query)
        if query.page_token:
            first = self._token_date(query.page_token, first, last)
        oldest = datetime.now(UTC).date() - const.ACTIVITY_HISTORY + timedelta(days=1)
        first = max(first, oldest)  # Polar refuses older dates with a 400
        if first > last:
            return Page(items=[])
        until = min(last, first + timedelta(days=ACTIVITY_SPAN_DAYS - 1))
        items = await self.client.activities(tokens, first, until)
        following = (until + timedelta(days=1)).isoformat() if until < last else None
        return Page(items=items, next_token=following)

    async def _one_date(self, tokens: TokenSet, query: FetchQuery, path: str) -> Page:
        first, last = window_dates(query)
        if first > last:
            return Page(items=[])
        day = self._token_date(query.page_token, first, last) if query.page_token else first
        document = await self.client.on_date(tokens, path, day)
        following = (day + timedelta(days=1)).isoformat() if day < last else None
        return Page(items=[document] if document is not None else [], next_token=following)

    @staticmethod
    def _token_date(token: str, first: date, last: date) -> date:
        try:
            day = date.fromisoformat(token)
        except ValueError as exc:
            raise ProviderError("Polar: the page token is not a date") from exc
        if not first <= day <= last:
            raise ProviderError("Polar: the page token is outside the window")
        return day

    def normalise(self, data_type: DataType, item: Mapping[str, Any]) -> list[Record]:
        normaliser = NORMALISERS.get(data_type)
        if normaliser is None:
            raise ProviderError(f"Polar does not offer {data_type}")
        try:
            return normaliser(item)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            ident = item.get("id") or item.get("date") or item.get("start_time") or "?"
            raise ProviderMalformedResponse(f"Polar {data_type} item {ident}: {exc}") from exc

    # -- webhooks ---------------------------------------------------------------------------------

    async def handle_push(self, request: PushRequest) -> PushResult:
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
            return PushResult(status=200)
        self._verify(request)
        data_types = const.PUSH_DATA_TYPES.get(body["event"], ())
        if not data_types:  # PHYSICAL_INFORMATION, SleepWise...: nothing fithub reads
            return PushResult(status=200)
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
            PushEvent(
                external_user_id=str(user_id),
                data_type=data_type,
                object_id=str(entity) if entity else None,
                start=start,
                end=end,
            )
            for data_type in data_types
        )
        return PushResult(status=200, events=events)

    def _verify(self, request: PushRequest) -> None:
        secret = self.context.credentials.options.get(const.WEBHOOK_SECRET_OPTION, "")
        if not secret:
            raise ProviderError("Polar webhook cannot be verified: no webhook_secret is set")
        signature = request.headers.get(const.SIGNATURE_HEADER, "").strip()
        digest = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not signature or not hmac.compare_digest(digest.encode(), signature.lower().encode()):
            raise ProviderError("Polar webhook signature does not match")


@hookimpl
def register_device_providers(host: PluginHost) -> list[type[DeviceProvider]]:
    return [PolarProvider]
