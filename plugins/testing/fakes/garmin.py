"""A fake Garmin Health API: OAuth 2.0 + PKCE, wellness pulls by upload time, deregistration.

Everything Garmin serves from three hosts (connect.garmin.com's consent page, diauth.garmin.com's
token endpoint, apis.garmin.com's Wellness API) is served here from one root:

- ``GET /oauth2Confirm`` (PKCE S256 required; the user ticks ACTIVITY_EXPORT / HEALTH_EXPORT),
  ``POST /di-oauth2-service/oauth/token`` (client id and secret in the form body; access tokens
  live 86,400 s, every response carries a new refresh token and the old one stops working,
  ``refresh_token_expires_in`` 90 days, ``scope`` names Garmin's OAuth scopes, not permissions);
- ``GET /wellness-api/rest/user/id`` -> ``{"userId": ...}``, ``GET .../user/permissions`` -> a JSON
  array of permission names, ``DELETE .../user/registration`` -> 204 and every token of the user
  dies (recorded in ``deregistered``);
- ``GET /wellness-api/rest/{dailies|activities|sleeps|bodyComps|hrv|pulseox}`` with
  ``uploadStartTimeInSeconds``/``uploadEndTimeInSeconds``: a JSON array of the summaries uploaded
  in [start, end), no paging; a range over 86,400 s, a missing or reversed one is a 400
  ``{"errorMessage": ...}``; a missing permission is a 403;
- ``GET /wellness-api/rest/backfill/{summary}`` -> 202 (409 for a range already asked for, 400 over
  30 days); the requests are kept in ``backfills``.

UNCONFIRMED (Garmin's documentation is partner-gated): the error body shape, whether an old
refresh token keeps working after rotation (the fake refuses it), the permission list's shape
(an array; some clients also accept ``{"permissions": [...]}``), the backfill limits and the
token's ``scope`` text. Heart-rate samples are thinned to one per 15 minutes (Garmin: ~15 s).
The fake's user lives at UTC-5 (``startTimeOffsetInSeconds`` -18000).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from aiohttp import web

from fithub.plugins.testing.fake import RECORD, FakeVendor, noise
from fithub.plugins.testing.push_contract import PushSpec
from fithub.plugins.types import AppCredentials, DataType, PushRequest

DEREGISTRATIONS = "deregistrations"  # the webhook key of users who ended their registration

PERMISSIONS = ("ACTIVITY_EXPORT", "HEALTH_EXPORT", "WORKOUT_IMPORT")
SUMMARY_PERMISSION = {
    "dailies": "HEALTH_EXPORT",
    "activities": "ACTIVITY_EXPORT",
    "sleeps": "HEALTH_EXPORT",
    "bodyComps": "HEALTH_EXPORT",
    "hrv": "HEALTH_EXPORT",
    "pulseox": "HEALTH_EXPORT",
}
MAX_PULL_S = 86400
MAX_BACKFILL_S = 30 * 86400
OFFSET_S = -5 * 3600  # the fake user's UTC offset
UPLOAD = "_uploadTime"  # kept beside each item, never served
HR_STEP_S = 900


def _bad(message: str, status: int = 400) -> web.HTTPException:
    cls = web.HTTPBadRequest if status == 400 else web.HTTPConflict
    return cls(text=json.dumps({"errorMessage": message}), content_type="application/json")


def _local_midnight(day: date) -> int:
    """Epoch seconds of the fake user's local midnight starting ``day``."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) - OFFSET_S


