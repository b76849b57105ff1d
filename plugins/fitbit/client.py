"""Fitbit Web API over HTTP: OAuth 2.0 with PKCE and Basic client auth, and one request per page.

Every page is exactly one request, so fithub's rate budget (which counts pages) counts what Fitbit
counts. How each data type pages:

- activities, sleep: Fitbit's log lists (``afterDate``, ``sort=asc``), followed through
  ``pagination.next`` (only its query is kept: the bearer token never goes to another host);
- daily: one daily summary per local day (the page token is the next day);
- heart rate: one day of 1-minute intraday data per page, asked for in UTC (``timezone=UTC``);
- body: the weight log over at most 31 days per page.

Fitbit echoes tokens in some error messages ("Access token expired: <token>"), so only the error
types of an error body ever reach an exception message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from yarl import URL

from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderMalformedResponse
from fithub.plugins.fitbit import const
from fithub.plugins.fitbit.mapping import zone
from fithub.plugins.http import VendorHTTP
from fithub.plugins.oauth import OAuth2Client, bearer
from fithub.plugins.provider import day_token
from fithub.plugins.types import Page, TokenSet

Json = Mapping[str, Any]


def error_types(text: str) -> str:
    """The ``errorType`` values of a Fitbit error body (never its messages, which may hold tokens)."""
    try:
        body = json.loads(text)
    except ValueError:
        return "no error body"
    errors = body.get("errors") if isinstance(body, Mapping) else None
    if isinstance(errors, list):
        found = [str(e.get("errorType")) for e in errors if isinstance(e, Mapping)]
        if found:
            return ", ".join(found)[:200]
    return "no errorType"


class FitbitHTTP(VendorHTTP):
    """VendorHTTP whose error messages carry Fitbit's error types only."""

    def detail(self, text: str) -> str:
        return error_types(text)


def local_days(start: datetime, end: datetime, tz: tzinfo) -> tuple[date, date] | None:
    """The first and last day, in ``tz``, that [start, end) touches (None when it is empty)."""
    if end <= start:
        return None
    return start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date()


def user_zone(tokens: TokenSet) -> tzinfo:
    return zone(tokens.extra.get(const.EXTRA_TIMEZONE), tokens.extra.get(const.EXTRA_OFFSET))


def _zone_keys(tokens: TokenSet) -> dict[str, str]:
    keys = {}
    if tokens.extra.get(const.EXTRA_TIMEZONE):
        keys[const.TZ_KEY] = tokens.extra[const.EXTRA_TIMEZONE]
    if tokens.extra.get(const.EXTRA_OFFSET):
        keys[const.OFFSET_KEY] = tokens.extra[const.EXTRA_OFFSET]
    return keys


def _objects(value: Any, what: str) -> list[Json]:
    if not isinstance(value, list) or not all(isinstance(i, Mapping) for i in value):
        raise ProviderMalformedResponse(f"Fitbit {what}: not a list of objects")
    return list(value)


