"""VendorHTTP against a real local HTTP server: errors never carry the request's credentials."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from fithub.plugins.errors import ProviderAuthFailed, ProviderError
from fithub.plugins.http import REDACTED, VendorHTTP, redact
from fithub.plugins.oauth import token_request

TOKEN = "eyJhbGciOiJIUzI1NiJ9.secret-access-token"
REFRESH = "refresh-token-0123456789"


async def _echo(request: web.Request) -> web.Response:
    """A vendor that quotes what it was sent in its error message, as Fitbit does."""
    form = await request.post()
    quoted = request.headers.get("Authorization", "") + " " + " ".join(map(str, form.values()))
    status = 401 if request.path == "/data" else 400
    return web.json_response({"message": f"Access token expired: {quoted}"}, status=status)


@pytest.fixture
async def vendor():
    app = web.Application()
    app.router.add_route("*", "/data", _echo)
    app.router.add_route("*", "/token", _echo)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield VendorHTTP(session, "Echo", timeout_s=5), str(server.make_url("")).rstrip("/")
    await server.close()


async def test_a_bearer_token_echoed_in_an_error_is_blanked(vendor) -> None:
    http, base = vendor
    with pytest.raises(ProviderAuthFailed) as caught:
        await http.get_json(f"{base}/data", headers={"Authorization": f"Bearer {TOKEN}"})
    assert TOKEN not in str(caught.value) and REDACTED in str(caught.value)
    assert "Access token expired" in str(caught.value)  # the rest of the message stays


async def test_form_secrets_and_basic_credentials_are_blanked_too(vendor) -> None:
    http, base = vendor
    with pytest.raises(ProviderError) as caught:
        await token_request(http, f"{base}/token",
                            {"grant_type": "refresh_token", "refresh_token": REFRESH},
                            basic_auth=("client-id-123", "client-secret-456"))  # fmt: skip
    message = str(caught.value)
    assert REFRESH not in message and "client-secret-456" not in message
    assert "refresh_token" not in message or REDACTED in message


def test_redact_replaces_every_occurrence() -> None:
    assert redact("a TOKEN b TOKEN", ["TOKEN"]) == f"a {REDACTED} b {REDACTED}"
    assert redact("nothing here", []) == "nothing here"
