"""A fake Google Health API v4: Google OAuth 2.0 (PKCE, offline access), data points, daily rollups.

What it follows (Google's v4 discovery document, as generated into its client libraries):

- OAuth: consent at ``/o/oauth2/v2/auth`` (a refresh token only with ``access_type=offline``),
  ``POST /token`` with the client id and secret in the body, refresh answers without a new
  refresh token (Google does not rotate them), ``POST /revoke`` with ``token`` (query or form)
  revoking the whole grant, ``400 invalid_token`` for a token it does not know;
- ``GET /v4/users/{me|id}/identity`` -> ``{"name", "healthUserId", "legacyUserId"}``;
- ``GET /v4/users/{user}/dataTypes/{type}/dataPoints?filter=&pageSize=&pageToken=`` ->
  ``{"dataPoints": [...], "nextPageToken"}``, newest first, with the documented filter fields
  per kind of type (interval ``start_time``/``civil_start_time``, sample
  ``sample_time.physical_time``/``civil_time``, exercise only ``interval.civil_start_time``, sleep
  ``interval.end_time``/``civil_end_time``) and page sizes (10,000; 25 for exercise and sleep);
- ``POST .../dataPoints:dailyRollUp`` ``{"range": {"start", "end"}, "windowSizeDays": 1}`` ->
  ``{"rollupDataPoints": [...]}`` by local day (ranges over 14 days refused for total-calories
  and active-minutes, over 90 for the rest);
- errors in Google's envelope ``{"error": {"code", "message", "status"}}``; a 429 carries a
  ``google.rpc.RetryInfo`` detail, and Retry-After unless ``send_retry_after`` is False.

UNCONFIRMED and chosen here: the scope the identity endpoint needs (any granted one), whether
empty days appear in a rollup (they do not), the rollup's order (oldest first), whether empty
lists and tokens are left out (they are, as proto3 JSON does), and the webhook body being a JSON
array of ``{"data": {...}}`` notifications.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from fithub.plugins.testing.fake import RECORD, FakeVendor, Handler, noise
from fithub.plugins.testing.fakes import google_data as data
from fithub.plugins.testing.fakes.google_data import (
    FILTER_FIELDS,
    KINDS,
    NIGHT,
    OFFSETS,
    Kind,
    civil_value,
    date_json,
    parse_time,
    rollup_value,
)
from fithub.plugins.testing.push_contract import PushSpec
from fithub.plugins.types import AppCredentials, DataType, PushRequest

__all__ = ["NIGHT", "FakeGoogle", "google_error"]

RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}  # fmt: skip


# fithub's body data type pages through both: the request log counts them as one query.
TOTAL_GROUPS = {"weight": ("weight", "body-fat"), "body-fat": ("weight", "body-fat")}
CLAUSE = re.compile(r'^\s*([a-z_]+)\.([a-z_.]+)\s*(>=|<)\s*"([^"]*)"\s*$')


def google_error(status: int, message: str, headers: dict[str, str] | None = None,
                 details: list[dict[str, Any]] | None = None) -> web.Response:  # fmt: skip
    error: dict[str, Any] = {"code": status, "message": message,
                             "status": STATUS_NAMES.get(status, "UNKNOWN")}  # fmt: skip
    if details:
        error["details"] = details
    return web.json_response({"error": error}, status=status, headers=headers)


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"detail": message}),
                              content_type="application/json")  # fmt: skip


class FakeGoogle(FakeVendor):
    name: ClassVar[str] = "google"
    authorize_path: ClassVar[str] = "/o/oauth2/v2/auth"
    token_path: ClassVar[str] = "/token"
    revoke_path: ClassVar[str] = "/revoke"
    data_prefix: ClassVar[str] = "/v4/users/"
    client_id: ClassVar[str] = "fake-google-client.apps.googleusercontent.com"
    client_secret: ClassVar[str] = "fake-google-secret"
    rotate_refresh_tokens: ClassVar[bool] = False
    webhook_secret: ClassVar[str] = "Bearer fake-google-webhook-secret"
    access_ttl_s = 3599.0

    def reset(self) -> None:
        super().reset()
        self.online_codes: set[str] = set()  # consented without access_type=offline
        self.send_retry_after = True

    def data_types(self) -> tuple[DataType, ...]:
        return (DataType.DAILY, DataType.ACTIVITIES, DataType.SLEEP, DataType.HEART_RATE,
                DataType.BODY, DataType.HRV, DataType.SPO2)  # fmt: skip

    def credentials(self, redirect_uri: str = "http://127.0.0.1/callback") -> AppCredentials:
        return AppCredentials(self.client_id, self.client_secret, redirect_uri, base_url=self.url,
                              options={"webhook_secret": self.webhook_secret})  # fmt: skip

    def fithub_env(self) -> dict[str, str]:
        return {
            **super().fithub_env(),
            "FITHUB_GOOGLE_OPTIONS": json.dumps({"webhook_secret": self.webhook_secret}),
        }

    # -- data -------------------------------------------------------------------------------------

    @staticmethod
    def utc_offset(account: str) -> int:
        return OFFSETS[noise(account, "tz") % len(OFFSETS)]

    def _key(self, data_type: str, point: dict[str, Any]) -> str:
        return str(point.get("name") or self._when(data_type, point))

    def put(self, account: str, data_type: str, *points: dict[str, Any]) -> None:
        """Store data points, replacing any with the same name (or, unnamed, the same time)."""
        with self._lock:
            items = self.items(account, data_type)
            where = {self._key(data_type, p): i for i, p in enumerate(items)}
            for point in points:
                key = self._key(data_type, point)
                if key in where:
                    items[where[key]] = point
                else:
                    where[key] = len(items)
                    items.append(point)

    def seed(self, account: str, start: datetime, end: datetime) -> None:
        """Hourly activity, an exercise, a night of sleep with HRV and SpO2 and a weigh-in per
        day; heart rate every 5 minutes. Only what falls in [start, end) is stored."""
        self.add_account(account)
        offset = self.utc_offset(account)
        batch: dict[str, list[dict[str, Any]]] = {}

        def add(data_type: str, point: dict[str, Any]) -> None:
            batch.setdefault(data_type, []).append(point)

        def inside(moment: datetime) -> bool:
            return start <= moment < end

        hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        hour += timedelta(hours=1) if hour < start else timedelta(0)
        while hour + timedelta(hours=1) <= end:
            for data_type, point in self.activity_hour(account, hour, offset).items():
                add(data_type, point)
            hour += timedelta(hours=1)
        day = start.astimezone(UTC).date()
        while datetime.combine(day, time.min, UTC) < end + timedelta(days=1):
            workout = self.exercise(account, day, offset)
            if inside(parse_time(workout["exercise"]["interval"]["startTime"])):
                add("exercise", workout)
            night = self.sleep(account, day, offset)
            fell, woke = (parse_time(night["sleep"]["interval"][k]) for k in
                          ("startTime", "endTime"))  # fmt: skip
            if inside(woke):
                add("sleep", night)
            moment = fell
            while moment < woke:
                if inside(moment):
                    add("heart-rate-variability", self.hrv(account, moment, offset))
                    if moment.minute % 10 == 0:
                        add("oxygen-saturation", self.spo2(account, moment, offset))
                moment += timedelta(minutes=5)
            weighed = datetime.combine(day, time(7, 30), UTC)
            if inside(weighed):
                add("weight", self.weight(account, weighed, offset))
                add("body-fat", self.body_fat(account, weighed, offset))
            day += timedelta(days=1)
        beat = start.astimezone(UTC).replace(second=0, microsecond=0)
        beat -= timedelta(minutes=beat.minute % 5)
        while beat < end:
            if beat >= start:
                add("heart-rate", self.heart_rate(account, beat, offset))
            beat += timedelta(minutes=5)
        for data_type, points in batch.items():
            self.put(account, data_type, *points)

    # -- data points, as Google writes them (see google_data) ------------------------------------

    activity_hour = staticmethod(data.activity_hour)
    exercise = staticmethod(data.exercise)
    sleep = staticmethod(data.sleep)
    heart_rate = staticmethod(data.heart_rate)
    hrv = staticmethod(data.hrv)
    spo2 = staticmethod(data.spo2)
    weight = staticmethod(data.weight)
    body_fat = staticmethod(data.body_fat)
    notification = staticmethod(data.notification)

    # -- webhooks ---------------------------------------------------------------------------------

    def push_request(self, *notifications: dict[str, Any], secret: str | None = None,
                     verification: bool = False) -> PushRequest:  # fmt: skip
        """What Google POSTs to the subscriber endpoint (secret=None: the configured one,
        secret="": no Authorization header)."""
        body = {"type": "verification"} if verification else list(notifications)
        headers = {
            "content-type": "application/json",
            "x-healthapi-signature": base64.b64encode(secrets.token_bytes(70)).decode(),
        }
        secret = self.webhook_secret if secret is None else secret
        if secret:
            headers["authorization"] = secret
        return PushRequest("POST", headers, {}, json.dumps(body).encode())

    def push_spec(self, account: str) -> PushSpec:
        """How Google's notifications prove themselves: the subscriber secret as Authorization
        (the ECDSA signature is not checked), so the body is not signed."""

        def make(at: datetime) -> PushRequest:
            note = self.notification(account, "steps", at - timedelta(hours=1), at, "DELETE")
            return self.push_request(note)

        return PushSpec(make, secret_headers=("authorization",),
                        options={"webhook_secret": self.webhook_secret},
                        secret_options=("webhook_secret",))  # fmt: skip

    # -- OAuth as Google does it ------------------------------------------------------------------

    async def _authorize(self, request: web.Request) -> web.Response:
        try:
            return await super()._authorize(request)
        except web.HTTPFound as found:
            code = parse_qs(urlsplit(str(found.location)).query).get("code", [""])[0]
            if code and request.query.get("access_type") != "offline":
                with self._lock:
                    self.online_codes.add(code)
            raise

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        response = await super()._token(request)
        if response.status != 200 or response.body is None:
            return response
        body = json.loads(response.body)  # type: ignore[arg-type]
        body["token_type"] = "Bearer"
        online = form.get("grant_type") == "authorization_code" and form.get("code") in (
            self.online_codes
        )
        if form.get("grant_type") == "refresh_token" or online:
            refresh = body.pop("refresh_token", None)  # no new one on refresh; none if online
            if online and refresh != form.get("refresh_token"):
                with self._lock:
                    self.refresh_tokens.pop(str(refresh), None)
        return web.json_response(body)

    async def _revoke(self, request: web.Request) -> web.Response:
        form = await request.post()
        token = str(request.query.get("token") or form.get("token") or "")
        with self._lock:
            grant = self.access_tokens.get(token) or self.refresh_tokens.get(token)
            if grant is None:
                return web.json_response({"error": "invalid_token",
                                          "error_description": "Token expired or revoked"},
                                         status=400)  # fmt: skip
            for issued, other in list(self.access_tokens.items()):
                if other.account == grant.account:
                    self.revoked.add(issued)
                    del self.access_tokens[issued]
            for issued, other in list(self.refresh_tokens.items()):
                if other.account == grant.account:
                    del self.refresh_tokens[issued]
        return web.Response(status=200)

    # -- routes -----------------------------------------------------------------------------------

    def middlewares(self) -> list[Middleware]:
        return [self._google_errors, *super().middlewares()]  # outermost: sees every answer

    @web.middleware
    async def _google_errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Answers under /v4/ come in Google's error envelope (OAuth keeps RFC 6749's)."""
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if not request.path.startswith("/v4/") or exc.status < 400:
                raise
            request[RECORD].status = exc.status
            return google_error(exc.status, self._message(exc.text or "", exc.status))
        if not request.path.startswith("/v4/") or response.status < 400:
            return response
        text = response.body.decode() if isinstance(response, web.Response) and isinstance(
            response.body, bytes) else ""  # fmt: skip
        headers, details = {}, []
        wait = response.headers.get("Retry-After")
        if response.status == 429 and wait:
            details.append({"@type": RETRY_INFO, "retryDelay": f"{wait}s"})
            if self.send_retry_after:
                headers["Retry-After"] = wait
        return google_error(response.status, self._message(text, response.status), headers,
                            details)  # fmt: skip

    @staticmethod
    def _message(text: str, status: int) -> str:
        try:
            body = json.loads(text)
        except ValueError:
            body = {}
        detail = body.get("detail") if isinstance(body, dict) else None
        if status == 401:
            return (
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential."
            )
        if status == 429:
            return "Quota exceeded for quota metric 'Requests per user' of service health."
        return str(detail or f"HTTP {status}")

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/v4/users/{user}/identity", self._identity)
        router.add_get("/v4/users/{user}/dataTypes/{data_type}/dataPoints", self._list)
        router.add_post("/v4/users/{user}/dataTypes/{data_type}/dataPoints:dailyRollUp",
                        self._rollup)  # fmt: skip

    def _account(self, request: web.Request, scope: str | None) -> str:
        account = self.account_for(request, scope)
        if request.match_info["user"] not in ("me", account):
            raise web.HTTPForbidden(text=json.dumps({"detail": "The caller does not have "
                                                     "permission"}),
                                    content_type="application/json")  # fmt: skip
        return account

    def _kind(self, request: web.Request) -> tuple[str, Kind]:
        data_type = request.match_info["data_type"]
        kind = KINDS.get(data_type)
        if kind is None:
            raise web.HTTPNotFound(text=json.dumps({"detail": f"Unknown data type {data_type}"}),
                                   content_type="application/json")  # fmt: skip
        return data_type, kind

    async def _identity(self, request: web.Request) -> web.Response:
        account = self._account(request, None)
        return web.json_response({"name": "users/me/identity", "healthUserId": account,
                                  "legacyUserId": account[:6].upper()})  # fmt: skip

    @staticmethod
    def _when(data_type: str, point: dict[str, Any]) -> str:
        """The time a point sorts by (sample time or interval start)."""
        value = point[KINDS[data_type].member]
        if "sampleTime" in value:
            return str(value["sampleTime"]["physicalTime"])
        return str(value["interval"]["startTime"])

    @staticmethod
    def _field(value: dict[str, Any], field: str) -> datetime:
        holder, _, name = field.rpartition(".")
        part = value["interval"] if holder == "interval" else value["sampleTime"]
        if name in ("start_time", "end_time", "physical_time"):
            key = {"start_time": "startTime", "end_time": "endTime",
                   "physical_time": "physicalTime"}[name]  # fmt: skip
            return parse_time(part[key])
        key = {"civil_start_time": "civilStartTime", "civil_end_time": "civilEndTime",
               "civil_time": "civilTime"}[name]  # fmt: skip
        return civil_value(part[key])

    @staticmethod
    def parse_filter(text: str, data_type: str, kind: Kind) -> list[tuple[str, str, datetime]]:
        """``(field, op, literal)`` clauses of a documented filter; 400 for anything else."""
        clauses = []
        for clause in text.split(" AND ") if text.strip() else []:
            match = CLAUSE.match(clause)
            if match is None:
                raise _bad(f"Invalid filter clause: {clause!r}")
            prefix, field, op, literal = match.groups()
            if prefix != data_type.replace("-", "_") or field not in FILTER_FIELDS[kind.record]:
                raise _bad(f"Unsupported filter field {prefix}.{field} for {data_type}")
            try:
                if "civil" in field:
                    value = datetime.fromisoformat(literal)
                    if value.tzinfo is not None:
                        raise ValueError("civil times have no offset")
                else:
                    if not literal.endswith("Z") and "+" not in literal[10:]:
                        raise ValueError("RFC 3339 needs an offset")
                    value = parse_time(literal)
            except ValueError as exc:
                raise _bad(f"Invalid time literal {literal!r}: {exc}") from exc
            clauses.append((field, op, value))
        return clauses

    def _matching(self, account: str, data_type: str, kind: Kind,
                  clauses: list[tuple[str, str, datetime]]) -> list[dict[str, Any]]:  # fmt: skip
        def keep(point: dict[str, Any]) -> bool:
            value = point[kind.member]
            for field, op, literal in clauses:
                found = self._field(value, field)
                if (op == ">=" and found < literal) or (op == "<" and found >= literal):
                    return False
            return True

        return [p for p in self.items(account, data_type) if keep(p)]

    async def _list(self, request: web.Request) -> web.Response:
        data_type, kind = self._kind(request)
        account = self._account(request, kind.scope)
        clauses = self.parse_filter(request.query.get("filter", ""), data_type, kind)
        points = sorted(self._matching(account, data_type, kind, clauses),
                        key=lambda p: self._when(data_type, p), reverse=True)  # fmt: skip
        try:
            asked = int(request.query.get("pageSize") or 0)
        except ValueError as exc:
            raise _bad("pageSize must be an integer") from exc
        if asked < 0:
            raise _bad("pageSize must not be negative")
        size = min(asked or (25 if kind.max_page == 25 else 1440), kind.max_page, self.page_size)
        page, following = self.paginate(request, points, request.query.get("pageToken"), size=size,
                                        refuse=lambda: _bad("Invalid page token"))  # fmt: skip
        group = TOTAL_GROUPS.get(data_type)
        if group:  # the request log's total spans fithub's whole body query
            request[RECORD].total = sum(
                len(self._matching(account, other, KINDS[other], clauses)) for other in group
            )  # fmt: skip
        body: dict[str, Any] = {}
        if page:
            body["dataPoints"] = page
        if following:
            body["nextPageToken"] = following
        return web.json_response(body)

    async def _rollup(self, request: web.Request) -> web.Response:
        data_type, kind = self._kind(request)
        account = self._account(request, kind.scope)
        if kind.rollup_days is None:
            raise _bad(f"dailyRollUp is not supported for {data_type}")
        try:
            body = await request.json()
            first = civil_value(body["range"]["start"]).date()
            end = civil_value(body["range"]["end"]).date()
        except (ValueError, KeyError, TypeError) as exc:
            raise _bad("range.start and range.end must be civil date-times") from exc
        if int(body.get("windowSizeDays") or 1) != 1:
            raise _bad("this fake rolls up by single days only")
        if end <= first:
            raise _bad("range.end must be after range.start")
        if (end - first).days > kind.rollup_days:
            raise _bad(f"The maximum range for {data_type} is {kind.rollup_days} days")
        days: dict[date, list[dict[str, Any]]] = {}
        for point in self.items(account, data_type):
            value = point[kind.member]
            local = civil_value(value["interval"]["civilStartTime"]).date()
            if first <= local < end:
                days.setdefault(local, []).append(value)
        points = [{"civilStartTime": {"date": date_json(day)},
                   "civilEndTime": {"date": date_json(day + timedelta(days=1))},
                   kind.member: rollup_value(data_type, values)}
                  for day, values in sorted(days.items())]  # fmt: skip
        request[RECORD].total = len(points)
        return web.json_response({"rollupDataPoints": points} if points else {})
