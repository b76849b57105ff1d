"""Fixtures shared by the whole suite: a live server, HTTP clients and signed-up users."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.support import FithubServer, running_server

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def server() -> Iterator[FithubServer]:
    """One fithub server for the session; fails the run if it ever logged an unhandled error."""
    with running_server() as srv:
        yield srv


@pytest.fixture
async def api(server: FithubServer) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the live server, with a fresh client address for each test."""
    headers = {"X-Forwarded-For": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=30) as client:
        yield client


@dataclass
class Account:
    """A signed-up, signed-in user."""

    id: int
    email: str
    password: str
    access_token: str
    refresh_token: str
    session_id: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def sign_up(api: httpx.AsyncClient, **profile: object) -> Account:
    email = f"user-{uuid.uuid4().hex[:12]}@example.com"
    body = {"email": email, "password": PASSWORD, "display_name": "Test User", **profile}
    created = await api.post("/api/v1/auth/register", json=body)
    assert created.status_code == 202, created.text
    login = await api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    tokens = login.json()
    me = await api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200, me.text
    return Account(me.json()["id"], email, PASSWORD, tokens["access_token"],
                   tokens["refresh_token"], tokens["session_id"])


@pytest.fixture
async def user(api: httpx.AsyncClient) -> Account:
    return await sign_up(api)


@pytest.fixture
async def other_user(api: httpx.AsyncClient) -> Account:
    return await sign_up(api)


def create_admin(server: FithubServer) -> dict[str, str]:
    """Credentials of a new administrator of ``server``, made with ``fithub create-admin``."""
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    made = server.run_cli("create-admin", "--email", email, "--password", PASSWORD)
    assert made.returncode == 0, made.stderr
    return {"email": email, "password": PASSWORD}


@pytest.fixture(scope="session")
def admin(server: FithubServer) -> dict[str, str]:
    """Credentials of an administrator made with ``fithub create-admin``."""
    return create_admin(server)
