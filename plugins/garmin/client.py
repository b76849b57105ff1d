"""Garmin Health API over HTTP: token quirks, the user id and permissions, pulls, deregistration.

Stateless per user: tokens are passed in. Pulls ask for the summaries *uploaded* in
[uploadStartTimeInSeconds, uploadEndTimeInSeconds), at most 86,400 s at a time, with no paging.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from fithub.plugins.errors import ProviderAuthFailed, ProviderError, ProviderMalformedResponse
from fithub.plugins.garmin.const import (
    BACKFILL_PATH,
    DISPLAY_NAME,
    MAX_BACKFILL_WINDOW,
    PERMISSIONS_PATH,
    REGISTRATION_PATH,
    SUMMARY_PATH,
    USER_ID_PATH,
)
from fithub.plugins.oauth import OAuth2Client, bearer, split_scopes, token_set_from_response
from fithub.plugins.types import TokenSet

REFRESH_EXPIRES_AT = "refresh_expires_at"  # TokenSet.extra: when the refresh token lapses


def epoch(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp())


class GarminClient(OAuth2Client):
    """One process's client for Garmin; every method takes the user's tokens."""

    def tokens_from(
        self, body: Mapping[str, Any], previous: TokenSet | None, scopes: tuple[str, ...]
    ) -> TokenSet:
        """Rotated tokens, and when the refresh token lapses; the scopes stay the permissions.

        The answer's "scope" names Garmin's OAuth scopes (CONNECT_READ ...), not the user's
        permissions: the permissions read from the API are kept instead.
        """
        tokens = token_set_from_response(body, vendor=DISPLAY_NAME, previous=previous)
        extra = dict(tokens.extra)
        lifetime = body.get("refresh_token_expires_in")
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool):
            later = datetime.now(UTC) + timedelta(seconds=float(lifetime))
            extra[REFRESH_EXPIRES_AT] = later.replace(microsecond=0).isoformat()
        return replace(tokens, scopes=previous.scopes if previous else (), extra=extra)

    # -- the user ---------------------------------------------------------------------------------

    async def user_id(self, tokens: TokenSet) -> str:
        body = await self.http.get_json(f"{self.api_base}{USER_ID_PATH}", headers=bearer(tokens))
        user = body.get("userId") if isinstance(body, Mapping) else None
        if not isinstance(user, str | int) or isinstance(user, bool) or user == "":
            raise ProviderMalformedResponse("Garmin user/id has no userId")
        return str(user)

    async def permissions(self, tokens: TokenSet) -> tuple[str, ...]:
        """What the user let this app read: a JSON array (or ``{"permissions": [...]}``)."""
        url = f"{self.api_base}{PERMISSIONS_PATH}"
        body = await self.http.get_json(url, headers=bearer(tokens))
        if isinstance(body, Mapping):
            body = body.get("permissions")
        if not isinstance(body, list) or not all(isinstance(p, str) for p in body):
            raise ProviderMalformedResponse("Garmin user/permissions is not a list of names")
        return split_scopes(body)

    async def deregister(self, tokens: TokenSet) -> None:
        """DELETE the user's registration: Garmin stops sending data and the tokens die."""
        url = f"{self.api_base}{REGISTRATION_PATH}"
        await self.http.request("DELETE", url, headers=bearer(tokens), expect_json=False)

    # -- data ---------------------------------------------------------------------------------------

    async def summaries(
        self, tokens: TokenSet, summary: str, start: datetime, end: datetime
    ) -> list[Mapping[str, Any]]:
        """The ``summary`` items uploaded in [start, end) (at most 86,400 s)."""
        params = {
            "uploadStartTimeInSeconds": str(epoch(start)),
            "uploadEndTimeInSeconds": str(epoch(end)),
        }
        url = f"{self.api_base}{SUMMARY_PATH.format(summary=summary)}"
        body = await self.http.get_json(url, params=params, headers=bearer(tokens))
        if not isinstance(body, list):
            raise ProviderMalformedResponse(f"Garmin {summary}: the answer is not a JSON array")
        if not all(isinstance(item, Mapping) for item in body):
            raise ProviderMalformedResponse(f"Garmin {summary}: an item is not a JSON object")
        return body

    async def request_backfill(
        self, tokens: TokenSet, summary: str, start: datetime, end: datetime
    ) -> bool:
        """Ask Garmin to re-send ``summary`` for summary times [start, end) by ping or push.

        Returns True when accepted (202), False when the same range was already asked for (409).
        fithub's sync does not need this (it pulls window by window); it is for re-delivery.
        """
        if end - start > MAX_BACKFILL_WINDOW:
            raise ProviderError(f"Garmin backfill covers at most {MAX_BACKFILL_WINDOW.days} days")
        params = {
            "summaryStartTimeInSeconds": str(epoch(start)),
            "summaryEndTimeInSeconds": str(epoch(end)),
        }
        url = f"{self.api_base}{BACKFILL_PATH.format(summary=summary)}"
        try:
            await self.http.request("GET", url, params=params, headers=bearer(tokens),
                                    expect_json=False)  # fmt: skip
        except ProviderError as exc:
            if ": 409 " in str(exc) and not isinstance(exc, ProviderAuthFailed):
                return False
            raise
        return True
