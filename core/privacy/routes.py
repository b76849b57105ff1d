"""HTTP routes for personal data rights: exports, and deleting the account (``DELETE /users/me``)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field, field_validator, model_validator
from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.accounts.schemas import AccountDeletion
from fithub.core.auth import client_info, current_user, require_auth
from fithub.core.openapi import problems, responds
from fithub.core.privacy import services
from fithub.core.runtime import runtime

bp = Blueprint("privacy", __name__, url_prefix="/api/v1")

NO_STORE = {"Cache-Control": "no-store"}
BINARY = {"type": "string", "format": "binary"}
SEND_TIMEOUT_S = 900  # an export may take longer to download than RESPONSE_TIMEOUT allows


class CsvQuery(BaseModel):
    start: datetime | None = Field(
        None,
        alias="from",
        description="only workouts started at or after this time (UTC if no offset)",
    )
    end: datetime | None = Field(
        None, alias="to", description="only workouts started before this time (UTC if no offset)"
    )

    @field_validator("start", "end")
    @classmethod
    def _utc_if_naive(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> CsvQuery:
        if self.start and self.end and self.end < self.start:
            raise ValueError("'to' must not be before 'from'")
        return self


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', **NO_STORE}


@bp.get("/exports/workouts.csv")
@tag(["privacy"])
@require_auth()
@validate_querystring(CsvQuery)
@responds(200, "Your workouts, one row per set.", "text/csv", {"type": "string"})
async def export_workouts_csv(query_args: CsvQuery) -> Response:
    """Your workouts as CSV, one row per set, weights and distances in your units (streamed).

    A workout without sets (or an exercise without sets) still gets one row. Filter by start time
    with `from` (inclusive) and `to` (exclusive).
    """
    body = await services.workouts_csv(
        current_user(), client_info(), query_args.start, query_args.end
    )
    response = Response(
        body, content_type="text/csv; charset=utf-8", headers=_attachment("workouts.csv")
    )
    response.timeout = SEND_TIMEOUT_S
    return response


@bp.get("/exports/full")
@tag(["privacy"])
@require_auth()
@responds(200, "A zip: one JSON file per table, and a manifest.", "application/zip", BINARY)
@problems(429)
async def export_full() -> Response:
    """Everything stored about you: a zip with one JSON file per table and a manifest.

    Limited to 3 an hour (429 with Retry-After beyond that).
    """
    user = current_user()
    archive = await services.full_export(user, client_info(), runtime().limiter)
    day = datetime.now(UTC).date().isoformat()
    response = Response(
        archive.chunks(),
        content_type="application/zip",
        headers={
            **_attachment(f"fithub-export-{user.id}-{day}.zip"),
            "Content-Length": str(archive.size),
        },
    )
    response.timeout = SEND_TIMEOUT_S
    return response


@bp.delete("/users/me")
@tag(["users"])
@require_auth()
@validate_request(AccountDeletion)
async def delete_me(data: AccountDeletion) -> Response:
    """Delete your account and everything attached to it. Confirm with your password."""
    found = runtime()
    await services.delete_account(
        found.accounts, found.devices, current_user(), client_info(), password=data.password
    )
    return Response(status=204)
