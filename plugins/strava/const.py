"""Strava API v3 facts: hosts, paths, scopes, sports, limits (see shared vendors reference 2.5)."""

from __future__ import annotations

from datetime import timedelta

from fithub.plugins.http import VendorHosts
from fithub.plugins.oauth import OAuth2Config, Revocation
from fithub.plugins.provider import ProviderSpec
from fithub.plugins.types import DataType, RateLimit

NAME = "strava"
DISPLAY_NAME = "Strava"

# Both the API and OAuth live on www.strava.com; FITHUB_STRAVA_BASE_URL replaces the host.
BASE = "https://www.strava.com"
AUTHORIZE_PATH = "/oauth/authorize"  # consent page (FITHUB_STRAVA_AUTH_BASE_URL may move it)
TOKEN_PATH = "/oauth/token"  # client_id/client_secret in the form body, no PKCE
DEAUTHORIZE_PATH = "/oauth/deauthorize"  # access_token=...; revokes every token of the athlete
ACTIVITIES_PATH = "/api/v3/athlete/activities"  # ?after&before&page&per_page

# Comma-separated on the wire. "read" is always granted; the person may untick the other.
SCOPES: tuple[str, ...] = ("read", "activity:read_all")
REQUIRED_SCOPES: dict[DataType, tuple[str, ...]] = {DataType.ACTIVITIES: ("activity:read_all",)}
DATA_TYPES: tuple[DataType, ...] = (DataType.ACTIVITIES,)

# Paging: page numbers from 1; Strava's maximum per_page is 200; an empty page ends the list.
PER_PAGE = 200

# Strava does not limit the span of after/before. Every window costs at least two requests (a
# page and the empty page that ends it), so windows are long: 90 days.
MAX_WINDOW = timedelta(days=90)

# Per application (shared by every connected person). fithub only reads, so the "non-upload"
# (read) limits bind: 100 per 15 minutes and 1,000 per day by default. Strava raises them per app
# on request; the headers of each answer carry the real values.
FIFTEEN_MINUTES_S = 900
DAY_S = 86400
RATE_LIMITS: tuple[RateLimit, ...] = (
    RateLimit(requests=100, per_seconds=FIFTEEN_MINUTES_S, scope="app"),
    RateLimit(requests=1000, per_seconds=DAY_S, scope="app"),
)
# "15-minute, daily" pairs: limits and usage, overall and for reads.
RATE_HEADER_PAIRS: tuple[tuple[str, str], ...] = (
    ("X-RateLimit-Limit", "X-RateLimit-Usage"),
    ("X-ReadRateLimit-Limit", "X-ReadRateLimit-Usage"),
)

SPEC = ProviderSpec(
    NAME, DISPLAY_NAME, "oauth2", SCOPES, DATA_TYPES, REQUIRED_SCOPES, RATE_LIMITS, MAX_WINDOW,
    hosts=VendorHosts(api=BASE),
    oauth=OAuth2Config(AUTHORIZE_PATH, TOKEN_PATH, Revocation(DEAUTHORIZE_PATH, style="query"),
                       scope_separator=",", authorize_params={"approval_prompt": "auto"},
                       exchange_redirect_uri=False),
)  # fmt: skip

# Webhooks: unsigned. FITHUB_STRAVA_OPTIONS holds what fithub checks them against; each is
# required (a call is refused while one is missing).
VERIFY_TOKEN_OPTION = "verify_token"  # the verify_token given when creating the subscription
SUBSCRIPTION_ID_OPTION = "subscription_id"  # events for another subscription are refused

# Strava's sport_type (or the older type) -> fithub's sport word. Everything else is the
# CamelCase name in snake_case ("StandUpPaddling" -> "stand_up_paddling").
SPORTS: dict[str, str] = {
    "Run": "running",
    "TrailRun": "trail_running",
    "VirtualRun": "treadmill_running",
    "Walk": "walking",
    "Hike": "hiking",
    "Ride": "cycling",
    "MountainBikeRide": "mountain_biking",
    "GravelRide": "gravel_cycling",
    "EBikeRide": "e_biking",
    "EMountainBikeRide": "e_mountain_biking",
    "VirtualRide": "indoor_cycling",
    "Velomobile": "cycling",
    "Handcycle": "handcycling",
    "Swim": "swimming",
    "Rowing": "rowing",
    "VirtualRow": "indoor_rowing",
    "WeightTraining": "strength_training",
    "Crossfit": "crossfit",
    "HighIntensityIntervalTraining": "hiit",
    "Workout": "workout",
    "Elliptical": "elliptical",
    "StairStepper": "stair_climbing",
    "Yoga": "yoga",
    "Pilates": "pilates",
    "AlpineSki": "alpine_skiing",
    "BackcountrySki": "backcountry_skiing",
    "NordicSki": "cross_country_skiing",
    "RollerSki": "roller_skiing",
    "Snowboard": "snowboarding",
    "Snowshoe": "snowshoeing",
    "IceSkate": "ice_skating",
    "InlineSkate": "inline_skating",
    "RockClimbing": "climbing",
    "StandUpPaddling": "stand_up_paddling",
    "Kayaking": "kayaking",
    "Canoeing": "canoeing",
    "Kitesurf": "kitesurfing",
    "Windsurf": "windsurfing",
    "Surfing": "surfing",
    "Sail": "sailing",
    "Wheelchair": "wheelchair",
}
