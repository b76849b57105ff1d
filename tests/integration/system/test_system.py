"""Operations surface: health, readiness, metrics, API docs, request ids and logs."""

from __future__ import annotations

import json
import re
import uuid

from tests.conftest import PASSWORD
from tests.integration.helpers import bearer, login, login_ok, random_email

ACCOUNT_PATHS = {
    "/api/v1/auth/register",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
    "/api/v1/auth/logout-all",
    "/api/v1/sessions",
    "/api/v1/sessions/{session_id}",
    "/api/v1/users/me",
    "/api/v1/users/me/password",
    "/api/v1/users/me/email",
    "/api/v1/users/me/email/confirm",
    "/api/v1/auth/verify-email",
    "/api/v1/auth/verify-email/resend",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password-reset/confirm",
    "/api/v1/audit-events",
}


async def test_health(api):
    response = await api.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["version"]


async def test_ready_checks_database_and_broker(api):
    response = await api.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def _request_counts(metrics_text: str) -> dict[tuple[str, str, str], float]:
    counts = {}
    pattern = re.compile(
        r'^fithub_http_requests_total\{method="([^"]*)",route="([^"]*)",status="([^"]*)"\} (\S+)$'
    )
    for line in metrics_text.splitlines():
        match = pattern.match(line)
        if match:
            counts[match.group(1, 2, 3)] = float(match.group(4))
    return counts


async def test_metrics_count_requests_by_route_template(api, user):
    phone = await login_ok(api, user.email, PASSWORD)
    before = _request_counts((await api.get("/metrics")).text)

    revoked = await api.delete(f"/api/v1/sessions/{phone['session_id']}", headers=user.auth)
    assert revoked.status_code == 204
    missing = f"/no-such-page-{uuid.uuid4().hex}"
    assert (await api.get(missing)).status_code == 404

    response = await api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE fithub_http_requests_total counter" in text
    assert "fithub_http_request_duration_seconds_bucket" in text
    after = _request_counts(text)
    key = ("DELETE", "/api/v1/sessions/<session_id>", "204")
    assert after[key] == before.get(key, 0) + 1
    unmatched = ("GET", "<unmatched>", "404")
    assert after[unmatched] >= before.get(unmatched, 0) + 1
    assert phone["session_id"] not in text and missing not in text  # never raw paths


async def test_openapi_lists_account_paths_and_bearer_auth(api):
    response = await api.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "fithub"
    assert ACCOUNT_PATHS <= set(spec["paths"])
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert spec["paths"]["/api/v1/users/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert "security" not in spec["paths"]["/api/v1/auth/login"]["post"]


async def test_docs_page_is_html(api):
    response = await api.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger" in response.text.lower()


async def test_request_id_is_echoed(api):
    request_id = f"req-{uuid.uuid4().hex}"
    response = await api.get("/health", headers={"X-Request-ID": request_id})
    assert response.headers["x-request-id"] == request_id


async def test_request_id_is_generated_when_missing_or_hostile(api):
    hostile = ["a b<script>", "x" * 65, "line\tbreak", "../../etc/passwd", "ümlaut"]
    seen = set()
    for value in [None, *hostile]:
        headers = {} if value is None else {"X-Request-ID": value.encode("utf-8")}
        response = await api.get("/health", headers=headers)
        generated = response.headers["x-request-id"]
        assert generated != value
        assert re.fullmatch(r"[0-9a-f]{32}", generated), generated
        seen.add(generated)
    assert len(seen) == 1 + len(hostile)  # a fresh one each time


async def test_request_id_is_in_error_bodies(api):
    response = await api.get("/api/v1/users/me", headers={"X-Request-ID": "trace-me-1"})
    assert response.status_code == 401
    assert response.json()["request_id"] == response.headers["x-request-id"] == "trace-me-1"


async def test_logs_are_json_lines_without_secrets(api, server):
    password = f"secret-{uuid.uuid4().hex}"
    wrong = f"wrong-{uuid.uuid4().hex}"
    email = random_email()
    request_id = f"log-{uuid.uuid4().hex}"
    registered = await api.post(
        "/api/v1/auth/register",
        headers={"X-Request-ID": request_id},
        json={"email": email, "password": password, "display_name": "Log"},
    )
    assert registered.status_code == 202
    assert (await login(api, email, wrong)).status_code == 401
    pair = await login_ok(api, email, password)
    rotated = (
        await api.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    ).json()
    await api.post(
        "/api/v1/users/me/password",
        headers=bearer(rotated["access_token"]),
        json={"current_password": password, "new_password": "short"},
    )  # 422
    await api.post(
        "/api/v1/auth/login",
        content=f'{{"password": "{password}"'.encode(),
        headers={"Content-Type": "application/json"},
    )  # 400
    await api.get("/api/v1/users/me", headers=bearer(rotated["access_token"]))

    logs = server.read_logs()
    records = []
    for line in logs.splitlines():
        if line.strip():
            records.append(json.loads(line))  # fails on any line that is not JSON
    assert any(record.get("request_id") == request_id for record in records)
    for secret in (
        password,
        wrong,
        PASSWORD,
        pair["access_token"],
        pair["refresh_token"],
        rotated["access_token"],
        rotated["refresh_token"],
    ):
        assert secret not in logs
    # An access token's signature alone must not leak either.
    assert rotated["access_token"].rsplit(".", 1)[1] not in logs
