"""Connecting a user to a vendor: OAuth start and callback, encrypted tokens, refresh, disconnect.

Tokens never leave this module in clear: they are sealed (core/devices/crypto.py) into
``DeviceConnection.credentials``, bound to the row by ``user id:provider``, and every change
is a compare-and-set on ``credentials_version`` so a disconnect, a refresh in another process and
a sync can never resurrect or overwrite each other's tokens. Nothing here logs a token.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.audit import services as audit
from fithub.core.context import ClientInfo
from fithub.core.devices.errors import (
    BreakerOpen,
    ConnectionGone,
    CredentialsUnreadable,
    ProviderNotSupported,
    ReauthRequired,
    VendorFailed,
    VendorUnavailable,
)
from fithub.core.devices.gateway import ProviderGateway
from fithub.core.devices.models import ConnectionStatus, DeviceConnection, OAuthState
from fithub.core.errors import BadRequest, FithubError, NotFound
from fithub.core.events import services as events
from fithub.plugins.errors import (
    ProviderAuthFailed,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from fithub.plugins.oauth import pkce_pair
from fithub.plugins.types import (
    OAUTH_KINDS,
    AuthorizationCallback,
    AuthorizationRequest,
    TokenSet,
)

log = logging.getLogger("fithub.devices")


@dataclass(frozen=True)
class ConnectStart:
    provider: str
    authorization_url: str
    state: str
    expires_at: datetime


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _aad(connection: DeviceConnection) -> str:
    return f"{connection.user_id}:{connection.provider}"


def tokens_to_document(tokens: TokenSet) -> dict[str, Any]:
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
        "scopes": list(tokens.scopes),
        "external_user_id": tokens.external_user_id,
        "token_type": tokens.token_type,
        "extra": dict(tokens.extra),
    }


def tokens_from_document(doc: dict[str, Any]) -> TokenSet:
    expires = doc.get("expires_at")
    return TokenSet(
        access_token=str(doc["access_token"]),
        refresh_token=doc.get("refresh_token"),
        expires_at=datetime.fromisoformat(expires) if expires else None,
        scopes=tuple(doc.get("scopes") or ()),
        external_user_id=doc.get("external_user_id"),
        token_type=str(doc.get("token_type") or "Bearer"),
        extra=dict(doc.get("extra") or {}),
    )


def vendor_error(exc: ProviderError | BreakerOpen, provider: str) -> FithubError:
    """The problem a route answers when the vendor failed during a user's request."""
    if isinstance(exc, BreakerOpen):
        retry = exc.retry_at.isoformat() if exc.retry_at else "later"
        return VendorUnavailable(f"{provider} is failing; fithub retries from {retry}.")
    if isinstance(exc, ProviderRateLimited):
        wait = int(exc.retry_after or 60)
        return VendorUnavailable(f"{provider} asks to wait {wait} s.", headers={
            "Retry-After": str(wait)})  # fmt: skip
    if isinstance(exc, ProviderUnavailable):
        return VendorUnavailable(f"{provider} did not answer: try again later.")
    if isinstance(exc, ProviderAuthFailed):
        return BadRequest(f"{provider} refused the authorisation: connect again.",
                          code="authorization_failed")  # fmt: skip
    return VendorFailed(f"{provider} answered unexpectedly: {exc}")


def require_sign_in(gateway: ProviderGateway, provider_name: str) -> None:
    """422 for a provider connected without a vendor sign-in (a file import, pushed data)."""
    kind = getattr(gateway.provider_class(provider_name), "auth_kind", None)
    if kind not in OAUTH_KINDS:
        raise ProviderNotSupported(
            f"{provider_name} is not connected through a vendor sign-in ({kind}): its data is "
            "uploaded or pushed, see the provider's documentation.",
            code="no_sign_in",
        )


async def start_connect(gateway: ProviderGateway, user: User, provider_name: str) -> ConnectStart:
    """Make an OAuth state bound to ``user`` and the vendor URL to send the user to."""
    require_sign_in(gateway, provider_name)
    cls = gateway.require_usable(provider_name, explain=True)
    provider = await gateway.provider(provider_name)
    state = secrets.token_urlsafe(32)
    verifier, challenge = pkce_pair() if cls.auth_kind == "oauth2_pkce" else (None, None)
    redirect_uri = gateway.redirect_uri(provider_name)
    request = AuthorizationRequest(state, redirect_uri, tuple(cls.scopes), challenge)
    try:
        start = await gateway.guarded(provider_name, lambda: provider.authorization_url(request))
    except (ProviderError, BreakerOpen) as exc:
        raise vendor_error(exc, provider_name) from exc
    expires_at = datetime.now(UTC) + timedelta(seconds=gateway.config.oauth_state_ttl_s)
    state_hash = _hash(state)
    await OAuthState.create(
        user_id=user.id,
        provider=provider_name,
        state_hash=state_hash,
        sealed=gateway.vault.seal(
            {"code_verifier": verifier, "stash": dict(start.stash)}, f"state:{state_hash}"
        ),
        redirect_uri=redirect_uri,
        expires_at=expires_at,
    )
    return ConnectStart(provider_name, start.url, state, expires_at)