class FitbitClient(OAuth2Client):
    """One process's client for Fitbit; stateless per user (tokens are passed in)."""

    http_class = FitbitHTTP

    def tokens_from(
        self, body: Mapping[str, Any], previous: TokenSet | None, scopes: tuple[str, ...]
    ) -> TokenSet:
        """The answer names the Fitbit ``user_id``; Fitbit rotates the refresh token."""
        tokens = super().tokens_from(body, previous, scopes)
        user_id = body.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            raise ProviderMalformedResponse("Fitbit: the token response has no user_id")
        if previous is not None and previous.external_user_id not in (None, user_id):
            raise ProviderAuthFailed("Fitbit: the refreshed grant belongs to another user")
        return replace(tokens, external_user_id=user_id)

    # -- reads ---------------------------------------------------------------------------------------

    async def _get(self, tokens: TokenSet, url: str, params: Mapping[str, str] | None = None,
                   what: str = "") -> Json:  # fmt: skip
        body = await self.http.get_json(url, params=params, headers=bearer(tokens))
        if not isinstance(body, Mapping):
            raise ProviderMalformedResponse(f"Fitbit {what}: the answer is not a JSON object")
        return body

    async def profile(self, tokens: TokenSet) -> Json:
        body = await self._get(tokens, f"{self.api_base}{const.PROFILE_PATH}", what="profile")
        user = body.get("user")
        if not isinstance(user, Mapping):
            raise ProviderMalformedResponse("Fitbit profile: no user object")
        return user

    async def subscribe(self, tokens: TokenSet, collection: str, subscription_id: str,
                        subscriber_id: str | None) -> None:  # fmt: skip
        """Ask for notifications of one collection (200: it existed, 201: created)."""
        path = const.SUBSCRIPTION_PATH.format(collection=collection, subscription=subscription_id)
        headers = bearer(tokens)
        if subscriber_id:
            headers["X-Fitbit-Subscriber-Id"] = subscriber_id
        await self.http.request("POST", f"{self.api_base}{path}", headers=headers,
                                expect_json=False)  # fmt: skip

    async def log_list_page(self, tokens: TokenSet, path: str, key: str, start: datetime,
                            end: datetime, token: str | None) -> Page:  # fmt: skip
        """A page of a log list (activities, sleep) from the window's start, up to its end."""
        tz = user_zone(tokens)
        url = f"{self.api_base}{path}"
        params: dict[str, str] | None
        if token is None:
            after = start.astimezone(tz).date() - timedelta(days=1)  # whatever afterDate includes
            params = {"afterDate": after.isoformat(), "sort": "asc",
                      "limit": str(const.LIST_LIMIT), "offset": "0"}  # fmt: skip
        else:
            try:
                following = URL(token)
            except (TypeError, ValueError) as exc:
                raise ProviderError(f"Fitbit {key}: the page token is not a link") from exc
            if not following.path.endswith(path) or not following.raw_query_string:
                raise ProviderError(f"Fitbit {key}: the page token is not a {path} link")
            url, params = f"{url}?{following.raw_query_string}", None
        body = await self._get(tokens, url, params, what=key)
        items = _objects(body.get(key), key)
        pagination = body.get("pagination")
        following_url = pagination.get("next") if isinstance(pagination, Mapping) else None
        if following_url is not None and not isinstance(following_url, str):
            raise ProviderMalformedResponse(f"Fitbit {key}: pagination.next is not text")
        extra = _zone_keys(tokens)
        kept: list[Json] = []
        for item in items:
            begins = item.get("startTime")
            if isinstance(begins, str):
                try:
                    moment = datetime.fromisoformat(begins.replace("Z", "+00:00"))
                except ValueError:
                    moment = None  # normalise reports it
                if moment is not None and moment.tzinfo is None:
                    moment = moment.replace(tzinfo=tz)
                if moment is not None and moment >= end:
                    return Page(items=kept, next_token=None)  # sorted: the rest is later
            kept.append({**item, **extra})
        return Page(items=kept, next_token=following_url or None)

    async def daily_page(self, tokens: TokenSet, start: datetime, end: datetime,
                         token: str | None) -> Page:  # fmt: skip
        """The daily summary of one local day of the window."""
        days = local_days(start, end, user_zone(tokens))
        if days is None:
            return Page(items=[])
        day = day_token(token, *days, const.DISPLAY_NAME)
        url = f"{self.api_base}{const.DAILY_SUMMARY_PATH.format(day=day.isoformat())}"
        body = await self._get(tokens, url, what="daily summary")
        if not isinstance(body.get("summary"), Mapping):
            raise ProviderMalformedResponse("Fitbit daily summary: no summary object")
        following = day + timedelta(days=1)
        return Page(items=[{**body, const.DATE_KEY: day.isoformat()}],
                    next_token=following.isoformat() if following <= days[1] else None)  # fmt: skip

    async def heart_rate_page(self, tokens: TokenSet, start: datetime, end: datetime,
                              token: str | None) -> Page:  # fmt: skip
        """One UTC day of 1-minute heart rate, the samples in [start, end) only.

        An app without intraday access gets no ``activities-heart-intraday``: an empty page.
        """
        days = local_days(start, end, UTC)
        if days is None:
            return Page(items=[])
        day = day_token(token, *days, const.DISPLAY_NAME)
        url = f"{self.api_base}{const.HEART_INTRADAY_PATH.format(day=day.isoformat())}"
        body = await self._get(tokens, url, {"timezone": "UTC"}, what="heart rate")
        intraday = body.get("activities-heart-intraday")
        samples: list[Json] = []
        if intraday is not None:
            if not isinstance(intraday, Mapping):
                raise ProviderMalformedResponse("Fitbit heart rate: intraday is not an object")
            for entry in _objects(intraday.get("dataset", []), "heart rate dataset"):
                clock = entry.get("time")
                if isinstance(clock, str):
                    try:
                        moment = datetime.fromisoformat(f"{day.isoformat()}T{clock}+00:00")
                    except ValueError:
                        moment = None  # normalise reports it
                    if moment is not None and not start <= moment < end:
                        continue
                samples.append({**entry, const.DATE_KEY: day.isoformat(), const.TZ_KEY: "UTC"})
        following = day + timedelta(days=1)
        return Page(items=samples,
                    next_token=following.isoformat() if following <= days[1] else None)  # fmt: skip

    async def weight_page(self, tokens: TokenSet, start: datetime, end: datetime,
                          token: str | None) -> Page:  # fmt: skip
        """Weight logs of up to 31 local days of the window (a longer window takes more pages)."""
        days = local_days(start, end, user_zone(tokens))
        if days is None:
            return Page(items=[])
        first = day_token(token, *days, const.DISPLAY_NAME)
        last = min(days[1], first + timedelta(days=const.WEIGHT_RANGE_DAYS - 1))
        path = const.WEIGHT_LOG_PATH.format(start=first.isoformat(), end=last.isoformat())
        body = await self._get(tokens, f"{self.api_base}{path}", what="weight log")
        extra = _zone_keys(tokens)
        items = [{**item, **extra} for item in _objects(body.get("weight"), "weight log")]
        following = last + timedelta(days=1)
        return Page(items=items,
                    next_token=following.isoformat() if following <= days[1] else None)  # fmt: skip
