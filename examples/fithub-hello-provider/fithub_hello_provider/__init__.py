"""A fithub plugin adding one device provider, ``hello``: a template to copy for a real vendor.

"Hello" is an imaginary vendor with the smallest useful API: OAuth 2.0 with PKCE, and one
collection, ``GET /v1/days`` (daily step counts, paged with ``next``). The package has the shape
of fithub's built-in providers: ``const.py`` declares what the provider is (``SPEC``),
``client.py`` reads the vendor's API, ``mapping.py`` turns its items into records, and this module
ties them together. Its fake vendor is ``fake.py`` (``fithub plugin check hello`` finds it
through the ``fithub.testing`` entry point); ``tests/test_contract.py`` runs fithub's provider
contract on it.
"""

from __future__ import annotations

from fithub.plugins import FetchQuery, Page, PushRequest, PushResult, TokenSet
from fithub.plugins.errors import ProviderError
from fithub.plugins.provider import OAuth2Provider, device_providers, normalisers_in
from fithub_hello_provider import const, mapping
from fithub_hello_provider.client import HelloClient

__version__ = "0.1.0"


class HelloProvider(OAuth2Provider[HelloClient]):
    """Daily steps from the Hello vendor."""

    spec = const.SPEC
    normalisers = normalisers_in(mapping)
    item_keys = ("date",)

    async def external_user_id(self, tokens: TokenSet) -> str | None:
        return await self.client.user_id(tokens)

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        if query.data_type not in self.normalisers:
            raise self.unsupported(query.data_type)
        return await self.client.days_page(tokens, query.start, query.end, query.page_token)

    async def handle_push(self, request: PushRequest) -> PushResult:
        raise ProviderError("Hello sends no webhooks")


#: Called once when fithub starts: hands over the provider classes this plugin adds.
register_device_providers = device_providers(HelloProvider)
