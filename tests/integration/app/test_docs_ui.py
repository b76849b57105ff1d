"""/docs, /redoc and / work offline: every asset a page references is served by fithub itself."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.integration.helpers import assert_problem

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
EXPECTED_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}


class References(HTMLParser):
    """Every URL a page makes the browser load or offer: src, href, spec-url, data-openapi-url."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []  # fetched on page load
        self.links: list[str] = []  # <a href>
        self.inline_scripts = 0
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            if "src" in values:
                self.loaded.append(values["src"])
            else:
                self._in_script_without_src = True
        elif tag in ("link", "img") and ("href" in values or "src" in values):
            self.loaded.append(values.get("href") or values["src"])
        elif tag == "a" and "href" in values:
            self.links.append(values["href"])
        for name in ("spec-url", "data-openapi-url"):
            if name in values:
                self.loaded.append(values[name])

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script_without_src = False


def references(html: str) -> References:
    parser = References()
    parser.feed(html)
    return parser


async def fetch_all(api: httpx.AsyncClient, page: httpx.Response, urls: list[str]) -> None:
    for url in urls:
        target = urljoin(str(page.url), url)
        assert urlsplit(target).netloc == urlsplit(str(page.url)).netloc, f"{url} is elsewhere"
        response = await api.get(target)
        assert response.status_code == 200, (url, response.status_code)
        assert response.content, url
        path = urlsplit(target).path
        if path == "/openapi.json":
            assert response.json()["openapi"].startswith("3.")
            continue
        suffix = path[path.rfind("."):]
        assert response.headers["content-type"].startswith(EXPECTED_TYPES[suffix]), (url, response.headers)


@pytest.mark.parametrize(("path", "library"), [("/docs", "SwaggerUIBundle"), ("/redoc", "Redoc")])
async def test_a_reference_page_loads_everything_from_fithub(api, path, library):
    page = await api.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert not re.search(r"(https?:)?//[a-z0-9]", page.text, re.I), "the page names another host"
    found = references(page.text)
    assert found.inline_scripts == 0  # so that the page's CSP can say script-src 'self'
    scripts = [u for u in found.loaded if u.endswith(".js")]
    assert scripts and any(u.endswith(".css") or u.endswith(".svg") for u in found.loaded)
    await fetch_all(api, page, found.loaded)
    bundles = [(await api.get(urljoin(str(page.url), u))).text for u in scripts]
    assert any(library in text for text in bundles), f"no script defines {library}"
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp


async def test_swagger_ui_never_asks_the_online_validator(api):
    page = await api.get("/docs")
    init = [u for u in references(page.text).loaded if "init" in u]
    assert init, "the page starts Swagger UI from a script of fithub's own"
    script = (await api.get(urljoin(str(page.url), init[0]))).text
    assert "validatorUrl: null" in script


async def test_assets_are_cacheable_and_revalidate(api):
    first = await api.get("/docs/static/redoc.standalone.js")
    assert first.status_code == 200 and "max-age=" in first.headers["cache-control"]
    again = await api.get("/docs/static/redoc.standalone.js",
                          headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content


@pytest.mark.parametrize("name", ["nope.js", "..%2F..%2Fsetup.cfg", "__init__.py", "index.html"])
async def test_only_known_assets_are_served(api, name):
    response = await api.get(f"/docs/static/{name}")
    assert_problem(response, 404)


async def test_the_home_page_for_a_browser(api):
    page = await api.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    health = (await api.get("/health")).json()
    assert "fithub" in page.text and health["version"] in page.text
    assert "docs/api.md" in page.text
    found = references(page.text)
    assert {"/docs", "/redoc", "/openapi.json", "/health", "/ready"} <= set(found.links)
    await fetch_all(api, page, found.loaded)
    for link in found.links:
        assert (await api.get(link)).status_code == 200, link
    assert "accept" in page.headers["vary"].lower()


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
async def test_the_home_page_for_a_program(api, accept):
    headers = {"Accept": accept} if accept else {}
    response = await api.get("/", headers=headers)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["name"] == "fithub"
    assert body["version"] == (await api.get("/health")).json()["version"]
    assert body["guide"] == "docs/api.md"
    assert {"docs", "redoc", "openapi", "health", "ready", "api"} <= set(body["links"])
    for name in ("docs", "redoc", "openapi", "health", "ready"):
        assert (await api.get(body["links"][name])).status_code == 200, name


async def test_the_pages_are_not_in_the_api_description(api):
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert not {"/", "/docs", "/redoc", "/docs/static/{name}"} & set(paths)