async def _claim_state(provider_name: str, state: str, user: User | None) -> OAuthState:
    """Take the pending state (single use): 400 when unknown, expired, or another user's."""
    invalid = BadRequest("This sign-in link is unknown or has expired: connect again.",
                         code="invalid_state")  # fmt: skip
    if not state:
        raise invalid
    found = await OAuthState.get_or_none(state_hash=_hash(state), provider=provider_name)
    if found is None or (user is not None and found.user_id != user.id):
        raise invalid
    if await OAuthState.filter(id=found.id).delete() == 0:  # someone else used it first
        raise invalid
    if found.expires_at <= datetime.now(UTC):
        raise invalid
    return found


async def complete_connect(
    gateway: ProviderGateway,
    provider_name: str,
    params: dict[str, str],
    client: ClientInfo,
    user: User | None = None,
) -> DeviceConnection:
    """The vendor sent the user back: exchange the code, store the sealed tokens, connect."""
    require_sign_in(gateway, provider_name)
    gateway.require_usable(provider_name, explain=user is not None)
    pending = await _claim_state(provider_name, params.get("state", ""), user)
    if params.get("error"):
        raise BadRequest(f"{provider_name} did not grant access ({params['error'][:100]}).",
                         code="authorization_denied")  # fmt: skip
    try:
        secrets_doc = gateway.vault.open(pending.sealed, f"state:{pending.state_hash}")
    except CredentialsUnreadable as exc:
        raise BadRequest("This sign-in link cannot be used: connect again.",
                         code="invalid_state") from exc  # fmt: skip
    provider = await gateway.provider(provider_name)
    callback = AuthorizationCallback(
        code=params.get("code"),
        params=dict(params),
        redirect_uri=pending.redirect_uri,
        code_verifier=secrets_doc.get("code_verifier"),
        stash=secrets_doc.get("stash") or {},
    )
    try:
        tokens = await gateway.guarded(provider_name, lambda: provider.exchange_code(callback))
    except (ProviderError, BreakerOpen) as exc:
        raise vendor_error(exc, provider_name) from exc
    now = datetime.now(UTC)
    async with in_transaction():
        connection, _ = await DeviceConnection.get_or_create(
            user_id=pending.user_id, provider=provider_name
        )
        connection.status = ConnectionStatus.CONNECTED
        connection.scopes = list(tokens.scopes)
        connection.external_user_id = tokens.external_user_id
        connection.connected_at = now
        connection.disconnected_at = None
        connection.next_sync_at = now
        connection.last_error = ""
        _seal_into(gateway, connection, tokens)
        connection.credentials_version += 1
        await connection.save()
        await events.emit("connection.connected", pending.user_id,
                          {"provider": provider_name, "connection_id": connection.id})  # fmt: skip
        await audit.record("device.connected", client, subject_id=pending.user_id,
                           target_type="device_connection", target_id=connection.id,
                           details={"provider": provider_name, "scopes": list(tokens.scopes)})  # fmt: skip
    return connection


def _seal_into(gateway: ProviderGateway, connection: DeviceConnection, tokens: TokenSet) -> None:
    connection.credentials = gateway.vault.seal(tokens_to_document(tokens), _aad(connection))
    connection.credentials_key_id = gateway.vault.key_id
    connection.access_expires_at = tokens.expires_at


def read_tokens(gateway: ProviderGateway, connection: DeviceConnection) -> TokenSet:
    """The connection's tokens; ReauthRequired when there are none or they do not open."""
    if not connection.credentials:
        raise ReauthRequired("no tokens are stored for this connection")
    try:
        return tokens_from_document(gateway.vault.open(connection.credentials, _aad(connection)))
    except CredentialsUnreadable as exc:
        raise ReauthRequired(f"the stored tokens cannot be read: {exc}") from exc


async def save_tokens(
    gateway: ProviderGateway, connection: DeviceConnection, tokens: TokenSet
) -> None:
    """Store new tokens if nobody changed the connection since it was read; else ConnectionGone."""
    sealed = gateway.vault.seal(tokens_to_document(tokens), _aad(connection))
    version = connection.credentials_version
    changed = await DeviceConnection.filter(
        id=connection.id, status=ConnectionStatus.CONNECTED, credentials_version=version
    ).update(
        credentials=sealed,
        credentials_key_id=gateway.vault.key_id,
        credentials_version=F("credentials_version") + 1,
        access_expires_at=tokens.expires_at,
    )
    if not changed:
        raise ConnectionGone(connection.id)
    connection.credentials, connection.credentials_key_id = sealed, gateway.vault.key_id
    connection.credentials_version = version + 1
    connection.access_expires_at = tokens.expires_at


