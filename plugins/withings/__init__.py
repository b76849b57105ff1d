"""The built-in Withings provider: OAuth 2.0, body measures, daily activity, workouts, sleep, heart rate.

Registered like any third-party plugin (``fithub.plugins.manager.BUILTIN_PLUGINS``). Settings:
``FITHUB_WITHINGS_CLIENT_ID``, ``FITHUB_WITHINGS_CLIENT_SECRET``; ``FITHUB_WITHINGS_BASE_URL``
points the API (and, unless ``FITHUB_WITHINGS_AUTH_BASE_URL`` is set, the consent page) elsewhere;
``FITHUB_WITHINGS_OPTIONS`` holds ``callback_url`` and ``callback_token`` for notifications.
See docs/providers/withings.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

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
    PushRequest,
    PushResult,
    RateLimit,
    TokenSet,
)
from fithub.plugins.webhooks import CALLBACK_TOKEN_OPTION, check_callback_token
from fithub.plugins.withings import const, mapping
from fithub.plugins.withings.client import WithingsClient, callback_url

NORMALISERS: dict[DataType, Callable[[Mapping[str, Any]], list[Record]]] = {
    DataType.BODY: mapping.measure_group,
    DataType.DAILY: mapping.activity,
    DataType.ACTIVITIES: mapping.workout,
    DataType.SLEEP: mapping.sleep_summary,
    DataType.HEART_RATE: mapping.intraday_heart_rate,
}


def _page_token(token: str | None, start: datetime) -> tuple[datetime, int]:
    """(chunk start, offset) from a page token ``"<epoch>:<offset>"``; none: the window's start."""
    if token is None:
        return start, 0
    try:
        moment, offset = token.split(":")
        return datetime.fromtimestamp(float(moment), UTC), int(offset)
    except ValueError as exc:
        raise ProviderError("Withings: the page token is not one this provider made") from exc


class WithingsProvider:
    """Withings scales, blood pressure monitors, watches and sleep mats (see const.py)."""

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
        self.client = WithingsClient(context)

    async def authorization_url(self, request: AuthorizationRequest) -> AuthorizationStart:
        url = self.client.authorize_url(request.state, request.redirect_uri, request.scopes)
        return AuthorizationStart(url=url)

    async def exchange_code(self, callback: AuthorizationCallback) -> TokenSet:
        """Tokens for the code (the answer names the Withings userid); then subscribe to pushes."""
        if not callback.code:
            raise ProviderError("Withings sent the user back without a code")
        tokens = await self.client.exchange(callback.code, callback.redirect_uri, self.scopes)
        await self._subscribe(tokens)
        return tokens

    async def _subscribe(self, tokens: TokenSet) -> None:
        """Ask for notifications of each category, when fithub's webhook URL is configured.

        Best effort: without them fithub still syncs on its schedule, so a refusal is logged (it
        carries no token) and connecting goes on.
        """
        options = self.context.credentials.options
        base, secret = (
            options.get(const.CALLBACK_URL_OPTION),
            options.get(CALLBACK_TOKEN_OPTION),
        )
        if not base or not secret:
            return
        url = callback_url(base, secret)
        for appli in const.SUBSCRIBED_APPLIS:
            try:
                await self.client.subscribe(tokens, url, appli)
            except ProviderError as exc:
                self.context.logger.warning("Withings notify subscribe appli=%s failed: %s",
                                            appli, exc)  # fmt: skip

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        return await self.client.refresh(tokens)

    async def revoke(self, tokens: TokenSet) -> None:
        """``oauth2 action=revoke`` (signed): the tokens die and notifications are unsubscribed."""
        if not tokens.external_user_id:
            raise ProviderError("Withings: cannot revoke a grant without its userid")
        await self.client.revoke(tokens.external_user_id)

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        """One page: windows are cut into chunks the vendor accepts (24 h for intraday data),
        each paged by Withings' ``more``/``offset``; the page token carries chunk and offset.
        """
        if query.data_type not in NORMALISERS:
            raise ProviderError(f"Withings does not offer {query.data_type}")
        chunk_start, offset = _page_token(query.page_token, query.start)
        span = const.SPANS.get(query.data_type, const.MAX_WINDOW)
        chunk_end = min(chunk_start + span, query.end)
        following: int | None = None
        if query.data_type is DataType.HEART_RATE:
            items = await self.client.intraday(tokens, chunk_start, chunk_end)
        else:
            fetch = {
                DataType.BODY: self.client.measure_groups,
                DataType.DAILY: self.client.activities,
                DataType.ACTIVITIES: self.client.workouts,
                DataType.SLEEP: self.client.sleep_summaries,
            }[query.data_type]
            items, following = await fetch(tokens, chunk_start, chunk_end, offset)
        if following is not None:
            token: str | None = f"{chunk_start.timestamp()!r}:{following}"
        elif chunk_end < query.end:
            token = f"{chunk_end.timestamp()!r}:0"
        else:
            token = None
        return Page(items=items, next_token=token)

    def normalise(self, data_type: DataType, item: Mapping[str, Any]) -> list[Record]:
        normaliser = NORMALISERS.get(data_type)
        if normaliser is None:
            raise ProviderError(f"Withings does not offer {data_type}")
        try:
            return normaliser(item)
        except (ValueError, TypeError, KeyError, OverflowError, OSError) as exc:
            ident = item.get("grpid") or item.get("id") or item.get("date") or item.get("timestamp")
            raise ProviderMalformedResponse(f"Withings {data_type} item {ident}: {exc}") from exc

    async def handle_push(self, request: PushRequest) -> PushResult:
        """Withings notifications: unsigned, so the callback URL carries a secret token.

        HEAD (and GET) are Withings checking the URL: 200. A POST is a form-encoded notification.
        A missing or wrong token, or no ``callback_token`` configured, is refused.
        """
        check_callback_token(request, self.context.credentials.options, "Withings")
        if request.method in ("HEAD", "GET"):
            return PushResult(status=200)
        if request.method != "POST":
            raise ProviderError(f"Withings does not send {request.method} notifications")
        try:
            events = mapping.notification(request.body)
        except ValueError as exc:
            raise ProviderMalformedResponse(f"Withings notification is unreadable: {exc}") from exc
        return PushResult(status=200, events=events)


@hookimpl
def register_device_providers(host: PluginHost) -> list[type[DeviceProvider]]:
    return [WithingsProvider]
