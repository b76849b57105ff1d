"""Account e-mails (verify an address, reset a password, security notices): what accounts asks for.

Accounts is the bottom layer, so it never calls notifications; it declares this small interface
instead, and the notifications domain registers its fulfiller when a process builds its runtime
(``fithub.core.bootstrap``). :func:`send_account_mail` runs inside the caller's transaction and
returns the ids of the deliveries it made; the caller hands them to :func:`dispatch` after the
commit. With no mailer registered (a bare unit test, a tool that never mails) nothing is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from tortoise.backends.base.client import BaseDBAsyncClient

from fithub.core.accounts.models import User

log = logging.getLogger("fithub.accounts.mail")


class AccountMailer(Protocol):
    """Stores one account mail of ``kind`` for ``user``; returns the ids of its deliveries.

    ``context`` is what the templates may show and keep; ``secret_context`` (links holding a
    token, as ``action_url``) is sealed at rest and wiped once sent; ``to_address`` sends the
    mail somewhere other than the account's address (a new address to confirm, the old one).
    """

    async def __call__(
        self,
        conn: BaseDBAsyncClient,
        user: User,
        kind: str,
        context: dict[str, Any],
        *,
        secret_context: dict[str, Any] | None = None,
        to_address: str | None = None,
    ) -> list[int]: ...


Dispatcher = Callable[[list[int]], Awaitable[None]]

_mailers: dict[str, tuple[AccountMailer, Dispatcher]] = {}


def register_mailer(name: str, mailer: AccountMailer, dispatcher: Dispatcher) -> None:
    """Have ``mailer`` store every account mail and ``dispatcher`` send its deliveries after the
    commit; a second call with ``name`` replaces the first."""
    _mailers[name] = (mailer, dispatcher)


def mailers() -> dict[str, AccountMailer]:
    """The registered mailers by name (a copy)."""
    return {name: mailer for name, (mailer, _) in _mailers.items()}


async def send_account_mail(
    conn: BaseDBAsyncClient,
    user: User,
    kind: str,
    context: dict[str, Any],
    *,
    secret_context: dict[str, Any] | None = None,
    to_address: str | None = None,
) -> list[int]:
    """Store the mail ``kind`` for ``user`` through every registered mailer (inside the caller's
    transaction ``conn``); the delivery ids to pass to :func:`dispatch` after the commit."""
    ids: list[int] = []
    for mailer, _ in _mailers.values():
        ids += await mailer(
            conn, user, kind, context, secret_context=secret_context, to_address=to_address
        )
    return ids


async def dispatch(ids: list[int]) -> None:
    """Send the deliveries ``ids`` now (after the commit); a failure only delays them."""
    if not ids:
        return
    for _, dispatcher in _mailers.values():
        try:
            await dispatcher(ids)
        except Exception:  # the notifications sweeper sends them anyway
            log.exception("could not dispatch %d account mail deliveries", len(ids))
