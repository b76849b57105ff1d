"""The account-mail interface: mails go through every registered mailer, and dispatching never fails."""

from __future__ import annotations

from typing import Any

import pytest

from fithub.core.accounts import mail
from fithub.core.accounts.models import User


@pytest.fixture(autouse=True)
def no_mailers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mail, "_mailers", {})


async def test_without_a_mailer_nothing_is_sent() -> None:
    assert await mail.send_account_mail(None, User(id=1), "account.verify_email", {}) == []  # type: ignore[arg-type]
    await mail.dispatch([1, 2])  # nobody to hand them to: no error


async def test_every_mailer_stores_and_every_dispatcher_sends() -> None:
    stored: list[tuple[str, dict[str, Any], dict[str, Any] | None, str | None]] = []
    dispatched: list[list[int]] = []

    async def mailer(conn: Any, user: User, kind: str, context: dict[str, Any], *,
                     secret_context: dict[str, Any] | None = None,
                     to_address: str | None = None) -> list[int]:
        stored.append((kind, context, secret_context, to_address))
        return [user.id * 10]

    async def dispatcher(ids: list[int]) -> None:
        dispatched.append(ids)

    async def broken(ids: list[int]) -> None:
        raise RuntimeError("the broker is down")

    mail.register_mailer("first", mailer, broken)
    mail.register_mailer("second", mailer, dispatcher)
    ids = await mail.send_account_mail(
        None, User(id=4), "account.email_change", {"new_email": "b@x.example"},  # type: ignore[arg-type]
        secret_context={"action_url": "https://x/confirm?token=t"}, to_address="b@x.example",
    )
    assert ids == [40, 40]
    assert stored[0] == ("account.email_change", {"new_email": "b@x.example"},
                         {"action_url": "https://x/confirm?token=t"}, "b@x.example")
    await mail.dispatch(ids)  # the broken dispatcher is logged, the other still runs
    assert dispatched == [[40, 40]]
    await mail.dispatch([])
    assert dispatched == [[40, 40]]
    assert set(mail.mailers()) == {"first", "second"}
