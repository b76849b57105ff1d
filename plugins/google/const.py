"""Google Health API v4 facts: hosts, paths, scopes, data types and limits (vendors reference 2.1).

The Google Health API is the successor of the Fitbit Web API (the Google Fit REST API is closed to
new work). Field names follow the v4 discovery document (``health:v4``, as generated into Google's
client libraries); facts the reference does not state are marked UNCONFIRMED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from fithub.plugins.http import VendorHosts
from fithub.plugins.oauth import OAuth2Config, Revocation
from fithub.plugins.provider import ProviderSpec
from fithub.plugins.types import DataType, RateLimit

NAME = "google"
DISPLAY_NAME = "Google Health"

# Three hosts in production; a ``base_url`` (a fake in tests) replaces the API and token hosts,
# an ``auth_base_url`` the consent host (which otherwise follows ``base_url``).
AUTH_BASE = "https://accounts.google.com"  # the consent page
TOKEN_BASE = "https://oauth2.googleapis.com"  # token and revocation endpoints
API_BASE = "https://health.googleapis.com"
AUTHORIZE_PATH = "/o/oauth2/v2/auth"
TOKEN_PATH = "/token"  # client id and secret in the form body; PKCE code_verifier
REVOKE_PATH = "/revoke"  # form field ``token`` (RFC 7009); revokes the whole grant
IDENTITY_PATH = "/v4/users/me/identity"  # {"name", "healthUserId", "legacyUserId"}
LIST_PATH = "/v4/users/me/dataTypes/{data_type}/dataPoints"
ROLLUP_PATH = "/v4/users/me/dataTypes/{data_type}/dataPoints:dailyRollUp"

_SCOPE = "https://www.googleapis.com/auth/googlehealth.{}.readonly"
ACTIVITY_SCOPE = _SCOPE.format("activity_and_fitness")
METRICS_SCOPE = _SCOPE.format("health_metrics_and_measurements")
SLEEP_SCOPE = _SCOPE.format("sleep")
SCOPES: tuple[str, ...] = (ACTIVITY_SCOPE, METRICS_SCOPE, SLEEP_SCOPE)

# How a collection is filtered (``filter`` query parameter, AIP-160, snake_case type names):
# - "interval": ``{t}.interval.start_time`` (RFC 3339);
# - "sample": ``{t}.sample_time.physical_time`` (RFC 3339);
# - "civil_start": ``{t}.interval.civil_start_time`` (local date-time; exercise can only do this);
# - "end": ``{t}.interval.end_time`` (RFC 3339; sleep is filtered by when it ended).
FilterKind = Literal["interval", "sample", "civil_start", "end"]


@dataclass(frozen=True)
class Collection:
    """One ``users/me/dataTypes/{name}/dataPoints`` collection and how fithub lists it."""

    name: str  # kebab-case, as in URLs and webhook notifications
    field: str  # the DataPoint union member that holds the value (camelCase)
    filter: FilterKind
    page_size: int

    @property
    def filter_name(self) -> str:
        return self.name.replace("-", "_")


# Documented page sizes: at most 10,000 (default 1,440); exercise and sleep at most 25.
MAX_PAGE = 10_000
SESSION_PAGE = 25

# The collections listed for each data type, in order (a page token says which one is next).
LISTS: dict[DataType, tuple[Collection, ...]] = {
    DataType.ACTIVITIES: (Collection("exercise", "exercise", "civil_start", SESSION_PAGE),),
    DataType.SLEEP: (Collection("sleep", "sleep", "end", SESSION_PAGE),),
    DataType.HEART_RATE: (Collection("heart-rate", "heartRate", "sample", MAX_PAGE),),
    DataType.BODY: (
        Collection("weight", "weight", "sample", MAX_PAGE),
        Collection("body-fat", "bodyFat", "sample", MAX_PAGE),
    ),
    DataType.HRV: (
        Collection("heart-rate-variability", "heartRateVariability", "sample", MAX_PAGE),
    ),
    DataType.SPO2: (Collection("oxygen-saturation", "oxygenSaturation", "sample", MAX_PAGE),),
}

# The daily summary is made of one ``dailyRollUp`` per interval collection, merged per local day:
# (collection, the DailyRollupDataPoint member it fills).
DAILY_ROLLUPS: tuple[tuple[str, str], ...] = (
    ("steps", "steps"),
    ("distance", "distance"),
    ("total-calories", "totalCalories"),
    ("active-energy-burned", "activeEnergyBurned"),
    ("active-minutes", "activeMinutes"),
)
# dailyRollUp ranges are at most 14 days for total-calories and active-minutes (90 for others).
ROLLUP_MAX_DAYS = 14

DATA_TYPES: tuple[DataType, ...] = (
    DataType.DAILY,
    DataType.ACTIVITIES,
    DataType.SLEEP,
    DataType.HEART_RATE,
    DataType.BODY,
    DataType.HRV,
    DataType.SPO2,
)
REQUIRED_SCOPES: dict[DataType, tuple[str, ...]] = {
    DataType.DAILY: (ACTIVITY_SCOPE,),
    DataType.ACTIVITIES: (ACTIVITY_SCOPE,),
    DataType.SLEEP: (SLEEP_SCOPE,),
    DataType.HEART_RATE: (METRICS_SCOPE,),
    DataType.BODY: (METRICS_SCOPE,),
    DataType.HRV: (METRICS_SCOPE,),
    DataType.SPO2: (METRICS_SCOPE,),
}

# Webhook ``dataType`` (kebab-case) -> what fithub syncs again. Interval types feed the daily
# summary, so a change (even a deletion) there means "fetch those days again".
PUSH_DATA_TYPES: dict[str, DataType] = {
    "steps": DataType.DAILY,
    "distance": DataType.DAILY,
    "total-calories": DataType.DAILY,
    "active-energy-burned": DataType.DAILY,
    "active-minutes": DataType.DAILY,
    "exercise": DataType.ACTIVITIES,
    "sleep": DataType.SLEEP,
    "heart-rate": DataType.HEART_RATE,
    "weight": DataType.BODY,
    "body-fat": DataType.BODY,
    "heart-rate-variability": DataType.HRV,
    "oxygen-saturation": DataType.SPO2,
}
RECOMPUTED_ON_DELETE = frozenset({DataType.DAILY})

# One fetch covers at most two weeks; a daily page splits its (padded) local-day range itself.
MAX_WINDOW = timedelta(days=14)

# Documented defaults: 300 requests a minute per user, 120,000 a minute and 86.4M a day per
# project. fithub counts a fetch_page as one call, but a daily page makes five requests (one
# rollup per metric), so the declared limits keep a sixth in reserve.
RATE_LIMITS: tuple[RateLimit, ...] = (
    RateLimit(requests=250, per_seconds=60, scope="user"),
    RateLimit(requests=100_000, per_seconds=60, scope="app"),
    RateLimit(requests=72_000_000, per_seconds=86_400, scope="app"),
)

# A Google RetryInfo detail (AIP-193) names the wait when Retry-After is absent.
RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo"

SLEEP_STAGES: dict[str, str] = {
    "AWAKE": "awake",
    "RESTLESS": "awake",  # classic sleep; Google counts it outside minutesAsleep
    "LIGHT": "light",
    "DEEP": "deep",
    "REM": "rem",
    "ASLEEP": "asleep",
}
MOTION_CONTEXT = {"SEDENTARY": "rest", "ACTIVE": "active"}

# Webhooks: the subscriber's ``endpointAuthorization.secret`` comes back verbatim in the
# Authorization header (FITHUB_GOOGLE_OPTIONS {"webhook_secret": "Bearer ..."}). The ECDSA P-256
# signature header is not verified: Google does not publish where its public key is.
WEBHOOK_SECRET_OPTION = "webhook_secret"
SIGNATURE_HEADERS = ("x-healthapi-signature", "google-health-api-signature")
VERIFIED_STATUS = 201  # "Expected Response: HTTP 201 Created"
NOTIFIED_STATUS = 204

SPEC = ProviderSpec(
    NAME, DISPLAY_NAME, "oauth2_pkce", SCOPES, DATA_TYPES, REQUIRED_SCOPES, RATE_LIMITS, MAX_WINDOW,
    hosts=VendorHosts(api=API_BASE, consent=AUTH_BASE, token=TOKEN_BASE),
    # Revoked by the refresh token when there is one: it outlives the access token. Consent with
    # access_type=offline, else no refresh token; prompt=consent, else only on the first consent.
    oauth=OAuth2Config(AUTHORIZE_PATH, TOKEN_PATH, Revocation(REVOKE_PATH),
                       authorize_params={"access_type": "offline", "prompt": "consent"}),
)  # fmt: skip
