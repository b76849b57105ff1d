"""What the Hello provider is, declared once: identity, grant, data types, limits, hosts, OAuth."""

from __future__ import annotations

from datetime import timedelta

from fithub.plugins import DataType, RateLimit
from fithub.plugins.http import VendorHosts
from fithub.plugins.oauth import OAuth2Config, Revocation
from fithub.plugins.provider import ProviderSpec

API = "https://api.hello.example"
DAYS_PATH = "/v1/days"  # daily step counts, paged with ``next``
ME_PATH = "/v1/me"  # who signed in: ``{"user_id": "..."}``

SPEC = ProviderSpec(
    name="hello",
    display_name="Hello Provider",
    auth_kind="oauth2_pkce",
    scopes=("steps",),
    data_types=(DataType.DAILY,),
    required_scopes={DataType.DAILY: ("steps",)},
    rate_limits=(RateLimit(60, 60, "user"),),
    max_window=timedelta(days=30),
    hosts=VendorHosts(api=API),
    oauth=OAuth2Config("/oauth/authorize", "/oauth/token", Revocation("/oauth/revoke")),
)
