"""A fake Withings API: ``action=`` form calls answered in a ``{"status", "body"}`` envelope.

What it reproduces (vendors reference 2.4 and Withings' API reference):

- OAuth 2.0 on ``/oauth2_user/authorize2`` and ``POST /v2/oauth2 action=requesttoken`` (client id
  and secret in the form; codes live 30 s); token answers wrapped in the envelope with ``userid``
  and comma-separated scopes; access tokens live 3 h; every refresh rotates the refresh token, and
  the old one dies once the new access token is used or 8 h after the refresh;
- ``POST /v2/signature action=getnonce`` and the signed ``POST /v2/oauth2 action=revoke`` (HMAC
  SHA-256 of the comma-joined values sorted by key), which kills the user's tokens and
  notification subscriptions;
- errors as non-zero ``status`` with HTTP 200: 401 for a bad or expired access token, 503
  ("invalid params") for a refused code or refresh token, 601 when :meth:`inject_status` says so;
- ``/measure getmeas`` (``more`` 0/1 + ``offset``, ``value``/``unit``), ``/v2/measure getactivity``,
  ``getworkouts`` and ``/v2/sleep getsummary`` (``more`` true/false + ``offset``, only the
  ``data_fields`` asked for), ``/v2/measure getintradayactivity`` (no paging, at most the first
  24 h after ``startdate``, ``series`` keyed by epoch; an empty ``[]`` when there is nothing);
- ``/notify`` subscribe, list, get and revoke.

Not documented publicly, so chosen here and UNCONFIRMED: the status for a wrong client secret,
for a missing scope (214), for revoking a user no longer linked (503), the page size, and the
order of items. Withings' HEAD check of a callback URL is not made.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

from aiohttp import web

from fithub.plugins.testing.fake import RECORD, FakeVendor, noise, path_under
from fithub.plugins.types import AppCredentials, DataType

DATA_PATHS = ("/measure", "/v2/measure", "/v2/sleep", "/notify")
SIGNATURE_PATH = "/v2/signature"
INVALID_TOKEN = "XRequestID: Not provided invalid_token: The access token provided is invalid"
DAY_S = 86400
ACTIVITY_KEYS = ("date", "timezone", "deviceid", "hash_deviceid", "brand", "is_tracker",
                 "modified", "model", "modelid")  # fmt: skip
WATCH = {"deviceid": "f2e8a3d9c5b1", "model": "ScanWatch", "model_id": 93}
JsonHandler = Callable[[web.Request, dict[str, str]], Awaitable[web.Response]]
ACCOUNT = web.RequestKey("fake_withings_account", str)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def signature(secret: str, values: dict[str, str]) -> str:
    """Withings' signature: hex HMAC-SHA256 (key: client secret) of the values sorted by key."""
    data = ",".join(values[key] for key in sorted(values))
    return hmac.new(secret.encode(), data.encode(), hashlib.sha256).hexdigest()


def ok(body: Any) -> web.Response:
    return web.json_response({"status": 0, "body": body})


def refusal(status: int, error: str) -> web.Response:
    """How Withings says no: HTTP 200 with a non-zero status."""
    return web.json_response({"status": status, "body": {}, "error": error})


