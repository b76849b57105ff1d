"""Account rules: registration, sign-in, token rotation, sessions, profile changes, password checks.

The mailed-link flows (verify an address, reset a password, change the address) are in
:mod:`fithub.core.accounts.links`; the mails themselves go through :mod:`fithub.core.accounts.mail`.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from fithub.core.accounts import mail
from fithub.core.accounts.links import AccountLinks, login_key
from fithub.core.accounts.models import AuthSession, RefreshToken, Role, User
from fithub.core.audit import services as audit
from fithub.core.config import Settings
from fithub.core.context import ClientInfo
from fithub.core.errors import AuthRequired, Conflict, InvalidToken, NotFound, RateLimited
from fithub.core.ratelimit import Limiter, take
from fithub.core.security.passwords import (
    hash_password_async,
    needs_rehash,
    use_profile,
    verify_password_async,
)
from fithub.core.security.tokens import TokenIssuer, hash_refresh_token, new_refresh_token
from fithub.core.sql import Params, connection


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    session_id: str


def _columns(model: type[Model]) -> tuple[str, ...]:
    """The model's column names (stable order), for hand-written SELECTs."""
    return tuple(sorted(model._meta.db_fields))


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(value: str) -> str:
    """Rate-limit keys never hold an e-mail address in clear."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def normalise_email(email: str) -> str:
    return email.strip().lower()


class AccountService(AccountLinks):
    """Everything about accounts; the same whether called by REST, a socket or the command line."""

    def __init__(self, settings: Settings, issuer: TokenIssuer, limiter: Limiter) -> None:
        self.settings = settings
        self.issuer = issuer
        self.limiter = limiter
        use_profile(settings.password_hashing)

    # -- registration and profile -------------------------------------------------------------

    async def register(
        self,
        client: ClientInfo,
        *,
        email: str,
        password: str,
        role: Role = Role.USER,
        throttle: bool = False,
        **profile: Any,
    ) -> User:
        """Create an account and return it; Conflict if the e-mail address is taken.

        For the command line and the demo: no mail is sent. ``throttle`` counts the attempt
        against the caller's address first (see :meth:`sign_up`, which the REST route uses).
        """
        if throttle:
            await self._throttle_registration(client)
        email = normalise_email(email)
        taken = Conflict("An account with this e-mail address already exists.", code="email_taken")
        if await User.exists(email=email):
            raise taken
        password_hash = await hash_password_async(
            password
        )  # slow by design: not inside the transaction
        try:
            async with in_transaction():
                user = await self._create_user(client, email, password_hash, role, profile)
        except IntegrityError as exc:  # a concurrent registration won the race
            raise taken from exc
        return user

    async def sign_up(
        self, client: ClientInfo, *, email: str, password: str, **profile: Any
    ) -> None:
        """Registration over the API: the same outcome, in about the same time, for any address.

        A new account is mailed a verification link; the owner of a taken address is mailed
        that someone tried to sign up with it (a few an hour), and no account is made. Counts
        against the caller's address first: RateLimited past ``register_max_per_address``.
        """
        await self._throttle_registration(client)
        email = normalise_email(email)
        password_hash = await hash_password_async(password)  # for a taken address too: same time
        existing = await User.get_or_none(email=email)
        if existing is None:
            try:
                async with in_transaction() as conn:
                    user = await self._create_user(client, email, password_hash, Role.USER, profile)
                    ids = await self.mail_verification(conn, user)
            except IntegrityError:  # a concurrent registration won the race
                existing = await User.get_or_none(email=email)
                if existing is None:
                    raise
            else:
                await mail.dispatch(ids)
                return
        await audit.record("user.signup_attempt", client, subject_id=existing.id)
        if not existing.is_active or not await self._throttle(
            f"mail:signup_attempt:{_digest(email)}", client, "signup_attempt"
        ):
            return
        async with in_transaction() as conn:
            ids = await mail.send_account_mail(
                conn,
                existing,
                "account.signup_attempt",
                {},
                secret_context={"action_url": self.link("reset-password")},
            )
        await mail.dispatch(ids)

    async def _create_user(
        self,
        client: ClientInfo,
        email: str,
        password_hash: str,
        role: Role,
        profile: dict[str, Any],
    ) -> User:
        """Store a new account and audit it (inside the caller's transaction)."""
        user = await User.create(
            email=email,
            password_hash=password_hash,
            role=role,
            password_changed_at=_now(),
            **profile,
        )
        await audit.record(
            "user.registered",
            client,
            subject_id=user.id,
            target_type="user",
            target_id=user.id,
        )
        return user

    async def _throttle_registration(self, client: ClientInfo) -> None:
        key = f"register:addr:{client.ip_address or 'unknown'}"
        window = self.settings.register_window_seconds
        wait = await take(self.limiter, key, self.settings.register_max_per_address, window)
        if wait is not None:
            await audit.record(
                "auth.register_throttled", client, subject_id=None, details={"scope": "addr"}
            )
            raise RateLimited(wait, "Too many sign-ups from this address; try again later.")

    async def update_profile(self, user: User, client: ClientInfo, changes: dict[str, Any]) -> User:
        """Apply profile changes and audit which fields changed (not their values)."""
        changed = [field for field, value in changes.items() if getattr(user, field) != value]
        if not changed:
            return user
        async with in_transaction():
            for field in changed:
                setattr(user, field, changes[field])
            await user.save(update_fields=[*changed, "updated_at"])
            await audit.record(
                "user.updated",
                client,
                subject_id=user.id,
                target_type="user",
                target_id=user.id,
                details={"fields": sorted(changed)},
            )
        return user

    async def change_password(
        self, user: User, client: ClientInfo, *, current: str, new: str, keep_session: str
    ) -> None:
        """Replace the password and sign out every other session."""
        if not await verify_password_async(user.password_hash, current):
            await audit.record("auth.password_change_failed", client, subject_id=user.id)
            raise AuthRequired("The current password is wrong.", code="wrong_password")
        new_hash = await hash_password_async(new)
        async with in_transaction() as conn:
            user.password_hash = new_hash
            user.password_changed_at = _now()
            await user.save(update_fields=["password_hash", "password_changed_at", "updated_at"])
            await (
                AuthSession.filter(user_id=user.id, revoked_at=None)
                .exclude(id=keep_session)
                .update(revoked_at=_now(), revoke_reason="password_changed")
            )
            await audit.record("auth.password_changed", client, subject_id=user.id)
            ids = await self.mail_password_changed(conn, user, user.password_changed_at)
        await mail.dispatch(ids)

    async def check_password(self, user: User, password: str) -> None:
        """AuthRequired (``wrong_password``) unless ``password`` is the user's; for confirmations
        such as deleting the account (``privacy.services.delete_account``)."""
        if not await verify_password_async(user.password_hash, password):
            raise AuthRequired("The password is wrong.", code="wrong_password")

    # -- signing in and out ---------------------------------------------------------------------

    async def login(
        self, client: ClientInfo, *, email: str, password: str, device_name: str | None = None
    ) -> TokenPair:
        """Check credentials under per-account and per-address limits; open a session."""
        email = normalise_email(email)
        window = self.settings.login_window_seconds
        account_key = login_key(email)
        address_key = f"login:addr:{client.ip_address or 'unknown'}"
        for key, limit in (
            (account_key, self.settings.login_max_per_account),
            (address_key, self.settings.login_max_per_address),
        ):
            wait = await self.limiter.retry_after(key, limit, window)
            if wait is not None:
                await audit.record(
                    "auth.login_throttled",
                    client,
                    subject_id=None,
                    details={"scope": key.split(":")[1]},
                )
                raise RateLimited(wait, "Too many sign-in attempts; try again later.")
        await self.limiter.hit(address_key, window)
        user = await User.get_or_none(email=email)
        if (
            not await verify_password_async(user.password_hash if user else None, password)
            or not user
        ):
            await self.limiter.hit(account_key, window)
            await audit.record(
                "auth.login_failed",
                client,
                subject_id=user.id if user else None,
                details={"reason": "bad_credentials"},
            )
            raise AuthRequired("The e-mail address or password is wrong.", code="bad_credentials")
        if not user.is_active:
            await audit.record(
                "auth.login_failed", client, subject_id=user.id, details={"reason": "inactive"}
            )
            raise AuthRequired("This account is disabled.", code="account_disabled")
        await self.limiter.reset(account_key)
        if needs_rehash(user.password_hash):
            user.password_hash = await hash_password_async(password)
            await user.save(update_fields=["password_hash"])
        user_agent = (client.user_agent or "")[:255] or None
        async with in_transaction() as conn:
            ids = await self._notice_new_device(conn, user, client, user_agent, device_name)
            session = await AuthSession.create(
                id=uuid.uuid4(),
                user_id=user.id,
                device_name=device_name,
                user_agent=user_agent,
                ip_address=client.ip_address,
                last_used_at=_now(),
                expires_at=_now() + timedelta(seconds=self.settings.refresh_token_ttl),
            )
            pair = await self._issue(user, session)
            await audit.record(
                "auth.login",
                client,
                subject_id=user.id,
                target_type="session",
                target_id=str(session.id),
            )
        await mail.dispatch(ids)
        return pair

    @staticmethod
    async def _notice_new_device(
        conn: BaseDBAsyncClient,
        user: User,
        client: ClientInfo,
        user_agent: str | None,
        device_name: str | None,
    ) -> list[int]:
        """Mail a security notice when the account signs in from a client it has not used
        before (not for its very first sign-in); the delivery ids."""
        sessions = AuthSession.filter(user_id=user.id).using_db(conn)
        if not await sessions.exists():
            return []
        same = {"user_agent": user_agent} if user_agent else {"user_agent__isnull": True}
        if await sessions.filter(**same).exists():
            return []
        context = {
            "occurred_at": _now().isoformat(),
            "device": device_name or user_agent or "",
            "ip_address": client.ip_address or "",
        }
        return await mail.send_account_mail(conn, user, "security.new_sign_in", context)

    async def _issue(self, user: User, session: AuthSession) -> TokenPair:
        refresh = new_refresh_token()
        await RefreshToken.create(session_id=session.id, token_hash=hash_refresh_token(refresh))
        access, ttl = self.issuer.issue(user.id, str(session.id), user.role.value)
        return TokenPair(access, ttl, refresh, str(session.id))

    async def refresh(self, client: ClientInfo, refresh_token: str) -> TokenPair:
        """Rotate a refresh token. Presenting a spent token revokes its whole session (family)."""
        token = await RefreshToken.get_or_none(
            token_hash=hash_refresh_token(refresh_token)
        ).select_related("session", "session__user")
        if token is None:
            raise InvalidToken("Unknown refresh token.", code="invalid_refresh_token")
        session = token.session
        user = session.user
        now = _now()
        if session.revoked_at is not None or session.expires_at <= now or not user.is_active:
            raise InvalidToken("This session has ended; sign in again.", code="session_ended")
        spent = await RefreshToken.filter(id=token.id, used_at=None).update(used_at=now)
        if not spent:  # already used: someone replayed it, so nobody keeps this session
            await AuthSession.filter(id=session.id).update(
                revoked_at=now, revoke_reason="refresh_token_reuse"
            )
            await audit.record(
                "auth.refresh_reuse_detected",
                client,
                subject_id=user.id,
                target_type="session",
                target_id=str(session.id),
            )
            raise InvalidToken(
                "This refresh token was already used; the session is revoked.",
                code="refresh_token_reused",
            )
        async with in_transaction():
            session.last_used_at = now
            await session.save(update_fields=["last_used_at"])
            pair = await self._issue(user, session)
            await audit.record(
                "auth.refreshed",
                client,
                subject_id=user.id,
                target_type="session",
                target_id=str(session.id),
            )
        return pair

    async def logout(self, user: User, client: ClientInfo, session_id: str) -> None:
        await self.revoke_session(user, client, session_id, reason="logout")

    async def logout_everywhere(self, user: User, client: ClientInfo) -> int:
        """Revoke every active session of the user; return how many."""
        count = await AuthSession.filter(user_id=user.id, revoked_at=None).update(
            revoked_at=_now(), revoke_reason="logout_all"
        )
        await audit.record(
            "auth.logout_all", client, subject_id=user.id, details={"sessions": count}
        )
        return count

    async def revoke_session(
        self, user: User, client: ClientInfo, session_id: str, *, reason: str = "revoked"
    ) -> None:
        """End one of the user's own sessions; NotFound for anyone else's."""
        try:
            session_uuid = uuid.UUID(session_id)
        except ValueError as exc:
            raise NotFound("No such session.") from exc
        updated = await AuthSession.filter(
            id=session_uuid, user_id=user.id, revoked_at=None
        ).update(revoked_at=_now(), revoke_reason=reason)
        if not updated:
            raise NotFound("No such session.")
        await audit.record(
            f"auth.{reason}" if reason == "logout" else "auth.session_revoked",
            client,
            subject_id=user.id,
            target_type="session",
            target_id=session_id,
        )

    async def authenticate(self, access_token: str) -> tuple[User, AuthSession]:
        """Resolve a bearer token to its user and live session: one indexed query, on every request.

        Written in SQL because the ORM's query building cost more than the query itself.
        """
        claims = self.issuer.verify(access_token)
        conn = connection()
        p = Params(conn)
        session_id = AuthSession._meta.fields_map["id"].to_db_value(claims.session_id, AuthSession)
        user_cols, session_cols = _columns(User), _columns(AuthSession)
        sql = (
            "SELECT "
            + ", ".join(
                [f"u.{c} AS u_{c}" for c in user_cols] + [f"s.{c} AS s_{c}" for c in session_cols]
            )
            + f" FROM auth_sessions s JOIN users u ON u.id = s.user_id"
            f" WHERE s.id = {p(session_id)} AND s.user_id = {p(claims.user_id)}"
        )
        rows = await conn.execute_query_dict(sql, p.values)
        if not rows or rows[0]["s_revoked_at"] is not None:
            raise InvalidToken("This session has ended; sign in again.", code="session_ended")
        row = rows[0]
        user = User._init_from_db(**{c: row[f"u_{c}"] for c in user_cols})
        session = AuthSession._init_from_db(**{c: row[f"s_{c}"] for c in session_cols})
        if not user.is_active:
            raise InvalidToken("This account is disabled.", code="account_disabled")
        return user, session

    async def purge_expired_sessions(self, older_than: timedelta = timedelta(days=7)) -> int:
        """Delete sessions that expired or were revoked more than ``older_than`` ago."""
        cutoff = _now() - older_than
        expired = await AuthSession.filter(expires_at__lt=cutoff).delete()
        revoked = await AuthSession.filter(revoked_at__lt=cutoff).delete()
        return int(expired) + int(revoked)
