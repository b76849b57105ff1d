"""Polar AccessLink v3 facts: hosts, paths, scope, data types and limits (shared vendors reference 2.6)."""

from __future__ import annotations

from datetime import timedelta

from fithub.plugins.http import VendorHosts
from fithub.plugins.oauth import OAuth2Config
from fithub.plugins.provider import ProviderSpec
from fithub.plugins.types import DataType, RateLimit

NAME = "polar"
DISPLAY_NAME = "Polar"

API_BASE = "https://www.polaraccesslink.com"
AUTH_BASE = "https://flow.polar.com"  # the consent page
TOKEN_BASE = "https://polarremote.com"  # the token endpoint (HTTP Basic client credentials)
AUTHORIZE_PATH = "/oauth2/authorization"
TOKEN_PATH = "/v2/oauth2/token"

# Polar has one scope; it covers every data type.
SCOPE = "accesslink.read_all"
SCOPES: tuple[str, ...] = (SCOPE,)

# Partner registration of a user (after the code exchange) and de-registration (which also
# revokes the user's access token, per Polar's Users API).
USERS_PATH = "/v3/users"
USER_PATH = "/v3/users/{user_id}"

# Where each data type is read.
# - "list": one answer for the whole window (no paging at Polar);
# - "date": one date per page, ``{date}`` in the path; 404 (or 204) means no data that date.
EXERCISES_PATH = "/v3/exercises"  # list: exercises uploaded in the last 30 days
ACTIVITIES_PATH = "/v3/users/activities"  # list: ?from=&to= (at most 28 days, not > 365 days ago)
SLEEP_PATH = "/v3/users/sleep/{date}"
RECHARGE_PATH = "/v3/users/nightly-recharge/{date}"
HEART_RATE_PATH = "/v3/users/continuous-heart-rate/{date}"
DATE_PATHS: dict[DataType, str] = {
    DataType.SLEEP: SLEEP_PATH,
    DataType.HRV: RECHARGE_PATH,
    DataType.HEART_RATE: HEART_RATE_PATH,
}

# In the order fithub syncs them.
DATA_TYPES: tuple[DataType, ...] = (
    DataType.ACTIVITIES,
    DataType.DAILY,
    DataType.SLEEP,
    DataType.HRV,
    DataType.HEART_RATE,
)
REQUIRED_SCOPES: dict[DataType, tuple[str, ...]] = {t: (SCOPE,) for t in DATA_TYPES}

# The daily activity list takes at most 28 days; nothing older than 365 days is served.
MAX_WINDOW = timedelta(days=28)
ACTIVITY_HISTORY = timedelta(days=365)

# Polar's limits are per partner app and grow with its registered users: 500 + 20 x users per
# 15 minutes and 5,000 + 100 x users per 24 hours (UNCONFIRMED on Polar's page; from client code
# and notes). fithub declares the floors, which hold whatever the number of users.
RATE_LIMITS: tuple[RateLimit, ...] = (
    RateLimit(requests=500, per_seconds=900, scope="app"),
    RateLimit(requests=5000, per_seconds=86400, scope="app"),
)
# Each answer carries "short,long" pairs: requests used, the limits, seconds until each resets.
RATE_USAGE_HEADER = "RateLimit-Usage"
RATE_LIMIT_HEADER = "RateLimit-Limit"
RATE_RESET_HEADER = "RateLimit-Reset"

SPEC = ProviderSpec(
    NAME, DISPLAY_NAME, "oauth2", SCOPES, DATA_TYPES, REQUIRED_SCOPES, RATE_LIMITS, MAX_WINDOW,
    pushes_signed=True,  # HMAC-SHA256 over the body: deletes are acted on
    # auth_base_url replaces both sign-in hosts (the consent page and the token endpoint).
    hosts=VendorHosts(api=API_BASE, consent=AUTH_BASE, token=TOKEN_BASE, token_follows_auth=True),
    # No refresh tokens; de-registering the user (PolarClient.revoke) revokes the access token.
    oauth=OAuth2Config(AUTHORIZE_PATH, TOKEN_PATH, client_auth="basic"),
)  # fmt: skip

# Hypnogram codes (30-s epochs): 0 wake, 1 REM, 2 lighter non-REM (N1), 3 light non-REM (N2),
# 4 deep non-REM (N3), 5 unknown (bad skin contact: no stage).
HYPNOGRAM: dict[int, str] = {0: "awake", 1: "rem", 2: "light", 3: "light", 4: "deep"}

# Webhooks: hex HMAC-SHA256 of the raw body, keyed with the signature_secret_key Polar returns
# once from POST /v3/webhooks (kept in FITHUB_POLAR_OPTIONS as "webhook_secret").
SIGNATURE_HEADER = "polar-webhook-signature"
WEBHOOK_SECRET_OPTION = "webhook_secret"
PING = "PING"
# Webhook event -> the data types fithub then syncs for the event's date. Nightly Recharge has no
# event of its own: it is computed from the same night, so a SLEEP event syncs it too.
PUSH_DATA_TYPES: dict[str, tuple[DataType, ...]] = {
    "EXERCISE": (DataType.ACTIVITIES,),
    "ACTIVITY_SUMMARY": (DataType.DAILY,),
    "SLEEP": (DataType.SLEEP, DataType.HRV),
    "CONTINUOUS_HEART_RATE": (DataType.HEART_RATE,),
}
