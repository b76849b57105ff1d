"""Account e-mails end to end: a real server mailing through a real SMTP server (aiosmtpd).

Registration that tells nobody which addresses are taken, verifying an address, resetting a
forgotten password, changing the address, and the security notices, each read from the mail
that arrived.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from tortoise.transactions import in_transaction

from fithub.core.accounts import mail as account_mail
from fithub.core.accounts.links import RESET
from fithub.core.accounts.models import User
from fithub.core.accounts.services import AccountService
from fithub.core.config import Settings
from fithub.core.context import ClientInfo
from fithub.core.errors import BadRequest
from fithub.core.keys import load_or_create_keys
from fithub.core.ratelimit import MemoryLimiter
from fithub.core.security.tokens import TokenIssuer
from tests.conftest import PASSWORD, sign_up
from tests.integration.helpers import (
    assert_problem,
    bearer,
    login,
    login_ok,
    random_address,
    random_email,
)
from tests.integration.notifiers.smtp_server import SMTPServer
from tests.support import DEFAULT_TEST_ENV, FithubServer, in_process_database, running_server

# The test relay takes AUTH without TLS (loopback only); aiosmtpd warns about that on each connection.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

V1 = "/api/v1"
NEW_PASSWORD = "a-brand-new-passphrase"
TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_-]+)")
MAIL_WITHIN_S = 30.0

SUBJECTS = {
    "account.verify_email": "Confirm your e-mail address",
    "account.signup_attempt": "Someone tried to sign up with your address",
    "account.password_reset": "Reset your fithub password",
    "account.email_change": "Confirm your new e-mail address",
    "security.email_changed": "Your e-mail address was changed",
    "security.new_sign_in": "New sign-in to your fithub account",
    "security.password_changed": "Your password was changed",
}


@pytest.fixture(scope="module")
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def mail_server(smtp: SMTPServer) -> Iterator[FithubServer]:
    """A server whose e-mail notifier sends to ``smtp``."""
    env = {f"FITHUB_NOTIFIER_EMAIL_{k.upper()}": v for k, v in smtp.settings().items()}
    with running_server(env) as srv:
        yield srv


@pytest.fixture
async def client(mail_server: FithubServer) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"X-Forwarded-For": random_address()}
    async with httpx.AsyncClient(
        base_url=mail_server.base_url, headers=headers, timeout=30
    ) as http:
        yield http


def mails_to(smtp: SMTPServer, address: str, kind: str) -> list[EmailMessage]:
    return [
        m
        for m in list(smtp.mails)
        if address in str(m["To"]) and str(m["Subject"]) == SUBJECTS[kind]
    ]


async def mail_to(smtp: SMTPServer, address: str, kind: str) -> EmailMessage:
    """The first mail of ``kind`` to ``address``, waiting for it up to MAIL_WITHIN_S."""
    deadline = time.monotonic() + MAIL_WITHIN_S
    while not (found := mails_to(smtp, address, kind)):
        assert time.monotonic() < deadline, f"no {kind} mail to {address} within {MAIL_WITHIN_S} s"
        await asyncio.sleep(0.2)
    return found[0]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def token_in(message: EmailMessage) -> str:
    found = TOKEN.search(text_of(message))
    assert found, text_of(message)
    return found.group(1)


async def me(http: httpx.AsyncClient, access_token: str) -> dict[str, object]:
    response = await http.get(f"{V1}/users/me", headers=bearer(access_token))
    assert response.status_code == 200, response.text
    return dict(response.json())


# -- registration and verification ------------------------------------------------------------------


async def test_a_taken_address_is_answered_like_a_new_one_and_its_owner_is_told(client, smtp):
    email = random_email("signup")
    body = {"email": email, "password": PASSWORD, "display_name": "Ada"}
    new = await client.post(f"{V1}/auth/register", json=body)
    taken = await client.post(
        f"{V1}/auth/register", json={**body, "password": "another-password", "display_name": "Eve"}
    )
    assert new.status_code == taken.status_code == 202, (new.text, taken.text)
    assert new.json() == taken.json()
    assert new.json()["status"] == "verification_sent"

    attempt = await mail_to(smtp, email, "account.signup_attempt")
    assert "already have one" in text_of(attempt)
    await mail_to(smtp, email, "account.verify_email")
    assert len(mails_to(smtp, email, "account.verify_email")) == 1  # no second account
    assert_problem(await login(client, email, "another-password"), 401, "bad_credentials")
    tokens = await login_ok(client, email, PASSWORD)
    assert (await me(client, tokens["access_token"]))["display_name"] == "Ada"


async def test_the_mailed_link_verifies_the_address_once(client, smtp):
    account = await sign_up(client)
    assert (await me(client, account.access_token))["email_verified"] is False
    token = token_in(await mail_to(smtp, account.email, "account.verify_email"))

    verified = await client.post(f"{V1}/auth/verify-email", json={"token": token})
    assert verified.status_code == 200, verified.text
    assert verified.json()["email_verified"] is True
    assert (await me(client, account.access_token))["email_verified"] is True

    again = await client.post(f"{V1}/auth/verify-email", json={"token": token})
    assert_problem(again, 400, "account_token_used")
    unknown = await client.post(f"{V1}/auth/verify-email", json={"token": "x" * 43})
    assert_problem(unknown, 400, "invalid_account_token")
    resend = await client.post(f"{V1}/auth/verify-email/resend", headers=account.auth)
    assert_problem(resend, 409, "email_already_verified")


async def test_a_new_verification_link_can_be_asked_for(client, smtp):
    account = await sign_up(client)
    first = token_in(await mail_to(smtp, account.email, "account.verify_email"))
    resent = await client.post(f"{V1}/auth/verify-email/resend", headers=account.auth)
    assert resent.status_code == 202, resent.text
    deadline = time.monotonic() + MAIL_WITHIN_S
    while len(mails_to(smtp, account.email, "account.verify_email")) < 2:
        assert time.monotonic() < deadline, "the second verification mail did not arrive"
        await asyncio.sleep(0.2)
    second = token_in(mails_to(smtp, account.email, "account.verify_email")[1])
    assert second != first
    verified = await client.post(f"{V1}/auth/verify-email", json={"token": second})
    assert verified.status_code == 200 and verified.json()["email_verified"] is True


# -- a forgotten password ---------------------------------------------------------------------------


async def test_a_password_reset_ends_every_session_and_lifts_the_lockout(client, smtp):
    account = await sign_up(client)
    for _ in range(int(DEFAULT_TEST_ENV["FITHUB_LOGIN_MAX_PER_ACCOUNT"])):
        assert_problem(await login(client, account.email, "wrong-password"), 401)
    assert_problem(await login(client, account.email, PASSWORD), 429, "rate_limited")

    asked = await client.post(f"{V1}/auth/password-reset", json={"email": account.email.upper()})
    nobody = await client.post(f"{V1}/auth/password-reset", json={"email": random_email()})
    assert asked.status_code == nobody.status_code == 202
    assert asked.json() == nobody.json()
    token = token_in(await mail_to(smtp, account.email, "account.password_reset"))

    reset = await client.post(
        f"{V1}/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert reset.status_code == 204, reset.text
    refreshed = await client.post(
        f"{V1}/auth/refresh", json={"refresh_token": account.refresh_token}
    )
    assert_problem(refreshed, 401)
    assert_problem(await client.get(f"{V1}/users/me", headers=account.auth), 401)
    assert_problem(await login(client, account.email, PASSWORD), 401, "bad_credentials")
    await login_ok(client, account.email, NEW_PASSWORD)  # the lockout is lifted
    await mail_to(smtp, account.email, "security.password_changed")

    again = await client.post(
        f"{V1}/auth/password-reset/confirm", json={"token": token, "new_password": PASSWORD}
    )
    assert_problem(again, 400, "account_token_used")
    await login_ok(client, account.email, NEW_PASSWORD)


async def test_a_reset_link_expires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At the service, with explicit times: the link works until its expiry, not after."""
    monkeypatch.setattr(account_mail, "_mailers", {})  # this process mails nothing
    settings = Settings(env="test", password_hashing="test-only-fast", data_dir=tmp_path)
    keys = load_or_create_keys(tmp_path)
    service = AccountService(settings, TokenIssuer(keys, "fithub", 60), MemoryLimiter())
    client = ClientInfo(ip_address="127.0.0.1")
    async with in_process_database(tmp_path):
        user = await service.register(
            client, email=random_email(), password=PASSWORD, display_name="Ada"
        )
        issued = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        ttl = timedelta(seconds=settings.account_token_ttl_s)
        async with in_transaction() as conn:
            late, expires = await service.issue_token(
                conn, user, RESET, email=user.email, now=issued
            )
            timely, _ = await service.issue_token(conn, user, RESET, email=user.email, now=issued)
        assert expires == issued + ttl

        with pytest.raises(BadRequest) as expired:
            await service.reset_password(client, late, NEW_PASSWORD, now=expires)
        assert expired.value.code == "account_token_expired"
        before = (await User.get(id=user.id)).password_hash

        await service.reset_password(
            client, timely, NEW_PASSWORD, now=expires - timedelta(seconds=1)
        )
        assert (await User.get(id=user.id)).password_hash != before
        with pytest.raises(BadRequest) as used:
            await service.reset_password(
                client, timely, PASSWORD, now=expires - timedelta(seconds=1)
            )
        assert used.value.code == "account_token_used"


