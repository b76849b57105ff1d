"""A fake Polar AccessLink v3: OAuth 2.0 with Basic client auth, user registration, data, webhooks.

What it follows (shared vendors reference 2.6; Polar's OpenAPI as mirrored publicly):

- consent ``/oauth2/authorization``; token ``POST /v2/oauth2/token`` with ``Authorization: Basic``;
  the token response is ``{access_token, token_type: "bearer", expires_in, x_user_id}``, with **no
  refresh token** (a refresh grant is ``invalid_grant``) and no revocation endpoint;
- ``POST /v3/users {"member-id"}`` registers the user with the partner (409 when already done);
  data routes answer 403 until then, and to a user who "has not accepted all mandatory consents"
  (:attr:`FakePolar.consents_missing`); ``DELETE /v3/users/{user-id}`` de-registers the user and
  revokes every token of theirs (Polar: "This will revoke the access token authorized by user");
- ``GET /v3/exercises`` (uploaded in the last 30 days), ``GET /v3/users/activities?from&to``
  (at most 28 days apart, not older than 365 days), and per date ``/v3/users/activities/{date}``
  (204 when none), ``/v3/users/sleep/{date}``, ``/v3/users/nightly-recharge/{date}``,
  ``/v3/users/continuous-heart-rate/{date}`` (404 when none). Nothing is paged;
- errors in Polar's model ``{timestamp, status, errorType, message, corrId}``;
- ``RateLimit-Usage``, ``RateLimit-Limit``, ``RateLimit-Reset`` as "short,long" pairs on every
  ``/v3/`` answer, the limits 500 + 20 x users per 15 min and 5,000 + 100 x users per 24 h, and a
  429 **without** Retry-After when spent (UNCONFIRMED: whether Polar also sends Retry-After);
- ``POST /v3/webhooks`` (Basic auth) PINGs the URL, needs a 200, and returns the
  ``signature_secret_key`` once (409 when a webhook exists); deliveries carry
  ``Polar-Webhook-Signature`` = hex HMAC-SHA256(body) (:meth:`FakePolar.signed`).

Where the fake simplifies: the user's watch keeps UTC for the clock-only series (continuous heart
rate, Nightly Recharge samples), so those documents fall on UTC dates; exercises and sleep carry
an offset of :attr:`FakePolar.utc_offset_min`. Since Polar does not page, the contract's paging
bookkeeping (``RecordedRequest.total``) records for a per-date answer every document the account
holds in that collection: one walk over a window agrees with itself, as the contract checks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as clock
from typing import Any, ClassVar, Literal

from aiohttp import ClientSession, ClientTimeout, web
from aiohttp.typedefs import Middleware

from fithub.plugins.testing.fake import RECORD, FakeVendor, Handler, noise, with_headers
from fithub.plugins.testing.oauth import Grant
from fithub.plugins.testing.push_contract import PushSpec
from fithub.plugins.types import DataType, PushRequest

SCOPE = "accesslink.read_all"
TEN_YEARS_S = 10 * 365 * 86400
EXERCISE_HISTORY = timedelta(days=30)
ACTIVITY_HISTORY = timedelta(days=365)
ACTIVITY_MAX_SPAN = timedelta(days=28)
DATE_COLLECTIONS = ("sleep", "nightly-recharge", "continuous-heart-rate")
# (minutes after falling asleep, hypnogram code): 0 wake, 1 REM, 2/3 light, 4 deep, 5 unknown.
HYPNOGRAM = ((0, 2), (12, 3), (40, 4), (95, 3), (120, 1), (150, 0), (154, 2), (190, 4),
             (230, 3), (260, 1), (300, 5), (310, 2), (360, 1), (400, 3), (440, 1))  # fmt: skip
SLEEP_MINUTES = 468  # 7 h 48 min from falling asleep to waking up


ERROR_TYPES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               409: "CONFLICT", 429: "TOO_MANY_REQUESTS"}  # fmt: skip
FAILURES: dict[int, type[web.HTTPException]] = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized,
                                                403: web.HTTPForbidden}  # fmt: skip


def _error_body(status: int, message: str) -> dict[str, Any]:
    """Polar's error model."""
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "status": status,
        "errorType": ERROR_TYPES.get(status, "ERROR"),
        "message": message,
        "corrId": secrets.token_hex(8),
    }


def _error(status: int, message: str) -> web.Response:
    """An answer in Polar's error model."""
    return web.json_response(_error_body(status, message), status=status)


