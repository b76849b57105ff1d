"""HTTP routes for reading the audit log: your own events, or anyone's for administrators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from quart import Blueprint
from quart_schema import tag, validate_querystring

from fithub.core.accounts.models import Role
from fithub.core.audit import services
from fithub.core.auth import current_user, require_auth
from fithub.core.pagination import PageQuery, columns_of, paginate_rows
from fithub.core.responses import validate_response

bp = Blueprint("audit", __name__, url_prefix="/api/v1")


class AuditEventOut(BaseModel):
    id: int
    action: str
    subject_id: int | None
    actor_id: int | None
    target_type: str | None
    target_id: str | None
    ip_address: str | None
    user_agent: str | None
    request_id: str | None
    details: dict[str, Any]
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    next_cursor: str | None = None


class AuditQuery(PageQuery):
    action: str | None = Field(None, max_length=64, description="only events with this action")


class AdminAuditQuery(AuditQuery):
    user_id: int | None = Field(None, ge=1, description="only events about this account")


EVENT_COLUMNS = columns_of(AuditEventOut)


@bp.get("/audit-events")
@tag(["audit"])
@require_auth()
@validate_querystring(AuditQuery)
@validate_response(AuditPage)
async def my_events(query_args: AuditQuery) -> dict[str, Any]:
    """The audit trail of your own account, newest first."""
    query = services.events_for(current_user())
    if query_args.action:
        query = query.filter(action=query_args.action)
    return await paginate_rows(query, query_args, EVENT_COLUMNS)


@bp.get("/admin/audit-events")
@tag(["admin"])
@require_auth(Role.ADMIN)
@validate_querystring(AdminAuditQuery)
@validate_response(AuditPage)
async def all_events(query_args: AdminAuditQuery) -> dict[str, Any]:
    """Every audit event (administrators), newest first, filterable by account and action."""
    query = services.all_events(subject_id=query_args.user_id, action=query_args.action)
    return await paginate_rows(query, query_args, EVENT_COLUMNS)
