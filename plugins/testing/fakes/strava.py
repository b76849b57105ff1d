"""A fake Strava API v3: OAuth 2.0 with Strava's token rules, activities paged by page number,
per-app rate limits with Strava's headers, and Strava's error bodies.

Faithful to developers.strava.com (authentication, rate limits, webhooks pages) and the shared
vendors reference (2.5):

- consent ``/oauth/authorize`` redirects with ``state``, ``code`` and the granted ``scope``
  (comma-separated; "read" is always granted); ``POST /oauth/token`` takes the client id and
  secret in the form and answers ``token_type, access_token, expires_at, expires_in,
  refresh_token`` plus ``athlete`` on the code exchange; no ``scope`` in the answer;
- access tokens live 6 hours; a refresh while the newest access token has more than an hour left
  returns that same token (and the same refresh token); otherwise a new access token and a new
  refresh token, the old refresh token dying at once;
- ``POST /oauth/deauthorize?access_token=…`` revokes every token of the athlete for the app;
- ``GET /api/v3/athlete/activities?after&before&page&per_page`` answers a JSON list (oldest first
  when ``after`` is given), ``per_page`` at most 200, an empty list past the end;
- every ``/api/v3`` answer carries ``X-RateLimit-Limit/Usage`` and ``X-ReadRateLimit-Limit/Usage``
  ("15-minute,daily"); windows reset at :00/:15/:30/:45 and at midnight UTC by ``clock``; a
  request over a budget gets 429 without ``Retry-After`` and still counts;
- errors look like ``{"message": "Authorization Error", "errors": [{"resource": "Athlete",
  "field": "access_token", "code": "invalid"}]}``.

Chosen where Strava does not say (unconfirmed): ``after``/``before`` are strict bounds; the token
endpoint answers 400 for a bad code, refresh token or client; deauthorizing needs an unexpired
access token; activities without ``activity:read_all`` leave out "only_me" ones.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import formatdate
from typing import Any, ClassVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from fithub.plugins.testing.fake import RECORD, FakeVendor, noise, with_headers
from fithub.plugins.testing.oauth import Grant, PendingCode
from fithub.plugins.testing.push_contract import PushSpec
from fithub.plugins.types import AppCredentials, DataType, PushRequest

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 30
REUSE_ACCESS_ABOVE_S = 3600.0  # a refresh returns the same access token while more is left
ZONE_NAME = "Europe/Berlin"
ZONE_LABEL = "(GMT+01:00) Europe/Berlin"
VERIFY_TOKEN = "fake-strava-verify-token"
CALLBACK_TOKEN = "fake-strava-callback-token-5c1e9a"  # the secret ?token= of the callback URL
SUBSCRIPTION_ID = 120475


def _z(moment: datetime) -> str:
    """Strava's time text: seconds and a Z (also, misleadingly, on local wall times)."""
    return moment.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def strava_error(status: int, message: str, resource: str, field: str, code: str) -> web.Response:
    body = {"message": message, "errors": [{"resource": resource, "field": field, "code": code}]}
    return web.json_response(body, status=status)