# -- a new address ----------------------------------------------------------------------------------


async def test_a_new_address_is_confirmed_from_it_and_the_old_one_is_told(client, smtp):
    account = await sign_up(client)
    new_email = random_email("moved")
    wrong = await client.post(
        f"{V1}/users/me/email",
        headers=account.auth,
        json={"new_email": new_email, "password": "wrong-password"},
    )
    assert_problem(wrong, 401, "wrong_password")
    asked = await client.post(
        f"{V1}/users/me/email",
        headers=account.auth,
        json={"new_email": new_email.upper(), "password": PASSWORD},
    )
    assert asked.status_code == 202, asked.text
    assert (await me(client, account.access_token))["email"] == account.email  # not yet
    token = token_in(await mail_to(smtp, new_email, "account.email_change"))

    confirmed = await client.post(
        f"{V1}/users/me/email/confirm", headers=account.auth, json={"token": token}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["email"], confirmed.json()["email_verified"]) == (new_email, True)
    notice = await mail_to(smtp, account.email, "security.email_changed")
    assert new_email in text_of(notice)
    assert_problem(await login(client, account.email, PASSWORD), 401, "bad_credentials")
    await login_ok(client, new_email, PASSWORD)
    again = await client.post(
        f"{V1}/users/me/email/confirm", headers=account.auth, json={"token": token}
    )
    assert_problem(again, 400, "account_token_used")


