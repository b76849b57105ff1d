"""Oura API v2 facts: hosts, paths, scopes, collections and limits (see shared vendors reference 2.3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fithub.plugins.http import VendorHosts
from fithub.plugins.oauth import OAuth2Config, Revocation
from fithub.plugins.provider import ProviderSpec
from fithub.plugins.types import PUSH_TOLERANCE, DataType, RateLimit

NAME = "oura"
DISPLAY_NAME = "Oura"

API_BASE = "https://api.ouraring.com"
AUTH_BASE = "https://cloud.ouraring.com"  # the consent page; the token endpoint is on API_BASE
AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"  # credentials in the form body, no PKCE
REVOKE_PATH = "/oauth/revoke"  # ?access_token=...
COLLECTION_PATH = "/v2/usercollection/{collection}"
PERSONAL_INFO = "personal_info"

# Oura's scope names; "personal" lets fithub read the Oura user id.
SCOPES: tuple[str, ...] = ("personal", "daily", "heartrate", "workout")

# The collection behind each data type, and whether it takes start_date/end_date ("date") or
# start_datetime/end_datetime ("datetime").
COLLECTIONS: dict[DataType, tuple[str, Literal["date", "datetime"]]] = {
    DataType.DAILY: ("daily_activity", "date"),
    DataType.ACTIVITIES: ("workout", "date"),
    DataType.SLEEP: ("sleep", "date"),
    DataType.HEART_RATE: ("heartrate", "datetime"),
}
REQUIRED_SCOPES: dict[DataType, tuple[str, ...]] = {
    DataType.DAILY: ("daily",),
    DataType.ACTIVITIES: ("workout",),
    DataType.SLEEP: ("daily",),
    DataType.HEART_RATE: ("heartrate",),
}
# Webhook data_type values and the data type fithub then syncs.
PUSH_DATA_TYPES: dict[str, DataType] = {
    "daily_activity": DataType.DAILY,
    "workout": DataType.ACTIVITIES,
    "sleep": DataType.SLEEP,
}

# One request covers at most this much (heartrate ranges are kept to 30 days, as other Oura
# clients do; the documented maximum is unconfirmed).
MAX_WINDOW = timedelta(days=30)

# 5,000 requests a day and 300 a minute per a client library; Oura applies a per-token and a
# per-application limit. Both numbers are UNCONFIRMED on Oura's own pages: kept per user.
RATE_LIMITS: tuple[RateLimit, ...] = (
    RateLimit(requests=300, per_seconds=60, scope="user"),
    RateLimit(requests=5000, per_seconds=86400, scope="user"),
)

# HTTP 426: the user's Oura app is too old to share this data type.
UPGRADE_REQUIRED = 426

# sleep_phase_5_min: one digit per 5 minutes from bedtime_start.
SLEEP_PHASE_SECONDS = 300
SLEEP_PHASES = {"1": "deep", "2": "light", "3": "rem", "4": "awake"}
MAIN_SLEEP_TYPES = frozenset({"long_sleep"})
SKIPPED_SLEEP_TYPES = frozenset({"deleted"})

# Webhook signatures: hex HMAC-SHA256 over x-oura-timestamp + body, keyed with the client secret.
# A push whose timestamp is further than WEBHOOK_TOLERANCE from fithub's clock is a replay.
SIGNATURE_HEADER = "x-oura-signature"
TIMESTAMP_HEADER = "x-oura-timestamp"
WEBHOOK_TOLERANCE = PUSH_TOLERANCE  # 5 minutes either way
WEBHOOK_TOKEN_OPTION = "webhook_verification_token"

DATA_TYPES: tuple[DataType, ...] = tuple(COLLECTIONS)  # in the order fithub syncs them
SPEC = ProviderSpec(
    NAME, DISPLAY_NAME, "oauth2", SCOPES, DATA_TYPES, REQUIRED_SCOPES, RATE_LIMITS, MAX_WINDOW,
    pushes_signed=True,  # HMAC over timestamp + body: deletes are acted on
    hosts=VendorHosts(api=API_BASE, consent=AUTH_BASE),
    oauth=OAuth2Config(AUTHORIZE_PATH, TOKEN_PATH, Revocation(REVOKE_PATH, style="query")),
)  # fmt: skip
