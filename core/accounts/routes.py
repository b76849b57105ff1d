"""HTTP routes for accounts: thin wrappers that validate, call AccountService and shape replies.

Deleting an account (``DELETE /users/me``) erases every domain's data, so it lives in the top
layer: ``core/privacy/routes.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.accounts.models import AuthSession, User
from fithub.core.accounts.schemas import (
    Accepted,
    EmailChangeRequest,
    LoginRequest,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    ProfileUpdate,
    RefreshRequest,
    RegisterRequest,
    SessionOut,
    SessionPage,
    TokenOut,
    TokenRequest,
    UserOut,
)
from fithub.core.accounts.services import TokenPair
from fithub.core.auth import client_info, current_session, current_user, require_auth
from fithub.core.errors import ValidationFailed
from fithub.core.openapi import problems
from fithub.core.pagination import PageQuery
from fithub.core.responses import validate_response
from fithub.core.runtime import runtime

bp = Blueprint("accounts", __name__, url_prefix="/api/v1")


def user_out(user: User) -> UserOut:
    out = UserOut.model_validate(user, from_attributes=True)
    out.email_verified = user.email_verified_at is not None
    return out


VERIFICATION_SENT = Accepted(
    status="verification_sent",
    detail="If the address can be used, a link to confirm it is on its way; "
    "open it to finish signing up.",
)


def _tokens(pair: TokenPair) -> TokenOut:
    return TokenOut(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        session_id=pair.session_id,
    )


@bp.post("/auth/register")
@tag(["auth"])
@validate_request(RegisterRequest)
@validate_response(Accepted, 202)
@problems(429)
async def register(data: RegisterRequest) -> tuple[Accepted, int]:
    """Create an account and mail a link to confirm its address; sign in with ``/auth/login``.

    The answer is the same whether the address is new or taken (then its owner is told by
    e-mail that someone tried), so it reveals no registered address. Limited per client
    address (429 with Retry-After; ``FITHUB_REGISTER_MAX_PER_ADDRESS``).
    """
    await runtime().accounts.sign_up(client_info(), **data.model_dump())
    return VERIFICATION_SENT, 202


@bp.post("/auth/verify-email")
@tag(["auth"])
@validate_request(TokenRequest)
@validate_response(UserOut)
@problems(400)
async def verify_email(data: TokenRequest) -> UserOut:
    """Confirm an address with the token of the mailed link. A link works once, for 24 hours."""
    return user_out(await runtime().accounts.verify_email(client_info(), data.token))


@bp.post("/auth/verify-email/resend")
@tag(["auth"])
@require_auth()
@validate_response(Accepted, 202)
@problems(409, 429)
async def resend_verification() -> tuple[Accepted, int]:
    """Mail a new link to confirm your address (a few an hour); 409 once it is confirmed."""
    await runtime().accounts.resend_verification(current_user(), client_info())
    return Accepted(status="verification_sent", detail="A new link is on its way."), 202


@bp.post("/auth/password-reset")
@tag(["auth"])
@validate_request(PasswordResetRequest)
@validate_response(Accepted, 202)
@problems(429)
async def request_password_reset(data: PasswordResetRequest) -> tuple[Accepted, int]:
    """Mail a link to choose a new password, if an account has this address.

    Always 202 with the same body, so it reveals no registered address.
    """
    await runtime().accounts.request_password_reset(client_info(), data.email)
    detail = "If an account has this address, a link to choose a new password is on its way."
    return Accepted(status="reset_sent", detail=detail), 202


@bp.post("/auth/password-reset/confirm")
@tag(["auth"])
@validate_request(PasswordResetConfirm)
@problems(400)
async def confirm_password_reset(data: PasswordResetConfirm) -> Response:
    """Set a new password with the token of the mailed link. Signs out every session and lifts
    a sign-in lockout; the link works once, for ``FITHUB_ACCOUNT_TOKEN_TTL_S`` seconds."""
    await runtime().accounts.reset_password(client_info(), data.token, data.new_password)
    return Response(status=204)


@bp.post("/auth/login")
@tag(["auth"])
@validate_request(LoginRequest)
@validate_response(TokenOut)
@problems(401, 429)
async def login(data: LoginRequest) -> TokenOut:
    """Sign in with e-mail and password; opens a session. Limited per account and per address (429)."""
    pair = await runtime().accounts.login(
        client_info(), email=data.email, password=data.password, device_name=data.device_name
    )
    return _tokens(pair)


@bp.post("/auth/refresh")
@tag(["auth"])
@validate_request(RefreshRequest)
@validate_response(TokenOut)
@problems(401)
async def refresh(data: RefreshRequest) -> TokenOut:
    """Exchange a refresh token for a new pair. A token works once; a replay ends the session."""
    return _tokens(await runtime().accounts.refresh(client_info(), data.refresh_token))


@bp.post("/auth/logout")
@tag(["auth"])
@require_auth()
async def logout() -> Response:
    """End the current session."""
    await runtime().accounts.logout(current_user(), client_info(), str(current_session().id))
    return Response(status=204)


@bp.post("/auth/logout-all")
@tag(["auth"])
@require_auth()
async def logout_all() -> Response:
    """End every session of this account, on every device."""
    await runtime().accounts.logout_everywhere(current_user(), client_info())
    return Response(status=204)


@bp.get("/sessions")
@tag(["auth"])
@require_auth()
@validate_querystring(PageQuery)
@validate_response(SessionPage)
async def list_sessions(query_args: PageQuery) -> SessionPage:
    """The active sessions of this account, most recently used first."""
    now = datetime.now(UTC)
    query = AuthSession.filter(user_id=current_user().id, revoked_at=None, expires_at__gt=now)
    offset = 0
    if query_args.cursor:
        try:
            offset = int(query_args.cursor)
        except ValueError as exc:
            raise ValidationFailed(
                "The cursor is not valid.", errors=[{"field": "cursor", "message": "not a cursor"}]
            ) from exc
    rows = await query.order_by("-last_used_at", "id").offset(offset).limit(query_args.limit + 1)
    current_id = current_session().id
    items = [
        SessionOut(
            id=str(s.id),
            device_name=s.device_name,
            user_agent=s.user_agent,
            ip_address=s.ip_address,
            created_at=s.created_at,
            last_used_at=s.last_used_at,
            expires_at=s.expires_at,
            current=s.id == current_id,
        )
        for s in rows[: query_args.limit]
    ]
    more = len(rows) > query_args.limit
    return SessionPage(items=items, next_cursor=str(offset + query_args.limit) if more else None)


@bp.delete("/sessions/<session_id>")
@tag(["auth"])
@require_auth()
async def revoke_session(session_id: str) -> Response:
    """Sign out one device. 404 if the session is not yours or already ended."""
    await runtime().accounts.revoke_session(current_user(), client_info(), session_id)
    return Response(status=204)


@bp.get("/users/me")
@tag(["users"])
@require_auth()
@validate_response(UserOut)
async def get_me() -> UserOut:
    """Your profile."""
    return user_out(current_user())


@bp.patch("/users/me")
@tag(["users"])
@require_auth()
@validate_request(ProfileUpdate)
@validate_response(UserOut)
async def update_me(data: ProfileUpdate) -> UserOut:
    """Change profile fields; only the fields sent change."""
    try:
        changes = data.changes()
    except ValueError as exc:
        raise ValidationFailed(
            str(exc), errors=[{"field": str(exc).split()[0], "message": "cannot be null"}]
        ) from exc
    user = await runtime().accounts.update_profile(current_user(), client_info(), changes)
    return user_out(user)


@bp.post("/users/me/password")
@tag(["users"])
@require_auth()
@validate_request(PasswordChange)
async def change_password(data: PasswordChange) -> Response:
    """Change your password; every other session is signed out."""
    await runtime().accounts.change_password(
        current_user(),
        client_info(),
        current=data.current_password,
        new=data.new_password,
        keep_session=str(current_session().id),
    )
    return Response(status=204)


@bp.post("/users/me/email")
@tag(["users"])
@require_auth()
@validate_request(EmailChangeRequest)
@validate_response(Accepted, 202)
@problems(401)
async def request_email_change(data: EmailChangeRequest) -> tuple[Accepted, int]:
    """Change your address: a link to confirm it is mailed to the new address.

    Nothing changes until the link is used (``POST /users/me/email/confirm``).
    """
    accounts = runtime().accounts
    await accounts.check_password(current_user(), data.password)
    await accounts.request_email_change(current_user(), client_info(), str(data.new_email))
    detail = "If the address can be used, a link to confirm it is on its way there."
    return Accepted(status="confirmation_sent", detail=detail), 202


@bp.post("/users/me/email/confirm")
@tag(["users"])
@require_auth()
@validate_request(TokenRequest)
@validate_response(UserOut)
@problems(400, 409)
async def confirm_email_change(data: TokenRequest) -> UserOut:
    """Make the confirmed address yours (409 if another account took it meanwhile); the old
    address is told of the change."""
    user = await runtime().accounts.confirm_email_change(current_user(), client_info(), data.token)
    return user_out(user)
