"""Sign-in throttling: per account (FITHUB_LOGIN_MAX_PER_ACCOUNT=5) and per address (…=20)."""

from __future__ import annotations

from tests.conftest import PASSWORD, sign_up
from tests.integration.helpers import assert_problem, login, login_ok, random_address, random_email
from tests.support import DEFAULT_TEST_ENV

PER_ACCOUNT = int(DEFAULT_TEST_ENV["FITHUB_LOGIN_MAX_PER_ACCOUNT"])
PER_ADDRESS = int(DEFAULT_TEST_ENV["FITHUB_LOGIN_MAX_PER_ADDRESS"])
WINDOW = 900  # FITHUB_LOGIN_WINDOW_SECONDS default


def assert_throttled(response) -> None:
    assert_problem(response, 429, "rate_limited")
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= WINDOW


async def test_account_is_locked_after_too_many_wrong_passwords(api, user, other_user):
    # Case variants of the address count against the same account.
    for attempt in range(PER_ACCOUNT):
        email = user.email.upper() if attempt % 2 else user.email
        assert_problem(await login(api, email, f"wrong-{attempt}"), 401, "bad_credentials")

    assert_throttled(await login(api, user.email, PASSWORD))  # even the right password
    assert_throttled(
        await login(api, user.email, PASSWORD, headers={"X-Forwarded-For": random_address()})
    )

    # Another account from the very same address is unaffected.
    await login_ok(api, other_user.email, PASSWORD)


async def test_a_successful_login_resets_the_account_counter(api, user):
    for attempt in range(PER_ACCOUNT - 1):
        assert_problem(await login(api, user.email, f"wrong-{attempt}"), 401, "bad_credentials")
    await login_ok(api, user.email, PASSWORD)
    # Without the reset this would be the limit-th failure, and the next attempt a 429.
    assert_problem(await login(api, user.email, "wrong-again"), 401, "bad_credentials")
    await login_ok(api, user.email, PASSWORD)


async def test_address_is_throttled_across_accounts(api):
    victim = await sign_up(api)  # one sign-in from the fixture's address, not the one below
    address = random_address()
    for _ in range(PER_ADDRESS):
        # As our trusted proxy forwards it: whatever the client claimed, then what the proxy saw.
        spoofed = {"X-Forwarded-For": f"{random_address()}, {address}"}
        response = await login(api, random_email(), "some-guess", headers=spoofed)
        assert_problem(response, 401, "bad_credentials")

    plain = {"X-Forwarded-For": address}
    assert_throttled(await login(api, victim.email, PASSWORD, headers=plain))
    assert_throttled(await login(api, random_email(), "some-guess", headers=plain))

    # The account itself is not locked, and another address still gets in.
    await login_ok(api, victim.email, PASSWORD, headers={"X-Forwarded-For": random_address()})
