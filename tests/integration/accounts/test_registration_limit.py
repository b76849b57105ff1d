"""Sign-ups are limited per client address (FITHUB_REGISTER_MAX_PER_ADDRESS a window), like sign-ins."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from fithub.core.config import Settings
from tests.conftest import PASSWORD
from tests.integration.helpers import assert_problem, random_address, random_email
from tests.support import FithubServer

REGISTER = "/api/v1/auth/register"


@pytest.fixture
def limit(server: FithubServer) -> int:
    """The server's sign-ups per address per window (the default unless the test env sets one)."""
    default = Settings.model_fields["register_max_per_address"].default
    return int(server.env.get("FITHUB_REGISTER_MAX_PER_ADDRESS", default))


@pytest.fixture
def window(server: FithubServer) -> int:
    default = Settings.model_fields["register_window_seconds"].default
    return int(server.env.get("FITHUB_REGISTER_WINDOW_SECONDS", default))


def body(email: str | None = None) -> dict[str, str]:
    return {"email": email or random_email(), "password": PASSWORD, "display_name": "Limit"}


async def register(api: httpx.AsyncClient, address: str, email: str | None = None) -> httpx.Response:
    return await api.post(REGISTER, json=body(email), headers={"X-Forwarded-For": address})


async def test_parallel_sign_ups_from_one_address_stop_at_the_limit(api, limit, window):
    """The reported attack: 40 at once all succeeded. Now exactly ``limit`` do, the rest get 429."""
    address = random_address()
    answers = await asyncio.gather(*(register(api, address) for _ in range(max(40, limit + 5))))
    statuses = [r.status_code for r in answers]
    assert statuses.count(202) == limit, statuses
    assert statuses.count(429) == len(answers) - limit, statuses
    for refused in (r for r in answers if r.status_code == 429):
        assert_problem(refused, 429, "rate_limited")
        assert 1 <= int(refused.headers["retry-after"]) <= window
        assert refused.headers["cache-control"] == "no-store"


async def test_taken_addresses_count_too_and_another_address_is_unaffected(api, limit):
    """Sign-ups with a taken address (answered like any other) use up the same budget."""
    address, taken = random_address(), random_email()
    assert (await register(api, address, taken)).status_code == 202
    for _ in range(limit - 1):
        assert (await register(api, address, taken)).status_code == 202
    assert_problem(await register(api, address, taken), 429, "rate_limited")
    assert_problem(await register(api, address), 429, "rate_limited")
    assert (await register(api, random_address())).status_code == 202
    sign_in = await api.post("/api/v1/auth/login", json={"email": taken, "password": PASSWORD},
                             headers={"X-Forwarded-For": address})  # fmt: skip
    assert sign_in.status_code == 200, "signing in has limits of its own"


async def test_throttled_sign_ups_are_audited(api, limit, admin_auth):
    address = random_address()
    for _ in range(limit):
        await register(api, address)
    assert_problem(await register(api, address), 429, "rate_limited")
    events = await api.get("/api/v1/admin/audit-events", headers=admin_auth,
                           params={"action": "auth.register_throttled", "limit": 100})  # fmt: skip
    assert events.status_code == 200, events.text
    mine = [e for e in events.json()["items"] if e["ip_address"] == address]
    assert len(mine) == 1 and mine[0]["subject_id"] is None
