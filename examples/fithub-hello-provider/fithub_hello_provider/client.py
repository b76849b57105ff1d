"""Hello's API over HTTP: the OAuth 2.0 flow comes from the SDK, this adds the vendor's reads."""

from __future__ import annotations

from datetime import datetime

from fithub.plugins import Page, TokenSet
from fithub.plugins.errors import ProviderMalformedResponse
from fithub.plugins.http import json_page
from fithub.plugins.oauth import OAuth2Client, bearer
from fithub_hello_provider.const import DAYS_PATH, ME_PATH


class HelloClient(OAuth2Client):
    """One process's client for Hello; stateless per user (tokens are passed in)."""

    async def user_id(self, tokens: TokenSet) -> str:
        """The vendor's id of the person who granted ``tokens``."""
        body = await self.http.get_json(f"{self.api_base}{ME_PATH}", headers=bearer(tokens))
        if not isinstance(body, dict) or not body.get("user_id"):
            raise ProviderMalformedResponse(f"{self.vendor} {ME_PATH}: no user_id")
        return str(body["user_id"])

    async def days_page(
        self, tokens: TokenSet, start: datetime, end: datetime, page: str | None
    ) -> Page:
        """One page of daily summaries whose dates fall in ``[start, end]``."""
        params = {"start": start.date().isoformat(), "end": end.date().isoformat()}
        if page:
            params["page"] = page
        body = await self.http.get_json(f"{self.api_base}{DAYS_PATH}", params=params,
                                        headers=bearer(tokens))  # fmt: skip
        items, following = json_page(body, "days", "next", f"{self.vendor} {DAYS_PATH}")
        return Page(items=items, next_token=following)
