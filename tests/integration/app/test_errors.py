"""Every failure answers one shape: RFC 9457 problem details with code, errors and request_id."""

from __future__ import annotations

import asyncio
import json
import uuid

from tests.conftest import PASSWORD
from tests.integration.helpers import (
    assert_problem,
    bearer,
    error_fields,
    login,
    login_ok,
    random_email,
)
from tests.support import DEFAULT_TEST_ENV

MAX_BODY = int(DEFAULT_TEST_ENV["FITHUB_MAX_BODY_BYTES"])
LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"
JSON = {"Content-Type": "application/json"}


async def test_400_malformed_json(api):
    response = await api.post(
        LOGIN, content=b'{"email": "a@example.com", "password": ', headers=JSON
    )
    body = assert_problem(response, 400, "malformed_json")
    assert body["type"] == "https://fithub.dev/problems/malformed-json"


async def test_401_without_credentials(api):
    response = await api.get("/api/v1/users/me")
    assert_problem(response, 401, "auth_required")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_403_for_a_normal_user_on_an_admin_endpoint(api, reader):
    for method, path in (
        ("GET", "/api/v1/admin/audit-events"),
        ("POST", "/api/v1/admin/jobs/purge-sessions"),
    ):
        response = await api.request(method, path, headers=reader.auth)
        assert_problem(response, 403, "forbidden")


async def test_404_unknown_route(api):
    path = f"/api/v1/no-such-thing-{uuid.uuid4().hex[:8]}"
    assert_problem(await api.get(path), 404, "not_found")
    assert_problem(await api.post(path, json={}), 404, "not_found")


async def test_404_unknown_session(api, reader):
    response = await api.delete(f"/api/v1/sessions/{uuid.uuid4()}", headers=reader.auth)
    assert_problem(response, 404, "not_found")


async def test_405_with_allow_header(api, reader):
    response = await api.put("/api/v1/users/me", headers=reader.auth, json={"display_name": "X"})
    assert_problem(response, 405, "method_not_allowed")
    allowed = {method.strip() for method in response.headers["allow"].split(",")}
    assert {"GET", "PATCH", "DELETE"} <= allowed
    assert "PUT" not in allowed
    assert (await api.get("/api/v1/users/me", headers=reader.auth)).json()["display_name"] != "X"


async def test_409_conflict(api, reader):
    from tests.integration.coaching_world import V1, invite, make_trainer

    trainer = await make_trainer(api)
    await invite(api, trainer, reader.email)
    response = await api.post(
        f"{V1}/coaching/invitations", headers=trainer.auth, json={"email": reader.email}
    )
    assert_problem(response, 409, "relation_exists")


def _oversized_login() -> bytes:
    body = json.dumps({"email": "a@example.com", "password": "p" * MAX_BODY}).encode()
    assert len(body) > MAX_BODY
    return body


async def test_413_with_content_length(api):
    response = await api.post(LOGIN, content=_oversized_login(), headers=JSON)
    assert_problem(response, 413, "payload_too_large")


async def test_413_chunked(api):
    body = _oversized_login()

    async def chunks():
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    response = await api.post(LOGIN, content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_problem(response, 413, "payload_too_large")


async def test_a_body_just_under_the_limit_is_read(api):
    """The control for the 413 tests: size alone decides, not the content."""
    body = json.dumps({"email": "a@example.com", "password": "p" * (MAX_BODY - 100)}).encode()
    assert len(body) < MAX_BODY
    response = await api.post(LOGIN, content=body, headers=JSON)
    assert error_fields(assert_problem(response, 422)) == {"password"}


async def test_415_form_body_to_a_json_endpoint(api):
    response = await api.post(LOGIN, data={"email": "a@example.com", "password": PASSWORD})
    assert_problem(response, 415, "unsupported_media_type")
    response = await api.post(
        LOGIN, content=b'{"email": "a@example.com"}', headers={"Content-Type": "text/plain"}
    )
    assert_problem(response, 415, "unsupported_media_type")


async def test_422_wrong_types(api):
    response = await api.post(
        REGISTER,
        json={
            "email": random_email(),
            "password": 12345678901,
            "display_name": ["a"],
            "height_cm": "tall",
        },
    )
    body = assert_problem(response, 422, "validation_failed")
    assert error_fields(body) == {"password", "display_name", "height_cm"}
    for item in body["errors"]:
        assert set(item) >= {"field", "message", "type"}


async def test_422_missing_fields(api):
    body = assert_problem(await api.post(REGISTER, json={}), 422, "validation_failed")
    assert error_fields(body) == {"email", "password", "display_name"}


async def test_422_extra_fields(api):
    response = await api.post(
        LOGIN, json={"email": "a@example.com", "password": PASSWORD, "remember_me": True}
    )
    body = assert_problem(response, 422, "validation_failed")
    assert error_fields(body) == {"remember_me"}


async def test_422_json_array_or_scalar_instead_of_object(api):
    for payload in ([{"email": "a@example.com", "password": PASSWORD}], "text", 42, None):
        response = await api.post(LOGIN, content=json.dumps(payload).encode(), headers=JSON)
        assert_problem(response, 422, "validation_failed")


async def test_422_bad_query_string(api, reader):
    response = await api.get("/api/v1/sessions", headers=reader.auth, params={"limit": "many"})
    assert error_fields(assert_problem(response, 422, "validation_failed")) == {"limit"}


async def test_429_rate_limited(api):
    """An address without an account is throttled like a real one (no account enumeration)."""
    email = random_email()
    for _ in range(int(DEFAULT_TEST_ENV["FITHUB_LOGIN_MAX_PER_ACCOUNT"])):
        assert_problem(await login(api, email, "a-guess"), 401)
    response = await login(api, email, "a-guess")
    assert_problem(response, 429, "rate_limited")
    assert int(response.headers["retry-after"]) >= 1


async def test_problem_type_is_derived_from_the_code(api, reader):
    response = await api.get("/api/v1/admin/audit-events", headers=reader.auth)
    body = assert_problem(response, 403)
    assert body["type"] == "https://fithub.dev/problems/" + body["code"].replace("_", "-")
    assert body["title"] == "Forbidden"


async def _read_response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One HTTP/1.1 response (with Content-Length) from a raw connection: head and body."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.lower().split(b"\r\n")
        if line.startswith(b"content-length:")
    )
    return head, await asyncio.wait_for(reader.readexactly(length), timeout=10)


