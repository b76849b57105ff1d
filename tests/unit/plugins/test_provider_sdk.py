"""The provider SDK: a spec makes the declarations, OAuth2Client speaks OAuth 2.0 to a real server."""

from __future__ import annotations

import base64
import json
import logging
import types
from collections.abc import AsyncIterator, Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pluggy
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from fithub.plugins import hookspecs
from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.http import VendorHosts, VendorHTTP, json_page
from fithub.plugins.oauth import OAuth2Client, OAuth2Config, Revocation
from fithub.plugins.provider import (
    OAuth2Provider,
    ProviderBase,
    ProviderSpec,
    day_token,
    device_providers,
    normalisers_in,
    normalises,
)
from fithub.plugins.records import Record
from fithub.plugins.types import (
    AppCredentials,
    AuthorizationCallback,
    AuthorizationRequest,
    DataType,
    DeviceProvider,
    FetchQuery,
    Page,
    ProviderContext,
    PushRequest,
    PushResult,
    RateLimit,
    TokenSet,
)

SPEC = ProviderSpec(
    "acme", "Acme", "oauth2_pkce", ("read", "sleep"), (DataType.SLEEP,),
    {DataType.SLEEP: ("sleep",)}, (RateLimit(10, 60),), timedelta(days=7), pushes_signed=True,
    hosts=VendorHosts(api="https://api.acme.test", consent="https://www.acme.test"),
    oauth=OAuth2Config("/authorize", "/token", Revocation("/revoke"), client_auth="basic",
                       authorize_params={"prompt": "consent"},
                       refresh_params={"scope": "offline"}),
)  # fmt: skip


def sleep_record(item: Mapping[str, Any]) -> list[Record]:
    raise KeyError(item["missing"])


class AcmeClient(OAuth2Client):
    """A client with nothing of its own: the spec says it all."""


class AcmeProvider(OAuth2Provider[AcmeClient]):
    spec = SPEC
    normalisers = {DataType.SLEEP: sleep_record}
    item_keys = ("logId", "id")

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        return Page(items=[])

    async def handle_push(self, request: PushRequest) -> PushResult:
        return PushResult()


