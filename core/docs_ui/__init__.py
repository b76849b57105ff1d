"""The API reference pages (/docs: Swagger UI, /redoc: ReDoc) and the home page, served offline.

quart-schema's own pages load Swagger UI and ReDoc from public CDNs, so on a machine without
internet they are blank. Here the same pages load every script, style sheet and icon from
``/docs/static/``: the Swagger UI and ReDoc builds come from the ``flask-openapi3-swagger`` and
``flask-openapi3-redoc`` packages (pinned in setup.cfg; only their files are read, their code is
never imported), the small page files from this package. Pages carry no inline script, so their
Content-Security-Policy allows scripts from this server only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from quart import Blueprint, Response, current_app, render_template_string, request, url_for
from quart_schema import hide

from fithub.core.errors import NotFound

bp = Blueprint("docs_ui", __name__)

ASSET_MAX_AGE_S = 24 * 3600
# ReDoc's styled-components write <style> elements and its search runs in a blob: worker.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
INDEX_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'"


@dataclass(frozen=True)
class Asset:
    """One file under /docs/static/: where it is and what it is."""

    package: str
    path: str
    content_type: str

    def file(self) -> Traversable:
        return files(self.package).joinpath(self.path)


_SWAGGER = "flask_openapi3_swagger"
_REDOC = "flask_openapi3_redoc"
_OWN = __name__
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
SVG = "image/svg+xml"

ASSETS: dict[str, Asset] = {
    "swagger-ui-bundle.js": Asset(_SWAGGER, "templates/swagger/js/swagger-ui-bundle.js", JS),
    "swagger-ui.css": Asset(_SWAGGER, "templates/swagger/css/swagger-ui.css", CSS),
    "swagger.svg": Asset(_SWAGGER, "templates/swagger/images/swagger.svg", SVG),
    "redoc.standalone.js": Asset(_REDOC, "templates/redoc/js/redoc.standalone.js", JS),
    "redoc.svg": Asset(_REDOC, "templates/redoc/images/redoc.svg", SVG),
    "swagger-init.js": Asset(_OWN, "swagger-init.js", JS),
    "fithub.css": Asset(_OWN, "fithub.css", CSS),
}


def asset_url(name: str) -> str:
    """The URL of one of :data:`ASSETS` (KeyError for any other name: a typo fails loudly)."""
    if name not in ASSETS:
        raise KeyError(f"no documentation asset {name!r}")
    return url_for("docs_ui.asset", name=name)


async def render_page(template: str, csp: str, **context: Any) -> Response:
    """Render one of this package's HTML templates with its own Content-Security-Policy."""
    source = files(_OWN).joinpath(template).read_text(encoding="utf-8")
    html = await render_template_string(source, asset=asset_url, **context)
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = csp
    response.headers["Cache-Control"] = "no-cache"
    return response


def _title() -> str:
    schema = current_app.extensions.get("QUART_SCHEMA")
    info = getattr(schema, "info", None)
    return str(getattr(info, "title", None) or "fithub")


@bp.get("/docs")
@hide
async def swagger_ui() -> Response:
    """Swagger UI over /openapi.json: read the reference and try requests."""
    return await render_page(
        "swagger.html", PAGE_CSP, title=_title(), openapi_url=url_for("openapi")
    )


@bp.get("/redoc")
@hide
async def redoc_ui() -> Response:
    """ReDoc over /openapi.json: the reference as one long page."""
    return await render_page("redoc.html", PAGE_CSP, title=_title(), openapi_url=url_for("openapi"))


@bp.get("/docs/static/<name>")
@hide
async def asset(name: str) -> Response:
    """One script, style sheet or icon of the pages above; 404 for anything else."""
    found = ASSETS.get(name)
    if found is None or not found.file().is_file():
        raise NotFound(f"No documentation asset is called {name!r}.")
    body, etag = _read(name)
    response = Response(body, content_type=found.content_type)
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = ASSET_MAX_AGE_S
    await response.make_conditional(request)  # 304 for a matching If-None-Match
    return response


@cache
def _read(name: str) -> tuple[bytes, str]:
    """An asset's bytes and ETag, read once per process (about 3 MB in all)."""
    body = ASSETS[name].file().read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:32]
