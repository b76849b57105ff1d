"""A fake Oura API v2: OAuth 2.0 (credentials in the body), ``/v2/usercollection/*`` paged by ``next_token``.

Shapes follow the shared vendors reference (2.3) and Oura's OpenAPI field names; items carry the
fields fithub reads plus a few it ignores. What Oura does not document publicly (the heartrate
range limit, page sizes) is chosen to be strict: ranges over 30 days are a 400.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

from aiohttp import web

from fithub.plugins.testing.fake import FakeVendor, noise
from fithub.plugins.testing.push_contract import PushSpec
from fithub.plugins.types import DataType, PushRequest

DATE_COLLECTIONS = {"daily_activity": "daily", "workout": "workout", "sleep": "daily"}
HEARTRATE_LIMIT = timedelta(days=30)
PHASES = "4222111122223333222211112222333322221111222233332222111122223333222233332222333344"


def _bad(detail: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=f'{{"detail": "{detail}"}}', content_type="application/json")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


class FakeOura(FakeVendor):
    name: ClassVar[str] = "oura"
    data_prefix: ClassVar[str] = "/v2/usercollection/"
    client_id: ClassVar[str] = "fake-oura-client"
    client_secret: ClassVar[str] = "fake-oura-secret"
    access_ttl_s = 86400.0

    webhook_verification_token: ClassVar[str] = "fake-oura-verification-token"

    def fithub_env(self) -> dict[str, str]:
        options = {"webhook_verification_token": self.webhook_verification_token}
        return {**super().fithub_env(), "FITHUB_OURA_OPTIONS": json.dumps(options)}

    def signed_push(
        self, event: dict[str, Any], *, secret: str | None = None, at: datetime | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Headers and body of a webhook notification as Oura sends it at ``at`` (default now):
        HMAC-SHA256 over the timestamp (Unix seconds) and the body, upper-case hex."""
        body = json.dumps(event).encode()
        timestamp = str(int((at or datetime.now(UTC)).timestamp()))
        key = (secret or self.client_secret).encode()
        signature = hmac.new(key, timestamp.encode() + body, hashlib.sha256).hexdigest().upper()
        headers = {"x-oura-signature": signature, "x-oura-timestamp": timestamp,
                   "content-type": "application/json"}  # fmt: skip
        return headers, body

    def push_spec(self, account: str) -> PushSpec:
        """How Oura's pushes prove themselves: an HMAC over a fresh timestamp and the body."""

        def make(at: datetime) -> PushRequest:
            event = {"event_type": "delete", "data_type": "workout", "object_id": "wo-1",
                     "user_id": account, "event_time": at.isoformat()}  # fmt: skip
            headers, body = self.signed_push(event, at=at)
            return PushRequest("POST", headers, {}, body)

        return PushSpec(make, secret_headers=("x-oura-signature", "x-oura-timestamp"),
                        body_signed=True, timestamped=True)  # fmt: skip

    def data_types(self) -> tuple[DataType, ...]:
        return (DataType.DAILY, DataType.ACTIVITIES, DataType.SLEEP, DataType.HEART_RATE)

    # -- data -------------------------------------------------------------------------------------

    def seed(self, account: str, start: datetime, end: datetime) -> None:
        """A day summary, a workout and a night of sleep per day; heart rate every 5 minutes."""
        self.add_account(account)
        day = start.astimezone(UTC).date()
        while datetime.combine(day, time.min, UTC) < end:
            self.upsert(account, "daily_activity", self.daily_activity(account, day), "id")
            self.upsert(account, "workout", self.workout(account, day), "id")
            self.upsert(account, "sleep", self.sleep(account, day), "id")
            day += timedelta(days=1)
        moment = start.astimezone(UTC).replace(second=0, microsecond=0)
        moment -= timedelta(minutes=moment.minute % 5)
        if moment < start:
            moment += timedelta(minutes=5)
        beats = []
        while moment < end:
            source = "sleep" if moment.hour < 6 else "awake"
            beats.append(
                {
                    "bpm": 52 + noise(account, moment) % 40 if source == "awake" else 50,
                    "source": source,
                    "timestamp": _iso(moment),
                }
            )
            moment += timedelta(minutes=5)
        with self._lock:
            known = {b["timestamp"] for b in self.items(account, "heartrate")}
            self.items(account, "heartrate").extend(b for b in beats if b["timestamp"] not in known)
            self.items(account, "heartrate").sort(key=lambda b: b["timestamp"])

    @staticmethod
    def daily_activity(account: str, day: date) -> dict[str, Any]:
        n = noise(account, day)
        high, medium, low = 600 + n % 900, 1800 + n % 1200, 7200 + n % 3600
        return {
            "id": f"da-{account}-{day}",
            "class_5_min": "1" * 288,
            "score": 60 + n % 40,
            "active_calories": 300 + n % 500,
            "average_met_minutes": 1.5,
            "equivalent_walking_distance": 6000 + n % 6000,
            "high_activity_time": high,
            "medium_activity_time": medium,
            "low_activity_time": low,
            "inactivity_alerts": n % 3,
            "meters_to_target": 1000,
            "non_wear_time": 0,
            "resting_time": 30000,
            "sedentary_time": 25000,
            "steps": 4000 + n % 9000,
            "target_calories": 500,
            "target_meters": 10000,
            "total_calories": 2100 + n % 800,
            "day": day.isoformat(),
            "timestamp": f"{day.isoformat()}T04:00:00+00:00",
        }

    @staticmethod
    def workout(account: str, day: date) -> dict[str, Any]:
        n = noise(account, day, "workout")
        start = datetime.combine(day, time(17, 0), UTC)
        return {
            "id": f"wo-{account}-{day}",
            "activity": ("walking", "running", "cycling")[n % 3],
            "calories": 150.0 + n % 400,
            "day": day.isoformat(),
            "distance": 2000.0 + n % 8000,
            "end_datetime": _iso(start + timedelta(minutes=45)),
            "intensity": ("easy", "moderate", "hard")[n % 3],
            "label": None,
            "source": ("manual", "autodetected", "confirmed")[n % 3],
            "start_datetime": _iso(start),
        }

    @staticmethod
    def sleep(account: str, day: date) -> dict[str, Any]:
        n = noise(account, day, "sleep")
        start = datetime.combine(day - timedelta(days=1), time(23, 0), UTC)
        end = start + timedelta(seconds=len(PHASES) * 300)
        hrv = [None if i % 17 == 0 else 30 + (n + i) % 40 for i in range(len(PHASES))]
        return {
            "id": f"sl-{account}-{day}",
            "average_breath": 14.5,
            "average_heart_rate": 52.0 + n % 6,
            "average_hrv": 45 + n % 20,
            "awake_time": 300 * PHASES.count("4"),
            "bedtime_end": _iso(end),
            "bedtime_start": _iso(start),
            "day": day.isoformat(),
            "deep_sleep_duration": 300 * PHASES.count("1"),
            "efficiency": 88 + n % 10,
            "heart_rate": {
                "interval": 300.0,
                "items": [50] * len(PHASES),
                "timestamp": _iso(start),
            },
            "hrv": {"interval": 300.0, "items": hrv, "timestamp": _iso(start)},
            "latency": 600,
            "light_sleep_duration": 300 * PHASES.count("2"),
            "low_battery_alert": False,
            "lowest_heart_rate": 46,
            "movement_30_sec": "1" * (len(PHASES) * 10),
            "period": 0,
            "readiness_score_delta": None,
            "rem_sleep_duration": 300 * PHASES.count("3"),
            "restless_periods": 10,
            "sleep_phase_5_min": PHASES,
            "sleep_score_delta": None,
            "time_in_bed": len(PHASES) * 300,
            "total_sleep_duration": 300 * (len(PHASES) - PHASES.count("4")),
            "type": "long_sleep",
        }

    # -- routes -----------------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/v2/usercollection/personal_info", self._personal_info)
        router.add_get("/v2/usercollection/{collection}", self._collection)

    async def _personal_info(self, request: web.Request) -> web.Response:
        account = self.account_for(request, "personal")
        return web.json_response(
            {
                "id": account,
                "age": 35,
                "weight": 70.5,
                "height": 1.78,
                "biological_sex": "female",
                "email": None,
            }
        )

    async def _collection(self, request: web.Request) -> web.Response:
        collection = request.match_info["collection"]
        if collection == "heartrate":
            account = self.account_for(request, "heartrate")
            start, end = self._datetimes(request)
            items = [
                b
                for b in self.items(account, collection)
                if start <= datetime.fromisoformat(b["timestamp"]) <= end
            ]
        elif collection in DATE_COLLECTIONS:
            account = self.account_for(request, DATE_COLLECTIONS[collection])
            first, last = self._dates(request)
            items = sorted(
                (
                    i
                    for i in self.items(account, collection)
                    if first <= date.fromisoformat(i["day"]) <= last
                ),
                key=lambda i: (i["day"], i["id"]),
            )
        else:
            raise web.HTTPNotFound(text='{"detail": "Not Found"}', content_type="application/json")
        page, following = self.paginate(request, items, request.query.get("next_token"))
        return web.json_response({"data": page, "next_token": following})

    @staticmethod
    def _dates(request: web.Request) -> tuple[date, date]:
        try:
            last = date.fromisoformat(request.query.get("end_date") or date.today().isoformat())
            first_text = request.query.get("start_date")
            first = date.fromisoformat(first_text) if first_text else last - timedelta(days=1)
        except ValueError as exc:
            raise _bad("start_date and end_date must be YYYY-MM-DD") from exc
        if first > last:
            raise _bad("start_date is after end_date")
        return first, last

    @staticmethod
    def _datetimes(request: web.Request) -> tuple[datetime, datetime]:
        try:
            start = datetime.fromisoformat(request.query["start_datetime"])
            end_text = request.query.get("end_datetime")
            end = datetime.fromisoformat(end_text) if end_text else datetime.now(UTC)
        except (KeyError, ValueError) as exc:
            raise _bad("start_datetime and end_datetime must be ISO 8601 date-times") from exc
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
        end = end if end.tzinfo else end.replace(tzinfo=UTC)
        if end - start > HEARTRATE_LIMIT:
            raise _bad("the range of start_datetime and end_datetime is at most 30 days")
        return start, end
