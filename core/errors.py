"""The fithub error tree and its RFC 9457 problem-details rendering.

FithubError (status, code)
 ├── BadRequest            400 bad_request
 │    └── MalformedJSON    400 malformed_json
 ├── AuthRequired          401 auth_required
 │    └── InvalidToken     401 invalid_token
 ├── Forbidden             403 forbidden
 ├── NotFound              404 not_found
 ├── Conflict              409 conflict
 ├── PayloadTooLarge       413 payload_too_large
 ├── UnsupportedMediaType  415 unsupported_media_type
 ├── ValidationFailed      422 validation_failed
 └── RateLimited           429 rate_limited
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://fithub.dev/problems/"


class FithubError(Exception):
    """Root of every error fithub reports to a client."""

    status: int = 500
    code: str = "internal_error"
    title: str | None = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail or self.default_title())
        self.detail = detail or self.default_title()
        self.errors = errors or []
        self.headers = headers or {}
        if code:
            self.code = code

    @classmethod
    def default_title(cls) -> str:
        return cls.title or HTTPStatus(cls.status).phrase


class BadRequest(FithubError):
    status, code = 400, "bad_request"


class MalformedJSON(BadRequest):
    code = "malformed_json"
    title = "Malformed JSON"


class AuthRequired(FithubError):
    status, code = 401, "auth_required"


class InvalidToken(AuthRequired):
    code = "invalid_token"


class Forbidden(FithubError):
    status, code = 403, "forbidden"


class NotFound(FithubError):
    status, code = 404, "not_found"


class MethodNotAllowed(FithubError):
    status, code = 405, "method_not_allowed"


class Conflict(FithubError):
    status, code = 409, "conflict"


class PayloadTooLarge(FithubError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(FithubError):
    status, code = 415, "unsupported_media_type"


class ValidationFailed(FithubError):
    status, code = 422, "validation_failed"


class RateLimited(FithubError):
    status, code = 429, "rate_limited"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(
            detail or f"Too many attempts; try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


def problem_body(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """Build the one JSON error shape every fithub endpoint and socket uses."""
    return {
        "type": PROBLEM_TYPE_BASE + code.replace("_", "-"),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        "errors": errors or [],
        "request_id": request_id,
    }
