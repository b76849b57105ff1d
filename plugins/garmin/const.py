"""Garmin Health API facts: hosts, paths, permissions, summary types and limits (vendors ref 2.2).

Garmin's documentation is partner-gated; what is marked UNCONFIRMED below comes from public client
code (Open Wearables, RADAR-base, OsmAnd) rather than Garmin's own pages.
"""

from __future__ import annotations

from datetime import timedelta

from fithub.plugins.http import VendorHosts
from fithub.plugins.oauth import OAuth2Config
from fithub.plugins.provider import ProviderSpec
from fithub.plugins.types import DataType, RateLimit

NAME = "garmin"
DISPLAY_NAME = "Garmin"

# Production uses three hosts. When ``base_url`` is set (a fake Garmin, a proxy) every path below
# goes to it; ``auth_base_url`` replaces the consent page's host only.
API_BASE = "https://apis.garmin.com"  # the Wellness API (summaries, user id, registration)
AUTH_BASE = "https://connect.garmin.com"  # the consent page the user sees
TOKEN_BASE = "https://diauth.garmin.com"  # the OAuth 2.0 token endpoint

AUTHORIZE_PATH = "/oauth2Confirm"  # OAuth 2.0 + PKCE (S256); OAuth 1.0a retires 2026-12-31
TOKEN_PATH = "/di-oauth2-service/oauth/token"  # client_id and client_secret in the form body
USER_ID_PATH = "/wellness-api/rest/user/id"  # -> {"userId": "..."}
PERMISSIONS_PATH = "/wellness-api/rest/user/permissions"  # -> ["ACTIVITY_EXPORT", ...]
REGISTRATION_PATH = "/wellness-api/rest/user/registration"  # DELETE: the user is deregistered
SUMMARY_PATH = "/wellness-api/rest/{summary}"  # ?uploadStartTimeInSeconds&uploadEndTimeInSeconds
BACKFILL_PATH = "/wellness-api/rest/backfill/{summary}"  # ?summaryStart/EndTimeInSeconds -> 202

# Garmin's consent page has no scope parameter: the user ticks permissions there, and fithub
# reads what was granted from PERMISSIONS_PATH. These permission names are fithub's "scopes".
ACTIVITY_EXPORT = "ACTIVITY_EXPORT"
HEALTH_EXPORT = "HEALTH_EXPORT"
SCOPES: tuple[str, ...] = (ACTIVITY_EXPORT, HEALTH_EXPORT)

# The summary type (pull path and webhook key) behind each data type, in the order fithub syncs.
# Heart rate has no summary of its own: it is read from the dailies' timeOffsetHeartRateSamples.
SUMMARIES: dict[DataType, str] = {
    DataType.DAILY: "dailies",
    DataType.HEART_RATE: "dailies",
    DataType.ACTIVITIES: "activities",
    DataType.SLEEP: "sleeps",
    DataType.BODY: "bodyComps",
    DataType.HRV: "hrv",
    DataType.SPO2: "pulseox",
}
REQUIRED_SCOPES: dict[DataType, tuple[str, ...]] = {
    data_type: (ACTIVITY_EXPORT if data_type is DataType.ACTIVITIES else HEALTH_EXPORT,)
    for data_type in SUMMARIES
}
# Webhook keys (ping or push) and the data types fithub then stores or syncs; other keys
# (epochs, stressDetails, allDayRespiration, ...) are acknowledged and ignored.
PUSH_DATA_TYPES: dict[str, tuple[DataType, ...]] = {
    "dailies": (DataType.DAILY, DataType.HEART_RATE),
    "activities": (DataType.ACTIVITIES,),
    "sleeps": (DataType.SLEEP,),
    "bodyComps": (DataType.BODY,),
    "hrv": (DataType.HRV,),
    "pulseox": (DataType.SPO2,),
}
DEREGISTRATIONS = "deregistrations"
PERMISSIONS_CHANGE = "userPermissionsChange"

# A pull covers at most 86,400 s of upload time; Garmin answers 400 to a longer range.
MAX_WINDOW = timedelta(seconds=86400)
# An async backfill request covers at most this much summary time (UNCONFIRMED: public clients
# use 30 days; Garmin answers 202 and delivers the data later by ping or push).
MAX_BACKFILL_WINDOW = timedelta(days=30)

# About 100 requests a minute per app (UNCONFIRMED, from Open Wearables' backfill settings);
# evaluation keys are throttled harder until Garmin grants a production key.
RATE_LIMITS: tuple[RateLimit, ...] = (RateLimit(requests=100, per_seconds=60, scope="app"),)

DATA_TYPES: tuple[DataType, ...] = tuple(SUMMARIES)  # in the order fithub syncs them
SPEC = ProviderSpec(
    NAME, DISPLAY_NAME, "oauth2_pkce", SCOPES, DATA_TYPES, REQUIRED_SCOPES, RATE_LIMITS, MAX_WINDOW,
    hosts=VendorHosts(api=API_BASE, consent=AUTH_BASE, token=TOKEN_BASE),
    # Deregistering (GarminProvider.revoke) is how a grant is withdrawn.
    oauth=OAuth2Config(AUTHORIZE_PATH, TOKEN_PATH, require_pkce=True, send_scope=False),
)  # fmt: skip

# The webhook carries no signature: Garmin names the app in this header (no secret: anyone can
# send it), so each callback URL registered in Garmin's portal carries a secret fithub checks,
# ``…/api/v1/webhooks/garmin?token=<callback_token>`` (FITHUB_GARMIN_OPTIONS). Required.
CLIENT_ID_HEADER = "garmin-client-id"

# sleepLevelsMap keys fithub understands (others, e.g. "unmeasurable", are skipped).
SLEEP_LEVELS = {"deep": "deep", "light": "light", "rem": "rem", "awake": "awake"}