def _failure(status: int, message: str) -> web.HTTPException:
    """The same, to raise (400, 401 or 403)."""
    return FAILURES[status](text=json.dumps(_error_body(status, message)),
                            content_type="application/json")  # fmt: skip


class FakePolar(FakeVendor):
    name: ClassVar[str] = "polar"
    authorize_path: ClassVar[str] = "/oauth2/authorization"
    token_path: ClassVar[str] = "/v2/oauth2/token"
    credentials_in: ClassVar[Literal["body", "basic"]] = "basic"
    rotate_refresh_tokens: ClassVar[bool] = False
    data_prefix: ClassVar[str] = "/v3/"
    client_id: ClassVar[str] = "fake-polar-client"
    client_secret: ClassVar[str] = "fake-polar-secret"
    utc_offset_min: ClassVar[int] = 120  # the fake user's watch: UTC+02:00
    access_ttl_s = float(TEN_YEARS_S)

    def __init__(self) -> None:
        super().__init__()
        self.webhook_secret = secrets.token_hex(16)
        # Rate limits: base + per registered user, per window (seconds).
        self.short_limit = (500, 20, 900)
        self.long_limit = (5000, 100, 86400)

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.polar_ids: dict[str, int] = {}
            self.registered: dict[str, str] = {}  # account -> member-id
            self.deregistered: list[str] = []
            self.consents_missing: set[str] = set()
            self.webhooks: list[dict[str, Any]] = []
            self.windows: dict[str, tuple[float, int]] = {}  # "short"/"long" -> (start, used)

    def data_types(self) -> tuple[DataType, ...]:
        return (DataType.ACTIVITIES, DataType.DAILY, DataType.SLEEP, DataType.HRV,
                DataType.HEART_RATE)  # fmt: skip

    def polar_id(self, account: str) -> int:
        """The account's Polar user id (``x_user_id``, ``user_id`` in webhooks)."""
        with self._lock:
            return self.polar_ids.setdefault(account, 470000 + len(self.polar_ids) + 1)

    def add_account(self, account: str | None = None) -> str:
        account = super().add_account(account)
        self.polar_id(account)
        return account

    def fithub_env(self) -> dict[str, str]:
        env = super().fithub_env()
        env["FITHUB_POLAR_OPTIONS"] = json.dumps({"webhook_secret": self.webhook_secret})
        return env

    # -- OAuth: Polar's token response, no refresh tokens, no revocation endpoint -----------------

    def add_oauth_routes(self, app: web.Application) -> None:
        app.router.add_get(self.authorize_path, self._authorize)
        app.router.add_post(self.token_path, self._token)

    def issue(self, account: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        access = secrets.token_urlsafe(24)
        with self._lock:
            self.access_tokens[access] = Grant(account, scopes, time.time() + self.access_ttl_s)
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(self.access_ttl_s),
            "x_user_id": self.polar_id(account),
        }

    # -- data -------------------------------------------------------------------------------------

    def _put(self, account: str, collection: str, item: dict[str, Any], key: str) -> None:
        """Polar lists a collection in the order of ``key`` (dates, ids)."""
        self.upsert(account, collection, item, key, order=lambda i: str(i[key]))

    def _polar_user(self, account: str) -> str:
        return f"https://www.polaraccesslink.com/v3/users/{self.polar_id(account)}"

    def seed(self, account: str, start: datetime, end: datetime) -> None:
        """Data in [start, end): per date a summary, a run (if uploaded), a night, 5-min beats."""
        self.add_account(account)
        day = start.astimezone(UTC).date()
        last = (end.astimezone(UTC) - timedelta(microseconds=1)).date()
        while day <= last:
            self._put(account, "activities", self.activity(account, day), "date_key")
            run = self.exercise(account, day)
            begun = datetime.fromisoformat(run["start_time"]).replace(
                tzinfo=timezone(timedelta(minutes=run["start_time_utc_offset"]))
            )
            uploaded = datetime.fromisoformat(run["upload_time"].replace("Z", "+00:00"))
            if start <= begun and uploaded < end:
                self._put(account, "exercises", run, "id")
            night = self.sleep(account, day)
            if start <= datetime.fromisoformat(night["sleep_end_time"]) < end:
                self._put(account, "sleep", night, "date")
                self._put(account, "nightly-recharge", self.nightly_recharge(account, day), "date")
            day += timedelta(days=1)
        self._seed_heart_rate(account, start, end)

    def _seed_heart_rate(self, account: str, start: datetime, end: datetime) -> None:
        moment = start.astimezone(UTC).replace(second=0, microsecond=0)
        moment += timedelta(minutes=-moment.minute % 5)
        if moment < start:
            moment += timedelta(minutes=5)
        by_date: dict[date, dict[str, int]] = {}
        while moment < end:
            asleep = moment.hour < 5 or moment.hour >= 22
            bpm = 48 + noise(account, moment) % 8 if asleep else 58 + noise(account, moment) % 45
            by_date.setdefault(moment.date(), {})[moment.strftime("%H:%M:%S")] = bpm
            moment += timedelta(minutes=5)
        for day, beats in by_date.items():
            with self._lock:
                known = next((d for d in self.items(account, "continuous-heart-rate")
                              if d["date"] == day.isoformat()), None)  # fmt: skip
                old = {r["sample_time"]: r["heart_rate"] for r in (known or {}).get(
                    "heart_rate_samples", [])}  # fmt: skip
            merged = {**old, **beats}
            document = {
                "polar_user": self._polar_user(account),
                "date": day.isoformat(),
                "heart_rate_samples": [
                    {"heart_rate": merged[t], "sample_time": t} for t in sorted(merged)
                ],  # fmt: skip
            }
            self._put(account, "continuous-heart-rate", document, "date")

    def _zone(self) -> timezone:
        return timezone(timedelta(minutes=self.utc_offset_min))

    def exercise(self, account: str, day: date) -> dict[str, Any]:
        """A run each day at 17:00 UTC, uploaded ten minutes after it ends."""
        n = noise(account, day, "exercise")
        start = datetime.combine(day, clock(17, 0), UTC)
        seconds = 1800 + n % 2400
        local = start.astimezone(self._zone()).replace(tzinfo=None)
        uploaded = start + timedelta(seconds=seconds + 600)
        sport = ("RUNNING", "CYCLING", "WALKING")[n % 3]
        return {
            "id": hashlib.sha1(f"{account}{day}".encode()).hexdigest()[:8],
            "upload_time": uploaded.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "polar_user": self._polar_user(account),
            "device": "Polar Vantage V2",
            "device_id": "1111AAAA",
            "start_time": local.isoformat(),
            "start_time_utc_offset": self.utc_offset_min,
            "duration": f"PT{seconds // 3600}H{seconds % 3600 // 60}M{seconds % 60}S",
            "calories": 250 + n % 500,
            "distance": float(3000 + n % 9000),
            "heart_rate": {"average": 120 + n % 30, "maximum": 160 + n % 25},
            "training_load": 40.0 + n % 80,
            "sport": sport,
            "has_route": True,
            "detailed_sport_info": sport,
            "fat_percentage": 40,
            "carbohydrate_percentage": 55,
            "protein_percentage": 5,
        }

    def activity(self, account: str, day: date) -> dict[str, Any]:
        """A daily activity summary (``date_key`` is the fake's own key, not sent)."""
        n = noise(account, day, "activity")
        active_min = 90 + n % 150
        return {
            "date_key": day.isoformat(),
            "start_time": f"{day.isoformat()}T00:00:00",
            "end_time": f"{day.isoformat()}T23:59:59",
            "active_duration": f"PT{active_min // 60}H{active_min % 60}M",
            "inactive_duration": "PT14H5M30S",
            "daily_activity": 60.0 + n % 60,
            "calories": 2000 + n % 900,
            "active_calories": 400 + n % 700,
            "steps": 5000 + n % 9000,
            "inactivity_alert_count": n % 3,
            "distance_from_steps": 3500.0 + n % 6000,
        }

    def sleep(self, account: str, day: date) -> dict[str, Any]:
        """The night ending on ``day``: asleep at 23:10 local, awake 7 h 48 min later."""
        n = noise(account, day, "sleep")
        zone = self._zone()
        start = datetime.combine(day - timedelta(days=1), clock(23, 10, 7), zone)
        end = start + timedelta(minutes=SLEEP_MINUTES)
        ends = [at for at, _ in HYPNOGRAM[1:]] + [SLEEP_MINUTES]
        totals: dict[int, int] = {}
        for (at, code), until in zip(HYPNOGRAM, ends, strict=True):
            totals[code] = totals.get(code, 0) + (until - at) * 60
        hypnogram = {(start + timedelta(minutes=at)).strftime("%H:%M"): code
                     for at, code in HYPNOGRAM}  # fmt: skip
        beats = {(start + timedelta(minutes=m)).strftime("%H:%M"): 50 + (n + m) % 9
                 for m in range(2, SLEEP_MINUTES, 5)}  # fmt: skip
        return {
            "polar_user": self._polar_user(account),
            "date": day.isoformat(),
            "sleep_start_time": start.isoformat(),
            "sleep_end_time": end.isoformat(),
            "device_id": "1111AAAA",
            "continuity": 3.1,
            "continuity_class": 3,
            "light_sleep": totals.get(2, 0) + totals.get(3, 0),
            "deep_sleep": totals.get(4, 0),
            "rem_sleep": totals.get(1, 0),
            "unrecognized_sleep_stage": totals.get(5, 0),
            "sleep_score": 70 + n % 25,
            "total_interruption_duration": totals.get(0, 0),
            "sleep_charge": 3,
            "sleep_goal": 28800,
            "sleep_rating": 0,
            "short_interruption_duration": 120,
            "long_interruption_duration": totals.get(0, 0) - 120,
            "sleep_cycles": 5,
            "group_duration_score": 90.0,
            "group_solidity_score": 75.0,
            "group_regeneration_score": 60.5,
            "hypnogram": hypnogram,
            "heart_rate_samples": beats,
        }

    def nightly_recharge(self, account: str, day: date) -> dict[str, Any]:
        """The Nightly Recharge of the night ending on ``day`` (samples on the UTC clock)."""
        n = noise(account, day, "recharge")
        asleep = datetime.fromisoformat(self.sleep(account, day)["sleep_start_time"])
        first = asleep.astimezone(UTC) + timedelta(minutes=30)
        times = [(first + timedelta(minutes=5 * i)).strftime("%H:%M") for i in range(48)]
        return {
            "polar_user": self._polar_user(account),
            "date": day.isoformat(),
            "heart_rate_avg": 55 + n % 8,
            "beat_to_beat_avg": 1000 + n % 150,
            "heart_rate_variability_avg": 35 + n % 30,
            "breathing_rate_avg": 14.1,
            "nightly_recharge_status": 1 + n % 6,
            "ans_charge": round((n % 200) / 10 - 10, 1),
            "ans_charge_status": 1 + n % 5,
            "hrv_samples": {t: 30 + (n + i) % 40 for i, t in enumerate(times)},
            "breathing_samples": {
                t: round(13 + ((n + i) % 20) / 10, 1) for i, t in enumerate(times)
            },  # fmt: skip
        }

    # -- routes -----------------------------------------------------------------------------------

    def middlewares(self) -> list[Middleware]:
        return [*super().middlewares(), self._rate_limits]

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v3/users", self._register)
        router.add_get("/v3/exercises", self._exercises)
        router.add_get("/v3/exercises/{exercise_id}", self._exercise)
        router.add_get("/v3/users/activities", self._activities)
        router.add_get(r"/v3/users/activities/{day}", self._activity)
        for collection in DATE_COLLECTIONS:
            router.add_get(f"/v3/users/{collection}/{{day}}", self._on_date)
        router.add_get(r"/v3/users/{user_id:\d+}", self._user)
        router.add_delete(r"/v3/users/{user_id:\d+}", self._deregister)
        router.add_post("/v3/webhooks", self._create_webhook)
        router.add_get("/v3/webhooks", self._get_webhook)
        router.add_delete("/v3/webhooks/{webhook_id}", self._delete_webhook)

    def _reader(self, request: web.Request) -> str:
        """The registered account behind the bearer token (401 / 403 otherwise)."""
        account = self.account_for(request, SCOPE)
        with self._lock:
            if account in self.consents_missing:
                raise _failure(403, "User has not accepted all mandatory consents.")
            if account not in self.registered:
                raise _failure(403, "User is not registered.")
        return account

    async def _register(self, request: web.Request) -> web.Response:
        account = self.account_for(request, SCOPE)
        try:
            member_id = str((await request.json())["member-id"])
        except (ValueError, KeyError, TypeError):
            return _error(400, "member-id is required")
        with self._lock:
            if account in self.consents_missing:
                return _error(403, "User has not accepted all mandatory consents.")
            taken = member_id in self.registered.values()
            if account in self.registered or taken:
                return _error(409, "User already registered to partner or duplicated member-id.")
            self.registered[account] = member_id
        return web.json_response(self._user_body(account), status=200)

    def _user_body(self, account: str) -> dict[str, Any]:
        return {
            "polar-user-id": self.polar_id(account),
            "member-id": self.registered.get(account),
            "registration-date": "2024-01-02T10:00:00.000Z",
            "first-name": "Eka",
            "last-name": "Toka",
            "birthdate": "1985-09-06",
            "gender": "FEMALE",
            "weight": 66.0,
            "height": 170.0,
            "extra-info": [],
        }

    def _own_user(self, request: web.Request, account: str) -> None:
        if int(request.match_info["user_id"]) != self.polar_id(account):
            raise _failure(403, "Not your user.")

    async def _user(self, request: web.Request) -> web.Response:
        account = self._reader(request)
        self._own_user(request, account)
        return web.json_response(self._user_body(account))

    async def _deregister(self, request: web.Request) -> web.Response:
        account = self.account_for(request)
        self._own_user(request, account)
        with self._lock:
            if self.registered.pop(account, None) is None:
                return _error(404, "User not found.")
            self.deregistered.append(account)
            for token in [t for t, g in self.access_tokens.items() if g.account == account]:
                del self.access_tokens[token]
                self.revoked.add(token)
        return web.Response(status=204)

    async def _exercises(self, request: web.Request) -> web.Response:
        account = self._reader(request)
        since = datetime.now(UTC) - EXERCISE_HISTORY
        with self._lock:
            items = [dict(i) for i in self.items(account, "exercises") if datetime.fromisoformat(
                i["upload_time"].replace("Z", "+00:00")) >= since]  # fmt: skip
        request[RECORD].total = len(items)
        return web.json_response(items)

    async def _exercise(self, request: web.Request) -> web.Response:
        account = self._reader(request)
        wanted = request.match_info["exercise_id"]
        found = next((i for i in self.items(account, "exercises") if i["id"] == wanted), None)
        return web.json_response(found) if found else _error(404, "Exercise not found.")

    @staticmethod
    def _day(text: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise _failure(400, "Invalid date.") from None

    def _activity_body(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k != "date_key"}

    async def _activities(self, request: web.Request) -> web.Response:
        account = self._reader(request)
        today = datetime.now(UTC).date()
        last = self._day(request.query.get("to", today.isoformat()))
        first = self._day(request.query.get("from", (last - ACTIVITY_MAX_SPAN).isoformat()))
        if first > last or last - first > ACTIVITY_MAX_SPAN:
            return _error(400, "The range between from and to is at most 28 days.")
        if first < today - ACTIVITY_HISTORY:
            return _error(400, "Invalid or too old date. Cannot be older than 365 days.")
        items = [self._activity_body(i) for i in self.items(account, "activities")
                 if first <= date.fromisoformat(i["date_key"]) <= last]  # fmt: skip
        request[RECORD].total = len(items)
        return web.json_response(items)

    async def _activity(self, request: web.Request) -> web.Response:
        account = self._reader(request)
        day = self._day(request.match_info["day"]).isoformat()
        found = next((i for i in self.items(account, "activities") if i["date_key"] == day), None)
        return web.json_response(self._activity_body(found)) if found else web.Response(status=204)

    async def _on_date(self, request: web.Request) -> web.Response:
        collection = request.path.split("/")[3]
        account = self._reader(request)
        day = self._day(request.match_info["day"]).isoformat()
        documents = self.items(account, collection)
        request[RECORD].total = len(documents)
        found = next((d for d in documents if d["date"] == day), None)
        return web.json_response(found) if found else _error(404, "No data found for date.")

    # -- webhooks ---------------------------------------------------------------------------------

    def _client_auth(self, request: web.Request) -> None:
        if not self._client_ok(request, {}):
            raise _failure(401, "Unauthorized.")

    async def _create_webhook(self, request: web.Request) -> web.Response:
        self._client_auth(request)
        try:
            wanted = await request.json()
            url, events = str(wanted["url"]), list(wanted["events"])
        except (ValueError, KeyError, TypeError):
            return _error(400, "url and events are required.")
        if self.webhooks:
            return _error(409, "Webhook already exists.")
        ping = {"event": "PING", "timestamp": datetime.now(UTC).isoformat()}
        body = json.dumps(ping).encode()
        try:
            async with ClientSession(timeout=ClientTimeout(total=10)) as session:
                async with session.post(url, data=body, headers=self.signed(body)) as answer:
                    pinged = answer.status
        except Exception:  # any failure to reach the URL: the webhook is not created
            pinged = 0
        if pinged != 200:
            return _error(400, f"Webhook cannot be created: the ping answered {pinged}.")
        webhook = {"id": secrets.token_hex(3), "events": events, "url": url, "active": True}
        with self._lock:
            self.webhooks.append(webhook)
        created = {k: v for k, v in webhook.items() if k != "active"}
        return web.json_response(
            {"data": {**created, "signature_secret_key": self.webhook_secret}}, status=201
        )

    async def _get_webhook(self, request: web.Request) -> web.Response:
        self._client_auth(request)
        return web.json_response({"data": list(self.webhooks)})

    async def _delete_webhook(self, request: web.Request) -> web.Response:
        self._client_auth(request)
        with self._lock:
            kept = [w for w in self.webhooks if w["id"] != request.match_info["webhook_id"]]
            if len(kept) == len(self.webhooks):
                return _error(404, "Webhook not found.")
            self.webhooks = kept
        return web.Response(status=204)

    def signed(self, body: bytes, secret: str | None = None) -> dict[str, str]:
        """Headers of a webhook delivery of ``body`` (signed with ``secret``, default ours)."""
        key = (secret or self.webhook_secret).encode()
        return {
            "Content-Type": "application/json",
            "Polar-Webhook-Signature": hmac.new(key, body, hashlib.sha256).hexdigest(),
        }

    def signed_push(
        self, event: dict[str, Any], *, secret: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Headers and body of a webhook delivery as Polar sends it (hex HMAC-SHA256 of the body)."""
        body = json.dumps(event).encode()
        return self.signed(body, secret), body

    def push_spec(self, account: str) -> PushSpec:
        """How Polar's deliveries prove themselves: an HMAC-SHA256 over the body."""

        def make(at: datetime) -> PushRequest:
            event = self.notification("EXERCISE", account, entity_id="aQlC83",
                                      timestamp=at.isoformat(timespec="seconds"))  # fmt: skip
            headers, body = self.signed_push(event)
            return PushRequest("POST", {k.lower(): v for k, v in headers.items()}, {}, body)

        return PushSpec(make, secret_headers=("polar-webhook-signature",), body_signed=True,
                        options={"webhook_secret": self.webhook_secret},
                        secret_options=("webhook_secret",))  # fmt: skip

    def notification(self, event: str, account: str, **fields: Any) -> dict[str, Any]:
        """A webhook payload: ``notification("SLEEP", a, date="2024-03-05")``."""
        payload: dict[str, Any] = {"event": event, "user_id": self.polar_id(account), **fields}
        payload.setdefault("timestamp", datetime.now(UTC).isoformat(timespec="seconds"))
        if "entity_id" in fields:
            payload.setdefault("url", f"https://www.polaraccesslink.com/v3/exercises/"
                                      f"{fields['entity_id']}")  # fmt: skip
        return payload

    def deliver(self, url: str, payload: dict[str, Any], secret: str | None = None) -> int:
        """POST a signed webhook delivery to ``url`` (fithub's webhook route); its status."""
        headers, body = self.signed_push(payload, secret=secret)
        call = urllib.request.Request(url, data=body, headers=headers)
        try:
            with urllib.request.urlopen(call, timeout=10) as answer:  # noqa: S310 - loopback
                return int(answer.status)
        except urllib.error.HTTPError as answer:
            return int(answer.code)

    # -- rate limits ------------------------------------------------------------------------------

    def _limits(self) -> list[tuple[str, int, int]]:
        users = len(self.registered)
        return [
            (key, base + per_user * users, window)
            for key, (base, per_user, window) in (
                ("short", self.short_limit),
                ("long", self.long_limit),
            )  # fmt: skip
        ]

    @web.middleware
    async def _rate_limits(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/v3/"):
            return await handler(request)
        now = time.monotonic()
        usage, limits, resets, spent = [], [], [], False
        with self._lock:
            for key, limit, window in self._limits():
                started, used = self.windows.get(key, (now, 0))
                if now - started >= window:
                    started, used = now, 0
                if used >= limit:
                    spent = True
                else:
                    used += 1
                self.windows[key] = (started, used)
                usage.append(used)
                limits.append(limit)
                resets.append(max(0, int(started + window - now + 0.999)))
        headers = {
            "RateLimit-Usage": ", ".join(map(str, usage)),
            "RateLimit-Limit": ", ".join(map(str, limits)),
            "RateLimit-Reset": ", ".join(map(str, resets)),
        }
        refusal = _error(429, "Rate limit exceeded.") if spent else None
        return await with_headers(request, handler, headers, refusal)