class FakeGarmin(FakeVendor):
    name: ClassVar[str] = "garmin"
    authorize_path: ClassVar[str] = "/oauth2Confirm"
    token_path: ClassVar[str] = "/di-oauth2-service/oauth/token"
    data_prefix: ClassVar[str] = "/wellness-api/rest/"
    client_id: ClassVar[str] = "fake-garmin-consumer-key"
    client_secret: ClassVar[str] = "fake-garmin-consumer-secret"
    callback_token: ClassVar[str] = "fake-garmin-callback-token-8d2f47"
    access_ttl_s = 86400.0

    def reset(self) -> None:
        super().reset()
        self.deregistered: list[str] = []
        self.backfills: list[tuple[str, str, int, int]] = []

    def data_types(self) -> tuple[DataType, ...]:
        return (DataType.DAILY, DataType.HEART_RATE, DataType.ACTIVITIES, DataType.SLEEP,
                DataType.BODY, DataType.HRV, DataType.SPO2)  # fmt: skip

    # -- OAuth: PKCE required, no revoke endpoint (deregistration instead) -----------------------

    def add_oauth_routes(self, app: web.Application) -> None:
        app.router.add_get(self.authorize_path, self._consent)
        app.router.add_post(self.token_path, self._token)

    async def _consent(self, request: web.Request) -> web.Response:
        query = request.query
        if not query.get("code_challenge") or query.get("code_challenge_method") != "S256":
            return web.json_response({"errorMessage": "PKCE (S256) is required"}, status=400)
        if "fake_scopes" not in query:  # the user leaves every permission ticked
            url = request.rel_url.update_query(fake_scopes=" ".join(PERMISSIONS))
            request = request.clone(rel_url=url)
        return await self._authorize(request)

    def issue(self, account: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        body = super().issue(account, scopes)
        body["expires_in"] = int(self.access_ttl_s) - 1  # Garmin answers 86399
        body["refresh_token_expires_in"] = 7775999
        body["scope"] = "PARTNER_WRITE PARTNER_READ CONNECT_READ CONNECT_WRITE"
        body["jti"] = f"jti-{noise(body['access_token'])}"
        return body

    def deregister(self, account: str) -> None:
        """The user (or the app) ended the registration: every token of ``account`` dies."""
        with self._lock:
            self.drop_tokens(account)
            self.deregistered.append(account)

    # -- webhook bodies, as Garmin would send them to fithub ----------------------------------------

    def options(self) -> dict[str, str]:
        """``FITHUB_GARMIN_OPTIONS``: the secret of the callback URLs registered with Garmin."""
        return {"callback_token": self.callback_token}

    def credentials(self, redirect_uri: str = "http://127.0.0.1/callback") -> AppCredentials:
        return replace(super().credentials(redirect_uri), options=self.options())

    def fithub_env(self) -> dict[str, str]:
        return {**super().fithub_env(), "FITHUB_GARMIN_OPTIONS": json.dumps(self.options())}

    def webhook_headers(self) -> dict[str, str]:
        return {"garmin-client-id": self.client_id, "content-type": "application/json"}

    def webhook_query(self) -> dict[str, str]:
        """The query of the callback URLs registered in Garmin's portal (their secret)."""
        return {"token": self.callback_token}

    def push_spec(self, account: str) -> PushSpec:
        """How Garmin's pushes prove themselves: the URL's secret and the client id header."""

        def make(at: datetime) -> PushRequest:
            end = int(at.timestamp())
            body = self.ping_body(account, "activities", end - 3600, end)
            body[DEREGISTRATIONS] = [{"userId": account}]
            return PushRequest("POST", self.webhook_headers(), self.webhook_query(),
                               json.dumps(body).encode())  # fmt: skip

        return PushSpec(make, secret_params=("token",), secret_headers=("garmin-client-id",),
                        options=self.options(), secret_options=("callback_token",))  # fmt: skip

    def ping_body(self, account: str, summary: str, start: int, end: int) -> dict[str, Any]:
        query = f"uploadStartTimeInSeconds={start}&uploadEndTimeInSeconds={end}&token=CPT{end}"
        url = f"{self.url or 'https://apis.garmin.com'}/wellness-api/rest/{summary}?{query}"
        return {summary: [{"userId": account, "callbackURL": url}]}

    def push_body(self, account: str, summary: str) -> dict[str, Any]:
        """A push of every stored ``summary`` item of ``account`` (userId added, as Garmin does)."""
        items = self.items(account, summary)
        return {summary: [{**self._public(item), "userId": account} for item in items]}

    # -- data -------------------------------------------------------------------------------------

    def _put(self, account: str, summary: str, item: dict[str, Any], start: datetime,
             end: datetime) -> None:  # fmt: skip
        if not start.timestamp() <= item[UPLOAD] < end.timestamp():
            return
        self.upsert(
            account, summary, item, "summaryId", order=lambda i: (i[UPLOAD], i["summaryId"])
        )

    def seed(self, account: str, start: datetime, end: datetime) -> None:
        """Per local day: a daily, a run, a night of sleep with HRV and SpO2, a weigh-in.

        Only what was uploaded in [start, end) is stored, so every 24 h of upload time holds
        exactly one item of each summary type.
        """
        self.add_account(account)
        day = (start + timedelta(seconds=OFFSET_S)).date() - timedelta(days=2)
        last = (end + timedelta(seconds=OFFSET_S)).date() + timedelta(days=1)
        while day <= last:
            for summary, item in (
                ("dailies", self.daily(account, day)),
                ("activities", self.activity(account, day)),
                ("sleeps", self.sleep(account, day)),
                ("hrv", self.hrv(account, day)),
                ("pulseox", self.pulse_ox(account, day)),
                ("bodyComps", self.body_composition(account, day)),
            ):
                self._put(account, summary, item, start, end)
            day += timedelta(days=1)

    @staticmethod
    def daily(account: str, day: date) -> dict[str, Any]:
        n = noise(account, day, "daily")
        begin = _local_midnight(day)
        samples: dict[str, int | None] = {
            str(s): 55 + (n + s // HR_STEP_S) % 45 for s in range(0, 86400, HR_STEP_S)
        }
        samples[str(12 * 3600)] = None  # Garmin leaves gaps where the watch was off the wrist
        return {
            "summaryId": f"x{n % 0xFFFFFF:x}-{begin:x}",
            "calendarDate": day.isoformat(),
            "activityType": "WALKING",
            "startTimeInSeconds": begin,
            "startTimeOffsetInSeconds": OFFSET_S,
            "durationInSeconds": 86400,
            "steps": 4000 + n % 9000,
            "stepsGoal": 10000,
            "distanceInMeters": 3000.0 + n % 7000,
            "activeTimeInSeconds": 3600 + n % 3600,
            "activeKilocalories": 300 + n % 600,
            "bmrKilocalories": 1650,
            "moderateIntensityDurationInSeconds": 1200,
            "vigorousIntensityDurationInSeconds": 600,
            "floorsClimbed": n % 20,
            "minHeartRateInBeatsPerMinute": 48,
            "averageHeartRateInBeatsPerMinute": 66,
            "maxHeartRateInBeatsPerMinute": 150,
            "restingHeartRateInBeatsPerMinute": 50 + n % 10,
            "averageStressLevel": 30,
            "timeOffsetHeartRateSamples": samples,
            UPLOAD: begin + 86400 + 600,
        }

    @staticmethod
    def activity(account: str, day: date) -> dict[str, Any]:
        n = noise(account, day, "activity")
        begin = _local_midnight(day) + 18 * 3600
        kind = ("RUNNING", "CYCLING", "WALKING")[n % 3]
        return {
            "summaryId": str(9_000_000_000 + n % 1_000_000_000),
            "activityId": 9_000_000_000 + n % 1_000_000_000,
            "activityName": f"Evening {kind.lower()}",
            "activityType": kind,
            "startTimeInSeconds": begin,
            "startTimeOffsetInSeconds": OFFSET_S,
            "durationInSeconds": 2700,
            "distanceInMeters": 5000.0 + n % 15000,
            "activeKilocalories": 250 + n % 500,
            "averageHeartRateInBeatsPerMinute": 120 + n % 40,
            "maxHeartRateInBeatsPerMinute": 165 + n % 20,
            "steps": 6000 if kind != "CYCLING" else None,
            "deviceName": "forerunner265",
            "manual": False,
            UPLOAD: begin + 2700 + 300,
        }

    @staticmethod
    def sleep(account: str, day: date) -> dict[str, Any]:
        """The night ending on the morning of ``day``: 23:00 to 07:00 local."""
        n = noise(account, day, "sleep")
        begin = _local_midnight(day) - 3600
        cycle = (("light", 1800), ("deep", 3600), ("light", 1800), ("rem", 1800), ("awake", 300))
        levels: dict[str, list[dict[str, int]]] = {}
        moment = begin
        while moment < begin + 8 * 3600:
            for level, seconds in cycle:
                stop = min(moment + seconds, begin + 8 * 3600)
                if stop > moment:
                    levels.setdefault(level, []).append(
                        {"startTimeInSeconds": moment, "endTimeInSeconds": stop}
                    )
                moment = stop
        totals = {k: sum(s["endTimeInSeconds"] - s["startTimeInSeconds"] for s in v)
                  for k, v in levels.items()}  # fmt: skip
        return {
            "summaryId": f"x{n % 0xFFFFFF:x}-{begin:x}-sleep",
            "calendarDate": day.isoformat(),
            "startTimeInSeconds": begin,
            "startTimeOffsetInSeconds": OFFSET_S,
            "durationInSeconds": 8 * 3600,
            "deepSleepDurationInSeconds": totals.get("deep", 0),
            "lightSleepDurationInSeconds": totals.get("light", 0),
            "remSleepInSeconds": totals.get("rem", 0),
            "awakeDurationInSeconds": totals.get("awake", 0),
            "unmeasurableSleepInSeconds": 0,
            "validation": "ENHANCED_FINAL",
            "sleepLevelsMap": levels,
            "overallSleepScore": {"value": 70 + n % 25, "qualifierKey": "GOOD"},
            UPLOAD: begin + 8 * 3600 + 1800,
        }

    @staticmethod
    def hrv(account: str, day: date) -> dict[str, Any]:
        n = noise(account, day, "hrv")
        begin = _local_midnight(day) - 3600
        values = {str(s): 30 + (n + s) % 40 for s in range(300, 8 * 3600, 1800)}
        return {
            "summaryId": f"x{n % 0xFFFFFF:x}-{begin:x}-hrv",
            "calendarDate": day.isoformat(),
            "startTimeInSeconds": begin,
            "startTimeOffsetInSeconds": OFFSET_S,
            "durationInSeconds": 8 * 3600,
            "lastNightAvg": 44,
            "lastNight5MinHigh": 72,
            "hrvValues": values,
            UPLOAD: begin + 8 * 3600 + 1800,
        }

    @staticmethod
    def pulse_ox(account: str, day: date) -> dict[str, Any]:
        n = noise(account, day, "pulseox")
        begin = _local_midnight(day) - 3600
        values = {str(s): 92 + (n + s) % 7 for s in range(0, 8 * 3600, 3600)}
        return {
            "summaryId": f"x{n % 0xFFFFFF:x}-{begin:x}-spo2",
            "calendarDate": day.isoformat(),
            "startTimeInSeconds": begin,
            "startTimeOffsetInSeconds": OFFSET_S,
            "durationInSeconds": 8 * 3600,
            "timeOffsetSpo2Values": values,
            "onDemand": False,
            UPLOAD: begin + 8 * 3600 + 1800,
        }

    @staticmethod
    def body_composition(account: str, day: date) -> dict[str, Any]:
        n = noise(account, day, "body")
        when = _local_midnight(day) + 7 * 3600 + 300
        return {
            "summaryId": f"x{n % 0xFFFFFF:x}-{when:x}-body",
            "measurementTimeInSeconds": when,
            "measurementTimeOffsetInSeconds": OFFSET_S,
            "weightInGrams": 70000 + n % 5000,
            "bodyFatInPercent": 18.5 + (n % 30) / 10,
            "muscleMassInGrams": 32000 + n % 2000,
            "boneMassInGrams": 3100,
            "bodyWaterInPercent": 55.0,
            "bodyMassIndex": 22.4,
            UPLOAD: when + 60,
        }

    @staticmethod
    def _public(item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k != UPLOAD}

    # -- routes -----------------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/wellness-api/rest/user/id", self._user_id)
        router.add_get("/wellness-api/rest/user/permissions", self._permissions)
        router.add_delete("/wellness-api/rest/user/registration", self._deregister)
        router.add_get("/wellness-api/rest/backfill/{summary}", self._backfill)
        router.add_get("/wellness-api/rest/{summary}", self._summaries)

    async def _user_id(self, request: web.Request) -> web.Response:
        return web.json_response({"userId": self.account_for(request)})

    async def _permissions(self, request: web.Request) -> web.Response:
        self.account_for(request)  # a 401 unless the bearer token is alive
        token = request.headers["Authorization"].removeprefix("Bearer ").strip()
        with self._lock:
            granted = list(self.access_tokens[token].scopes)
        return web.json_response(granted)

    async def _deregister(self, request: web.Request) -> web.Response:
        self.deregister(self.account_for(request))
        return web.Response(status=204)

    @staticmethod
    def _range(request: web.Request, first: str, last: str, limit: int) -> tuple[int, int]:
        try:
            start, end = int(request.query[first]), int(request.query[last])
        except (KeyError, ValueError) as exc:
            raise _bad(f"{first} and {last} are required epoch seconds") from exc
        if end <= start:
            raise _bad(f"{last} must be after {first}")
        if end - start > limit:
            raise _bad(f"the time range must not exceed {limit} seconds")
        return start, end

    async def _summaries(self, request: web.Request) -> web.Response:
        summary = request.match_info["summary"]
        if summary not in SUMMARY_PERMISSION:
            raise web.HTTPNotFound(text='{"errorMessage": "Not Found"}',
                                   content_type="application/json")  # fmt: skip
        account = self.account_for(request, SUMMARY_PERMISSION[summary])
        start, end = self._range(
            request, "uploadStartTimeInSeconds", "uploadEndTimeInSeconds", MAX_PULL_S
        )
        with self._lock:
            items = [self._public(i) for i in self.items(account, summary)
                     if start <= i[UPLOAD] < end]  # fmt: skip
        request[RECORD].total = len(items)
        return web.json_response(items)

    async def _backfill(self, request: web.Request) -> web.Response:
        summary = request.match_info["summary"]
        if summary not in SUMMARY_PERMISSION:
            raise web.HTTPNotFound(text='{"errorMessage": "Not Found"}',
                                   content_type="application/json")  # fmt: skip
        account = self.account_for(request, SUMMARY_PERMISSION[summary])
        start, end = self._range(
            request, "summaryStartTimeInSeconds", "summaryEndTimeInSeconds", MAX_BACKFILL_S
        )
        with self._lock:
            asked = (account, summary, start, end)
            if asked in self.backfills:
                raise _bad("duplicate backfill request", status=409)
            self.backfills.append(asked)
        return web.Response(status=202)