async def mark_reauth_required(connection: DeviceConnection, reason: str) -> None:
    """Stop syncing the connection until the user connects again; tell them (a domain event)."""
    async with in_transaction():
        changed = await DeviceConnection.filter(
            id=connection.id, status=ConnectionStatus.CONNECTED
        ).update(
            status=ConnectionStatus.REAUTH_REQUIRED, next_sync_at=None, last_error=reason[:500]
        )
        if changed:
            await events.emit("connection.reauth_required", connection.user_id,
                              {"provider": connection.provider, "connection_id": connection.id,
                               "reason": reason[:200]})  # fmt: skip
    connection.status = ConnectionStatus.REAUTH_REQUIRED
    log.warning("connection %s (%s) needs the user to connect again: %s",
                connection.id, connection.provider, reason)  # fmt: skip


async def refresh_tokens(
    gateway: ProviderGateway, connection: DeviceConnection, tokens: TokenSet, *, force: bool = False
) -> TokenSet:
    """Refresh when due (or forced); a refused refresh marks the connection reauth_required.

    When another process refreshed first (our compare-and-set lost), its tokens are used.
    """
    now = datetime.now(UTC)
    if not force and not tokens.expires_within(gateway.config.refresh_margin_s, now):
        return tokens
    provider = await gateway.provider(connection.provider)
    try:
        fresh = await gateway.guarded(connection.provider, lambda: provider.refresh(tokens))
    except ProviderAuthFailed as exc:
        await mark_reauth_required(connection, f"the vendor refused the refresh token ({exc})")
        raise ReauthRequired(str(exc)) from exc
    fresh = replace(fresh, external_user_id=fresh.external_user_id or tokens.external_user_id)
    try:
        await save_tokens(gateway, connection, fresh)
    except ConnectionGone:
        await connection.refresh_from_db()
        if connection.status != ConnectionStatus.CONNECTED:
            raise
        return read_tokens(gateway, connection)
    return fresh


async def rekey(gateway: ProviderGateway, connection: DeviceConnection) -> bool:
    """Seal the tokens again with the current key if an old one sealed them; True if it did."""
    if not connection.credentials or not gateway.vault.needs_rekey(connection.credentials):
        return False
    try:
        await save_tokens(gateway, connection, read_tokens(gateway, connection))
    except (ReauthRequired, ConnectionGone):
        return False
    return True


async def rekey_all(gateway: ProviderGateway) -> int:
    """Seal every connection's tokens sealed with a retired key again (after a rotation)."""
    stale = await DeviceConnection.filter(credentials__isnull=False).exclude(
        credentials_key_id=gateway.vault.key_id
    )
    return sum([await rekey(gateway, connection) for connection in stale])


async def revoke_at_vendor(gateway: ProviderGateway, connection: DeviceConnection) -> bool:
    """Withdraw the connection's grant at the vendor, best effort; True when the vendor took it."""
    if not connection.credentials:
        return False
    try:
        tokens = read_tokens(gateway, connection)
        provider = await gateway.provider(connection.provider)
        await gateway.guarded(connection.provider, lambda: provider.revoke(tokens))
    except (ReauthRequired, ProviderError, BreakerOpen, FithubError) as exc:
        log.warning("could not revoke %s connection %s at the vendor: %s",
                    connection.provider, connection.id, exc)  # fmt: skip
        return False
    return True


async def revoke_all(gateway: ProviderGateway, user: User) -> int:
    """Revoke every grant the user gave fithub at a vendor (their account is being deleted)."""
    held = await DeviceConnection.filter(user_id=user.id, credentials__isnull=False)
    return sum([await revoke_at_vendor(gateway, c) for c in held if c.provider in gateway.classes])


async def disconnect(
    gateway: ProviderGateway, user: User, provider_name: str, client: ClientInfo
) -> None:
    """Revoke the grant at the vendor (best effort) and delete the tokens; the data stays."""
    connection = await DeviceConnection.get_or_none(user_id=user.id, provider=provider_name)
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        raise NotFound(f"You have no {provider_name} connection.", code="connection_not_found")
    revoked = await revoke_at_vendor(gateway, connection)
    await drop_connection(connection, reason="disconnected by the user", revoked=revoked,
                          client=client)  # fmt: skip


async def drop_connection(
    connection: DeviceConnection, *, reason: str, revoked: bool, client: ClientInfo | None = None
) -> None:
    """Delete the tokens and stop syncing (the data stays); emits ``connection.disconnected``."""
    async with in_transaction():
        await DeviceConnection.filter(id=connection.id).update(
            status=ConnectionStatus.DISCONNECTED,
            credentials=None,
            credentials_key_id=None,
            credentials_version=F("credentials_version") + 1,
            access_expires_at=None,
            next_sync_at=None,
            cursors={},
            disconnected_at=datetime.now(UTC),
        )
        details = {"provider": connection.provider, "connection_id": connection.id,
                   "reason": reason}  # fmt: skip
        await events.emit("connection.disconnected", connection.user_id, details)
        await audit.record("device.disconnected", client or ClientInfo.system(),
                           subject_id=connection.user_id, target_type="device_connection",
                           target_id=connection.id,
                           details={**details, "revoked": revoked})  # fmt: skip


async def purge_expired_states() -> int:
    return await OAuthState.filter(expires_at__lt=datetime.now(UTC)).delete()
