"""Fixtures for the integration tests on top of tests/conftest.py."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.helpers import bearer, login_ok


@pytest.fixture
async def admin_auth(api: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    """Authorization headers of a fresh session of the ``admin`` account."""
    tokens = await login_ok(api, admin["email"], admin["password"])
    return bearer(tokens["access_token"])
