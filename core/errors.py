"""The fithub error tree: every error a client sees is a FithubError, with a status and a code.

FithubError                   500 internal_error
 ├── BadRequest               400 bad_request
 │    ├── MalformedJSON       400 malformed_json
 │    └── JSONTooDeep         400 json_too_deep
 ├── AuthRequired             401 auth_required
 │    └── InvalidToken        401 invalid_token
 ├── PushUnverified           401 push_unverified          [devices]
 ├── Forbidden                403 forbidden
 ├── NotFound                 404 not_found
 │    └── NotWatchable        404 not_watchable            [telemetry]
 ├── MethodNotAllowed         405 method_not_allowed
 ├── Conflict                 409 conflict
 ├── PayloadTooLarge          413 payload_too_large
 ├── UnsupportedMediaType     415 unsupported_media_type
 ├── ValidationFailed         422 validation_failed
 │    └── BatchRejected       422 batch_rejected           [telemetry]
 ├── ProviderNotSupported     422 provider_not_supported   [devices]
 ├── RateLimited              429 rate_limited
 ├── VendorFailed             502 provider_error           [devices]
 ├── FoodSourceFailed         502 source_error             [nutrition]
 ├── NotReady                 503 not_ready
 ├── FoodSourceNotConfigured  503 source_not_configured    [nutrition]
 ├── FoodSourceUnavailable    503 source_unavailable       [nutrition]
 ├── ProviderNotConfigured    503 provider_not_configured  [devices]
 └── VendorUnavailable        503 provider_unavailable     [devices]

A class marked ``[domain]`` lives in ``core/<domain>/errors.py``; the others live here. A raise may
name a more precise code than its class (``NotFound(..., code="unknown_provider")``).
core/problems.py renders every error as RFC 9457 problem details.

A domain's internal exceptions (caught inside it, never shown to a client as such) live in its
errors module too, listed in that module's docstring: core/devices/errors.py (breaker, leases,
tokens, deferred syncs) and core/media/errors.py (containers, analyses). Plugins raise the
``ProviderError`` tree of ``fithub.plugins.errors``, which core translates at the boundary.
tests/unit/core/test_error_tree.py keeps these trees complete.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


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


class JSONTooDeep(BadRequest):
    code = "json_too_deep"
    title = "JSON nested too deep"


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


class NotReady(FithubError):
    status, code = 503, "not_ready"