@dataclass
class Budget:
    """One rate limit of the app: a 15-minute and a daily budget, with their usage."""

    limit_15min: int
    limit_daily: int
    used_15min: int = 0
    used_daily: int = 0
    quarter: int = -1
    day: int = -1

    def roll(self, now: float) -> None:
        quarter, day = int(now // 900), int(now // 86400)
        if quarter != self.quarter:
            self.quarter, self.used_15min = quarter, 0
        if day != self.day:
            self.day, self.used_daily = day, 0

    def spend(self) -> bool:
        """Count one request; True when it went over either budget."""
        self.used_15min += 1
        self.used_daily += 1
        return self.used_15min > self.limit_15min or self.used_daily > self.limit_daily


# (name, sport_type, UTC start hour and minute, minutes, metres, has heart rate, kJ, visibility)
SESSIONS: tuple[tuple[str, str, int, int, int, int, bool, bool, str], ...] = (
    ("Morning Run", "Run", 5, 40, 48, 9400, True, False, "everyone"),
    ("Evening Ride", "Ride", 16, 20, 75, 31000, True, True, "followers_only"),
    ("Lunch Walk", "Walk", 11, 5, 35, 3100, False, False, "only_me"),
)
OLD_TYPES = {"Run": "Run", "Ride": "Ride", "Walk": "Walk", "TrailRun": "Run"}


class FakeStrava(FakeVendor):
    name: ClassVar[str] = "strava"
    authorize_path: ClassVar[str] = "/oauth/authorize"
    token_path: ClassVar[str] = "/oauth/token"
    revoke_path: ClassVar[str] = "/oauth/deauthorize"
    data_prefix: ClassVar[str] = "/api/v3/"
    client_id: ClassVar[str] = "48213"
    client_secret: ClassVar[str] = "fake0strava0secret0b7d2c41e9a8f3d6c5b4a3"
    verify_token: ClassVar[str] = VERIFY_TOKEN
    callback_token: ClassVar[str] = CALLBACK_TOKEN
    subscription_id: ClassVar[int] = SUBSCRIPTION_ID
    access_ttl_s = 6 * 3600.0
    page_size = MAX_PER_PAGE  # the most one page holds (tests lower it)

    def __init__(self) -> None:
        self.clock: Callable[[], float] = time.time
        super().__init__()

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.budgets = {"overall": Budget(200, 2000), "read": Budget(100, 1000)}
            self.newest_access: dict[str, str] = {}

    def data_types(self) -> tuple[DataType, ...]:
        return (DataType.ACTIVITIES,)

    def add_account(self, account: str | None = None) -> str:
        """An athlete; new ids are numbers, as Strava's are."""
        return super().add_account(account or str(10_000_000 + secrets.randbelow(89_999_999)))

    def options(self) -> dict[str, str]:
        """``FITHUB_STRAVA_OPTIONS``: what fithub checks webhooks against."""
        return {"verify_token": self.verify_token, "subscription_id": str(self.subscription_id),
                "callback_token": self.callback_token}  # fmt: skip

    def webhook_query(self) -> dict[str, str]:
        """The query of the callback URL fithub gave Strava when subscribing (its secret)."""
        return {"token": self.callback_token}

    def push_spec(self, account: str) -> PushSpec:
        """How Strava's pushes prove themselves: only the secret in the callback URL."""

        def make(at: datetime) -> PushRequest:
            event = self.webhook_event(account, aspect_type="delete", object_id=int(account) + 1)
            event["event_time"] = int(at.timestamp())
            return PushRequest("POST", {"content-type": "application/json"}, self.webhook_query(),
                               json.dumps(event).encode())  # fmt: skip

        return PushSpec(make, secret_params=("token",), options=self.options(),
                        secret_options=("callback_token", "subscription_id"))  # fmt: skip

    def credentials(self, redirect_uri: str = "http://127.0.0.1/callback") -> AppCredentials:
        return AppCredentials(self.client_id, self.client_secret, redirect_uri, base_url=self.url,
                              options=self.options())  # fmt: skip

    def fithub_env(self) -> dict[str, str]:
        return {**super().fithub_env(), "FITHUB_STRAVA_OPTIONS": json.dumps(self.options())}

    def use(self, budget: str = "read", *, fifteen: int | None = None,
            daily: int | None = None) -> Budget:  # fmt: skip
        """Set the current usage of ``budget`` ("read" or "overall"), e.g. to spend it."""
        with self._lock:
            spent = self.budgets[budget]
            spent.roll(self.clock())
            if fifteen is not None:
                spent.used_15min = fifteen
            if daily is not None:
                spent.used_daily = daily
            return spent

    # -- data -------------------------------------------------------------------------------------

    @staticmethod
    def activity(account: str, day: date, session: int = 0) -> dict[str, Any]:
        """A SummaryActivity as ``/athlete/activities`` lists it (no calories: detail only)."""
        name, sport, hour, minute, minutes, metres, heart, watts, visibility = SESSIONS[session]
        n = noise(account, day, session)
        start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
            hours=hour, minutes=minute + n % 10
        )
        moving = minutes * 60 + n % 300
        elapsed = moving + 60 + n % 240
        distance = float(metres + n % 1500) + 0.3
        local = start.astimezone(ZoneInfo(ZONE_NAME))
        offset = local.utcoffset() or timedelta(0)
        item: dict[str, Any] = {
            "resource_state": 2,
            "athlete": {"id": int(account) if account.isdigit() else account, "resource_state": 1},
            "name": name,
            "distance": distance,
            "moving_time": moving,
            "elapsed_time": elapsed,
            "total_elevation_gain": float(20 + n % 300),
            "type": OLD_TYPES.get(sport, sport),
            "sport_type": sport,
            "workout_type": None,
            "id": int(start.timestamp()) // 60 * 1000 + noise(account) % 1000,
            "start_date": _z(start),
            "start_date_local": _z(local),
            "timezone": ZONE_LABEL,
            "utc_offset": offset.total_seconds(),
            "location_city": None,
            "location_state": None,
            "location_country": "Germany",
            "achievement_count": n % 4,
            "kudos_count": n % 12,
            "comment_count": n % 3,
            "athlete_count": 1,
            "photo_count": 0,
            "map": {
                "id": f"a{n}",
                "summary_polyline": "ki{eFvqfiVqAWQIGEEKAYJgBVqDJ{BHa@",
                "resource_state": 2,
            },
            "trainer": False,
            "commute": session == 1 and n % 2 == 0,
            "manual": False,
            "private": visibility == "only_me",
            "visibility": visibility,
            "flagged": False,
            "gear_id": "b1234567" if sport == "Ride" else "g7654321",
            "start_latlng": [52.52, 13.405],
            "end_latlng": [52.53, 13.41],
            "average_speed": round(distance / moving, 3),
            "max_speed": round(distance / moving * 1.6, 3),
            "has_heartrate": heart,
            "heartrate_opt_out": False,
            "display_hide_heartrate_option": heart,
            "elev_high": 80.2,
            "elev_low": 31.0,
            "upload_id": 9_000_000_000 + n % 1_000_000,
            "upload_id_str": str(9_000_000_000 + n % 1_000_000),
            "external_id": f"garmin_push_{n}",
            "from_accepted_tag": False,
            "pr_count": n % 2,
            "total_photo_count": 0,
            "has_kudoed": False,
        }
        if heart:
            item["average_heartrate"] = float(128 + n % 30)
            item["max_heartrate"] = float(165 + n % 20)
        if watts:
            item["average_watts"] = float(150 + n % 80)
            item["kilojoules"] = round(item["average_watts"] * moving / 1000, 1)
            item["device_watts"] = True
        if sport == "Ride":
            item["suffer_score"] = float(n % 120)
        return item

    def seed(self, account: str, start: datetime, end: datetime) -> None:
        """Per day a morning run and an evening ride with heart rate; every third day a private
        walk without; only sessions that start in [start, end)."""
        self.add_account(account)
        day = start.astimezone(UTC).date()
        items = self.items(account, "activities")
        while datetime.combine(day, datetime.min.time(), UTC) < end:
            sessions = (0, 1, 2) if day.toordinal() % 3 == 0 else (0, 1)
            for session in sessions:
                item = self.activity(account, day, session)
                moment = datetime.fromisoformat(item["start_date"].replace("Z", "+00:00"))
                if not start <= moment < end:
                    continue
                with self._lock:
                    items[:] = [i for i in items if i["id"] != item["id"]] + [item]
            day += timedelta(days=1)
        with self._lock:
            items.sort(key=lambda i: i["start_date"])

    def delete_activity(self, account: str, activity_id: int) -> None:
        with self._lock:
            items = self.items(account, "activities")
            items[:] = [i for i in items if i["id"] != activity_id]

    def webhook_event(self, account: str, object_type: str = "activity",
                      aspect_type: str = "create", object_id: int | None = None,
                      updates: Mapping[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
        """The body Strava POSTs to the subscription's callback for one event."""
        return {
            "aspect_type": aspect_type,
            "event_time": int(self.clock()),
            "object_id": object_id if object_id is not None else int(account),
            "object_type": object_type,
            "owner_id": int(account),
            "subscription_id": self.subscription_id,
            "updates": dict(updates or {}),
        }

    # -- OAuth, Strava style ----------------------------------------------------------------------

    async def _authorize(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return strava_error(400, "Bad Request", "Application", "client_id", "invalid")
        redirect_uri, state = query.get("redirect_uri", ""), query.get("state", "")
        if not redirect_uri:
            return strava_error(400, "Bad Request", "Application", "redirect_uri", "invalid")
        if query.get("fake_deny"):
            raise web.HTTPFound(
                f"{redirect_uri}?{urlencode({'state': state, 'error': 'access_denied'})}"
            )
        asked = [s for s in query.get("scope", "read").replace(" ", ",").split(",") if s]
        chosen = query["fake_scopes"].split() if "fake_scopes" in query else asked
        granted = tuple(dict.fromkeys(["read", *[s for s in chosen if s in asked]]))
        code = secrets.token_hex(20)
        with self._lock:
            self.codes[code] = PendingCode(self.add_account(query.get("fake_account")),
                                           redirect_uri, granted, None)  # fmt: skip
        params = {"state": state, "code": code, "scope": ",".join(granted)}
        raise web.HTTPFound(f"{redirect_uri}?{urlencode(params, safe=',:')}")

    @staticmethod
    def athlete(account: str) -> dict[str, Any]:
        return {
            "id": int(account) if account.isdigit() else account,
            "username": f"athlete{account}",
            "resource_state": 2,
            "firstname": "Fake",
            "lastname": "Athlete",
            "city": "Berlin",
            "country": "Germany",
            "sex": "F",
            "premium": False,
            "summit": False,
            "created_at": "2019-04-02T09:12:44Z",
            "updated_at": "2024-05-01T18:00:01Z",
            "profile_medium": "avatar/athlete/medium.png",
            "profile": "avatar/athlete/large.png",
        }

    def issue(self, account: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        """A new access token and a new refresh token (Strava's answer, without ``athlete``)."""
        access, refresh = secrets.token_hex(20), secrets.token_hex(20)
        expires = self.clock() + self.access_ttl_s
        with self._lock:
            self.access_tokens[access] = Grant(account, scopes, expires, refresh)
            self.refresh_tokens[refresh] = Grant(account, scopes, expires, refresh)
            self.issued_refresh[refresh] = self.refresh_tokens[refresh]
            self.newest_access[account] = access
        return self._token_body(access, refresh, expires)

    def _token_body(self, access: str, refresh: str, expires: float) -> dict[str, Any]:
        return {
            "token_type": "Bearer",
            "access_token": access,
            "expires_at": int(expires),
            "expires_in": max(0, int(expires - self.clock())),
            "refresh_token": refresh,
        }

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        if not self._client_ok(request, form):
            return strava_error(400, "Bad Request", "Application", "client_id", "invalid")
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                pending = self.codes.get(form.get("code", ""))
                if pending is None or pending.used:
                    return strava_error(400, "Bad Request", "AuthorizationCode", "code", "invalid")
                pending.used = True
                body = self.issue(pending.account, pending.scopes)
                return web.json_response({**body, "athlete": self.athlete(pending.account)})
            if grant_type == "refresh_token":
                old = form.get("refresh_token", "")
                grant = self.refresh_tokens.get(old)
                if grant is None or self.refuse_refresh or grant.account in self.refuse_refresh_for:
                    return strava_error(400, "Bad Request", "RefreshToken", "refresh_token",
                                        "invalid")  # fmt: skip
                newest = self.access_tokens.get(self.newest_access.get(grant.account, ""))
                if newest is not None and newest.expires_at - self.clock() > REUSE_ACCESS_ABOVE_S:
                    # More than an hour left: the same access token (and refresh token) again.
                    access = self.newest_access[grant.account]
                    return web.json_response(self._token_body(access, old, newest.expires_at))
                del self.refresh_tokens[old]  # rotated: the old refresh token dies at once
                return web.json_response(self.issue(grant.account, grant.scopes))
        return strava_error(400, "Bad Request", "GrantType", "grant_type", "invalid")

    async def _revoke(self, request: web.Request) -> web.Response:
        """``POST /oauth/deauthorize``: every token of the athlete for this app dies."""
        form = await request.post()
        token = str(request.query.get("access_token") or form.get("access_token") or "")
        with self._lock:
            grant = self.access_tokens.get(token)
            if grant is None or grant.expires_at <= self.clock():
                return strava_error(401, "Authorization Error", "Athlete", "access_token",
                                    "invalid")  # fmt: skip
            self.drop_tokens(grant.account)
        return web.json_response({"access_token": token})

    def _athlete_for(self, request: web.Request) -> tuple[str, Grant]:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        with self._lock:
            grant = self.access_tokens.get(token)
            if grant is None or grant.expires_at <= self.clock():
                raise web.HTTPUnauthorized(
                    text=json.dumps({"message": "Authorization Error", "errors": [
                        {"resource": "Athlete", "field": "access_token", "code": "invalid"}]}),
                    content_type="application/json",
                )  # fmt: skip
        self.note_account(request, grant.account)
        return grant.account, grant

    # -- the API ----------------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/v3/athlete", self._metered(self._athlete))
        router.add_get("/api/v3/athlete/activities", self._metered(self._activities))

    def _rate_headers(self) -> dict[str, str]:
        overall, read = self.budgets["overall"], self.budgets["read"]
        return {
            "X-RateLimit-Limit": f"{overall.limit_15min},{overall.limit_daily}",
            "X-RateLimit-Usage": f"{overall.used_15min},{overall.used_daily}",
            "X-ReadRateLimit-Limit": f"{read.limit_15min},{read.limit_daily}",
            "X-ReadRateLimit-Usage": f"{read.used_15min},{read.used_daily}",
            "Date": formatdate(self.clock(), usegmt=True),
        }

    def _metered(self, handler: Callable[[web.Request], Any]) -> Callable[[web.Request], Any]:
        """Count the request against the app's budgets; 429 (no Retry-After) once one is spent."""

        async def metered(request: web.Request) -> web.StreamResponse:
            with self._lock:
                now = self.clock()
                over = False
                for budget in self.budgets.values():  # every route here is a "non-upload" one
                    budget.roll(now)
                    over = budget.spend() or over
                headers = self._rate_headers()
            refusal = (
                strava_error(429, "Rate Limit Exceeded", "Application", "rate limit", "exceeded")
                if over
                else None
            )
            return await with_headers(request, handler, headers, refusal)

        return metered

    async def _athlete(self, request: web.Request) -> web.Response:
        account, _ = self._athlete_for(request)
        return web.json_response(self.athlete(account))

    async def _activities(self, request: web.Request) -> web.Response:
        account, grant = self._athlete_for(request)
        if "activity:read_all" not in grant.scopes and "activity:read" not in grant.scopes:
            return strava_error(401, "Authorization Error", "AccessToken",
                                "activity:read_permission", "missing")  # fmt: skip
        try:
            after = int(request.query["after"]) if "after" in request.query else None
            before = int(request.query["before"]) if "before" in request.query else None
            page = int(request.query.get("page", "1"))
            per_page = int(request.query.get("per_page", str(DEFAULT_PER_PAGE)))
        except ValueError:
            return strava_error(400, "Bad Request", "Activity", "page", "invalid")
        if page < 1 or per_page < 1:
            return strava_error(400, "Bad Request", "Activity", "per_page", "invalid")
        with self._lock:
            chosen = [
                i
                for i in self.items(account, "activities")
                if (after is None or self._epoch(i) > after)
                and (before is None or self._epoch(i) < before)
                and ("activity:read_all" in grant.scopes or i["visibility"] != "only_me")
            ]
        chosen.sort(key=self._epoch, reverse=after is None)  # newest first unless after is given
        request[RECORD].total = len(chosen)
        size = min(per_page, MAX_PER_PAGE, self.page_size)
        return web.json_response(chosen[(page - 1) * size : page * size])

    @staticmethod
    def _epoch(item: Mapping[str, Any]) -> int:
        moment = datetime.fromisoformat(str(item["start_date"]).replace("Z", "+00:00"))
        return int(moment.timestamp())
