"""A fake Fitbit Web API: OAuth 2.0 (PKCE, Basic client auth, rotating refresh tokens), log lists
paged by ``pagination.next``, per-day summaries and intraday heart rate, weight logs, rate-limit
headers, Fitbit's error bodies, subscriptions and signed notifications.

Shapes follow dev.fitbit.com (shared vendors reference 2.1). Chosen where Fitbit does not say:

- ``afterDate`` of a log list keeps logs starting on or after that day (a date) or after that
  local time (a date-time); the fake caps ``limit`` at :attr:`page_size` as well as at 100;
- the 429 body's ``errorType`` is ``system`` and it carries no ``Retry-After`` unless
  ``retry_after_s`` is set (the reset header says when to come back);
- a revoked or unknown token at ``/oauth2/revoke`` is answered 200 (RFC 7009);
- without intraday access (:attr:`FakeFitbit.intraday_access` False) the heart-rate answer simply
  lacks ``activities-heart-intraday``;
- on the routes Fitbit does not page (a day's summary, a day of heart rate) the request log's
  ``total`` is everything the account holds of that kind, so the contract test checks that a
  provider walking day by day collects every seeded item.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as clock
from typing import Any, ClassVar, NoReturn
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.typedefs import Middleware

from fithub.plugins.testing.fake import RECORD, FakeVendor, Handler, noise
from fithub.plugins.testing.fakes import fitbit_data as data
from fithub.plugins.testing.push_contract import PushSpec
from fithub.plugins.types import DataType, PushRequest

SCOPE_OF_COLLECTION = {"activities": "activity", "body": "weight", "foods": "nutrition",
                       "sleep": "sleep", "userRevokedAccess": None}  # fmt: skip


def errors_body(error_type: str, message: str) -> dict[str, Any]:
    return {"errors": [{"errorType": error_type, "message": message}], "success": False}


def _fail(status: type[web.HTTPException], error_type: str, message: str,
          headers: dict[str, str] | None = None) -> NoReturn:  # fmt: skip
    raise status(text=json.dumps(errors_body(error_type, message)),
                 content_type="application/json", headers=headers)  # fmt: skip


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(web.HTTPBadRequest, "validation", f"Invalid date: {text[:20]}")


class FakeFitbit(FakeVendor):
    name: ClassVar[str] = "fitbit"
    authorize_path: ClassVar[str] = "/oauth2/authorize"
    token_path: ClassVar[str] = "/oauth2/token"
    revoke_path: ClassVar[str] = "/oauth2/revoke"
    credentials_in = "basic"
    data_prefix: ClassVar[str] = "/1"  # /1/... and /1.2/...
    client_id: ClassVar[str] = "23FAKE"
    client_secret: ClassVar[str] = "fake-fitbit-secret"
    verify_code: ClassVar[str] = "fake-fitbit-verify-code"
    timezone: ClassVar[str] = "America/Los_Angeles"  # every account's profile zone
    access_ttl_s = 28800.0

    def __init__(self) -> None:
        super().__init__()
        self.rate_limit_per_hour = 1_000_000  # per account; Fitbit's is 150
        self.retry_after_s: int | None = None  # a Retry-After on its 429s too, when set
        self.intraday_access = True

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.spent: dict[tuple[str, int], int] = {}
            self.subscriptions: dict[tuple[str, str], str] = {}

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def data_types(self) -> tuple[DataType, ...]:
        return (DataType.DAILY, DataType.ACTIVITIES, DataType.HEART_RATE, DataType.SLEEP,
                DataType.BODY)  # fmt: skip

    def fithub_env(self) -> dict[str, str]:
        options = {"verify_code": self.verify_code}
        return {**super().fithub_env(), "FITHUB_FITBIT_OPTIONS": json.dumps(options)}

    # -- notifications ------------------------------------------------------------------------------

    def withdraw(self, account: str) -> dict[str, str]:
        """The person revokes the app in their Fitbit settings: every token of theirs stops
        working. Returns the ``userRevokedAccess`` notification Fitbit then sends."""
        with self._lock:
            for tokens in (self.access_tokens, self.refresh_tokens):
                for token, grant in list(tokens.items()):
                    if grant.account == account:
                        self.revoked.add(token)
                        del tokens[token]
            self.subscriptions = {k: v for k, v in self.subscriptions.items() if k[0] != account}
        return self.notification(account, "userRevokedAccess", datetime.now(UTC).date())

    @staticmethod
    def notification(account: str, collection: str, day: date | str) -> dict[str, str]:
        return {"collectionType": collection, "date": str(day), "ownerId": account,
                "ownerType": "user", "subscriptionId": f"fithub-{account}"}  # fmt: skip

    def signed_push(self, notifications: list[dict[str, str]], *,
                    secret: str | None = None) -> tuple[dict[str, str], bytes]:  # fmt: skip
        """Headers and body of a notification POST as Fitbit sends it (HMAC-SHA1, base64)."""
        body = json.dumps(notifications).encode()
        key = f"{secret or self.client_secret}&".encode()
        signature = base64.b64encode(hmac.new(key, body, hashlib.sha1).digest()).decode()
        return {"x-fitbit-signature": signature, "content-type": "application/json"}, body

    def push_spec(self, account: str) -> PushSpec:
        """How Fitbit's notifications prove themselves: an HMAC-SHA1 over the body."""

        def make(at: datetime) -> PushRequest:
            headers, body = self.signed_push([self.notification(account, "activities", at.date())])
            return PushRequest("POST", headers, {}, body)

        return PushSpec(make, secret_headers=("x-fitbit-signature",), body_signed=True)

    # -- data ---------------------------------------------------------------------------------------

    def _days(self, start: datetime, end: datetime) -> list[date]:
        """The local days [start, end) touches."""
        tz, days = self.tz, []
        day = start.astimezone(tz).date()
        while datetime.combine(day, clock.min, tz) < end:
            days.append(day)
            day += timedelta(days=1)
        return days

    def seed(self, account: str, start: datetime, end: datetime) -> None:
        """Per local day: a summary, two activities, a night's sleep and a nap, a weigh-in every
        other day; heart rate every minute (a few minutes missing, as when the band slips)."""
        self.add_account(account)
        tz = self.tz

        def inside(moment: datetime) -> bool:
            return start <= moment < end

        with self._lock:
            for day in self._days(start, end):
                self.upsert(account, "daily", self.daily_summary(account, day), "date")
                for kind in ("walk", "run"):
                    item = self.activity(account, day, kind)
                    if inside(self.start_of(item)):
                        self.upsert(account, "activities", item, "logId")
                for nap in (False, True):
                    item = self.sleep_log(account, day, nap=nap)
                    if inside(self.start_of(item)):
                        self.upsert(account, "sleep", item, "logId")
                if day.toordinal() % 2 == 0:
                    weigh_in = self.weight_log(account, day)
                    if inside(datetime.fromtimestamp(weigh_in["logId"] / 1000, UTC)):
                        self.upsert(account, "weight", weigh_in, "logId")
            moment = start.astimezone(UTC).replace(second=0, microsecond=0)
            moment += timedelta(minutes=1) if moment < start else timedelta()
            known = {s["t"] for s in self.items(account, "heart")}
            while moment < end:
                n = noise(account, moment)
                hour = moment.astimezone(tz).hour
                if n % 13 and moment.isoformat() not in known:
                    bpm = 48 + n % 9 if hour < 7 or hour >= 23 else 62 + n % 35
                    self.items(account, "heart").append({"t": moment.isoformat(), "value": bpm})
                moment += timedelta(minutes=1)
            self.items(account, "heart").sort(key=lambda s: s["t"])

    def start_of(self, item: dict[str, Any]) -> datetime:
        """When a log starts (sleep logs give local time without an offset)."""
        moment = datetime.fromisoformat(item["startTime"])
        return moment if moment.tzinfo else moment.replace(tzinfo=self.tz)

    def daily_summary(self, account: str, day: date) -> dict[str, Any]:
        return data.daily_summary(account, day)

    def activity(self, account: str, day: date, kind: str) -> dict[str, Any]:
        return data.activity(account, day, kind, self.tz)

    def sleep_log(self, account: str, day: date, *, nap: bool) -> dict[str, Any]:
        return data.sleep_log(account, day, self.tz, nap=nap)

    def weight_log(self, account: str, day: date) -> dict[str, Any]:
        return data.weight_log(account, day, self.tz)

    # -- OAuth in Fitbit's words ----------------------------------------------------------------------

    @staticmethod
    def oauth_error(error: str, status: int = 400) -> web.Response:
        messages = {"invalid_grant": "Refresh token invalid or already used.",
                    "invalid_client": "Invalid authorization header format."}  # fmt: skip
        body = errors_body(error, messages.get(error, error) + " Visit "
                           "https://dev.fitbit.com/docs/oauth2 for more information.")  # fmt: skip
        return web.json_response(body, status=status)

    def issue(self, account: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        return {**super().issue(account, scopes), "token_type": "Bearer", "user_id": account}

    async def _authorize(self, request: web.Request) -> web.Response:
        query = request.query
        if "code_challenge" in query and query.get("code_challenge_method") != "S256":
            _fail(web.HTTPBadRequest, "invalid_request", "Unsupported code_challenge_method")
        return await super()._authorize(request)

    async def _revoke(self, request: web.Request) -> web.Response:
        form = await request.post()
        if not self._client_ok(request, {}):
            return self.oauth_error("invalid_client", 401)
        token = str(form.get("token") or "")
        with self._lock:
            grant = self.access_tokens.pop(token, None) or self.refresh_tokens.get(token)
            if grant is not None:
                self.revoked.add(token)
                self.refresh_tokens.pop(grant.refresh_token or "", None)
                for access, other in list(self.access_tokens.items()):
                    if other.refresh_token == grant.refresh_token:
                        self.revoked.add(access)
                        del self.access_tokens[access]
        return web.json_response({})

    def account_for(self, request: web.Request, scope: str | None = None) -> str:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        with self._lock:
            grant = self.access_tokens.get(token)
        if grant is None:
            _fail(web.HTTPUnauthorized, "invalid_token", f"Access token invalid: {token}. Visit "
                  "https://dev.fitbit.com/docs/oauth2 for more information.")  # fmt: skip
        if grant.expires_at <= time.time():
            _fail(web.HTTPUnauthorized, "expired_token", f"Access token expired: {token}. Visit "
                  "https://dev.fitbit.com/docs/oauth2 for more information.")  # fmt: skip
        if scope is not None and scope not in grant.scopes:
            _fail(
                web.HTTPForbidden,
                "insufficient_scope",
                f"This application does not have permission to access {scope} data.",
            )
        self.note_account(request, grant.account)
        return grant.account

    # -- rate limit: every data request of an account counts; the hour resets at its top ----------------

    def _spend(self, account: str) -> dict[str, str]:
        now = time.time()
        window, reset = int(now // 3600), str(max(1, int(3600 - now % 3600)))
        limit = self.rate_limit_per_hour
        with self._lock:
            used = self.spent.get((account, window), 0)
            if used >= limit:
                headers = {
                    "Fitbit-Rate-Limit-Limit": str(limit),
                    "Fitbit-Rate-Limit-Remaining": "0",
                    "Fitbit-Rate-Limit-Reset": reset,
                }
                if self.retry_after_s is not None:
                    headers["Retry-After"] = str(self.retry_after_s)
                _fail(web.HTTPTooManyRequests, "system", "Too Many Requests", headers)
            self.spent[(account, window)] = used + 1
        return {"Fitbit-Rate-Limit-Limit": str(limit),
                "Fitbit-Rate-Limit-Remaining": str(limit - used - 1),
                "Fitbit-Rate-Limit-Reset": reset}  # fmt: skip

    def _guard(self, request: web.Request, scope: str | None) -> tuple[str, dict[str, str]]:
        account = self.account_for(request, scope)
        return account, self._spend(account)

    # -- routes ---------------------------------------------------------------------------------------

    def middlewares(self) -> list[Middleware]:
        return [*super().middlewares(), self._log_refusals]  # inside the base's log: runs after it

    @web.middleware
    async def _log_refusals(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record the status of the errors the routes raise (401, 403, 429, 400) in the log."""
        try:
            return await handler(request)
        except web.HTTPException as exc:
            request[RECORD].status = exc.status
            raise

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/1/user/-/profile.json", self._profile)
        router.add_get("/1/user/-/activities/list.json", self._activities)
        router.add_get("/1/user/-/activities/date/{day}.json", self._daily)
        router.add_get("/1/user/-/activities/heart/date/{day}/1d/{detail}.json", self._heart)
        router.add_get("/1.2/user/-/sleep/list.json", self._sleep)
        router.add_get("/1/user/-/body/log/weight/date/{start}/{end}.json", self._weight)
        router.add_get("/1/user/-/apiSubscriptions.json", self._subscriptions)
        router.add_post("/1/user/-/{collection}/apiSubscriptions/{sid}.json", self._subscribe)
        router.add_delete("/1/user/-/{collection}/apiSubscriptions/{sid}.json", self._unsubscribe)

    async def _profile(self, request: web.Request) -> web.Response:
        account, headers = self._guard(request, "profile")
        offset = datetime.now(self.tz).utcoffset() or timedelta()
        user = {
            "encodedId": account,
            "displayName": f"Fake {account[:4]}",
            "timezone": self.timezone,
            "offsetFromUTCMillis": int(offset.total_seconds() * 1000),
            "locale": "en_US",
            "distanceUnit": "METRIC",
            "weightUnit": "METRIC",
            "memberSince": "2019-01-01",
        }
        return web.json_response({"user": user}, headers=headers)

    async def _activities(self, request: web.Request) -> web.Response:
        account, headers = self._guard(request, "activity")
        return self._log_list(request, headers, self.items(account, "activities"), "activities")

    async def _sleep(self, request: web.Request) -> web.Response:
        account, headers = self._guard(request, "sleep")
        return self._log_list(request, headers, self.items(account, "sleep"), "sleep")

    def _log_list(self, request: web.Request, headers: dict[str, str],
                  stored: list[dict[str, Any]], key: str) -> web.Response:  # fmt: skip
        query, tz = request.query, self.tz
        after, before, sort = query.get("afterDate"), query.get("beforeDate"), query.get("sort")
        if (after is None) == (before is None):
            _fail(web.HTTPBadRequest, "validation", "Either beforeDate or afterDate is required")
        if sort != ("asc" if after else "desc"):
            _fail(
                web.HTTPBadRequest,
                "validation",
                "Use sort=asc with afterDate, desc with beforeDate",
            )
        try:
            limit, offset = int(query["limit"]), int(query["offset"])
            bound = datetime.fromisoformat(after or before or "")
        except (KeyError, ValueError):
            _fail(
                web.HTTPBadRequest, "validation", "limit, offset and a yyyy-MM-dd date are required"
            )
        if not 0 < limit <= 100 or offset < 0:
            _fail(web.HTTPBadRequest, "validation", "limit must be 1 to 100")

        def local_start(item: dict[str, Any]) -> datetime:
            return self.start_of(item).astimezone(tz).replace(tzinfo=None)

        date_only = len(after or before or "") == 10
        with self._lock:
            ordered = sorted(stored, key=local_start)
        if after:
            chosen = [i for i in ordered if local_start(i) > bound or
                      (date_only and local_start(i) == bound)]  # fmt: skip
        else:
            chosen = [i for i in reversed(ordered) if local_start(i) < bound]
        request[RECORD].total = len(chosen)
        page = chosen[offset : offset + min(limit, self.page_size)]

        def link(at: int) -> str:
            return str(request.url.update_query(offset=str(at)))

        following = offset + len(page)
        pagination = {"afterDate" if after else "beforeDate": after or before, "limit": limit,
                      "next": link(following) if following < len(chosen) else "",
                      "offset": offset, "previous": link(max(0, offset - limit)) if offset else "",
                      "sort": sort}  # fmt: skip
        return web.json_response({key: page, "pagination": pagination}, headers=headers)

    async def _daily(self, request: web.Request) -> web.Response:
        account, headers = self._guard(request, "activity")
        day = _day(request.match_info["day"])
        with self._lock:
            stored = self.items(account, "daily")
            request[RECORD].total = len(stored)
            found = next((d for d in stored if d["date"] == day.isoformat()), None)
            logged = [
                a
                for a in self.items(account, "activities")
                if datetime.fromisoformat(a["startTime"]).astimezone(self.tz).date() == day
            ]
        if found is None:  # Fitbit answers any day; a day without data is all zeros and BMR
            found = {"summary": {"activityCalories": 0, "caloriesBMR": 1650, "caloriesOut": 1650,
                                 "distances": [{"activity": "total", "distance": 0}],
                                 "fairlyActiveMinutes": 0, "lightlyActiveMinutes": 0,
                                 "sedentaryMinutes": 1440, "steps": 0, "veryActiveMinutes": 0},
                     "goals": {"steps": 10000}}  # fmt: skip
        activities = [
            {
                "activityId": a["activityTypeId"],
                "name": a["activityName"],
                "calories": a["calories"],
                "duration": a["duration"],
                "logId": a["logId"],
                "startTime": a["startTime"][11:16],
                "steps": a["steps"],
            }
            for a in logged
        ]
        body = {"activities": activities, "goals": found["goals"], "summary": found["summary"]}
        return web.json_response(body, headers=headers)

    async def _heart(self, request: web.Request) -> web.Response:
        account, headers = self._guard(request, "heartrate")
        day = _day(request.match_info["day"])
        if request.match_info["detail"] != "1min":
            _fail(web.HTTPBadRequest, "validation", "The fake serves detail-level 1min only")
        zone_name = request.query.get("timezone")
        if zone_name not in (None, "UTC"):
            _fail(web.HTTPBadRequest, "validation", "timezone supports UTC only")
        tz: tzinfo = UTC if zone_name else self.tz
        begin = datetime.combine(day, clock.min, tz).astimezone(UTC).isoformat()
        finish = (
            datetime.combine(day + timedelta(days=1), clock.min, tz).astimezone(UTC).isoformat()
        )
        with self._lock:
            stored = self.items(account, "heart")
            request[RECORD].total = len(stored)
            dataset = [
                {
                    "time": datetime.fromisoformat(s["t"]).astimezone(tz).strftime("%H:%M:%S"),
                    "value": s["value"],
                }
                for s in stored
                if begin <= s["t"] < finish
            ]
        n = noise(account, day, "daily")
        zones = [
            {"caloriesOut": 1200.5, "max": 97, "min": 30, "minutes": 1200, "name": "Out of Range"},
            {"caloriesOut": 600.2, "max": 135, "min": 97, "minutes": 60, "name": "Fat Burn"},
            {"caloriesOut": 150.1, "max": 164, "min": 135, "minutes": 12, "name": "Cardio"},
            {"caloriesOut": 20.3, "max": 220, "min": 164, "minutes": 2, "name": "Peak"},
        ]
        body: dict[str, Any] = {
            "activities-heart": [
                {
                    "dateTime": day.isoformat(),
                    "value": {
                        "customHeartRateZones": [],
                        "heartRateZones": zones,
                        "restingHeartRate": 55 + n % 10,
                    },
                }
            ]
        }
        if self.intraday_access:
            body["activities-heart-intraday"] = {"dataset": dataset, "datasetInterval": 1,
                                                 "datasetType": "minute"}  # fmt: skip
        return web.json_response(body, headers=headers)

    async def _weight(self, request: web.Request) -> web.Response:
        account, headers = self._guard(request, "weight")
        first, last = _day(request.match_info["start"]), _day(request.match_info["end"])
        if last < first or (last - first).days > 30:
            _fail(web.HTTPBadRequest, "validation", "The date range is at most 31 days")
        with self._lock:
            logs = sorted((w for w in self.items(account, "weight")
                           if first <= date.fromisoformat(w["date"]) <= last),
                          key=lambda w: (w["date"], w["time"]))  # fmt: skip
        request[RECORD].total = len(logs)
        return web.json_response({"weight": logs}, headers=headers)

    async def _subscriptions(self, request: web.Request) -> web.Response:
        account, headers = self._guard(request, None)
        with self._lock:
            found = [
                {
                    "collectionType": c,
                    "ownerId": a,
                    "ownerType": "user",
                    "subscriberId": "1",
                    "subscriptionId": s,
                }
                for (a, c), s in self.subscriptions.items()
                if a == account
            ]
        return web.json_response({"apiSubscriptions": found}, headers=headers)

    async def _subscribe(self, request: web.Request) -> web.Response:
        collection, sid = request.match_info["collection"], request.match_info["sid"]
        if collection not in SCOPE_OF_COLLECTION:
            _fail(web.HTTPBadRequest, "validation", f"Unknown collection {collection}")
        account, headers = self._guard(request, SCOPE_OF_COLLECTION[collection])
        with self._lock:
            existing = self.subscriptions.get((account, collection))
            if existing not in (None, sid):
                _fail(web.HTTPConflict, "conflict", "A subscription with another id exists")
            self.subscriptions[(account, collection)] = sid
        body = {"collectionType": collection, "ownerId": account, "ownerType": "user",
                "subscriberId": request.headers.get("X-Fitbit-Subscriber-Id", "1"),
                "subscriptionId": sid}  # fmt: skip
        return web.json_response(body, status=200 if existing else 201, headers=headers)

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        account, headers = self._guard(request, None)
        with self._lock:
            self.subscriptions.pop((account, request.match_info["collection"]), None)
        return web.Response(status=204, headers=headers)
