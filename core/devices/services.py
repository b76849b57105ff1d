"""The devices domain as routes (and later webhooks) see it: one call per use case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fithub.core.accounts.models import User
from fithub.core.context import ClientInfo
from fithub.core.devices.connections import complete_connect, require_sign_in
from fithub.core.devices.gateway import ProviderGateway
from fithub.core.devices.jobs import request_sync
from fithub.core.devices.models import ConnectionStatus, DeviceConnection, SyncLog
from fithub.core.devices.presenters import breaker_out, connection_out
from fithub.core.devices.queries import connection_of
from fithub.core.devices.schemas import DevicesOut, ProviderOut
from fithub.core.errors import Conflict, ValidationFailed
from fithub.plugins.types import OAUTH_KINDS


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
