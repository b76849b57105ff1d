"""Administrators' view of stuck background work, and its re-drive (see core/recovery.py)."""

from __future__ import annotations

from pydantic import BaseModel
from quart import Blueprint
from quart_schema import tag

from fithub.core import recovery
from fithub.core.accounts.models import Role
from fithub.core.auth import require_auth
from fithub.core.responses import validate_response
from fithub.core.runtime import runtime

bp = Blueprint("recovery", __name__, url_prefix="/api/v1/admin/recovery")


class StuckOut(BaseModel):
    kind: str
    count: int
    oldest_s: float | None
    ids: list[str]


class RecoveryReport(BaseModel):
    items: list[StuckOut]


class Redriven(BaseModel):
    sync: int
    inbox: int
    delivery: int = 0  # late notification deliveries handed to the delivery sweep
    dead_letter: int


@bp.get("")
@tag(["admin"])
@require_auth(Role.ADMIN)
@validate_response(RecoveryReport)
async def stuck() -> RecoveryReport:
    """Stuck work by kind: syncs past their lease or deadline, inbox rows, late notification
    deliveries, dead-lettered jobs."""
    found = await recovery.stuck_work(runtime().settings)
    return RecoveryReport(items=[StuckOut(**vars(item)) for item in found])


@bp.post("/redrive")
@tag(["admin"])
@require_auth(Role.ADMIN)
@validate_response(Redriven)
async def redrive() -> Redriven:
    """Re-enqueue everything listed as stuck now; dead letters get one more attempt."""
    return Redriven(**await recovery.redrive(runtime().settings))
