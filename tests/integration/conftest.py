"""Fixtures for the integration tests on top of tests/conftest.py."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import PASSWORD, Account
from tests.integration.helpers import bearer, login_ok, random_address
from tests.support import FithubServer


@pytest.fixture
async def admin_auth(api: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    """Authorization headers of a fresh session of the ``admin`` account."""
    tokens = await login_ok(api, admin["email"], admin["password"])
    return bearer(tokens["access_token"])


def register(server: FithubServer, **profile: Any) -> Account:
    """Sign up and sign in a new user without an event loop (for module- and session-scoped fixtures)."""
    email = f"user-{uuid.uuid4().hex[:12]}@example.com"
    body = {"email": email, "password": PASSWORD, "display_name": "Test User", **profile}
    with httpx.Client(base_url=server.base_url, timeout=30,
                      headers={"X-Forwarded-For": random_address()}) as client:
        created = client.post("/api/v1/auth/register", json=body)
        assert created.status_code == 202, created.text
        login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        tokens = login.json()
        me = client.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))
        assert me.status_code == 200, me.text
    return Account(me.json()["id"], email, PASSWORD, tokens["access_token"],
                   tokens["refresh_token"], tokens["session_id"])


@pytest.fixture(scope="module")
def reader(server: FithubServer) -> Account:
    """A user shared by one module's tests that only read it (or check that nothing changed)."""
    return register(server)


@pytest.fixture(scope="module")
def shared_user(server: FithubServer) -> Account:
    """A metric user shared by one module's tests (sign-ups are slow: argon2).

    Only for tests that look at nothing but the objects they made themselves, by id.
    """
    return register(server)


@pytest.fixture(scope="module")
def shared_other_user(server: FithubServer) -> Account:
    """A second user shared by one module's tests, for the same kind of test as ``shared_user``."""
    return register(server)


class Catalog:
    """Public-catalog exercises looked up by name through ``GET /api/v1/exercises?q=``.

    ``catalog["Squat"]`` is the catalog's item for Squat (a dict with at least ``id``);
    ``catalog.id("Squat")`` its id. Look-ups are cached for the session.
    """

    def __init__(self, server: FithubServer) -> None:
        self._server = server
        self._found: dict[str, dict[str, Any]] = {}
        self._account: Account | None = None

    def __getitem__(self, name: str) -> dict[str, Any]:
        if name not in self._found:
            self._found[name] = self._lookup(name)
        return self._found[name]

    def id(self, name: str) -> int:
        return int(self[name]["id"])

    def _lookup(self, name: str) -> dict[str, Any]:
        if self._account is None:
            self._account = register(self._server)
        with httpx.Client(base_url=self._server.base_url, timeout=30,
                          headers=self._account.auth) as client:
            response = client.get("/api/v1/exercises", params={"q": name})
            if response.status_code != 200:
                pytest.fail(f"exercise search is not available (GET /api/v1/exercises?q={name} "
                            f"answered {response.status_code}): {response.text[:300]}")
            body = response.json()
            items = body["items"] if isinstance(body, dict) else body
            wanted = name.casefold()
            exact = [item for item in items if item["name"].casefold() == wanted]
            close = sorted((item for item in items if wanted in item["name"].casefold()),
                           key=lambda item: len(item["name"]))
            if not (exact or close):
                pytest.fail(f"the catalog has no exercise named {name!r}; search found "
                            f"{[item['name'] for item in items]}")
            found = dict((exact or close)[0])
            if "primary_muscles" not in found:  # a search summary: read the full exercise
                full = client.get(f"/api/v1/exercises/{found['id']}")
                if full.status_code == 200:
                    found = {**found, **full.json()}
            return found


@pytest.fixture(scope="session")
def catalog(server: FithubServer) -> Catalog:
    """Catalog exercises by name, found through the public search endpoint."""
    return Catalog(server)
