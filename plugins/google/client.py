"""Google Health API v4 over HTTP: paged lists and daily rollups (OAuth 2.0 is in const.SPEC).

Errors come in Google's envelope ``{"error": {"code", "message", "status", "details"}}``; a 429
(``RESOURCE_EXHAUSTED``) may carry no Retry-After, in which case a ``google.rpc.RetryInfo``
detail's ``retryDelay`` (``"7s"``) is used when present.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from fithub.plugins.errors import ProviderMalformedResponse
from fithub.plugins.google.const import (
    IDENTITY_PATH,
    LIST_PATH,
    RETRY_INFO_TYPE,
    ROLLUP_PATH,
)
from fithub.plugins.http import VendorHTTP, json_page
from fithub.plugins.oauth import OAuth2Client, bearer
from fithub.plugins.types import TokenSet


def _envelope(text: str) -> Mapping[str, Any] | None:
    """The ``error`` object of a Google API error body, if it is one."""
    try:
        body = json.loads(text)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, Mapping) else None
    return error if isinstance(error, Mapping) else None


def retry_delay(error: Mapping[str, Any]) -> float | None:
    """Seconds from a RetryInfo detail (``"retryDelay": "7s"`` or ``"1.5s"``), if any."""
    details = error.get("details")
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, Mapping) and detail.get("@type") == RETRY_INFO_TYPE:
            delay = detail.get("retryDelay")
            if isinstance(delay, str) and delay.endswith("s"):
                try:
                    return max(0.0, float(delay[:-1]))
                except ValueError:
                    return None
    return None


class GoogleHTTP(VendorHTTP):
    """VendorHTTP that reads Google's error envelope for messages and RetryInfo."""

    def detail(self, text: str) -> str:
        """``PERMISSION_DENIED: Request had insufficient scopes.`` from Google's envelope."""
        error = _envelope(text) or {}
        summary = ": ".join(str(error[k]) for k in ("status", "message") if error.get(k))
        return summary or super().detail(text)

    def retry_after(self, headers: Any, text: str) -> float | None:
        """Retry-After, else the envelope's RetryInfo ``retryDelay``."""
        wait = super().retry_after(headers, text)
        error = _envelope(text)
        return retry_delay(error) if wait is None and error is not None else wait


def civil(day: date) -> dict[str, Any]:
    """A CivilDateTime at the start of ``day``."""
    return {"date": {"year": day.year, "month": day.month, "day": day.day}}


class GoogleHealthClient(OAuth2Client):
    """One process's client for the Google Health API; stateless per user (tokens passed in)."""

    http_class = GoogleHTTP

    async def identity(self, tokens: TokenSet) -> str:
        """The user's ``healthUserId`` (webhooks name users by it)."""
        body = await self.http.get_json(f"{self.api_base}{IDENTITY_PATH}",
                                        headers=bearer(tokens))  # fmt: skip
        user = body.get("healthUserId") if isinstance(body, Mapping) else None
        if not isinstance(user, str) or not user:
            raise ProviderMalformedResponse("Google Health identity has no healthUserId")
        return user

    async def list_page(self, tokens: TokenSet, data_type: str, filter_text: str,
                        page_size: int, page_token: str | None,
                        ) -> tuple[list[Mapping[str, Any]], str | None]:  # fmt: skip
        """One page of ``users/me/dataTypes/{data_type}/dataPoints`` and the next page token."""
        params = {"filter": filter_text, "pageSize": str(page_size)}
        if page_token:
            params["pageToken"] = page_token
        url = f"{self.api_base}{LIST_PATH.format(data_type=data_type)}"
        body = await self.http.get_json(url, params=params, headers=bearer(tokens))
        # proto3 JSON leaves out an empty list: no dataPoints is an empty page
        what = f"Google Health {data_type}"
        return json_page(body, "dataPoints", "nextPageToken", what, required=False)

    async def daily_rollup(self, tokens: TokenSet, data_type: str, first: date,
                           end: date) -> list[Mapping[str, Any]]:  # fmt: skip
        """``dataPoints:dailyRollUp`` of one collection for local days [first, end), one a day."""
        request = {"range": {"start": civil(first), "end": civil(end)}, "windowSizeDays": 1}
        url = f"{self.api_base}{ROLLUP_PATH.format(data_type=data_type)}"
        answer = await self.http.request("POST", url, json_body=request, headers=bearer(tokens))
        body = answer.body
        points = body.get("rollupDataPoints", []) if isinstance(body, Mapping) else None
        if not isinstance(points, list) or not all(isinstance(p, Mapping) for p in points):
            raise ProviderMalformedResponse(f"Google Health {data_type}: bad rollupDataPoints")
        return list(points)
