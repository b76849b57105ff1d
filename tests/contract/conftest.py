"""A fithub server of its own for the contract tests, a signed-up user, and the counts they report."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import FithubServer, running_server

PASSWORD = "correct-horse-battery"
#: what each schemathesis run measured, printed at the end of the pytest run
CONTRACT_RUNS: list[dict[str, Any]] = []


@pytest.fixture(scope="package")
def contract_server() -> Iterator[FithubServer]:
    """A server only these tests use: fuzzing fills its database with junk and trips rate limits."""
    with running_server() as srv:
        yield srv


def new_token(server: FithubServer) -> str:
    """Register a fresh user (from an address of its own, past the per-address limits); its token."""
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    email = f"contract-{uuid.uuid4().hex[:12]}@example.com"
    with httpx.Client(
        base_url=server.base_url, headers={"X-Forwarded-For": address}, timeout=30
    ) as client:
        made = client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "display_name": "Contract"},
        )
        assert made.status_code == 202, made.text
        login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        return str(login.json()["access_token"])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Quote the numbers: operations fuzzed, cases run, failures, time."""
    if not CONTRACT_RUNS:
        return
    terminalreporter.section("API contract (schemathesis)")
    for run in CONTRACT_RUNS:
        terminalreporter.write_line(
            f"{run['name']}: {run['operations']} operations, {run['cases']} cases, "
            f"{run['failures']} failures, {run['seconds']:.0f} s"
        )
