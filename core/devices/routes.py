"""HTTP routes of device connections: providers, connect, OAuth callback, sync, logs, disconnect."""

from __future__ import annotations

from urllib.parse import urlencode

from quart import Blueprint, Response, request
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import client_info, current_user, require_auth
from fithub.core.devices import services
from fithub.core.devices.presenters import connection_out, sync_out
from fithub.core.devices.schemas import (
    CallbackIn,
    CallbackOut,
    ConnectOut,
    DevicesOut,
    SyncAccepted,
    SyncOut,
    SyncPage,
    SyncQuery,
)
from fithub.core.errors import FithubError
from fithub.core.openapi import problems, raw_query, responds
from fithub.core.pagination import PageQuery
from fithub.core.responses import validate_response
from fithub.core.runtime import runtime

bp = Blueprint("devices", __name__, url_prefix="/api/v1/devices")


@bp.get("")
@tag(["devices"])
@require_auth()
@validate_response(DevicesOut)
async def list_devices() -> DevicesOut:
    """Every device provider (and whether its breaker lets calls through) and your connections."""
    return await services.overview(runtime().devices, current_user())


@bp.post("/<provider:provider>/connect")
@tag(["devices"])
@require_auth()
@validate_response(ConnectOut, 201)
@problems(503)
async def connect(provider: str) -> tuple[ConnectOut, int]:
    """Start connecting: send the user to ``authorization_url``; the vendor returns to the callback."""
    start = await services.start_connect(runtime().devices, current_user(), provider)
    out = ConnectOut(provider=start.provider, authorization_url=start.authorization_url,
                     state=start.state, expires_at=start.expires_at)  # fmt: skip
    return out, 201


@bp.get("/<provider:provider>/callback")
@tag(["devices"])
@raw_query
@problems(400, 409, 422, 502, 503)
@responds(302, "With FITHUB_DEVICES_RETURN_URL set: back to the app, with `status` or `error`.")
@validate_response(CallbackOut)
async def callback(provider: str) -> Response | tuple[CallbackOut, int]:
    """Where the vendor sends the browser back. The state (single use, 10 min) names the user.

    With ``FITHUB_DEVICES_RETURN_URL`` set the browser is redirected there with ``provider`` and
    ``status`` (or ``error``); else the new connection is the JSON answer.
    """
    gateway = runtime().devices
    params = {key: value[:2000] for key, value in request.args.items()}
    try:
        connection, sync = await services.finish_connect(gateway, provider, params, client_info())
    except FithubError as exc:
        if gateway.config.return_url:
            query = urlencode({"provider": provider, "error": exc.code})
            return Response(
                status=302, headers={"Location": f"{gateway.config.return_url}?{query}"}
            )
        raise
    if gateway.config.return_url:
        query = urlencode({"provider": provider, "status": "connected"})
        return Response(status=302, headers={"Location": f"{gateway.config.return_url}?{query}"})
    return CallbackOut(connection=connection_out(connection), sync=sync_out(sync, provider)), 200


@bp.post("/<provider:provider>/callback")
@tag(["devices"])
@require_auth()
@validate_request(CallbackIn)
@validate_response(CallbackOut)
@problems(502, 503)
async def callback_from_app(provider: str, data: CallbackIn) -> CallbackOut:
    """For apps that catch the vendor's redirect themselves: send its query parameters here."""
    connection, sync = await services.finish_connect(
        runtime().devices, provider, data.params, client_info(), current_user()
    )
    return CallbackOut(connection=connection_out(connection), sync=sync_out(sync, provider))


@bp.post("/<provider:provider>/sync")
@tag(["devices"])
@require_auth()
@validate_querystring(SyncQuery)
@validate_response(SyncAccepted, 202)
@problems(503)
async def sync(provider: str, query_args: SyncQuery) -> tuple[SyncAccepted, int]:
    """Sync now (all data types, or ``?data_types=a,b``). Answers the sync already queued if any."""
    row, created = await services.start_sync(
        runtime().devices, current_user(), provider, query_args.data_types
    )
    return SyncAccepted(**sync_out(row, provider).model_dump(), created=created), 202


@bp.get("/<provider:provider>/syncs")
@tag(["devices"])
@require_auth()
@validate_querystring(PageQuery)
@validate_response(SyncPage)
async def list_syncs(provider: str, query_args: PageQuery) -> SyncPage:
    """The sync log of your connection, newest first."""
    rows, following = await services.sync_history(
        current_user(), provider, query_args.limit, query_args.cursor
    )
    return SyncPage(items=[sync_out(r, provider) for r in rows], next_cursor=following)


@bp.get("/<provider:provider>/syncs/<int:sync_id>")
@tag(["devices"])
@require_auth()
@validate_response(SyncOut)
async def get_sync(provider: str, sync_id: int) -> SyncOut:
    """One sync: its window, what it fetched and stored, and per data type what went wrong."""
    return sync_out(await services.sync_detail(current_user(), provider, sync_id), provider)


@bp.delete("/<provider:provider>")
@tag(["devices"])
@require_auth()
async def disconnect(provider: str) -> Response:
    """Disconnect: the grant is revoked at the vendor and the tokens deleted; your data stays."""
    await services.disconnect(runtime().devices, current_user(), provider, client_info())
    return Response(status=204)
