"""The built-in Google Health provider (Google Health API v4, the Fitbit Web API's successor).

Registered like any third-party plugin (``fithub.plugins.manager.BUILTIN_PLUGINS``). Settings:
``FITHUB_GOOGLE_CLIENT_ID``, ``FITHUB_GOOGLE_CLIENT_SECRET``; ``FITHUB_GOOGLE_BASE_URL`` replaces
the API and token hosts (and the consent host unless ``FITHUB_GOOGLE_AUTH_BASE_URL`` is set);
``FITHUB_GOOGLE_OPTIONS`` ``{"webhook_secret": "Bearer ..."}`` checks webhook calls.
See docs/providers/google.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.google import const, mapping, webhook
from fithub.plugins.google.client import GoogleHealthClient
from fithub.plugins.google.const import Collection
from fithub.plugins.provider import OAuth2Provider, device_providers, normalisers_in
from fithub.plugins.types import DataType, FetchQuery, Page, PushRequest, PushResult, TokenSet

# Local time is UTC-12:00 to UTC+14:00: the local days or times a physical window can touch.
BEHIND, AHEAD = timedelta(hours=12), timedelta(hours=14)
DAILY_TOKEN = "d:"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _civil(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()


def list_filter(collection: Collection, start: datetime, end: datetime) -> str:
    """The AIP-160 ``filter`` for [start, end) on one collection (see const.FilterKind)."""
    name = collection.filter_name
    if collection.filter == "civil_start":  # exercise: local start times that could be in it
        field, low, high = (
            f"{name}.interval.civil_start_time",
            _civil(start - BEHIND),
            _civil(end + AHEAD),
        )
    else:
        field = {
            "interval": f"{name}.interval.start_time",
            "sample": f"{name}.sample_time.physical_time",
            "end": f"{name}.interval.end_time",
        }[collection.filter]
        low, high = _rfc3339(start), _rfc3339(end)
    return f'{field} >= "{low}" AND {field} < "{high}"'


def daily_range(start: datetime, end: datetime) -> tuple[date, date]:
    """The local days [first, end) that [start, end) can touch in any time zone."""
    first = (start.astimezone(UTC) - BEHIND).date()
    last = (end.astimezone(UTC) + AHEAD).date()
    return first, last + timedelta(days=1)


class GoogleHealthProvider(OAuth2Provider[GoogleHealthClient]):
    """Google Health (Fitbit and Pixel Watch data): see plugins/google/const.py for each type."""

    spec = const.SPEC
    normalisers = normalisers_in(mapping)
    item_keys = ("name",)

    async def external_user_id(self, tokens: TokenSet) -> str | None:
        """The ``healthUserId`` (webhooks name users by it)."""
        return await self.client.identity(tokens)

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        if query.data_type == DataType.DAILY:
            return await self._daily_page(tokens, query)
        collections = const.LISTS.get(query.data_type)
        if collections is None:
            raise self.unsupported(query.data_type)
        index, google_token = 0, None
        if query.page_token:  # "{collection index}:{Google's token}"
            head, _, rest = query.page_token.partition(":")
            if not head.isdigit() or int(head) >= len(collections):
                raise ProviderError(f"Google Health {query.data_type}: unreadable page token")
            index, google_token = int(head), rest or None
        collection = collections[index]
        items, following = await self.client.list_page(
            tokens, collection.name, list_filter(collection, query.start, query.end),
            collection.page_size, google_token,
        )  # fmt: skip
        if following:
            next_token: str | None = f"{index}:{following}"
        elif index + 1 < len(collections):
            next_token = f"{index + 1}:"
        else:
            next_token = None
        return Page(items=items, next_token=next_token)

    async def _daily_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        """One dailyRollUp per metric over at most 14 local days, merged into one item a day."""
        first, end = daily_range(query.start, query.end)
        if query.page_token:
            try:
                first = date.fromisoformat(query.page_token.removeprefix(DAILY_TOKEN))
            except ValueError as exc:
                raise ProviderError("Google Health daily: unreadable page token") from exc
        chunk_end = min(end, first + timedelta(days=const.ROLLUP_MAX_DAYS))
        points: list[Mapping[str, Any]] = []
        for collection, _ in const.DAILY_ROLLUPS:
            points.extend(await self.client.daily_rollup(tokens, collection, first, chunk_end))
        try:
            items = mapping.merge_rollups(points)
        except ValueError as exc:
            raise ProviderMalformedResponse(f"Google Health daily rollup: {exc}") from exc
        following = f"{DAILY_TOKEN}{chunk_end.isoformat()}" if chunk_end < end else None
        return Page(items=items, next_token=following)

    async def handle_push(self, request: PushRequest) -> PushResult:
        """Google Health webhooks: see :mod:`fithub.plugins.google.webhook`."""
        secret = self.context.credentials.options.get(const.WEBHOOK_SECRET_OPTION, "")
        return webhook.handle(request, secret)


register_device_providers = device_providers(GoogleHealthProvider)
