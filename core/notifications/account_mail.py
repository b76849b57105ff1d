"""The notifications domain's side of account e-mails (:mod:`fithub.core.accounts.mail`).

Each account mail becomes a notification of an urgent ``account.*``/``security.*`` kind, made by
:func:`fithub.core.notifications.inbox.create` in the account service's transaction, and its
deliveries are enqueued after the commit. Links holding a token (``action_url``) and a
``to_address`` other than the account's go into the sealed context, wiped once sent.
"""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from fithub.core.accounts.mail import AccountMailer, register_mailer
from fithub.core.accounts.models import User
from fithub.core.notifications import inbox
from fithub.core.notifications.delivery import enqueue_deliveries
from fithub.core.notifications.kinds import KINDS
from fithub.core.notifications.service import NotificationService

#: The kinds the account service may send (all urgent: no quiet hours, e-mail always on).
ACCOUNT_KINDS: frozenset[str] = frozenset(
    name for name in KINDS if name.startswith(("account.", "security."))
)


def mailer_for(service: NotificationService) -> AccountMailer:
    """An :class:`AccountMailer` storing account mails with ``service``'s channels and vault."""

    async def mail(
        conn: BaseDBAsyncClient,
        user: User,
        kind: str,
        context: dict[str, Any],
        *,
        secret_context: dict[str, Any] | None = None,
        to_address: str | None = None,
    ) -> list[int]:
        if kind not in ACCOUNT_KINDS:
            raise ValueError(f"{kind!r} is not an account mail kind")
        sealed = dict(secret_context or {})
        if to_address:
            sealed["to_address"] = to_address
        cause = inbox.Cause(
            kind=kind,
            context={"app_url": service.public_url, **context},
            dedup_key=f"account:{kind}:{uuid.uuid4().hex}",  # every mail is a cause of its own
            secret_context=sealed or None,
        )
        return await inbox.create(conn, user, cause, channels=service.channels, vault=service.vault)

    return mail


def register(service: NotificationService) -> None:
    """Make ``service`` the process's account mailer (called once the runtime is built)."""
    register_mailer("notifications", mailer_for(service), enqueue_deliveries)
