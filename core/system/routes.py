"""Liveness, readiness, Prometheus metrics and the plugin inventory."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel
from quart import Blueprint, Response, current_app
from quart_schema import hide, tag, validate_response

from fithub.core.accounts.models import Role
from fithub.core.auth import require_auth, runtime
from fithub.core.db import ping_db
from fithub.core.errors import FithubError
from fithub.core.jobs import broker_ping, enqueue
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


class NotReady(FithubError):
    status, code = 503, "not_ready"


@bp.get("/health")
@tag(["system"])
@validate_response(Health)
async def health() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok", version=__version__)


@bp.get("/ready")
@tag(["system"])
@validate_response(Readiness)
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
