"""WHOOP Developer API v2 facts: hosts, paths, scopes, collections and limits (vendors reference 2.7)."""

from __future__ import annotations

from datetime import timedelta

from fithub.plugins.http import VendorHosts
from fithub.plugins.oauth import OAuth2Config, Revocation
from fithub.plugins.provider import ProviderSpec
from fithub.plugins.types import DataType, RateLimit

NAME = "whoop"
DISPLAY_NAME = "WHOOP"

API_BASE = "https://api.prod.whoop.com"  # the consent page, the token endpoint and the API
AUTHORIZE_PATH = "/oauth/oauth2/auth"
TOKEN_PATH = "/oauth/oauth2/token"  # client id and secret in the form body
PROFILE_PATH = "/developer/v2/user/profile/basic"  # -> {"user_id": 10129, ...}
BODY_PATH = "/developer/v2/user/measurement/body"  # one object, no history, not windowed
REVOKE_PATH = "/developer/v2/user/access"  # DELETE with the bearer token -> 204

# "offline" is what makes WHOOP hand out (and, on refresh, hand out again) a refresh token.
OFFLINE = "offline"
SCOPES: tuple[str, ...] = (
    OFFLINE,
    "read:profile",
    "read:workout",
    "read:sleep",
    "read:cycles",
    "read:recovery",
    "read:body_measurement",
)
MIN_STATE_LENGTH = 8  # WHOOP's consent page refuses a shorter state (invalid_state)

# The collection behind each data type, in the order fithub syncs them. HRV and SpO2 both read
# the recovery collection: each keeps its own cursor and takes its own samples from it.
COLLECTIONS: dict[DataType, str] = {
    DataType.ACTIVITIES: "/developer/v2/activity/workout",
    DataType.SLEEP: "/developer/v2/activity/sleep",
    DataType.DAILY: "/developer/v2/cycle",
    DataType.HRV: "/developer/v2/recovery",
    DataType.SPO2: "/developer/v2/recovery",
}
DATA_TYPES: tuple[DataType, ...] = (*COLLECTIONS, DataType.BODY)
REQUIRED_SCOPES: dict[DataType, tuple[str, ...]] = {
    DataType.ACTIVITIES: ("read:workout",),
    DataType.SLEEP: ("read:sleep",),
    DataType.DAILY: ("read:cycles",),
    DataType.HRV: ("read:recovery",),
    DataType.SPO2: ("read:recovery",),
    DataType.BODY: ("read:body_measurement",),
}
PAGE_LIMIT = 25  # the documented maximum of ``limit``

# WHOOP documents no longest range: paging covers any span, so a window is a month of data.
MAX_WINDOW = timedelta(days=30)
# The body measurement has no time of its own: it is taken once, in the window that ends within
# this of now, and filed under that day (see mapping.body).
BODY_FRESH = timedelta(hours=1)
BODY_DAY_KEY = "fithub_observed_on"

# 100 requests a minute and 10,000 a day per app (client), per WHOOP's rate-limiting page.
RATE_LIMITS: tuple[RateLimit, ...] = (
    RateLimit(requests=100, per_seconds=60, scope="app"),
    RateLimit(requests=10_000, per_seconds=86_400, scope="app"),
)
# Seconds until the limit that is closest resets; sent with every answer, the 429 included.
RATE_LIMIT_RESET_HEADER = "X-RateLimit-Reset"

# score_state: only SCORED items carry a score.
SCORED = "SCORED"
KJ_PER_KCAL = 4.184

# sport_id -> name, for v1-era workouts without sport_name (sport_id is gone after 2025-09-01).
# Taken from public client code that agrees with itself; WHOOP publishes no list.
SPORT_IDS: dict[int, str] = {
    -1: "activity",
    0: "running",
    1: "cycling",
    33: "swimming",
    43: "pilates",
    44: "yoga",
    48: "functional_fitness",
    52: "hiking",
    63: "walking",
    71: "other",
    96: "hiit",
}

# Webhooks: base64 HMAC-SHA256 over timestamp + raw body, keyed with the client secret.
SIGNATURE_HEADER = "x-whoop-signature"
TIMESTAMP_HEADER = "x-whoop-signature-timestamp"  # milliseconds since the epoch
WEBHOOK_TOLERANCE_S = 300.0  # a push signed longer ago (or ahead) than this is refused
WEBHOOK_TOLERANCE_OPTION = "webhook_tolerance_s"
# Webhook object kinds and the data types fithub syncs (or deletes from) for them.
PUSH_DATA_TYPES: dict[str, tuple[DataType, ...]] = {
    "workout": (DataType.ACTIVITIES,),
    "sleep": (DataType.SLEEP,),
    "recovery": (DataType.HRV, DataType.SPO2),
}

SPEC = ProviderSpec(
    NAME, DISPLAY_NAME, "oauth2", SCOPES, DATA_TYPES, REQUIRED_SCOPES, RATE_LIMITS, MAX_WINDOW,
    pushes_signed=True,  # HMAC-SHA256 over timestamp + body: deletes are acted on
    hosts=VendorHosts(api=API_BASE, token_follows_auth=True),
    # Without scope=offline a refresh answers with an access token only.
    oauth=OAuth2Config(AUTHORIZE_PATH, TOKEN_PATH, Revocation(REVOKE_PATH, "bearer", "DELETE"),
                       refresh_params={"scope": OFFLINE}),
    retry_after_headers=(RATE_LIMIT_RESET_HEADER, "Retry-After"),
)  # fmt: skip
