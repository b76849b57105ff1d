"""The built-in Withings provider: OAuth 2.0, body measures, daily activity, workouts, sleep, heart rate.

Registered like any third-party plugin (``fithub.plugins.manager.BUILTIN_PLUGINS``). Settings:
``FITHUB_WITHINGS_CLIENT_ID``, ``FITHUB_WITHINGS_CLIENT_SECRET``; ``FITHUB_WITHINGS_BASE_URL``
points the API (and, unless ``FITHUB_WITHINGS_AUTH_BASE_URL`` is set, the consent page) elsewhere;
``FITHUB_WITHINGS_OPTIONS`` holds ``callback_url`` and ``callback_token`` for notifications.
See docs/providers/withings.md.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.provider import OAuth2Provider, device_providers, normalisers_in
from fithub.plugins.types import DataType, FetchQuery, Page, PushRequest, PushResult, TokenSet
from fithub.plugins.webhooks import CALLBACK_TOKEN_OPTION, check_callback_token
from fithub.plugins.withings import const, mapping
from fithub.plugins.withings.client import WithingsClient, callback_url


def _page_token(token: str | None, start: datetime) -> tuple[datetime, int]:
    """(chunk start, offset) from a page token ``"<epoch>:<offset>"``; none: the window's start."""
    if token is None:
        return start, 0
    try:
        moment, offset = token.split(":")
        return datetime.fromtimestamp(float(moment), UTC), int(offset)
    except ValueError as exc:
        raise ProviderError("Withings: the page token is not one this provider made") from exc


class WithingsProvider(OAuth2Provider[WithingsClient]):
    """Withings scales, blood pressure monitors, watches and sleep mats (see const.py)."""

    spec = const.SPEC
    normalisers = normalisers_in(mapping)
    malformed_errors = (ValueError, TypeError, KeyError, OverflowError, OSError)
    item_keys = ("grpid", "id", "date", "timestamp")

    async def connected(self, tokens: TokenSet) -> TokenSet:
        """The token answer names the Withings userid; then subscribe to pushes."""
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

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        """One page: windows are cut into chunks the vendor accepts (24 h for intraday data),
        each paged by Withings' ``more``/``offset``; the page token carries chunk and offset.
        """
        if query.data_type not in self.normalisers:
            raise self.unsupported(query.data_type)
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


register_device_providers = device_providers(WithingsProvider)
