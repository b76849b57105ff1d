"""The devices domain as its routes and webhooks see it: one call per use case.

Each function delegates to the module that does the work (connections, queries, inbox, jobs);
routes parse, call one of these and shape the answer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fithub.core.accounts.models import User
from fithub.core.context import ClientInfo
from fithub.core.devices import connections, inbox, queries
from fithub.core.devices.connections import ConnectStart, complete_connect, require_sign_in
from fithub.core.devices.errors import PushUnverified
from fithub.core.devices.gateway import ProviderGateway
from fithub.core.devices.jobs import request_sync
from fithub.core.devices.models import (
    ConnectionStatus,
    DeviceActivity,
    DeviceBodyMeasurement,
    DeviceConnection,
    DeviceDailySummary,
    DeviceSample,
    DeviceSleepSession,
    SyncLog,
)
from fithub.core.devices.presenters import breaker_out, connection_out
from fithub.core.devices.queries import connection_of, list_records
from fithub.core.devices.schemas import (
    BodyQuery,
    DevicesOut,
    MergedQuery,
    ProviderOut,
    SampleQuery,
)
from fithub.core.errors import BadRequest, Conflict, ValidationFailed
from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.types import OAUTH_KINDS, PushRequest, PushResult


async def overview(gateway: ProviderGateway, user: User) -> DevicesOut:
    """Every provider (with its breaker) and the user's connections."""
    providers = []
    for name, cls in sorted(gateway.classes.items()):
        supported = not gateway.missing_members(name)
        providers.append(
            ProviderOut(
                name=name,
                display_name=str(getattr(cls, "display_name", name)),
                auth_kind=getattr(cls, "auth_kind", None),
                data_types=[str(t) for t in getattr(cls, "data_types", ())],
                scopes=list(getattr(cls, "scopes", ())),
                supported=supported,
                configured=gateway.apps[name].configured
                or getattr(cls, "auth_kind", None) not in OAUTH_KINDS,  # nothing to configure
                breaker=breaker_out(await gateway.breaker_state(name)),
            )
        )
    connections = await DeviceConnection.filter(user_id=user.id).order_by("provider")
    return DevicesOut(providers=providers, connections=[connection_out(c) for c in connections])


async def finish_connect(
    gateway: ProviderGateway,
    provider: str,
    params: dict[str, str],
    client: ClientInfo,
    user: User | None = None,
) -> tuple[DeviceConnection, SyncLog]:
    """Complete the OAuth callback and queue the first sync (the backfill)."""
    connection = await complete_connect(gateway, provider, params, client, user)
    later = datetime.now(UTC) + timedelta(seconds=gateway.config.sync_interval_s)
    await DeviceConnection.filter(id=connection.id).update(next_sync_at=later)
    connection.next_sync_at = later
    row, _ = await request_sync(connection, "backfill")
    return connection, row


async def start_sync(
    gateway: ProviderGateway, user: User, provider: str, data_types: str | None
) -> tuple[SyncLog, bool]:
    """Queue an on-demand sync (of some data types); the sync already under way if there is one."""
    require_sign_in(gateway, provider)  # uploaded or pushed data: there is nothing to fetch
    connection = await connection_of(user, provider)
    if connection.status != ConnectionStatus.CONNECTED:
        code = "reauth_required" if connection.status == ConnectionStatus.REAUTH_REQUIRED else (
            "connection_not_active")  # fmt: skip
        raise Conflict(f"The {provider} connection is {connection.status}: connect again.",
                       code=code)  # fmt: skip
    wanted = [t.strip() for t in (data_types or "").split(",") if t.strip()]
    offered = {str(t) for t in getattr(gateway.classes[provider], "data_types", ())}
    unknown = sorted(set(wanted) - offered)
    if unknown:
        raise ValidationFailed(
            f"{provider} does not offer {', '.join(unknown)}.",
            errors=[{"field": "data_types", "message": f"choose from {sorted(offered)}",
                     "type": "choice"}],
        )  # fmt: skip
    return await request_sync(connection, "manual", wanted)


# -- connections ----------------------------------------------------------------------------------


async def start_connect(gateway: ProviderGateway, user: User, provider: str) -> ConnectStart:
    """Begin connecting ``provider``: the vendor's consent URL and the state that comes back."""
    return await connections.start_connect(gateway, user, provider)


async def sync_history(user: User, provider: str, limit: int,
                       cursor: str | None) -> tuple[list[SyncLog], str | None]:  # fmt: skip
    """A page of the user's sync logs of ``provider``, newest first; 404 without a connection."""
    connection = await connection_of(user, provider)
    return await queries.sync_logs(connection, limit, cursor)


async def sync_detail(user: User, provider: str, sync_id: int) -> SyncLog:
    """One sync of the user's ``provider`` connection; 404 for anyone else's."""
    connection = await connection_of(user, provider)
    return await queries.sync_log(connection, sync_id)


async def disconnect(gateway: ProviderGateway, user: User, provider: str,
                     client: ClientInfo) -> None:  # fmt: skip
    """Revoke the grant at the vendor (best effort) and delete the tokens; the data stays."""
    await connections.disconnect(gateway, user, provider, client)


# -- vendor pushes --------------------------------------------------------------------------------


async def receive_push(gateway: ProviderGateway, provider: str, push: PushRequest) -> PushResult:
    """Verify a vendor's webhook call and store what it announces (inbox.py): 400 when it cannot
    be read, 401 when it is not genuine. Returns the answer the vendor expects."""
    try:
        received = await inbox.receive(gateway, provider, push)
    except ProviderMalformedResponse as exc:
        raise BadRequest(f"The {provider} push could not be read: {exc}",
                         code="push_malformed") from exc  # fmt: skip
    except ProviderError as exc:
        raise PushUnverified(f"The {provider} push could not be verified: {exc}") from exc
    return received.result


# -- stored device data ---------------------------------------------------------------------------


async def activities(user: User, query: MergedQuery) -> tuple[list[DeviceActivity], str | None]:
    """A page of the user's workouts from devices, by start time."""
    return await list_records(DeviceActivity, user, query, "start_time")


async def daily(user: User, query: MergedQuery) -> tuple[list[DeviceDailySummary], str | None]:
    """A page of the user's day totals from devices, by day."""
    return await list_records(DeviceDailySummary, user, query, "day")


async def samples(user: User, query: SampleQuery) -> tuple[list[DeviceSample], str | None]:
    """A page of the user's measurements of ``query.kind``, by time."""
    return await list_records(DeviceSample, user, query, "time", kind=query.kind)


async def sleep(user: User, query: MergedQuery) -> tuple[list[DeviceSleepSession], str | None]:
    """A page of the user's sleep sessions, by start time."""
    return await list_records(DeviceSleepSession, user, query, "start_time")


async def body(user: User, query: BodyQuery) -> tuple[list[DeviceBodyMeasurement], str | None]:
    """A page of the user's body measurements (of ``query.kind`` when given), by time."""
    filters = {"kind": query.kind} if query.kind else {}
    return await list_records(DeviceBodyMeasurement, user, query, "time", **filters)
