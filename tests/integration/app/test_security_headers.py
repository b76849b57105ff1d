"""Security headers on every response of a real server: successes, errors, 404s, pages, assets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.conftest import Account
from tests.integration.helpers import random_email
from tests.support import FithubServer, running_server

V1 = "/api/v1"


def assert_hardened(response: httpx.Response) -> None:
    """The headers every response carries, whatever its status or type."""
    headers = response.headers
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") == "no-referrer", where
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), where


async def requests_of_every_kind(api: httpx.AsyncClient, user: Account) -> list[httpx.Response]:
    return [
        await api.get("/health"),
        await api.get("/openapi.json"),
        await api.get("/", headers={"Accept": "text/html"}),
        await api.get("/docs"),
        await api.get("/docs/static/swagger-ui.css"),
        await api.get("/no/such/page"),
        await api.get(f"{V1}/users/me", headers=user.auth),
        await api.get(f"{V1}/users/me"),  # 401
        await api.get(f"{V1}/no-such-thing"),  # 404 under the API
        await api.delete("/health"),  # 405
        await api.post(f"{V1}/auth/login", json={"email": "x"}),  # 422
        await api.post(f"{V1}/auth/login", json={"email": user.email, "password": user.password}),
    ]


async def test_every_kind_of_response_is_hardened(api, user):
    responses = await requests_of_every_kind(api, user)
    assert {r.status_code for r in responses} >= {200, 401, 404, 405, 422}
    for response in responses:
        assert_hardened(response)


async def test_api_responses_are_never_stored(api, user):
    """Auth answers and personal data: no-store, errors included; so is anything sent with a token."""
    email = random_email()
    answers = [
        await api.post(f"{V1}/auth/register", json={"email": email, "password": user.password,
                                                    "display_name": "Cache"}),  # fmt: skip
        await api.post(f"{V1}/auth/login", json={"email": email, "password": user.password}),
        await api.post(f"{V1}/auth/login", json={"email": email, "password": "wrong-password"}),
        await api.get(f"{V1}/users/me", headers=user.auth),
        await api.get(f"{V1}/sessions", headers=user.auth),
        await api.get(f"{V1}/users/me"),
        await api.get(f"{V1}/plugins"),
        await api.get(f"{V1}/nothing-here"),
        await api.get("/health", headers=user.auth),  # outside the API, but with credentials
    ]
    assert [r.status_code for r in answers[:4]] == [202, 200, 401, 200]
    assert "refresh_token" in answers[1].json()
    for response in answers:
        assert response.headers.get("cache-control") == "no-store", response.request.url


async def test_public_pages_and_assets_keep_their_own_caching(api):
    asset = await api.get("/docs/static/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert "no-store" not in asset.headers["cache-control"]
    assert "max-age=" in asset.headers["cache-control"]
    assert "no-store" not in (await api.get("/health")).headers.get("cache-control", "")


async def test_no_hsts_outside_production(api):
    """The suite's server runs with FITHUB_ENV=test: even a trusted proxy's https gets no HSTS."""
    response = await api.get("/health", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert "strict-transport-security" not in response.headers


# -- HSTS in production, only for HTTPS reported by a trusted proxy ----------------------------

PROXY = "127.0.0.2"  # the suite connects from 127.0.0.1, which this server does not trust


@pytest.fixture(scope="module")
def production_server() -> Iterator[FithubServer]:
    with running_server({
        "FITHUB_ENV": "production",
        "FITHUB_PASSWORD_HASHING": "rfc9106-low-memory",  # test-only-fast is refused in production
        "FITHUB_TRUSTED_PROXIES": f'["{PROXY}"]',
        "FITHUB_HSTS_MAX_AGE": "63072000",
    }) as srv:  # fmt: skip
        yield srv


@pytest.fixture
async def via_proxy(production_server: FithubServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose connections come from the trusted proxy's address."""
    transport = httpx.AsyncHTTPTransport(local_address=PROXY)
    async with httpx.AsyncClient(base_url=production_server.base_url, transport=transport,
                                 timeout=30) as client:  # fmt: skip
        yield client


@pytest.fixture
async def direct(production_server: FithubServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=production_server.base_url, timeout=30) as client:
        yield client


@pytest.mark.parametrize("proto", ["https", "http, https", "HTTPS"])
async def test_hsts_when_the_trusted_proxy_says_https(via_proxy, proto):
    for path in ("/health", f"{V1}/users/me", "/no/such/page"):
        response = await via_proxy.get(path, headers={"X-Forwarded-Proto": proto})
        assert response.headers.get("strict-transport-security") == "max-age=63072000", path
        assert_hardened(response)


@pytest.mark.parametrize("proto", [None, "http", "https, http"])
async def test_no_hsts_when_the_trusted_proxy_says_plain_http(via_proxy, proto):
    headers = {"X-Forwarded-Proto": proto} if proto else {}
    response = await via_proxy.get("/health", headers=headers)
    assert response.status_code == 200
    assert "strict-transport-security" not in response.headers


async def test_no_hsts_when_an_untrusted_client_claims_https(direct):
    response = await direct.get("/health", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert "strict-transport-security" not in response.headers
    assert_hardened(response)
