"""Small helpers shared by the integration tests: problem-details checks, logins, addresses."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code", "errors", "request_id"}


def random_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def random_address() -> str:
    """A client address for X-Forwarded-For that no other test uses (172.16/12, unlike the fixture)."""
    n = uuid.uuid4().int
    return f"172.{16 + n % 16}.{(n >> 8) % 256}.{(n >> 16) % 254 + 1}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    """Check that ``response`` is an RFC 9457 problem with our extensions; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body = response.json()
    assert set(body) == PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["type"].startswith("https://fithub.dev/problems/")
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["instance"] == response.request.url.path
    assert isinstance(body["errors"], list)
    assert body["request_id"] and body["request_id"] == response.headers["x-request-id"]
    if code is not None:
        assert body["code"] == code, body
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    """The ``field`` of each per-field error in a problem body."""
    return {item["field"] for item in body["errors"]}


async def login(api: httpx.AsyncClient, email: str, password: str, **kwargs: Any) -> httpx.Response:
    return await api.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, **kwargs
    )


async def login_ok(
    api: httpx.AsyncClient, email: str, password: str, **kwargs: Any
) -> dict[str, Any]:
    """Log in and return the token pair, failing the test unless it worked."""
    response = await login(api, email, password, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()
