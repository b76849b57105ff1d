"""The home page, liveness, readiness, Prometheus metrics and the plugin inventory."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel
from quart import Blueprint, Response, current_app, jsonify, request, url_for
from quart_schema import hide, tag

from fithub.core.accounts.models import Role
from fithub.core.auth import require_auth
from fithub.core.db import ping_db
from fithub.core.docs_ui import INDEX_CSP, render_page
from fithub.core.errors import NotReady
from fithub.core.jobs import broker_ping, enqueue
from fithub.core.openapi import problems
from fithub.core.responses import validate_response
from fithub.core.runtime import runtime
from fithub.core.version import __version__

bp = Blueprint("system", __name__)


class Health(BaseModel):
    status: str
    version: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


class PluginComponentOut(BaseModel):
    kind: str
    name: str
    display_name: str


class PluginOut(BaseModel):
    name: str
    module: str
    version: str
    builtin: bool
    status: str
    error: str | None
    provides: list[PluginComponentOut]


class PluginList(BaseModel):
    items: list[PluginOut]


class JobAccepted(BaseModel):
    job: str
    message_id: str


def _index() -> dict[str, Any]:
    return {
        "name": "fithub",
        "version": __version__,
        "description": "Fitness integration gateway: accounts, training, devices, live streaming.",
        "guide": "docs/api.md",
        "links": {
            "docs": url_for("docs_ui.swagger_ui"),
            "redoc": url_for("docs_ui.redoc_ui"),
            "openapi": url_for("openapi"),
            "api": "/api/v1",
            "health": url_for("system.health"),
            "ready": url_for("system.ready"),
        },
    }


@bp.get("/")
@hide
async def index() -> Response:
    """What this server is and where to read on: a small page for a browser, JSON otherwise."""
    about = _index()
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        response = await render_page("index.html", INDEX_CSP, index=about)
    else:
        response = jsonify(about)
    response.vary.add("Accept")
    return response


@bp.get("/health")
@tag(["system"])
@validate_response(Health)
async def health() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok", version=__version__)


@bp.get("/ready")
@tag(["system"])
@validate_response(Readiness)
@problems(503)
async def ready() -> Readiness:
    """Readiness: the database and the job broker answer (503 with the failing check otherwise)."""
    checks: dict[str, str] = {}
    for name, probe in (("database", ping_db), ("broker", broker_ping)):
        try:
            await asyncio.wait_for(probe(), timeout=2.0)
            checks[name] = "ok"
        except Exception as exc:  # any failure means not ready; say which and why
            checks[name] = f"failed: {type(exc).__name__}"
    if any(value != "ok" for value in checks.values()):
        raise NotReady(
            "A dependency is unavailable: "
            + ", ".join(f"{k} {v}" for k, v in checks.items() if v != "ok")
        )
    return Readiness(status="ok", checks=checks)


@bp.get("/metrics")
@hide
async def metrics() -> Response:
    """Prometheus text exposition of request counts and latencies."""
    body = current_app.config["FITHUB_METRICS"].render()
    return Response(body, content_type="text/plain; version=0.0.4; charset=utf-8")


@bp.get("/api/v1/plugins")
@tag(["system"])
@validate_response(PluginList)
async def list_plugins() -> PluginList:
    """Every plugin found: built-in or third-party, its version, and whether it loaded."""
    items = [
        PluginOut(
            name=record.name,
            module=record.module,
            version=record.version,
            builtin=record.builtin,
            status=record.status,
            error=record.error,
            provides=[
                PluginComponentOut(kind=c.kind, name=c.name, display_name=c.display_name)
                for c in record.components
            ],
        )
        for record in runtime().plugins.records
    ]
    return PluginList(items=items)


@bp.post("/api/v1/admin/jobs/purge-sessions")
@tag(["admin"])
@require_auth(Role.ADMIN)
@validate_response(JobAccepted, 202)
async def purge_sessions() -> tuple[JobAccepted, int]:
    """Queue the job that deletes long-expired and revoked sessions."""
    message_id = await enqueue("accounts.purge_expired_sessions", 0)
    return JobAccepted(job="accounts.purge_expired_sessions", message_id=message_id), 202
