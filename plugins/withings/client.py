"""Withings over HTTP: form POSTs with ``action=``, answers in a ``{"status", "body"}`` envelope.

Withings reports most failures with HTTP 200 and a non-zero ``status``; :func:`check_envelope`
turns those into ProviderErrors, while :class:`VendorHTTP` handles real HTTP failures. Tokens are
passed in on every call: one client serves every user of the process.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from yarl import URL

from fithub.plugins.errors import (
    ProviderAuthFailed,
    ProviderError,
    ProviderMalformedResponse,
    ProviderRateLimited,
    ProviderUnavailable,
)
from fithub.plugins.oauth import OAuth2Client
from fithub.plugins.types import TokenSet
from fithub.plugins.webhooks import CALLBACK_TOKEN_PARAM
from fithub.plugins.withings import const

MAX_ERROR = 200


def status_error(
    status: int, where: str, error: str, *, token_endpoint: bool = False
) -> ProviderError:
    """The ProviderError for a non-zero envelope ``status`` (see const's status families).

    On the token endpoint "invalid params" means a refused code or refresh token: reconnecting is
    the only cure, as with RFC 6749's ``invalid_grant``.
    """
    message = f"{where}: status {status}" + (f" ({error[:MAX_ERROR]})" if error else "")
    if status in const.AUTH_FAILED or (token_endpoint and status in const.INVALID_PARAMS):
        return ProviderAuthFailed(message)
    if status in const.TOO_MANY_REQUESTS:
        return ProviderRateLimited(message)
    if status in const.TIMEOUT:
        return ProviderUnavailable(message)
    if (
        status
        in const.INVALID_PARAMS | const.UNAUTHORIZED | const.NOT_IMPLEMENTED | const.BAD_STATE
    ):
        return ProviderError(message)
    return ProviderUnavailable(message)  # "An error occurred": Withings' side, retry later


def check_envelope(payload: Any, where: str, *, token_endpoint: bool = False) -> Mapping[str, Any]:
    """The ``body`` of a successful answer; a ProviderError for any other."""
    status = payload.get("status") if isinstance(payload, Mapping) else None
    if not isinstance(status, int) or isinstance(status, bool):
        raise ProviderMalformedResponse(f"{where}: the answer has no numeric 'status'")
    if status != 0:
        error = payload.get("error")
        raise status_error(status, where, error if isinstance(error, str) else "",
                           token_endpoint=token_endpoint)  # fmt: skip
    body = payload.get("body", {})
    if body == []:  # an empty body is sometimes an empty JSON array
        return {}
    if not isinstance(body, Mapping):
        raise ProviderMalformedResponse(f"{where}: 'body' is not a JSON object")
    return body


def sign(secret: str, values: Mapping[str, str]) -> str:
    """Withings' request signature: HMAC-SHA256 of the values sorted by key, comma-joined."""
    data = ",".join(values[key] for key in sorted(values))
    return hmac.new(secret.encode(), data.encode(), hashlib.sha256).hexdigest()


def _where(path: str, form: Mapping[str, str]) -> str:
    return f"{const.DISPLAY_NAME} {path} action={form.get('action', '?')}"


def first_second(moment: datetime) -> int:
    """The first whole epoch second at or after ``moment`` (Withings' dates are inclusive)."""
    return math.ceil(moment.timestamp())


def last_second(moment: datetime) -> int:
    """The last whole epoch second before ``moment``: [start, end) as inclusive seconds."""
    return math.ceil(moment.timestamp()) - 1


def padded_dates(start: datetime, end: datetime) -> dict[str, str]:
    """``startdateymd``/``enddateymd`` covering [start, end) in any time zone (one day of padding).

    Withings files days, workouts and nights under the user's local date.
    """
    first = (start.astimezone(UTC) - timedelta(days=1)).date()
    last = (end.astimezone(UTC) + timedelta(days=1)).date()
    return {"startdateymd": first.isoformat(), "enddateymd": last.isoformat()}


class WithingsClient(OAuth2Client):
    """One process's client for Withings; stateless per user (tokens are passed in)."""

    async def _post_raw(
        self,
        path: str,
        form: Mapping[str, str],
        *,
        tokens: TokenSet | None = None,
        token_endpoint: bool = False,
    ) -> Any:
        url = f"{self.api_base}{path}"
        headers = {"Authorization": f"Bearer {tokens.access_token}"} if tokens else None
        statuses = (400, 401) if token_endpoint else (401,)
        response = await self.http.request(
            "POST", url, data=form, headers=headers, auth_statuses=statuses
        )
        return response.body

    async def _post(
        self,
        path: str,
        form: Mapping[str, str],
        *,
        tokens: TokenSet | None = None,
        token_endpoint: bool = False,
    ) -> Mapping[str, Any]:
        payload = await self._post_raw(path, form, tokens=tokens, token_endpoint=token_endpoint)
        return check_envelope(payload, _where(path, form), token_endpoint=token_endpoint)

    async def token_call(self, form: dict[str, str]) -> Mapping[str, Any]:
        """``action=requesttoken`` with the client secret in the form; the answer's envelope."""
        form = {"action": "requesttoken", "client_id": self.credentials.client_id,
                "client_secret": self.credentials.client_secret, **form}  # fmt: skip
        return await self._post(const.OAUTH2_PATH, form, token_endpoint=True)

    def tokens_from(
        self, body: Mapping[str, Any], previous: TokenSet | None, scopes: tuple[str, ...]
    ) -> TokenSet:
        """The answer names the Withings ``userid``; Withings always rotates the refresh token."""
        tokens = super().tokens_from(body, previous, scopes)
        userid = body.get("userid")
        if userid is None or isinstance(userid, bool) or str(userid) == "":
            if previous is None or not previous.external_user_id:
                raise ProviderMalformedResponse("Withings: the token answer has no userid")
            return tokens
        if previous is not None and previous.external_user_id not in (None, str(userid)):
            raise ProviderAuthFailed("Withings: the refreshed grant belongs to another user")
        return replace(tokens, external_user_id=str(userid))

    async def nonce(self) -> str:
        """A one-time nonce for a signed call (valid 30 minutes)."""
        values = {"action": "getnonce", "client_id": self.credentials.client_id,
                  "timestamp": str(int(time.time()))}  # fmt: skip
        form = {**values, "signature": sign(self.credentials.client_secret, values)}
        body = await self._post(const.SIGNATURE_PATH, form)
        nonce = body.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise ProviderMalformedResponse("Withings getnonce: the answer has no nonce")
        return nonce

    async def revoke(self, tokens: TokenSet) -> None:
        """``oauth2 action=revoke`` (signed): the tokens die and notifications are unsubscribed.

        A user who is no longer linked (revoked already, or unlinked at Withings) is what revoking
        wanted: that refusal ("invalid params") is not an error.
        """
        userid = tokens.external_user_id
        if not userid:
            raise ProviderError("Withings: cannot revoke a grant without its userid")
        values = {"action": "revoke", "client_id": self.credentials.client_id,
                  "nonce": await self.nonce()}  # fmt: skip
        form = {**values, "signature": sign(self.credentials.client_secret, values),
                "userid": userid}  # fmt: skip
        payload = await self._post_raw(const.OAUTH2_PATH, form)
        status = payload.get("status") if isinstance(payload, Mapping) else None
        if status in const.INVALID_PARAMS:
            return
        check_envelope(payload, _where(const.OAUTH2_PATH, form))

    async def subscribe(self, tokens: TokenSet, callback_url: str, appli: int) -> None:
        """Ask Withings to notify ``callback_url`` of the user's new data of category ``appli``."""
        form = {"action": "subscribe", "callbackurl": callback_url, "appli": str(appli),
                "comment": "fithub"}  # fmt: skip
        await self._post(const.NOTIFY_PATH, form, tokens=tokens)

    # -- data ---------------------------------------------------------------------------------

    async def page(
        self, tokens: TokenSet, path: str, form: dict[str, str], offset: int, list_key: str
    ) -> tuple[list[Mapping[str, Any]], int | None]:
        """One page of a ``more``/``offset`` paged action: its items and the next offset (or None)."""
        if offset:
            form["offset"] = str(offset)
        body = await self._post(path, form, tokens=tokens)
        where = f"{const.DISPLAY_NAME} {form['action']}"
        raw = body.get(list_key, [])
        if not isinstance(raw, list):
            raise ProviderMalformedResponse(f"{where}: '{list_key}' is not a list")
        items = [item for item in raw if isinstance(item, Mapping)]
        if len(items) != len(raw):
            raise ProviderMalformedResponse(f"{where}: an item is not a JSON object")
        more, following = body.get("more"), body.get("offset")
        if not more:
            return items, None
        if not isinstance(following, int) or isinstance(following, bool) or following <= offset:
            raise ProviderMalformedResponse(f"{where}: 'more' without a usable 'offset'")
        return items, following

    async def measure_groups(self, tokens: TokenSet, start: datetime, end: datetime,
                             offset: int) -> tuple[list[Mapping[str, Any]], int | None]:  # fmt: skip
        form = {"action": "getmeas", "meastypes": const.MEASTYPES,
                "category": str(const.REAL_MEASURES), "startdate": str(first_second(start)),
                "enddate": str(last_second(end))}  # fmt: skip
        return await self.page(tokens, const.MEASURE_PATH, form, offset, "measuregrps")

    async def activities(self, tokens: TokenSet, start: datetime, end: datetime,
                         offset: int) -> tuple[list[Mapping[str, Any]], int | None]:  # fmt: skip
        form = {"action": "getactivity", **padded_dates(start, end),
                "data_fields": const.ACTIVITY_FIELDS}  # fmt: skip
        return await self.page(tokens, const.MEASURE_V2_PATH, form, offset, "activities")

    async def workouts(self, tokens: TokenSet, start: datetime, end: datetime,
                       offset: int) -> tuple[list[Mapping[str, Any]], int | None]:  # fmt: skip
        form = {"action": "getworkouts", **padded_dates(start, end),
                "data_fields": const.WORKOUT_FIELDS}  # fmt: skip
        return await self.page(tokens, const.MEASURE_V2_PATH, form, offset, "series")

    async def sleep_summaries(self, tokens: TokenSet, start: datetime, end: datetime,
                              offset: int) -> tuple[list[Mapping[str, Any]], int | None]:  # fmt: skip
        form = {"action": "getsummary", **padded_dates(start, end),
                "data_fields": const.SLEEP_FIELDS}  # fmt: skip
        return await self.page(tokens, const.SLEEP_V2_PATH, form, offset, "series")

    async def intraday(self, tokens: TokenSet, start: datetime,
                       end: datetime) -> list[Mapping[str, Any]]:  # fmt: skip
        """Samples in [start, end) (at most 24 h): ``series`` keyed by epoch, flattened in order.

        Each item is the vendor's sample with its key added as ``timestamp``.
        """
        form = {"action": "getintradayactivity", "startdate": str(first_second(start)),
                "enddate": str(last_second(end)),
                "data_fields": const.INTRADAY_FIELDS}  # fmt: skip
        body = await self._post(const.MEASURE_V2_PATH, form, tokens=tokens)
        series = body.get("series", {})
        if series == []:  # no samples: an empty JSON array
            return []
        if not isinstance(series, Mapping):
            raise ProviderMalformedResponse(
                "Withings getintradayactivity: 'series' is not an object"
            )
        items: list[Mapping[str, Any]] = []
        for key, sample in series.items():
            if not isinstance(sample, Mapping) or not str(key).isdigit():
                raise ProviderMalformedResponse(
                    "Withings getintradayactivity: a sample is not keyed by its epoch"
                )
            items.append({"timestamp": int(key), **sample})
        return sorted(items, key=lambda item: int(item["timestamp"]))


def callback_url(base: str, token: str) -> str:
    """fithub's webhook URL with the shared secret Withings will send back on every call."""
    return str(URL(base).update_query({CALLBACK_TOKEN_PARAM: token}))
