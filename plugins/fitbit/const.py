"""Fitbit Web API facts: hosts, paths, scopes, data types, limits (see shared vendors reference 2.1)."""

from __future__ import annotations

from datetime import timedelta

from fithub.plugins.http import VendorHosts
from fithub.plugins.oauth import OAuth2Config, Revocation
from fithub.plugins.provider import ProviderSpec
from fithub.plugins.types import DataType, RateLimit

NAME = "fitbit"
DISPLAY_NAME = "Fitbit"

API_BASE = "https://api.fitbit.com"
AUTH_BASE = "https://www.fitbit.com"  # the consent page; token and revoke are on API_BASE
AUTHORIZE_PATH = "/oauth2/authorize"
TOKEN_PATH = "/oauth2/token"  # Authorization: Basic base64(client_id:client_secret)
REVOKE_PATH = "/oauth2/revoke"  # form: token=<access or refresh token>

PROFILE_PATH = "/1/user/-/profile.json"
ACTIVITY_LIST_PATH = "/1/user/-/activities/list.json"
DAILY_SUMMARY_PATH = "/1/user/-/activities/date/{day}.json"
HEART_INTRADAY_PATH = "/1/user/-/activities/heart/date/{day}/1d/1min.json"
SLEEP_LIST_PATH = "/1.2/user/-/sleep/list.json"
WEIGHT_LOG_PATH = "/1/user/-/body/log/weight/date/{start}/{end}.json"
SUBSCRIPTION_PATH = "/1/user/-/{collection}/apiSubscriptions/{subscription}.json"

# Fitbit's scope names; "profile" lets fithub read the person's time zone.
SCOPES: tuple[str, ...] = ("activity", "heartrate", "sleep", "weight", "profile")
REQUIRED_SCOPES: dict[DataType, tuple[str, ...]] = {
    DataType.DAILY: ("activity",),
    DataType.ACTIVITIES: ("activity",),
    DataType.HEART_RATE: ("heartrate",),
    DataType.SLEEP: ("sleep",),
    DataType.BODY: ("weight",),
}
# Offered, in the order fithub syncs them.
DATA_TYPES: tuple[DataType, ...] = (
    DataType.DAILY,
    DataType.ACTIVITIES,
    DataType.HEART_RATE,
    DataType.SLEEP,
    DataType.BODY,
)

# Items in a list page (activities, sleep): Fitbit's maximum.
LIST_LIMIT = 100
# The weight log takes at most 31 days per request (end - start <= 30 days: 31 dates).
WEIGHT_RANGE_DAYS = 31
# One fetch covers at most this much; longer spans are cut by fithub (and the weight log range by
# the provider, should a longer window reach it).
MAX_WINDOW = timedelta(days=30)

# 150 requests an hour per user and app; counted by Fitbit, reset about the top of the hour. fithub
# counts one request per page: 10 are left for the calls it does not count (profile, token,
# subscriptions at connect).
USER_REQUESTS_PER_HOUR = 150
RATE_LIMITS: tuple[RateLimit, ...] = (RateLimit(requests=140, per_seconds=3600, scope="user"),)
# Where the wait after a 429 comes from: Retry-After when Fitbit sends one, else the reset.
RETRY_AFTER_HEADERS = ("Retry-After", "Fitbit-Rate-Limit-Reset")

SPEC = ProviderSpec(
    NAME, DISPLAY_NAME, "oauth2_pkce", SCOPES, DATA_TYPES, REQUIRED_SCOPES, RATE_LIMITS, MAX_WINDOW,
    pushes_signed=True,  # HMAC-SHA1 over the body: deletes are acted on
    hosts=VendorHosts(api=API_BASE, consent=AUTH_BASE),
    # Revoking either token ends the whole grant: the refresh token is sent when there is one
    # (unlike the access token it cannot have expired).
    oauth=OAuth2Config(AUTHORIZE_PATH, TOKEN_PATH, Revocation(REVOKE_PATH), client_auth="basic"),
    retry_after_headers=RETRY_AFTER_HEADERS,
)  # fmt: skip

# Keys fetch_page adds to Fitbit's items so each one can be normalised on its own.
TZ_KEY = "fithub_timezone"  # the person's IANA zone, for times Fitbit gives in local time
OFFSET_KEY = "fithub_utc_offset_ms"  # the profile's offset, when the zone is unknown here
DATE_KEY = "fithub_date"  # the day a daily summary or a heart-rate dataset belongs to

# TokenSet.extra keys.
EXTRA_TIMEZONE = "timezone"
EXTRA_OFFSET = "utc_offset_ms"

# Sleep levels: "stages" logs (deep/light/rem/wake) and "classic" ones (asleep/restless/awake).
# Fitbit counts restless minutes in minutesAwake, so they are awake here too.
SLEEP_LEVELS = {
    "deep": "deep",
    "light": "light",
    "rem": "rem",
    "wake": "awake",
    "asleep": "asleep",
    "restless": "awake",
    "awake": "awake",
}
DISTANCE_UNITS_M = {"kilometer": 1000.0, "mile": 1609.344, "meter": 1.0}

# Webhooks (subscriber verification and notifications).
SIGNATURE_HEADER = "x-fitbit-signature"
VERIFY_CODE_OPTION = "verify_code"
SUBSCRIBE_OPTION = "subscribe"  # "true": create the subscriptions when a person connects
SUBSCRIBER_ID_OPTION = "subscriber_id"  # sent as X-Fitbit-Subscriber-Id (else the default one)
SUBSCRIBED_COLLECTIONS = ("activities", "body", "sleep", "userRevokedAccess")
PUSH_DATA_TYPES: dict[str, tuple[DataType, ...]] = {
    "activities": (DataType.ACTIVITIES, DataType.DAILY, DataType.HEART_RATE),
    "body": (DataType.BODY,),
    "sleep": (DataType.SLEEP,),
}
DEAUTHORIZE_COLLECTIONS = frozenset({"userRevokedAccess", "deleteUser"})
# A notification's date is the person's local day; without their zone, fetch that date wherever
# on Earth it is (UTC+14 to UTC-12).
EARLIEST_OFFSET = timedelta(hours=14)
LATEST_OFFSET = timedelta(hours=12)