class Refused(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


class FakeWithings(FakeVendor):
    name: ClassVar[str] = "withings"
    authorize_path: ClassVar[str] = "/oauth2_user/authorize2"
    token_path: ClassVar[str] = "/v2/oauth2"
    revoke_path: ClassVar[str] = "/v2/oauth2"  # action=revoke, signed
    # Data lives under several roots ("|": any of these).
    data_prefix: ClassVar[str] = "|".join(DATA_PATHS[:3])
    client_id: ClassVar[str] = "fake-withings-client"
    client_secret: ClassVar[str] = "fake-withings-secret"
    callback_token: ClassVar[str] = "fake-withings-callback-token"
    callback_url: ClassVar[str] = "https://fithub.example/api/v1/webhooks/withings"

    def __init__(self) -> None:
        super().__init__()
        self.access_ttl_s = 10800.0
        self.code_ttl_s = 30.0
        self.old_refresh_grace_s = 8 * 3600.0

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.code_issued: dict[str, float] = {}
            self.used_access: set[str] = set()
            self.successors: dict[str, tuple[str, float]] = {}  # old refresh -> (new access, until)
            self.nonces: dict[str, float] = {}
            self.subscriptions: dict[str, set[tuple[str, int]]] = {}
            self.revoked_users: list[str] = []
            self.calls: list[tuple[str, dict[str, str]]] = []  # (path, parameters) as received
            self.envelope_faults: list[tuple[int, str, list[int]]] = []  # (status, path, [left])

    def data_types(self) -> tuple[DataType, ...]:
        """Every type :meth:`seed` fills. Intraday heart rate has no paging and covers at most
        24 h a call, so the provider walks longer windows in chunks; the request log's ``total``
        for each chunk counts every sample the account holds, as for Fitbit's day-per-call series,
        so one walk over a seeded window must bring back all of them. A window longer
        than 31 h 45 min (a day and a night) holds a whole night wherever it ends; the contract's
        two days do.
        """
        return (DataType.BODY, DataType.DAILY, DataType.ACTIVITIES, DataType.SLEEP,
                DataType.HEART_RATE)  # fmt: skip

    def options(self) -> dict[str, str]:
        return {"callback_url": self.callback_url, "callback_token": self.callback_token}

    def credentials(self, redirect_uri: str = "http://127.0.0.1/callback") -> AppCredentials:
        return AppCredentials(self.client_id, self.client_secret, redirect_uri,
                              base_url=self.url, options=self.options())  # fmt: skip

    def fithub_env(self) -> dict[str, str]:
        return {**super().fithub_env(), "FITHUB_WITHINGS_OPTIONS": json.dumps(self.options())}

    def add_account(self, account: str | None = None) -> str:
        """Withings user ids are numbers: new accounts get one."""
        return super().add_account(account or str(10_000_000 + secrets.randbelow(89_999_999)))

    def inject_status(self, status: int, *, path: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` data calls (or calls under ``path``) with envelope ``status``."""
        with self._lock:
            self.envelope_faults.append((status, path or self.data_prefix, [times]))

    def notification(self, userid: str, appli: int, *, token: str | None = None,
                     **fields: object) -> tuple[dict[str, str], dict[str, str], bytes]:  # fmt: skip
        """Query, headers and body of a notification as Withings POSTs it to the callback URL."""
        body = urlencode({"userid": userid, "appli": appli, **fields}).encode()
        query = {"token": self.callback_token if token is None else token}
        return query, {"content-type": "application/x-www-form-urlencoded"}, body

    # -- data -------------------------------------------------------------------------------------

    def seed(self, account: str, start: datetime, end: datetime) -> None:
        """Per day a weigh-in, a blood pressure reading, a day summary, a workout and a night;
        a heart rate every 10 minutes. Only what has happened before ``end`` is stored.
        """
        self.add_account(account)
        day = start.astimezone(UTC).date()
        while datetime.combine(day, clock.min, UTC) < end:
            for group in (self.weigh_in(account, day), self.blood_pressure(account, day)):
                if start.timestamp() <= group["date"] < end.timestamp():
                    self.upsert(account, "measuregrps", group, "grpid")
            self.upsert(account, "activities", self.activity(account, day), "date")
            workout = self.workout(account, day)
            if start.timestamp() <= workout["startdate"] and workout["enddate"] < end.timestamp():
                self.upsert(account, "workouts", workout, "id")
            night = self.sleep(account, day)
            if start.timestamp() <= night["startdate"] and night["enddate"] < end.timestamp():
                self.upsert(account, "sleep", night, "id")
            day += timedelta(days=1)
        moment = -(-_epoch(start) // 600) * 600
        with self._lock:
            series = self.accounts[account].setdefault("intraday", [])
            known = {sample["timestamp"] for sample in series}
            while moment < end.timestamp():
                if moment not in known:
                    asleep = datetime.fromtimestamp(moment, UTC).hour < 6
                    n = noise(account, moment)
                    bpm = 50 + n % 6 if asleep else 58 + n % 45
                    series.append({"timestamp": moment, "heart_rate": bpm, **WATCH})
                moment += 600
            series.sort(key=lambda sample: sample["timestamp"])

    @staticmethod
    def weigh_in(account: str, day: date) -> dict[str, Any]:
        n = noise(account, day, "weight")
        moment = _epoch(datetime.combine(day, clock(6, 50), UTC))
        weight = 72_000 + n % 3000  # grams, as value with unit -3
        fat = 18_000 + n % 4000  # per mille: 18.000 %
        return {
            "grpid": noise(account, day, "grp-w") & 0x7FFFFFFF,
            "attrib": 0,
            "date": moment,
            "created": moment + 40,
            "modified": moment + 40,
            "category": 1,
            "deviceid": "a1b2c3d4e5f6",
            "hash_deviceid": "a1b2c3d4e5f6",
            "model": "Body Cardio",
            "model_id": 6,
            "comment": None,
            "measures": [
                {"value": weight, "type": 1, "unit": -3, "algo": 0, "fm": 3},
                {"value": fat, "type": 6, "unit": -3, "algo": 0, "fm": 3},
                {"value": weight * fat // 100_000, "type": 8, "unit": -3, "algo": 0, "fm": 3},
                {"value": 5480 + n % 200, "type": 76, "unit": -2, "algo": 0, "fm": 3},
                {"value": 289 + n % 20, "type": 88, "unit": -2, "algo": 0, "fm": 3},
                {"value": 3912 + n % 300, "type": 77, "unit": -2, "algo": 0, "fm": 3},
            ],
        }

    @staticmethod
    def blood_pressure(account: str, day: date) -> dict[str, Any]:
        n = noise(account, day, "bp")
        moment = _epoch(datetime.combine(day, clock(8, 5), UTC))
        return {
            "grpid": noise(account, day, "grp-bp") & 0x7FFFFFFF,
            "attrib": 0,
            "date": moment,
            "created": moment + 30,
            "modified": moment + 30,
            "category": 1,
            "deviceid": "b7c8d9e0f1a2",
            "hash_deviceid": "b7c8d9e0f1a2",
            "model": "BPM Connect",
            "model_id": 45,
            "comment": None,
            "measures": [
                {"value": 72 + n % 12, "type": 9, "unit": 0, "algo": 0, "fm": 3},
                {"value": 112 + n % 20, "type": 10, "unit": 0, "algo": 0, "fm": 3},
                {"value": 58 + n % 20, "type": 11, "unit": 0, "algo": 0, "fm": 3},
            ],
        }

    @staticmethod
    def activity(account: str, day: date) -> dict[str, Any]:
        n = noise(account, day, "activity")
        moderate, intense = 1200 + n % 1800, 300 + n % 900
        return {
            "date": day.isoformat(),
            "timezone": "Europe/Paris",
            "deviceid": WATCH["deviceid"],
            "hash_deviceid": WATCH["deviceid"],
            "brand": 1,
            "is_tracker": True,
            "modified": _epoch(datetime.combine(day, clock(23, 0), UTC)),
            "model": WATCH["model"],
            "modelid": WATCH["model_id"],
            "steps": 4000 + n % 9000,
            "distance": 3000.0 + n % 7000,
            "elevation": n % 15,
            "soft": 3600 + n % 3600,
            "moderate": moderate,
            "intense": intense,
            "active": moderate + intense,
            "calories": 250.0 + n % 500,
            "totalcalories": 2000.0 + n % 900,
            "hr_average": 68 + n % 10,
            "hr_min": 48 + n % 5,
            "hr_max": 130 + n % 40,
        }

    @staticmethod
    def workout(account: str, day: date) -> dict[str, Any]:
        n = noise(account, day, "workout")
        start = datetime.combine(day, clock(17, 30), UTC)
        return {
            "id": noise(account, day, "wo") & 0x7FFFFFFF,
            "category": (1, 2, 6)[n % 3],
            "timezone": "Europe/Paris",
            "model": 93,
            "attrib": (0, 7)[n % 2],
            "startdate": _epoch(start),
            "enddate": _epoch(start + timedelta(minutes=45)),
            "date": day.isoformat(),
            "modified": _epoch(start + timedelta(minutes=50)),
            "deviceid": WATCH["deviceid"],
            "data": {
                "calories": 180 + n % 300,
                "intensity": 0,
                "manual_distance": 0,
                "manual_calories": 0,
                "hr_average": 120 + n % 30,
                "hr_min": 80,
                "hr_max": 150 + n % 30,
                "steps": 3000 + n % 4000,
                "distance": 2500 + n % 6000,
                "elevation": n % 5,
                "pause_duration": 0,
            },
        }

    @staticmethod
    def sleep(account: str, day: date) -> dict[str, Any]:
        n = noise(account, day, "sleep")
        start = datetime.combine(day - timedelta(days=1), clock(22, 40), UTC)
        end = start + timedelta(hours=7, minutes=45)
        light, deep, rem = 12_600 + n % 1800, 5_400 + n % 900, 5_400 + n % 1200
        in_bed = int((end - start).total_seconds())
        return {
            "id": noise(account, day, "sl") & 0x7FFFFFFF,
            "timezone": "Europe/Paris",
            "model": 32,
            "model_id": 63,
            "startdate": _epoch(start),
            "enddate": _epoch(end),
            "date": day.isoformat(),
            "created": _epoch(end) + 600,
            "modified": _epoch(end) + 600,
            "hash_deviceid": "c3d4e5f6a7b8",
            "completed": True,
            "data": {
                "total_timeinbed": in_bed,
                "total_sleep_time": light + deep + rem,
                "lightsleepduration": light,
                "deepsleepduration": deep,
                "remsleepduration": rem,
                "sleep_efficiency": round((light + deep + rem) / in_bed, 2),
                "sleep_latency": 600 + n % 600,
                "wakeup_latency": 300,
                "wakeupduration": in_bed - light - deep - rem,
                "wakeupcount": 1 + n % 3,
                "hr_average": 54 + n % 6,
                "hr_min": 46 + n % 4,
                "hr_max": 75,
                "rr_average": 14,
                "sleep_score": 70 + n % 25,
            },
        }

    # -- OAuth 2.0, signatures ------------------------------------------------------------------

    def add_oauth_routes(self, app: web.Application) -> None:
        app.router.add_get(self.authorize_path, self._authorize)
        app.router.add_route("*", self.token_path, self._call(self._oauth2, None))
        app.router.add_route("*", SIGNATURE_PATH, self._call(self._signature, None))

    def issue(self, account: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        body = super().issue(account, scopes)
        return {
            "userid": int(account) if account.isdigit() else account,
            "access_token": body["access_token"],
            "refresh_token": body["refresh_token"],
            "scope": ",".join(scopes),
            "expires_in": body["expires_in"],
            "token_type": "Bearer",
        }

    async def _authorize(self, request: web.Request) -> web.Response:
        try:
            return await super()._authorize(request)
        except web.HTTPFound as found:
            code = parse_qs(urlsplit(str(found.location)).query).get("code")
            if code:
                with self._lock:
                    self.code_issued[code[0]] = time.time()
            raise

    async def _oauth2(self, request: web.Request, form: dict[str, str]) -> web.Response:
        action = form.get("action")
        if action == "requesttoken":
            return self._requesttoken(form)
        if action == "revoke":
            return self._revoke_user(form)
        return refusal(2554, "Not implemented")

    def _old_refresh_dead(self, token: str) -> bool:
        successor = self.successors.get(token)
        if successor is None:
            return False
        access, until = successor
        return access in self.used_access or time.time() > until

    def _requesttoken(self, form: dict[str, str]) -> web.Response:
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return refusal(503, "Invalid Params: invalid client_id or client_secret")
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                code = form.get("code", "")
                pending = self.codes.get(code)
                fresh = time.time() - self.code_issued.get(code, 0.0) <= self.code_ttl_s
                if (
                    pending is None
                    or pending.used
                    or not fresh
                    or (pending.redirect_uri != form.get("redirect_uri"))
                ):
                    return refusal(503, "Invalid Params: invalid code")
                pending.used = True
                return ok(self.issue(pending.account, pending.scopes))
            if grant_type == "refresh_token":
                old = form.get("refresh_token", "")
                grant = self.refresh_tokens.get(old)
                if (grant is None or self.refuse_refresh or grant.account in self.refuse_refresh_for
                        or self._old_refresh_dead(old)):  # fmt: skip
                    return refusal(503, "Invalid Params: invalid refresh_token")
                body = self.issue(grant.account, grant.scopes)
                self.successors[old] = (
                    body["access_token"],
                    time.time() + self.old_refresh_grace_s,
                )
                return ok(body)
        return refusal(503, "Invalid Params: invalid grant_type")

    async def _signature(self, request: web.Request, form: dict[str, str]) -> web.Response:
        if form.get("action") != "getnonce":
            return refusal(2554, "Not implemented")
        signed = {k: form.get(k, "") for k in ("action", "client_id", "timestamp")}
        stamp = form.get("timestamp", "")
        if (form.get("client_id") != self.client_id or not stamp.isdigit()
                or abs(time.time() - int(stamp)) > 600
                or form.get("signature") != signature(self.client_secret, signed)):  # fmt: skip
            return refusal(503, "Invalid Params: invalid signature")
        nonce = secrets.token_hex(20)
        with self._lock:
            self.nonces[nonce] = time.time() + 1800
        return ok({"nonce": nonce})

    def _revoke_user(self, form: dict[str, str]) -> web.Response:
        signed = {k: form.get(k, "") for k in ("action", "client_id", "nonce")}
        with self._lock:
            until = self.nonces.pop(form.get("nonce", ""), 0.0)
            if (form.get("client_id") != self.client_id or until < time.time()
                    or form.get("signature") != signature(self.client_secret, signed)):  # fmt: skip
                return refusal(503, "Invalid Params: invalid signature or nonce")
            userid = form.get("userid", "")
            tokens = [t for t, g in self.access_tokens.items() if g.account == userid]
            refresh = [t for t, g in self.refresh_tokens.items() if g.account == userid]
            if not tokens and not refresh:
                return refusal(503, "Invalid Params: the user is not linked to this application")
            for token in tokens:
                self.access_tokens.pop(token)
            for token in refresh:
                self.refresh_tokens.pop(token)
            self.revoked.update(tokens + refresh)
            self.subscriptions.pop(userid, None)
            self.revoked_users.append(userid)
        return ok({})

    # -- routes -----------------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_route("*", "/measure", self._call(self._measure, "user.metrics"))
        router.add_route("*", "/v2/measure", self._call(self._measure_v2, "user.activity"))
        router.add_route("*", "/v2/sleep", self._call(self._sleep, "user.activity"))
        router.add_route("*", "/notify", self._call(self._notify, ""))

    def _call(
        self, handler: JsonHandler, scope: str | None
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        """Read the call's parameters (query and form alike), check the bearer (``scope`` None: no
        bearer; "": any grant), answer refusals.
        """

        async def route(request: web.Request) -> web.Response:
            form = {k: str(v) for k, v in request.query.items()}
            if request.method == "POST":
                form.update({k: str(v) for k, v in (await request.post()).items()})
            with self._lock:
                self.calls.append((request.path, dict(form)))
            try:
                if scope is not None:
                    request[ACCOUNT] = self._bearer(request, scope)
                self._envelope_fault(request.path)
                return await handler(request, form)
            except Refused as refused:
                return refusal(refused.status, refused.error)

        return route

    def _bearer(self, request: web.Request, scope: str) -> str:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        with self._lock:
            grant = self.access_tokens.get(token)
            if grant is None or grant.expires_at <= time.time():
                raise Refused(401, INVALID_TOKEN)
            if scope and scope not in grant.scopes:
                raise Refused(214, "Unauthorized: the user did not grant this scope")
            self.used_access.add(token)
        self.note_account(request, grant.account)
        return grant.account

    def _envelope_fault(self, path: str) -> None:
        with self._lock:
            for status, where, left in self.envelope_faults:
                if left[0] > 0 and path_under(path, where):
                    left[0] -= 1
                    raise Refused(status, "Too many requests" if status == 601 else "injected")

    def _page(self, request: web.Request, items: list[dict[str, Any]],
              form: dict[str, str]) -> tuple[list[dict[str, Any]], bool, int]:  # fmt: skip
        try:
            offset = int(form.get("offset") or 0)
        except ValueError as exc:
            raise Refused(503, "Invalid Params: offset") from exc
        request[RECORD].total = len(items)
        end = offset + self.page_size
        more = end < len(items)
        return items[offset:end], more, end if more else 0

    @staticmethod
    def _int(form: dict[str, str], key: str, default: int | None = None) -> int:
        value = form.get(key)
        if value is None and default is not None:
            return default
        if value is None or not value.lstrip("-").isdigit():
            raise Refused(503, f"Invalid Params: {key}")
        return int(value)

    @staticmethod
    def _dates(form: dict[str, str]) -> tuple[str, str]:
        try:
            first = date.fromisoformat(form["startdateymd"])
            last = date.fromisoformat(form["enddateymd"])
        except (KeyError, ValueError) as exc:
            raise Refused(503, "Invalid Params: startdateymd and enddateymd") from exc
        return first.isoformat(), last.isoformat()

    async def _measure(self, request: web.Request, form: dict[str, str]) -> web.Response:
        if form.get("action") != "getmeas":
            return refusal(2554, "Not implemented")
        account = request[ACCOUNT]
        first = self._int(form, "startdate", 0)
        last = self._int(form, "enddate", 2**31)
        wanted = {int(t) for t in form.get("meastypes", "").split(",") if t.strip().isdigit()}
        category = self._int(form, "category", 1)
        groups = []
        for group in self.items(account, "measuregrps"):
            measures = [m for m in group["measures"] if not wanted or m["type"] in wanted]
            if measures and group["category"] == category and first <= group["date"] <= last:
                groups.append({**group, "measures": measures})
        groups.sort(key=lambda g: (g["date"], g["grpid"]))
        page, more, following = self._page(request, groups, form)
        return ok({"updatetime": int(time.time()), "timezone": "Europe/Paris",
                   "measuregrps": page, "more": int(more), "offset": following})  # fmt: skip

    async def _measure_v2(self, request: web.Request, form: dict[str, str]) -> web.Response:
        account, action = request[ACCOUNT], form.get("action")
        fields = [f for f in form.get("data_fields", "").split(",") if f]
        if action == "getactivity":
            first, last = self._dates(form)
            days = sorted((a for a in self.items(account, "activities")
                           if first <= a["date"] <= last), key=lambda a: a["date"])  # fmt: skip
            shaped = [{k: v for k, v in a.items() if k in ACTIVITY_KEYS or k in fields}
                      for a in days]  # fmt: skip
            page, more, following = self._page(request, shaped, form)
            return ok({"activities": page, "more": more, "offset": following})
        if action == "getworkouts":
            return self._summaries(request, form, self.items(account, "workouts"), fields)
        if action == "getintradayactivity":
            since = self._int(form, "startdate")
            until = min(self._int(form, "enddate"), since + DAY_S - 1)  # the first 24 h only
            series = {
                str(s["timestamp"]): {k: v for k, v in s.items() if k != "timestamp" and (
                    k in WATCH or k in fields)}
                for s in self.items(account, "intraday") if since <= s["timestamp"] <= until
            }  # fmt: skip
            series = {k: v for k, v in series.items() if set(v) - set(WATCH)}
            # A walk in 24-hour chunks is one query: count what the account holds (see data_types).
            request[RECORD].total = sum(
                1 for s in self.items(account, "intraday") if set(s) & set(fields)
            )
            return ok({"series": series or []})
        return refusal(2554, "Not implemented")

    async def _sleep(self, request: web.Request, form: dict[str, str]) -> web.Response:
        if form.get("action") != "getsummary":
            return refusal(2554, "Not implemented")
        fields = [f for f in form.get("data_fields", "").split(",") if f]
        return self._summaries(request, form, self.items(request[ACCOUNT], "sleep"), fields)

    def _summaries(self, request: web.Request, form: dict[str, str],
                   items: list[dict[str, Any]], fields: list[str]) -> web.Response:  # fmt: skip
        """getworkouts and getsummary: by date, ``data`` reduced to the fields asked for."""
        first, last = self._dates(form)
        chosen = sorted((i for i in items if first <= i["date"] <= last),
                        key=lambda i: (i["date"], i["id"]))  # fmt: skip
        shaped = [
            {**i, "data": {k: v for k, v in i["data"].items() if k in fields}} for i in chosen
        ]
        page, more, following = self._page(request, shaped, form)
        return ok({"series": page, "more": more, "offset": following})

    async def _notify(self, request: web.Request, form: dict[str, str]) -> web.Response:
        account, action = request[ACCOUNT], form.get("action")
        url, appli = form.get("callbackurl", ""), self._int(form, "appli", 1)
        with self._lock:
            mine = self.subscriptions.setdefault(account, set())
            if action == "subscribe":
                if not url.startswith("https://") or len(url) > 255:
                    return refusal(293, "Invalid Params: callbackurl")
                mine.add((url, appli))
                return ok({})
            if action == "revoke":
                mine.discard((url, appli))
                return ok({})
            if action == "list":
                profiles = [{"appli": a, "callbackurl": u, "comment": "fithub", "expires": 2**31 - 1}
                            for u, a in sorted(mine, key=lambda s: (s[1], s[0]))]  # fmt: skip
                return ok({"profiles": profiles})
        return refusal(2554, "Not implemented")