async def test_an_early_error_does_not_break_keep_alive(server):
    """A 405 decided before the body arrives must not leave the client a dead connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        body = b'{"display_name": "X"}'
        writer.write(
            b"PUT /api/v1/users/me HTTP/1.1\r\nHost: fithub\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        await writer.drain()
        try:  # the server may answer before the body arrives, but then must say it closes
            early = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=0.5)
        except TimeoutError:
            early = None
        if early is not None:
            assert b"405" in early.split(b"\r\n", 1)[0]
            assert b"connection: close" in early.lower(), early.decode()
            return
        writer.write(body + b"GET /health HTTP/1.1\r\nHost: fithub\r\n\r\n")
        await writer.drain()
        first, _ = await _read_response(reader)
        assert first.startswith(b"HTTP/1.1 405"), first
        second, health = await _read_response(reader)  # the same connection still works
        assert second.startswith(b"HTTP/1.1 200"), second
        assert json.loads(health)["status"] == "ok"
    finally:
        writer.close()


async def test_413_announces_that_the_connection_closes(api):
    response = await api.post(LOGIN, content=_oversized_login(), headers=JSON)
    assert_problem(response, 413, "payload_too_large")
    assert response.headers["connection"] == "close"


# -- a failed request changes nothing --------------------------------------------------------


async def test_failed_patch_leaves_the_profile_unchanged(api, user):
    before = (await api.get("/api/v1/users/me", headers=user.auth)).json()
    response = await api.patch(
        "/api/v1/users/me",
        headers=user.auth,
        json={"display_name": "Changed", "timezone": "Nowhere/Atlantis"},
    )
    assert error_fields(assert_problem(response, 422)) == {"timezone"}
    response = await api.patch(
        "/api/v1/users/me", headers=user.auth, json={"display_name": "Changed", "privacy": None}
    )
    assert_problem(response, 422)
    after = (await api.get("/api/v1/users/me", headers=user.auth)).json()
    assert after == before


async def test_failed_registration_stores_nothing(api):
    email = random_email()
    bad = await api.post(
        REGISTER,
        json={
            "email": email,
            "password": PASSWORD,
            "display_name": "A",
            "timezone": "Nowhere/Atlantis",
        },
    )
    assert_problem(bad, 422)
    assert_problem(await login(api, email, PASSWORD), 401, "bad_credentials")
    good = await api.post(
        REGISTER, json={"email": email, "password": PASSWORD, "display_name": "A"}
    )
    assert good.status_code == 202, good.text
    await login_ok(api, email, PASSWORD)  # the account exists now


async def test_failed_password_change_keeps_sessions_and_password(api, user):
    other = await login_ok(api, user.email, PASSWORD)
    response = await api.post(
        "/api/v1/users/me/password",
        headers=user.auth,
        json={"current_password": "wrong-password", "new_password": "x" * 12},
    )
    assert_problem(response, 401, "wrong_password")
    assert (
        await api.get("/api/v1/users/me", headers=bearer(other["access_token"]))
    ).status_code == 200
    await login_ok(api, user.email, PASSWORD)
