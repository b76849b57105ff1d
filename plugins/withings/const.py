"""Withings Public Health Data API facts: hosts, actions, scopes, statuses, limits (vendors ref 2.4)."""

from __future__ import annotations

from datetime import timedelta

from fithub.plugins.http import VendorHosts
from fithub.plugins.oauth import OAuth2Config
from fithub.plugins.provider import ProviderSpec
from fithub.plugins.records import BodyKind, SampleKind
from fithub.plugins.types import DataType, RateLimit

NAME = "withings"
DISPLAY_NAME = "Withings"

API_BASE = "https://wbsapi.withings.net"
AUTH_BASE = "https://account.withings.com"  # the consent page; everything else is on API_BASE
AUTHORIZE_PATH = "/oauth2_user/authorize2"
OAUTH2_PATH = (
    "/v2/oauth2"  # action=requesttoken (client secret in the form) | action=revoke (signed)
)
SIGNATURE_PATH = "/v2/signature"  # action=getnonce (signed with a timestamp)
MEASURE_PATH = "/measure"  # action=getmeas
MEASURE_V2_PATH = "/v2/measure"  # action=getactivity | getworkouts | getintradayactivity
SLEEP_V2_PATH = "/v2/sleep"  # action=getsummary
NOTIFY_PATH = "/notify"  # action=subscribe | revoke | list | get

# Scopes are comma-separated in the consent URL and the token answer.
SCOPES: tuple[str, ...] = ("user.info", "user.metrics", "user.activity")
REQUIRED_SCOPES: dict[DataType, tuple[str, ...]] = {
    DataType.BODY: ("user.metrics",),
    DataType.DAILY: ("user.activity",),
    DataType.ACTIVITIES: ("user.activity",),
    DataType.SLEEP: ("user.activity",),
    DataType.HEART_RATE: ("user.activity",),
}
DATA_TYPES: tuple[DataType, ...] = tuple(REQUIRED_SCOPES)

# The longest span one fithub window may cover: Withings says a sleep call spans at most 7 days;
# the same cap is used for every data type (unconfirmed for the others).
MAX_WINDOW = timedelta(days=7)
# Intraday activity returns only the first 24 h after startdate: the provider cuts windows into
# 24-hour chunks and walks them with its page token.
SPANS: dict[DataType, timedelta] = {DataType.HEART_RATE: timedelta(hours=24)}

# 120 requests a minute per application (Withings' notification guide; the Dev Free plan).
RATE_LIMITS: tuple[RateLimit, ...] = (RateLimit(requests=120, per_seconds=60, scope="app"),)

# The fields each v2 call is asked for (Withings returns only the fields requested).
ACTIVITY_FIELDS = (
    "steps,distance,elevation,soft,moderate,intense,active,calories,totalcalories,"
    "hr_average,hr_min,hr_max"
)
WORKOUT_FIELDS = (
    "calories,intensity,manual_distance,manual_calories,hr_average,hr_min,hr_max,steps,"
    "distance,elevation,pause_duration"
)
SLEEP_FIELDS = (
    "total_timeinbed,total_sleep_time,asleepduration,lightsleepduration,remsleepduration,"
    "deepsleepduration,sleep_efficiency,sleep_latency,wakeup_latency,wakeupduration,"
    "wakeupcount,hr_average,hr_min,hr_max,rr_average,sleep_score"
)
INTRADAY_FIELDS = "heart_rate"

# getmeas: the measure types fithub reads, and what each becomes. ``value * 10**unit`` is in SI
# units already (kg, m, %, mmHg, degrees Celsius, bpm).
BODY_TYPES: dict[int, BodyKind] = {
    1: BodyKind.WEIGHT,
    4: BodyKind.HEIGHT,
    6: BodyKind.BODY_FAT,
    9: BodyKind.DIASTOLIC,
    10: BodyKind.SYSTOLIC,
    71: BodyKind.BODY_TEMPERATURE,
    76: BodyKind.MUSCLE_MASS,
    88: BodyKind.BONE_MASS,
}
SAMPLE_TYPES: dict[int, SampleKind] = {11: SampleKind.HEART_RATE, 54: SampleKind.SPO2}
MEASTYPES = ",".join(str(t) for t in sorted({*BODY_TYPES, *SAMPLE_TYPES}))
REAL_MEASURES = 1  # getmeas category: 1 real measures, 2 the user's objectives
AMBIGUOUS = 1  # attrib: captured by a device but may belong to another user of it
CONFIRMED_DETECTION = 7  # attrib of a workout: a detected activity the user confirmed

