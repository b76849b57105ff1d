"""The built-in Strava provider (Strava API v3): OAuth 2.0, the athlete's activities, webhooks.

Registered like any third-party plugin (``fithub.plugins.manager.BUILTIN_PLUGINS``). Settings:
``FITHUB_STRAVA_CLIENT_ID``, ``FITHUB_STRAVA_CLIENT_SECRET``; ``FITHUB_STRAVA_BASE_URL`` points
the API, the token endpoint and the consent page elsewhere (a fake Strava in tests);
``FITHUB_STRAVA_OPTIONS`` holds the webhook's ``callback_token``, ``verify_token`` and
``subscription_id`` (all required for webhooks). See docs/providers/strava.md.
"""

from __future__ import annotations

from fithub.plugins.provider import OAuth2Provider, device_providers, normalisers_in
from fithub.plugins.strava import const, mapping, webhook
from fithub.plugins.strava.client import StravaClient
from fithub.plugins.types import DataType, FetchQuery, Page, PushRequest, PushResult, TokenSet


class StravaProvider(OAuth2Provider[StravaClient]):
    """Strava: activities only (see plugins/strava/const.py and docs/providers/strava.md)."""

    spec = const.SPEC
    normalisers = normalisers_in(mapping)

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        if query.data_type is not DataType.ACTIVITIES:
            raise self.unsupported(query.data_type)
        return await self.client.activities_page(tokens, query.start, query.end, query.page_token)

    async def handle_push(self, request: PushRequest) -> PushResult:
        """The ``hub.challenge`` handshake and unsigned events, checked as webhook.py says.

        ``pushes_signed`` stays False: fithub confirms deletes and deauthorizations with Strava.
        """
        return webhook.handle(request, self.context.credentials.options)


register_device_providers = device_providers(StravaProvider)
