"""Webhook verification shared by providers whose vendor signs nothing: a secret in the callback URL.

A vendor that signs its pushes is checked with its own scheme (HMAC of the body, a timestamp within
:data:`fithub.plugins.types.PUSH_TOLERANCE`). A vendor that signs nothing (Strava, Garmin,
Withings) is given a callback URL carrying a secret only fithub and the vendor know,
``https://…/api/v1/webhooks/<provider>?token=<callback_token>``; :func:`check_callback_token`
refuses every call without it, in constant time, and refuses every call while no secret of at
least :data:`MIN_CALLBACK_TOKEN_LENGTH` characters is configured.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from fithub.plugins.errors import ProviderError
from fithub.plugins.types import PushRequest

CALLBACK_TOKEN_OPTION = "callback_token"  # in FITHUB_<NAME>_OPTIONS: the secret in the callback URL
CALLBACK_TOKEN_PARAM = "token"  # the query parameter that carries it
MIN_CALLBACK_TOKEN_LENGTH = 16  # shorter secrets count as none (`openssl rand -hex 32` is good)


def same_secret(given: str, expected: str) -> bool:
    """Compare two secrets in constant time (any text, not only ASCII)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def check_callback_token(request: PushRequest, options: Mapping[str, str], vendor: str) -> None:
    """Raise ProviderError unless ``request`` carries the configured callback token.

    ``options`` are the provider's ``FITHUB_<NAME>_OPTIONS``; ``vendor`` names it in the error.
    """
    expected = options.get(CALLBACK_TOKEN_OPTION, "").strip()
    if len(expected) < MIN_CALLBACK_TOKEN_LENGTH:
        raise ProviderError(
            f"{vendor} webhook: no {CALLBACK_TOKEN_OPTION} (of at least "
            f"{MIN_CALLBACK_TOKEN_LENGTH} characters) is configured"
        )
    if not same_secret(request.query.get(CALLBACK_TOKEN_PARAM, ""), expected):
        raise ProviderError(f"{vendor} webhook: the callback token is missing or does not match")