# Workout categories (getworkouts ``category``) as fithub sport words; others are "other".
WORKOUT_CATEGORIES: dict[int, str] = {
    1: "walking",
    2: "running",
    3: "hiking",
    4: "skating",
    5: "bmx",
    6: "cycling",
    7: "swimming",
    8: "surfing",
    9: "kitesurfing",
    10: "windsurfing",
    12: "tennis",
    13: "table_tennis",
    14: "squash",
    15: "badminton",
    16: "weight_lifting",
    17: "fitness",
    18: "elliptical",
    19: "pilates",
    20: "basketball",
    21: "soccer",
    22: "american_football",
    23: "rugby",
    24: "volleyball",
    26: "horse_riding",
    27: "golf",
    28: "yoga",
    29: "dancing",
    30: "boxing",
    33: "martial_arts",
    34: "skiing",
    35: "snowboarding",
    187: "rowing",
    188: "zumba",
    195: "climbing",
    272: "multi_sport",
    306: "indoor_walking",
    307: "indoor_running",
    308: "indoor_cycling",
    498: "trail_running",
    523: "mountain_biking",
    550: "hiit",
}

# Response statuses (the ``status`` of the JSON envelope, sent with HTTP 200), by family as the
# API reference lists them. Anything not listed is "An error occurred" (taken as transient).
AUTH_FAILED = frozenset({100, 101, 102, 200, 401})
TOO_MANY_REQUESTS = frozenset({601})
TIMEOUT = frozenset({522})
UNAUTHORIZED = frozenset({214, 277, 2553, 2555})  # not allowed to call this service
NOT_IMPLEMENTED = frozenset({2554})
BAD_STATE = frozenset({524})
_INVALID_RANGES = (
    (201, 213), (216, 218), (220, 221), (223, 223), (225, 225), (227, 230), (234, 236),
    (238, 238), (240, 252), (254, 254), (260, 267), (271, 272), (275, 276), (283, 288),
    (290, 290), (293, 295), (297, 297), (300, 304), (321, 321), (323, 353), (380, 382),
    (400, 400), (501, 511), (523, 523), (532, 532), (3017, 3019),
)  # fmt: skip
INVALID_PARAMS = frozenset(s for low, high in _INVALID_RANGES for s in range(low, high + 1))

# Notifications: subscribed per user and appli after connecting (when a callback URL is set).
# appli -> what fithub syncs when it fires; 46 is the user's own actions (unlink, delete).
NOTIFY_DATA_TYPES: dict[int, tuple[DataType, ...]] = {
    1: (DataType.BODY,),  # weight and body composition
    2: (DataType.BODY,),  # temperature
    4: (DataType.BODY,),  # blood pressure, heart pulse, SpO2
    16: (DataType.DAILY, DataType.ACTIVITIES, DataType.HEART_RATE),  # activity
    44: (DataType.SLEEP,),
}
USER_APPLI = 46
DEAUTHORIZE_ACTIONS = frozenset({"unlink", "delete"})
SUBSCRIBED_APPLIS: tuple[int, ...] = (1, 4, 16, 44, USER_APPLI)
CALLBACK_URL_OPTION = "callback_url"  # FITHUB_WITHINGS_OPTIONS: fithub's public webhook URL

SPEC = ProviderSpec(
    NAME, DISPLAY_NAME, "oauth2", SCOPES, DATA_TYPES, REQUIRED_SCOPES, RATE_LIMITS, MAX_WINDOW,
    hosts=VendorHosts(api=API_BASE, consent=AUTH_BASE),
    # The token call and the (signed) revocation are WithingsClient's: action= and an envelope.
    oauth=OAuth2Config(AUTHORIZE_PATH, OAUTH2_PATH, scope_separator=","),
)  # fmt: skip