async def test_an_address_taken_meanwhile_is_not_changed_to(client, smtp):
    account = await sign_up(client)
    wanted = random_email("wanted")
    asked = await client.post(
        f"{V1}/users/me/email",
        headers=account.auth,
        json={"new_email": wanted, "password": PASSWORD},
    )
    assert asked.status_code == 202, asked.text
    token = token_in(await mail_to(smtp, wanted, "account.email_change"))
    taken = await client.post(
        f"{V1}/auth/register", json={"email": wanted, "password": PASSWORD, "display_name": "Bo"}
    )
    assert taken.status_code == 202, taken.text
    confirmed = await client.post(
        f"{V1}/users/me/email/confirm", headers=account.auth, json={"token": token}
    )
    assert_problem(confirmed, 409, "email_taken")
    assert (await me(client, account.access_token))["email"] == account.email


# -- security notices -------------------------------------------------------------------------------


async def test_a_sign_in_from_a_new_device_and_a_password_change_are_told(client, smtp):
    account = await sign_up(client)  # its first sign-in is no news
    phone = await login_ok(
        client, account.email, PASSWORD, headers={"User-Agent": "FitPhone/2.0 (test)"}
    )
    notice = await mail_to(smtp, account.email, "security.new_sign_in")
    assert "FitPhone/2.0 (test)" in text_of(notice)
    await login_ok(client, account.email, PASSWORD)  # a known device again
    changed = await client.post(
        f"{V1}/users/me/password",
        headers=bearer(phone["access_token"]),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204, changed.text
    await mail_to(smtp, account.email, "security.password_changed")
    assert len(mails_to(smtp, account.email, "security.new_sign_in")) == 1


# -- one-click unsubscribe --------------------------------------------------------------------------


async def test_a_verified_persons_other_mail_carries_a_working_unsubscribe_link(client, smtp):
    spec = (await client.get("/openapi.json")).json()
    route = f"{V1}/notifications/unsubscribe/{{token}}"
    if route not in spec.get("paths", {}):
        pytest.skip(f"POST {route} is not there yet (the notifications API adds it)")
    from tests.integration.coaching_world import invite, make_trainer

    account = await sign_up(client)
    token = token_in(await mail_to(smtp, account.email, "account.verify_email"))
    assert (await client.post(f"{V1}/auth/verify-email", json={"token": token})).status_code == 200
    trainer = await make_trainer(client)
    await invite(client, trainer, account.email)
    invited = await _any_mail_to(smtp, account.email, exclude=set(SUBJECTS.values()))
    link = re.search(r"(https?://\S+/notifications/unsubscribe/\S+)", text_of(invited))
    assert link, text_of(invited)
    assert "List-Unsubscribe" not in invited  # only for an https public address
    path = link.group(1).split("/api/v1", 1)[1]
    answered = await client.post(f"{V1}{path}", data={"List-Unsubscribe": "One-Click"})
    assert answered.status_code == 200, answered.text
    table = await client.get(f"{V1}/notifications/preferences", headers=account.auth)
    rows = {row["kind"]: row["channels"] for row in table.json()["items"]}
    assert rows["coaching.invited"]["email"] is False


async def _any_mail_to(smtp: SMTPServer, address: str, *, exclude: set[str]) -> EmailMessage:
    deadline = time.monotonic() + MAIL_WITHIN_S
    while True:
        for message in list(smtp.mails):
            if address in str(message["To"]) and str(message["Subject"]) not in exclude:
                return message
        assert time.monotonic() < deadline, f"no other mail to {address}"
        await asyncio.sleep(0.2)