class Recorder:
    """A vendor's token and revocation endpoints that remember what they were sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str], dict[str, str], str]] = []
        self.revoke_status = 200
        self.issued = 0

    async def handle(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.calls.append((request.method, request.path, form, dict(request.query),
                           request.headers.get("Authorization", "")))  # fmt: skip
        if request.path == "/revoke":
            return web.json_response({}, status=self.revoke_status)
        self.issued += 1
        return web.json_response({"access_token": f"access-{self.issued}", "expires_in": 3600,
                                  "refresh_token": f"refresh-{self.issued}"})  # fmt: skip


@pytest.fixture
async def vendor() -> AsyncIterator[tuple[Recorder, ProviderContext]]:
    recorder = Recorder()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    credentials = AppCredentials("client-1", "secret-1", "http://app/cb", base_url=base)
    async with aiohttp.ClientSession() as session:
        yield recorder, ProviderContext(session, credentials, logging.getLogger("t"), 5)
    await server.close()


def test_the_spec_makes_every_declaration_fithub_reads() -> None:
    assert AcmeProvider.name == "acme" and AcmeProvider.display_name == "Acme"
    assert AcmeProvider.auth_kind == "oauth2_pkce" and AcmeProvider.scopes == ("read", "sleep")
    assert AcmeProvider.data_types == (DataType.SLEEP,)
    assert AcmeProvider.required_scopes == {DataType.SLEEP: ("sleep",)}
    assert AcmeProvider.rate_limits == (RateLimit(10, 60),)
    assert AcmeProvider.max_window == timedelta(days=7) and AcmeProvider.pushes_signed is True
    assert AcmeProvider.client_class is AcmeClient  # from the type argument


def test_hosts_follow_the_app_overrides() -> None:
    hosts = VendorHosts(api="https://api/", consent="https://consent", token="https://token")
    assert hosts.resolve(None, None) == ("https://api", "https://consent", "https://token")
    assert hosts.resolve("http://fake/", None) == ("http://fake", "http://fake", "http://fake")
    assert hosts.resolve(None, "http://c") == ("https://api", "http://c", "https://token")
    together = VendorHosts(api="https://api", token_follows_auth=True)
    assert together.resolve(None, "http://c") == ("https://api", "http://c", "http://c")


async def test_the_consent_url_carries_state_scopes_pkce_and_extras(vendor) -> None:
    _, context = vendor
    provider = AcmeProvider(context)
    start = await provider.authorization_url(
        AuthorizationRequest("state-1", "http://app/cb", ("read", "sleep"), "challenge-1")
    )
    url = urlsplit(start.url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.path == "/authorize" and query["state"] == "state-1"
    assert query["scope"] == "read sleep" and query["prompt"] == "consent"
    assert query["code_challenge"] == "challenge-1" and query["code_challenge_method"] == "S256"
    assert query["client_id"] == "client-1" and query["redirect_uri"] == "http://app/cb"


async def test_exchange_and_refresh_post_the_standard_forms_with_basic_auth(vendor) -> None:
    recorder, context = vendor
    provider = AcmeProvider(context)
    callback = AuthorizationCallback("code-1", {}, "http://app/cb", code_verifier="verifier-1")
    tokens = await provider.exchange_code(callback)
    assert tokens.access_token == "access-1" and tokens.scopes == ("read", "sleep")
    fresh = await provider.refresh(tokens)
    assert (fresh.access_token, fresh.refresh_token) == ("access-2", "refresh-2")  # rotated
    basic = "Basic " + base64.b64encode(b"client-1:secret-1").decode()
    (_, path, form, _, auth), (_, _, again, _, auth2) = recorder.calls
    assert path == "/token" and auth == auth2 == basic and "client_secret" not in form
    assert form == {"grant_type": "authorization_code", "code": "code-1",
                    "redirect_uri": "http://app/cb", "code_verifier": "verifier-1",
                    "client_id": "client-1"}  # fmt: skip
    assert again == {"grant_type": "refresh_token", "refresh_token": "refresh-1",
                     "scope": "offline"}  # fmt: skip


async def test_a_callback_without_a_code_is_refused(vendor) -> None:
    _, context = vendor
    with pytest.raises(ProviderError, match="without a code \\(access_denied\\)"):
        await AcmeProvider(context).exchange_code(
            AuthorizationCallback(None, {"error": "access_denied"}, "http://app/cb")
        )


@pytest.mark.parametrize("style", ["form", "query", "bearer"])
async def test_each_revocation_style_and_a_grant_already_gone(vendor, style: str) -> None:
    recorder, context = vendor
    oauth = OAuth2Config("/authorize", "/token", Revocation("/revoke", style))  # type: ignore[arg-type]
    client = OAuth2Client(context, ProviderSpec("x", "X", "oauth2", hosts=SPEC.hosts, oauth=oauth))
    tokens = TokenSet("access-9", "refresh-9")
    await client.revoke(tokens)
    recorder.revoke_status = 400 if style == "form" else 401  # already revoked: not an error
    await client.revoke(tokens)
    (method, path, form, query, auth), _ = recorder.calls
    assert (method, path) == ("POST", "/revoke")
    expected = {"form": (form, {"token": "refresh-9"}), "query": (query, {"access_token": "access-9"}),
                "bearer": ({"auth": auth}, {"auth": "Bearer access-9"})}[style]  # fmt: skip
    assert expected[0] == expected[1]


def test_normalise_names_the_item_and_refuses_other_types() -> None:
    provider = AcmeProvider.__new__(AcmeProvider)
    with pytest.raises(ProviderMalformedResponse, match="Acme sleep item 42: 'missing'"):
        provider.normalise(DataType.SLEEP, {"id": 42})
    with pytest.raises(ProviderError, match="Acme does not offer body"):
        provider.normalise(DataType.BODY, {})


def test_the_registration_hook_returns_the_classes_through_pluggy() -> None:
    manager = pluggy.PluginManager("fithub")
    manager.add_hookspecs(hookspecs)
    plugin = types.SimpleNamespace(register_device_providers=device_providers(AcmeProvider))
    manager.register(plugin)
    host = types.SimpleNamespace(version="0", logger=logging.getLogger("t"))
    assert manager.hook.register_device_providers(host=host) == [[AcmeProvider]]
    assert isinstance(AcmeProvider.__new__(AcmeProvider), DeviceProvider)


def test_a_base_without_oauth_declares_from_its_spec_too() -> None:
    class Files(ProviderBase):
        spec = ProviderSpec("files", "Files", "file_import", data_types=(DataType.BODY,))

    assert (Files.name, Files.auth_kind, Files.scopes, Files.pushes_signed) == (
        "files", "file_import", (), False)  # fmt: skip


def test_json_pages_and_day_tokens_are_checked() -> None:
    assert json_page({"data": [{"a": 1}], "next": "t"}, "data", "next", "V") == ([{"a": 1}], "t")
    assert json_page({}, "data", "next", "V", required=False) == ([], None)
    for bad, message in (({}, "no 'data' list"), ({"data": [1]}, "not a JSON object"),
                         ({"data": [], "next": 3}, "next is not text")):  # fmt: skip
        with pytest.raises(ProviderMalformedResponse, match=message):
            json_page(bad, "data", "next", "V")
    first, last = date(2024, 5, 1), date(2024, 5, 3)
    assert day_token(None, first, last, "V") == first
    assert day_token("2024-05-02", first, last, "V") == date(2024, 5, 2)
    with pytest.raises(ProviderError, match="outside the window"):
        day_token("2024-05-04", first, last, "V")
    with pytest.raises(ProviderError, match="not a date"):
        day_token("soon", first, last, "V")


async def test_vendor_http_sends_json_and_tolerates_named_statuses(vendor) -> None:
    _, context = vendor
    seen: list[Any] = []

    async def echo(request: web.Request) -> web.Response:
        seen.append((request.content_type, await request.json()))
        return web.json_response({"ok": True}, status=409)

    app = web.Application()
    app.router.add_post("/x", echo)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        http = VendorHTTP(context.session, "Echo", timeout_s=5)
        answer = await http.request("POST", str(server.make_url("/x")), json_body={"a": [1]},
                                    expect_json=False, tolerate=(409,))  # fmt: skip
        assert answer.status == 409 and json.loads(answer.body) == {"ok": True}
        assert seen == [("application/json", {"a": [1]})]
        with pytest.raises(ProviderError, match="409"):
            await http.request("POST", str(server.make_url("/x")), json_body={})
    finally:
        await server.close()


def test_marked_mapping_functions_make_the_normalisers_table() -> None:
    module = types.ModuleType("acme_mapping")

    @normalises(DataType.HRV, DataType.SPO2)
    def recovery(item: Mapping[str, Any]) -> list[Record]:
        return []

    module.recovery, module.helper = recovery, len  # type: ignore[attr-defined]
    assert normalisers_in(module) == {DataType.HRV: recovery, DataType.SPO2: recovery}
    module.again = normalises(DataType.HRV)(sleep_record)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="two normalisers for hrv"):
        normalisers_in(module)
