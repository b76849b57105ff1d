"""Oura API v2 over HTTP: collections paged by ``next_token`` (OAuth 2.0 is declared in const.SPEC)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.http import json_page
from fithub.plugins.oauth import OAuth2Client, bearer
from fithub.plugins.oura.const import COLLECTION_PATH, PERSONAL_INFO, UPGRADE_REQUIRED
from fithub.plugins.types import Page, TokenSet


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


class OuraClient(OAuth2Client):
    """One process's client for Oura; stateless per user (tokens are passed in)."""

    async def personal_info(self, tokens: TokenSet) -> Mapping[str, Any]:
        url = f"{self.api_base}{COLLECTION_PATH.format(collection=PERSONAL_INFO)}"
        body = await self.http.get_json(url, headers=bearer(tokens))
        if not isinstance(body, Mapping):
            raise ProviderMalformedResponse("Oura personal_info is not a JSON object")
        return body

    async def collection_page(
        self,
        tokens: TokenSet,
        collection: str,
        style: str,
        start: datetime,
        end: datetime,
        next_token: str | None,
    ) -> Page:
        """One page of a collection; date collections get whole days padded by one on each side."""
        if style == "date":
            # Oura files items under the person's local day: pad so no time zone falls outside.
            params = {
                "start_date": (start.astimezone(UTC) - timedelta(days=1)).date().isoformat(),
                "end_date": (end.astimezone(UTC) + timedelta(days=1)).date().isoformat(),
            }
        else:
            params = {"start_datetime": _utc_text(start), "end_datetime": _utc_text(end)}
        if next_token:
            params["next_token"] = next_token
        url = f"{self.api_base}{COLLECTION_PATH.format(collection=collection)}"
        try:
            body = await self.http.get_json(url, params=params, headers=bearer(tokens))
        except ProviderError as exc:
            if f": {UPGRADE_REQUIRED} " in str(exc):
                raise ProviderError(
                    f"Oura {collection}: the user's Oura app is too old to share this data (426)"
                ) from exc
            raise
        items, token = json_page(body, "data", "next_token", f"Oura {collection}")
        return Page(items=items, next_token=token)
