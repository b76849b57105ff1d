"""Bearer-token authentication and role checks for routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from quart import current_app, g, request
from quart_schema import security_scheme

from fithub.core.accounts.models import AuthSession, Role, User
from fithub.core.context import ClientInfo
from fithub.core.errors import AuthRequired, Forbidden

P = ParamSpec("P")
R = TypeVar("R")

BEARER_SCHEME: dict[str, Any] = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearer_format": "JWT"}
}


def client_info() -> ClientInfo:
    """The caller's address (``X-Forwarded-For`` only from a trusted proxy), agent and request id."""
    address = request.remote_addr
    trusted = current_app.config["FITHUB"].settings.trusted_proxies
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and address in trusted:
        # Each proxy appends the address it saw: the client is the last hop not added by a
        # proxy we trust. Earlier entries are whatever the client sent, so never the first.
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        while len(hops) > 1 and hops[-1] in trusted:
            hops.pop()
        if hops:
            address = hops[-1][:45]
    return ClientInfo(
        ip_address=address,
        user_agent=request.headers.get("User-Agent"),
        request_id=getattr(g, "request_id", None),
    )


async def _authenticate() -> tuple[User, AuthSession]:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthRequired(
            "Send an access token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": 'Bearer realm="fithub"'},
        )
    try:
        user, session = await current_app.config["FITHUB"].accounts.authenticate(token.strip())
    except AuthRequired as exc:  # RFC 6750: a rejected token still gets a Bearer challenge
        exc.headers.setdefault("WWW-Authenticate", 'Bearer realm="fithub", error="invalid_token"')
        raise
    return user, session


def require_auth(*roles: Role) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Route decorator: a valid bearer token is required, and one of ``roles`` when given."""

    def decorator(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @wraps(func)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            user, session = await _authenticate()
            if roles and user.role not in roles:
                raise Forbidden("Your role does not allow this.")
            g.user, g.session = user, session
            return await func(*args, **kwargs)

        wrapper._fithub_roles = roles  # type: ignore[attr-defined]  # read by core/openapi.py
        return security_scheme([{"bearerAuth": []}])(wrapper)

    return decorator


def current_user() -> User:
    user: User = g.user
    return user


def current_session() -> AuthSession:
    session: AuthSession = g.session
    return session
