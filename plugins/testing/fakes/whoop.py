"""A fake WHOOP Developer API v2: OAuth 2.0 with ``offline`` refresh tokens, ``/developer/v2/*`` data.

What it does as WHOOP documents it (developer.whoop.com, the v2 OpenAPI description):

- consent at ``/oauth/oauth2/auth``, tokens at ``/oauth/oauth2/token`` with the client id and
  secret in the form body; access tokens live an hour; ``DELETE /developer/v2/user/access``
  withdraws the grant (204), after which every token of it is refused;
- a refresh token only when the grant includes the ``offline`` scope, and on refresh only when the
  request asks for ``scope=offline`` again; refresh tokens rotate (the old one is refused after);
- collections ``activity/workout``, ``activity/sleep``, ``cycle`` and ``recovery`` take ``start``,
  ``end``, ``limit`` (1..25, default 10, more is a 400) and ``nextToken``, and answer
  ``{"records": [...], "next_token": "..."}``, newest first; ``next_token`` is left out on the
  last page; v2 ids are UUIDs, cycle and user ids integers; times UTC with milliseconds;
- ``score`` only when ``score_state`` is ``SCORED`` (the fake seeds some ``PENDING_SCORE`` workouts,
  ``UNSCORABLE`` naps and recoveries, and an in-progress cycle without ``end``);
- 100 requests a minute and 10,000 a day per app; every data answer carries ``X-RateLimit-Limit``,
  ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (seconds), a 429 too (no ``Retry-After``);
- webhooks are signed base64(HMAC-SHA256(client secret, timestamp ms + body)): see
  :meth:`FakeWhoop.webhook`.

Chosen, not documented (so kept strict or plain): a state shorter than 8 characters is refused
with ``error=invalid_state`` (WHOOP's OAuth server, Ory Hydra, does so); a window keeps the items
that *start* in [start, end) (recoveries: by the start of their sleep); a refresh without
``scope=offline`` gets no new refresh token; error bodies are ``{"error": ..., "message": ...}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.typedefs import Middleware

from fithub.plugins.testing.fake import RECORD, FakeVendor, Handler, noise
from fithub.plugins.testing.push_contract import PushSpec
from fithub.plugins.types import DataType, PushRequest

USER_ZONE = timezone(timedelta(hours=-5))  # the seeded person lives at UTC-05:00
USER_OFFSET = "-05:00"
MAX_LIMIT = 25
DEFAULT_LIMIT = 10
SPORTS = (("running", 0), ("cycling", 1), ("weightlifting", 45), ("yoga", 44), ("walking", 63))
DISTANCE_SPORTS = frozenset({"running", "cycling", "walking"})
SCOPE_OF = {
    "workout": "read:workout",
    "sleep": "read:sleep",
    "cycle": "read:cycles",
    "recovery": "read:recovery",
}


def whoop_time(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "whoop-fake/" + "/".join(map(str, parts))))


def _error(status: type[web.HTTPException], message: str) -> web.HTTPException:
    text = json.dumps({"error": status.__name__.removeprefix("HTTP"), "message": message})
    return status(text=text, content_type="application/json")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class FakeWhoop(FakeVendor):
    name: ClassVar[str] = "whoop"
    authorize_path: ClassVar[str] = "/oauth/oauth2/auth"
    token_path: ClassVar[str] = "/oauth/oauth2/token"
    revoke_path: ClassVar[str] = "/developer/v2/user/access"  # DELETE with the bearer token
    data_prefix: ClassVar[str] = "/developer/"
    client_id: ClassVar[str] = "fake-whoop-client"
    client_secret: ClassVar[str] = "fake-whoop-secret"
    page_size = MAX_LIMIT  # the most one page holds, whatever ``limit`` asks

    def reset(self) -> None:
        super().reset()
        self.limit_per_minute = 100
        self.limit_per_day = 10_000
        self._minute = (0.0, 0)  # (window start, requests in it)
        self._day = (0.0, 0)

    def data_types(self) -> tuple[DataType, ...]:
        return (DataType.ACTIVITIES, DataType.SLEEP, DataType.DAILY, DataType.HRV,
                DataType.SPO2, DataType.BODY)  # fmt: skip

    @staticmethod
    def user_id(account: str) -> int:
        """The WHOOP user id (an integer) of a fake account."""
        return 10_000 + noise("user", account) % 90_000_000

    # -- data -------------------------------------------------------------------------------------

    @staticmethod
    def bedtime(account: str, day: date) -> datetime:
        """When the main sleep that begins on the evening of local ``day`` starts."""
        minutes = 22 * 60 + 15 + noise(account, day, "bed") % 90  # 22:15 .. 23:44 local
        return datetime(day.year, day.month, day.day, tzinfo=USER_ZONE) + timedelta(minutes=minutes)

    def seed(self, account: str, start: datetime, end: datetime) -> None:
        """Per night a sleep, its recovery and the cycle it opens; per day a workout; naps."""
        self.add_account(account)
        day = start.astimezone(USER_ZONE).date() - timedelta(days=1)
        last = end.astimezone(USER_ZONE).date()
        while day <= last:
            bed, next_bed = self.bedtime(account, day), self.bedtime(account, day + timedelta(1))
            items: list[tuple[str, dict[str, Any], str, datetime]] = [
                ("sleep", self.sleep(account, day), "id", bed),
                ("recovery", self.recovery(account, day), "sleep_id", bed),
                ("cycle", self.cycle(account, day, None if next_bed >= end else next_bed), "id",
                 bed),
            ]  # fmt: skip
            workout = self.workout(account, day + timedelta(days=1))
            items.append(("workout", workout, "id", _at(workout["start"])))
            if (day + timedelta(days=1)).toordinal() % 3 == 0:
                nap = self.nap(account, day + timedelta(days=1))
                items.append(("sleep", nap, "id", _at(nap["start"])))
            for collection, item, key, began in items:
                if start <= began < end:
                    self.upsert(account, collection, item, key)
            day += timedelta(days=1)
        n = noise(account, "body")
        body = {"height_meter": 1.6 + (n % 35) / 100, "weight_kilogram": 60.0 + (n % 400) / 10,
                "max_heart_rate": 180 + n % 20}  # fmt: skip
        with self._lock:
            self.items(account, "body")[:] = [body]

    def sleep(self, account: str, day: date) -> dict[str, Any]:
        """The main sleep beginning on the evening of local ``day``, scored."""
        n = noise(account, day, "sleep")
        start = self.bedtime(account, day)
        in_bed = (7 * 3600 + n % 5400) * 1000
        awake, rem = 1_200_000 + n % 1_200_000, in_bed // 5
        sws = in_bed // 6
        light = in_bed - awake - rem - sws
        end = start + timedelta(milliseconds=in_bed)
        return {
            "id": _uuid(account, "sleep", day),
            "cycle_id": self.cycle_id(account, day),
            "v1_id": n % 10_000_000,
            "user_id": self.user_id(account),
            "created_at": whoop_time(end + timedelta(minutes=4)),
            "updated_at": whoop_time(end + timedelta(minutes=19)),
            "start": whoop_time(start),
            "end": whoop_time(end),
            "timezone_offset": USER_OFFSET,
            "nap": False,
            "score_state": "SCORED",
            "score": {
                "stage_summary": {
                    "total_in_bed_time_milli": in_bed,
                    "total_awake_time_milli": awake,
                    "total_no_data_time_milli": 0,
                    "total_light_sleep_time_milli": light,
                    "total_slow_wave_sleep_time_milli": sws,
                    "total_rem_sleep_time_milli": rem,
                    "sleep_cycle_count": 3 + n % 3,
                    "disturbance_count": n % 14,
                },
                "sleep_needed": {
                    "baseline_milli": 27_395_716,
                    "need_from_sleep_debt_milli": n % 600_000,
                    "need_from_recent_strain_milli": n % 300_000,
                    "need_from_recent_nap_milli": 0,
                },
                "respiratory_rate": 14.0 + (n % 300) / 100,
                "sleep_performance_percentage": 70 + n % 30,
                "sleep_consistency_percentage": 60 + n % 40,
                "sleep_efficiency_percentage": round(100 * (in_bed - awake) / in_bed, 4),
            },
        }

    def nap(self, account: str, day: date) -> dict[str, Any]:
        """A 25-minute afternoon nap on local ``day`` that WHOOP could not score."""
        start = datetime(day.year, day.month, day.day, 14, 10, tzinfo=USER_ZONE)
        end = start + timedelta(minutes=25)
        return {
            "id": _uuid(account, "nap", day),
            "cycle_id": self.cycle_id(account, day - timedelta(days=1)),
            "user_id": self.user_id(account),
            "created_at": whoop_time(end + timedelta(minutes=2)),
            "updated_at": whoop_time(end + timedelta(minutes=2)),
            "start": whoop_time(start),
            "end": whoop_time(end),
            "timezone_offset": USER_OFFSET,
            "nap": True,
            "score_state": "UNSCORABLE",
        }

    def workout(self, account: str, day: date) -> dict[str, Any]:
        """The evening workout of local ``day``; every fifth day's is still PENDING_SCORE."""
        n = noise(account, day, "workout")
        sport, sport_id = SPORTS[n % len(SPORTS)]
        start = datetime(day.year, day.month, day.day, 17, 30, tzinfo=USER_ZONE)
        minutes = 40 + n % 30
        end = start + timedelta(minutes=minutes)
        item: dict[str, Any] = {
            "id": _uuid(account, "workout", day),
            "v1_id": n % 10_000_000,
            "user_id": self.user_id(account),
            "created_at": whoop_time(end + timedelta(minutes=1)),
            "updated_at": whoop_time(end + timedelta(minutes=9)),
            "start": whoop_time(start),
            "end": whoop_time(end),
            "timezone_offset": USER_OFFSET,
            "sport_name": sport,
            "sport_id": sport_id,
            "score_state": "SCORED",
        }
        if day.toordinal() % 5 == 0:
            item["score_state"] = "PENDING_SCORE"
            return item
        total = minutes * 60_000
        zones = [total // 10, total // 5, total // 4, total // 4, total // 10]
        score: dict[str, Any] = {
            "strain": round(6 + (n % 1000) / 100, 4),
            "average_heart_rate": 120 + n % 30,
            "max_heart_rate": 160 + n % 25,
            "kilojoule": round(900.0 + n % 1600 + 0.25, 3),
            "percent_recorded": 100.0,
            "zone_durations": {
                "zone_zero_milli": total - sum(zones),
                "zone_one_milli": zones[0],
                "zone_two_milli": zones[1],
                "zone_three_milli": zones[2],
                "zone_four_milli": zones[3],
                "zone_five_milli": zones[4],
            },
        }
        if sport in DISTANCE_SPORTS:
            score["distance_meter"] = round(3000.0 + n % 9000 + 0.5, 2)
            score["altitude_gain_meter"] = float(n % 120)
            score["altitude_change_meter"] = float(n % 20 - 10)
        item["score"] = score
        return item

    @staticmethod
    def cycle_id(account: str, day: date) -> int:
        return 1_000_000 + noise(account, day, "cycle") % 900_000_000

    def cycle(self, account: str, day: date, end: datetime | None) -> dict[str, Any]:
        """The cycle opened by the sleep of ``day``'s evening; ``end`` None: still under way."""
        n = noise(account, day, "cycle")
        start = self.bedtime(account, day)
        return {
            "id": self.cycle_id(account, day),
            "user_id": self.user_id(account),
            "created_at": whoop_time(start + timedelta(minutes=1)),
            "updated_at": whoop_time((end or start) + timedelta(minutes=5)),
            "start": whoop_time(start),
            "end": whoop_time(end) if end is not None else None,
            "timezone_offset": USER_OFFSET,
            "score_state": "SCORED",
            "score": {
                "strain": round(8 + (n % 1000) / 100, 4),
                "kilojoule": round(8000.0 + n % 4000 + 0.5, 3),
                "average_heart_rate": 60 + n % 15,
                "max_heart_rate": 150 + n % 35,
            },
        }

    def recovery(self, account: str, day: date) -> dict[str, Any]:
        """The recovery scored after ``day``'s night; every sixth one is UNSCORABLE."""
        n = noise(account, day, "recovery")
        slept = self.sleep(account, day)
        woke = _at(slept["end"])
        item: dict[str, Any] = {
            "cycle_id": self.cycle_id(account, day),
            "sleep_id": slept["id"],
            "user_id": self.user_id(account),
            "created_at": whoop_time(woke + timedelta(minutes=3)),
            "updated_at": whoop_time(woke + timedelta(minutes=21)),
            "score_state": "SCORED",
        }
        if day.toordinal() % 6 == 0:
            item["score_state"] = "UNSCORABLE"
            return item
        item["score"] = {
            "user_calibrating": False,
            "recovery_score": float(30 + n % 65),
            "resting_heart_rate": float(46 + n % 14),
            "hrv_rmssd_milli": round(35 + (n % 6000) / 100, 6),
            "spo2_percentage": round(94 + (n % 500) / 100, 4),
            "skin_temp_celsius": round(33 + (n % 200) / 100, 3),
        }
        return item

    # -- webhooks ---------------------------------------------------------------------------------

    def webhook(
        self,
        account: str,
        event_type: str,
        object_id: str | int,
        *,
        timestamp_ms: int | None = None,
        secret: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A webhook as WHOOP would POST it: its headers and raw body, signed with the secret."""
        body = json.dumps({"user_id": self.user_id(account), "id": object_id,
                           "type": event_type, "trace_id": str(uuid.uuid4())}).encode()  # fmt: skip
        stamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
        key = (secret if secret is not None else self.client_secret).encode()
        signature = base64.b64encode(hmac.new(key, stamp.encode() + body, hashlib.sha256).digest())
        headers = {
            "Content-Type": "application/json",
            "X-WHOOP-Signature": signature.decode(),
            "X-WHOOP-Signature-Timestamp": stamp,
        }
        return headers, body

    def push_spec(self, account: str) -> PushSpec:
        """How WHOOP's webhooks prove themselves: an HMAC over a fresh timestamp (ms) and body."""

        def make(at: datetime) -> PushRequest:
            headers, body = self.webhook(account, "workout.deleted", str(uuid.uuid4()),
                                         timestamp_ms=int(at.timestamp() * 1000))  # fmt: skip
            return PushRequest("POST", {k.lower(): v for k, v in headers.items()}, {}, body)

        return PushSpec(make, body_signed=True, timestamped=True,
                        secret_headers=("x-whoop-signature", "x-whoop-signature-timestamp"))  # fmt: skip

    # -- OAuth: WHOOP's rules on top of the generic endpoints -------------------------------------

    def add_oauth_routes(self, app: web.Application) -> None:
        app.router.add_get(self.authorize_path, self._authorize)
        app.router.add_post(self.token_path, self._token)  # no OAuth revoke: see revoke_path

    async def _authorize(self, request: web.Request) -> web.Response:
        state = request.query.get("state", "")
        if len(state) < 8:
            params = {
                "error": "invalid_state",
                "state": state,
                "error_description": "The state is missing or has fewer than 8 characters",
            }
            raise web.HTTPFound(f"{request.query.get('redirect_uri', '')}?{urlencode(params)}")
        return await super()._authorize(request)

    async def _token(self, request: web.Request) -> web.Response:
        """Refresh tokens come only with ``offline`` (granted, and asked again on refresh)."""
        answer = await super()._token(request)
        if answer.status != 200 or not isinstance(answer.body, bytes):
            return answer
        form = await request.post()
        body = json.loads(answer.body)
        offline = "offline" in str(body.get("scope", "")).split()
        if form.get("grant_type") == "refresh_token":
            offline = offline and "offline" in str(form.get("scope", "")).split()
        if offline:
            return answer
        with self._lock:
            self.refresh_tokens.pop(body.pop("refresh_token", None) or "", None)
        return web.json_response(body)

    async def _revoke_access(self, request: web.Request) -> web.Response:
        self.drop_tokens(self.account_for(request))
        return web.Response(status=204)

    # -- the server -------------------------------------------------------------------------------

    def middlewares(self) -> list[Middleware]:
        return [self._rate_headers, *super().middlewares(), self._rate_limit]

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/developer/v2/user/profile/basic", self._profile)
        router.add_get("/developer/v2/user/measurement/body", self._body)
        router.add_delete(self.revoke_path, self._revoke_access)
        router.add_get("/developer/v2/activity/workout", self._collection("workout"))
        router.add_get("/developer/v2/activity/sleep", self._collection("sleep"))
        router.add_get("/developer/v2/cycle", self._collection("cycle"))
        router.add_get("/developer/v2/recovery", self._collection("recovery"))

    async def _profile(self, request: web.Request) -> web.Response:
        account = self.account_for(request, "read:profile")
        return web.json_response({"user_id": self.user_id(account), "email": f"{account}@example.com",
                                  "first_name": "Fake", "last_name": account})  # fmt: skip

    async def _body(self, request: web.Request) -> web.Response:
        account = self.account_for(request, "read:body_measurement")
        found = self.items(account, "body")
        request[RECORD].total = len(found[:1])
        if not found:
            raise _error(web.HTTPNotFound, "No resource found")
        return web.json_response(found[0])

    def _collection(self, collection: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            account = self.account_for(request, SCOPE_OF[collection])
            start, end, limit = self._query(request)
            items = self.items(account, collection)
            if collection == "recovery":
                began = {s["id"]: _at(s["start"]) for s in self.items(account, "sleep")}

                def start_of(item: dict[str, Any]) -> datetime:
                    return began.get(item["sleep_id"], _at(item["created_at"]))
            else:

                def start_of(item: dict[str, Any]) -> datetime:
                    return _at(item["start"])

            with self._lock:
                chosen = [i for i in items if start <= start_of(i) < end]
            chosen.sort(key=lambda i: (start_of(i), str(i.get("id", i.get("sleep_id")))),
                        reverse=True)  # fmt: skip
            page, following = self.paginate(
                request,
                chosen,
                request.query.get("nextToken"),
                size=min(limit, self.page_size),
                refuse=lambda: _error(web.HTTPBadRequest, "nextToken is not valid"),
            )
            body: dict[str, Any] = {"records": page}
            if following is not None:
                body["next_token"] = following
            return web.json_response(body)

        return handler

    @staticmethod
    def _query(request: web.Request) -> tuple[datetime, datetime, int]:
        try:
            start_text, end_text = request.query.get("start"), request.query.get("end")
            start = _at(start_text) if start_text else datetime.min.replace(tzinfo=UTC)
            end = _at(end_text) if end_text else datetime.now(UTC)
        except ValueError as exc:
            raise _error(web.HTTPBadRequest, "start and end must be ISO 8601 date-times") from exc
        if start.tzinfo is None or end.tzinfo is None:
            raise _error(web.HTTPBadRequest, "start and end need a time zone")
        try:
            limit = int(request.query.get("limit", DEFAULT_LIMIT))
        except ValueError as exc:
            raise _error(web.HTTPBadRequest, "limit must be an integer") from exc
        if not 1 <= limit <= MAX_LIMIT:
            raise _error(web.HTTPBadRequest, f"limit must be between 1 and {MAX_LIMIT}")
        return start, end, limit

    # -- rate limits ------------------------------------------------------------------------------

    def _rate_state(self, now: float) -> tuple[int, int, int]:
        """(the limit closest to being hit, requests left under it, seconds until it resets)."""
        with self._lock:
            (m_start, m_used), (d_start, d_used) = self._minute, self._day
            if now - m_start >= 60:
                m_start, m_used = now, 0
            if now - d_start >= 86_400:
                d_start, d_used = now, 0
            minute_left = self.limit_per_minute - m_used
            day_left = self.limit_per_day - d_used
        if minute_left <= day_left:
            return self.limit_per_minute, max(0, minute_left), math.ceil(60 - (now - m_start))
        return self.limit_per_day, max(0, day_left), math.ceil(86_400 - (now - d_start))

    @web.middleware
    async def _rate_limit(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Count data requests per app; over either limit: 429 until the window resets."""
        if not request.path.startswith(self.data_prefix):
            return await handler(request)
        now = time.time()
        with self._lock:
            m_start, m_used = self._minute
            d_start, d_used = self._day
            if now - m_start >= 60:
                m_start, m_used = now, 0
            if now - d_start >= 86_400:
                d_start, d_used = now, 0
            self._minute, self._day = (m_start, m_used + 1), (d_start, d_used + 1)
            over = m_used + 1 > self.limit_per_minute or d_used + 1 > self.limit_per_day
        if over:
            raise _error(web.HTTPTooManyRequests, "Request rejected due to rate limiting")
        return await handler(request)

    def _rate_headers_for(self, status: int, retry_after: str | None) -> dict[str, str]:
        limit, left, reset = self._rate_state(time.time())
        policy = f"{limit}, {self.limit_per_minute};window=60, {self.limit_per_day};window=86400"
        if status == 429:
            left = 0
            reset = int(float(retry_after)) if retry_after else reset  # an injected 429
        return {"X-RateLimit-Limit": policy, "X-RateLimit-Remaining": str(left),
                "X-RateLimit-Reset": str(reset)}  # fmt: skip

    @web.middleware
    async def _rate_headers(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every data answer says where the app stands; WHOOP sends no Retry-After."""
        if not request.path.startswith(self.data_prefix):
            return await handler(request)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers.update(self._rate_headers_for(exc.status, None))
            raise
        retry_after = response.headers.pop("Retry-After", None)
        response.headers.update(self._rate_headers_for(response.status, retry_after))
        return response
