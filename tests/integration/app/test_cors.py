"""CORS on a real server: preflights and simple requests as a browser sends them, per origin."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import ValidationError

from fithub.core.config import Settings
from tests.conftest import sign_up
from tests.integration.helpers import assert_problem, random_address
from tests.support import FithubServer, running_server

V1 = "/api/v1"
APP = "https://app.example.com"
DEV = "http://localhost:5173"
# What Chromium sends before a fetch() with a JSON body and a bearer token from another origin.
BROWSER = {
    "Accept": "*/*",
    "Sec-Fetch-Mode": "cors",
    "Sec-Fetch-Site": "cross-site",
    "Sec-Fetch-Dest": "empty",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36",
}


def preflight(origin: str, method: str, headers: str = "authorization,content-type") -> dict[str, str]:
    return {**BROWSER, "Origin": origin, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers}  # fmt: skip


def listed(value: str | None) -> set[str]:
    return {item.strip().lower() for item in (value or "").split(",") if item.strip()}


@pytest.fixture(scope="module")
def cors_server() -> Iterator[FithubServer]:
    with running_server({"FITHUB_CORS_ORIGINS": f"{APP}, {DEV}"}) as srv:
        yield srv


@pytest.fixture
async def browser(cors_server: FithubServer) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"X-Forwarded-For": random_address()}
    async with httpx.AsyncClient(base_url=cors_server.base_url, headers=headers, timeout=30) as c:
        yield c


@pytest.mark.parametrize("origin", [APP, DEV])
async def test_preflight_from_an_allowed_origin_is_answered(browser, origin):
    response = await browser.options(f"{V1}/auth/login", headers=preflight(origin, "POST"))
    assert 200 <= response.status_code < 300
    assert response.headers["access-control-allow-origin"] == origin  # echoed, never "*"
    assert listed(response.headers["access-control-allow-methods"]) == {"post"}  # login's only
    assert {"authorization", "content-type"} <= listed(response.headers["access-control-allow-headers"])
    assert "origin" in listed(response.headers["vary"])
    assert int(response.headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in response.headers


async def test_preflight_lists_the_methods_of_the_route(browser):
    response = await browser.options(f"{V1}/users/me", headers=preflight(APP, "PATCH"))
    assert 200 <= response.status_code < 300
    assert {"get", "patch", "delete"} <= listed(response.headers["access-control-allow-methods"])
    assert "post" not in listed(response.headers["access-control-allow-methods"])


@pytest.mark.parametrize("origin", [
    "https://evil.example",
    "http://app.example.com",  # another scheme
    "https://app.example.com:8443",  # another port
    "https://app.example.com.evil.example",  # a suffix
    "null",  # sandboxed frames and file: pages
])  # fmt: skip
async def test_preflight_from_any_other_origin_gets_no_cors_header(browser, origin):
    response = await browser.options(f"{V1}/auth/login", headers=preflight(origin, "POST"))
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]
    assert "origin" in listed(response.headers.get("vary"))


async def test_a_cross_origin_journey_can_read_its_answers(browser):
    """A page on the allowed origin signs up, signs in and reads its profile; errors are readable."""
    origin = {**BROWSER, "Origin": APP}
    account = await sign_up(browser)  # same-origin style: no Origin header
    me = await browser.get(f"{V1}/users/me", headers={**origin, **account.auth})
    assert me.status_code == 200 and me.json()["email"] == account.email
    assert me.headers["access-control-allow-origin"] == APP
    exposed = listed(me.headers["access-control-expose-headers"])
    assert {"x-request-id", "retry-after", "location"} <= exposed
    refused = await browser.get(f"{V1}/users/me", headers=origin)  # no token: the 401 is readable
    assert_problem(refused, 401, "auth_required")
    assert refused.headers["access-control-allow-origin"] == APP
    elsewhere = await browser.get(f"{V1}/users/me", headers={**account.auth, "Origin": "https://evil.example"})
    assert elsewhere.status_code == 200  # the server answers; the browser hides it from the page
    assert "access-control-allow-origin" not in elsewhere.headers
    assert "origin" in listed(elsewhere.headers["vary"])


async def test_nothing_is_allowed_by_default(api):
    """The suite's own server sets no FITHUB_CORS_ORIGINS."""
    for origin in ("https://app.example.com", "http://localhost:5173", "null"):
        response = await api.options(f"{V1}/auth/login", headers=preflight(origin, "POST"))
        assert "access-control-allow-origin" not in response.headers
        simple = await api.get("/health", headers={"Origin": origin})
        assert simple.status_code == 200 and "access-control-allow-origin" not in simple.headers


@pytest.mark.parametrize("value", ["*", "https://app.example.com/", "app.example.com",
                                   "https://*.example.com", "https://a.example.com/path"])
def test_a_pattern_or_a_url_is_refused_as_an_origin(value, monkeypatch):
    monkeypatch.setenv("FITHUB_CORS_ORIGINS", f"https://ok.example.com,{value}")
    with pytest.raises(ValidationError, match="FITHUB_CORS_ORIGINS"):
        Settings()


def test_origins_are_read_comma_separated_and_compared_in_lower_case(monkeypatch):
    monkeypatch.setenv("FITHUB_CORS_ORIGINS", " https://App.Example.com ,http://[::1]:8080,")
    assert Settings().cors_origins == ["https://app.example.com", "http://[::1]:8080"]
    monkeypatch.delenv("FITHUB_CORS_ORIGINS")
    assert Settings().cors_origins == []
