"""Mailed single-use links: verify an address, reset a forgotten password, confirm a new address.

A link carries a random token; only its SHA-256 is stored (:class:`AccountToken`), with the
address it was mailed to and an expiry. Spending one is a conditional UPDATE, so a link works
once even when clicked twice at the same time. Requests that name an address (a reset) answer
the same whether an account has it, so they tell nobody which addresses are registered.
:class:`AccountLinks` is a part of :class:`fithub.core.accounts.services.AccountService`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from fithub.core.accounts import mail
from fithub.core.accounts.models import AccountToken, AuthSession, User
from fithub.core.audit import services as audit
from fithub.core.context import ClientInfo
from fithub.core.errors import BadRequest, Conflict, RateLimited, ValidationFailed
from fithub.core.ratelimit import take
from fithub.core.security.passwords import hash_password_async

if TYPE_CHECKING:
    from fithub.core.config import Settings
    from fithub.core.ratelimit import Limiter

VERIFY_EMAIL, RESET, EMAIL_CHANGE = "verify_email", "reset", "email_change"
VERIFY_TTL = timedelta(hours=24)  # a new account's first mail may wait in a spam folder a while
MAILS_PER_HOUR = 5  # links of one purpose mailed to one account (or asked from one address)


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def hash_token(token: str) -> str:
    """What is stored of a mailed token."""
    return hashlib.sha256(token.encode()).hexdigest()


def login_key(email: str) -> str:
    """The rate-limit key counting wrong passwords for ``email`` (AccountService.login)."""
    return f"login:acct:{_digest(email)}"


class AccountLinks:
    """The mailed-link flows of the account service."""

    settings: Settings
    limiter: Limiter

    def link(self, path: str, token: str | None = None) -> str:
        """An address on the public site (``/reset-password?token=...``) for a mail."""
        base = self.settings.public_url.rstrip("/")
        return f"{base}/{path}" + (f"?token={token}" if token else "")

    async def issue_token(
        self,
        conn: BaseDBAsyncClient,
        user: User,
        purpose: str,
        *,
        email: str,
        now: datetime | None = None,
    ) -> tuple[str, datetime]:
        """A new token for ``purpose`` mailed to ``email``, and when it expires."""
        now = now or _now()
        ttl = VERIFY_TTL if purpose == VERIFY_EMAIL else timedelta(0)
        ttl = max(ttl, timedelta(seconds=self.settings.account_token_ttl_s))
        token = secrets.token_urlsafe(32)
        await AccountToken.create(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(token),
            email=email,
            expires_at=now + ttl,
            using_db=conn,
        )
        return token, now + ttl

    async def mail_verification(self, conn: BaseDBAsyncClient, user: User) -> list[int]:
        """Store a verification link for ``user``'s address; the delivery ids."""
        token, _ = await self.issue_token(conn, user, VERIFY_EMAIL, email=user.email)
        secret = {"action_url": self.link("verify-email", token)}
        return await mail.send_account_mail(
            conn, user, "account.verify_email", {}, secret_context=secret
        )

    @staticmethod
    async def find_token(purpose: str, token: str, now: datetime | None = None) -> AccountToken:
        """The live token ``token`` of ``purpose``; BadRequest if unknown, used or expired."""
        now = now or _now()
        row = await AccountToken.get_or_none(token_hash=hash_token(token), purpose=purpose)
        if row is None:
            raise BadRequest("This link is not valid.", code="invalid_account_token")
        if row.used_at is not None:
            raise BadRequest("This link was already used.", code="account_token_used")
        if row.expires_at <= now:
            raise BadRequest(
                "This link has expired; ask for a new one.", code="account_token_expired"
            )
        return row

    @staticmethod
    async def spend(conn: BaseDBAsyncClient, row: AccountToken, now: datetime) -> None:
        """Mark ``row`` used, and every other live token of its purpose for its account."""
        spent = (
            await AccountToken.filter(id=row.id, used_at=None).using_db(conn).update(used_at=now)
        )
        if not spent:  # the same link, clicked twice at once: the other click won
            raise BadRequest("This link was already used.", code="account_token_used")
        await (
            AccountToken.filter(user_id=row.user_id, purpose=row.purpose, used_at=None)
            .using_db(conn)
            .update(used_at=now)
        )

    async def _throttle(self, key: str, client: ClientInfo, what: str) -> bool:
        """Count one mail against ``key``; False (audited) once the hourly allowance is spent."""
        if await take(self.limiter, key, MAILS_PER_HOUR, 3600) is None:
            return True
        await audit.record("auth.mail_throttled", client, subject_id=None, details={"what": what})
        return False

    # -- verifying an address ---------------------------------------------------------------------

    async def verify_email(
        self, client: ClientInfo, token: str, *, now: datetime | None = None
    ) -> User:
        """Mark the address the token was mailed to as verified; BadRequest for a spent link."""
        now = now or _now()
        row = await self.find_token(VERIFY_EMAIL, token, now)
        async with in_transaction() as conn:
            await self.spend(conn, row, now)
            user = await User.get(id=row.user_id, using_db=conn)
            if user.email != row.email:
                raise BadRequest(
                    "This link is for an earlier address.", code="invalid_account_token"
                )
            user.email_verified_at = now
            await user.save(update_fields=["email_verified_at", "updated_at"], using_db=conn)
            await audit.record("user.email_verified", client, subject_id=user.id)
        return user

    async def resend_verification(self, user: User, client: ClientInfo) -> None:
        """Mail a new verification link (a few an hour); Conflict if the address is verified."""
        if user.email_verified_at is not None:
            raise Conflict("The e-mail address is already verified.", code="email_already_verified")
        if not await self._throttle(f"mail:verify:{user.id}", client, "verify_email"):
            raise RateLimited(3600, "Too many verification mails; try again later.")
        async with in_transaction() as conn:
            ids = await self.mail_verification(conn, user)
        await mail.dispatch(ids)

    # -- a forgotten password ---------------------------------------------------------------------

    async def request_password_reset(self, client: ClientInfo, email: str) -> None:
        """Mail a reset link if an active account has ``email``; the same outcome if none has."""
        email = email.strip().lower()
        if not await self._throttle(f"mail:reset:addr:{client.ip_address}", client, "reset"):
            return
        user = await User.get_or_none(email=email, is_active=True)
        if user is None or not await self._throttle(
            f"mail:reset:{_digest(email)}", client, "reset"
        ):
            return
        async with in_transaction() as conn:
            token, expires = await self.issue_token(conn, user, RESET, email=email)
            ids = await mail.send_account_mail(
                conn,
                user,
                "account.password_reset",
                {"expires_at": expires.isoformat()},
                secret_context={"action_url": self.link("reset-password", token)},
            )
            await audit.record("auth.password_reset_requested", client, subject_id=user.id)
        await mail.dispatch(ids)

    async def reset_password(
        self, client: ClientInfo, token: str, new_password: str, *, now: datetime | None = None
    ) -> None:
        """Set a new password with a reset link: every session ends, the sign-in lockout lifts."""
        now = now or _now()
        row = await self.find_token(RESET, token, now)
        new_hash = await hash_password_async(new_password)
        async with in_transaction() as conn:
            await self.spend(conn, row, now)
            user = await User.get(id=row.user_id, using_db=conn)
            user.password_hash, user.password_changed_at = new_hash, now
            await user.save(
                update_fields=["password_hash", "password_changed_at", "updated_at"], using_db=conn
            )
            ended = (
                await AuthSession.filter(user_id=user.id, revoked_at=None)
                .using_db(conn)
                .update(revoked_at=now, revoke_reason="password_reset")
            )
            await audit.record(
                "auth.password_reset", client, subject_id=user.id, details={"sessions": ended}
            )
            ids = await self.mail_password_changed(conn, user, now)
        await self.limiter.reset(login_key(user.email))
        await mail.dispatch(ids)

    @staticmethod
    async def mail_password_changed(
        conn: BaseDBAsyncClient, user: User, when: datetime
    ) -> list[int]:
        return await mail.send_account_mail(
            conn, user, "security.password_changed", {"occurred_at": when.isoformat()}
        )

    # -- a new address ------------------------------------------------------------------------------

    async def request_email_change(self, user: User, client: ClientInfo, new_email: str) -> None:
        """Mail a confirmation link to ``new_email`` (the password was checked by the caller).

        Nothing is mailed when another account has the address: the answer is the same, so the
        request tells nobody which addresses are registered.
        """
        new_email = new_email.strip().lower()
        if new_email == user.email:
            raise ValidationFailed(
                "That is already your address.",
                errors=[{"field": "new_email", "message": "the same as the current address"}],
            )
        if not await self._throttle(f"mail:email_change:{user.id}", client, "email_change"):
            return
        if await User.exists(email=new_email):
            await audit.record("user.email_change_refused", client, subject_id=user.id)
            return
        async with in_transaction() as conn:
            token, _ = await self.issue_token(conn, user, EMAIL_CHANGE, email=new_email)
            ids = await mail.send_account_mail(
                conn,
                user,
                "account.email_change",
                {"new_email": new_email},
                secret_context={"action_url": self.link("confirm-email", token)},
                to_address=new_email,
            )
            await audit.record("user.email_change_requested", client, subject_id=user.id)
        await mail.dispatch(ids)

    async def confirm_email_change(
        self, user: User, client: ClientInfo, token: str, *, now: datetime | None = None
    ) -> User:
        """Make the confirmed address ``user``'s (verified); tell the old one. 409 if taken."""
        now = now or _now()
        row = await self.find_token(EMAIL_CHANGE, token, now)
        if row.user_id != user.id:
            raise BadRequest("This link is not valid.", code="invalid_account_token")
        old, old_verified = user.email, user.email_verified_at
        conflict = Conflict("Another account has this e-mail address now.", code="email_taken")
        if await User.filter(email=row.email).exclude(id=user.id).exists():
            raise conflict
        try:
            async with in_transaction() as conn:
                await self.spend(conn, row, now)
                user.email, user.email_verified_at = row.email, now
                await user.save(
                    update_fields=["email", "email_verified_at", "updated_at"], using_db=conn
                )
                await audit.record("user.email_changed", client, subject_id=user.id)
                ids = await mail.send_account_mail(
                    conn,
                    user,
                    "security.email_changed",
                    {"new_email": row.email, "occurred_at": now.isoformat()},
                    secret_context={"action_url": self.link("reset-password")},
                    to_address=old,
                )
        except IntegrityError as exc:  # taken between the check and the write
            user.email, user.email_verified_at = old, old_verified
            raise conflict from exc
        await mail.dispatch(ids)
        return user
