"""RFC 9457 problem details: the one error shape, and the Quart handlers that answer with it.

:func:`problem_body` builds the shape every endpoint and socket uses; :func:`install` registers one
handler per error family (the tree of core/errors.py, request validation, routing, the rest).
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from pydantic import ValidationError
from quart import Quart, Response, g, has_websocket_context, request, websocket
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException

from fithub.core.errors import FithubError

log = logging.getLogger("fithub.errors")

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://fithub.dev/problems/"

_HTTP_CODES = {
    400: "bad_request",
    401: "auth_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    411: "length_required",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    431: "headers_too_large",
}


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


def _path() -> str:
    """The path of the request or WebSocket being answered (an error handler serves both)."""
    return websocket.path if has_websocket_context() else request.path


def _method() -> str:
    return "GET" if has_websocket_context() else request.method


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A JSON problem-details response for the current request."""
    body = problem_body(
        status,
        code,
        detail,
        title=title,
        instance=_path(),
        errors=errors,
        request_id=getattr(g, "request_id", None),
    )
    response = Response(json.dumps(body), status=status, content_type=PROBLEM_JSON, headers=headers)
    return response


def pydantic_errors(
    error: ValidationError | Exception, location: str = "body"
) -> list[dict[str, Any]]:
    """Per-field errors in our shape: ``field`` (dotted path), ``message``, ``type``."""
    if not isinstance(error, ValidationError):
        return [{"field": location, "message": str(error), "type": "invalid"}]
    out = []
    for item in error.errors(include_url=False, include_input=False):
        path = ".".join(str(part) for part in item.get("loc", ()))
        out.append(
            {
                "field": path or location,
                "message": item.get("msg", "invalid"),
                "type": item.get("type", "invalid"),
            }
        )
    return out


def out_of_range(error: BaseException) -> bool:
    """Whether the database driver refused a number too large for its column."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current)
        if isinstance(current, OverflowError) and "SQLite INTEGER" in text:
            return True
        if getattr(current, "sqlstate", None) == "22003":  # numeric_value_out_of_range
            return True
        if type(current).__module__.startswith("asyncpg") and "out of int" in text:
            return True  # asyncpg refused to encode the argument (int2/int4/int8)
        current = current.__cause__ or current.__context__
    return False


def install(app: Quart) -> None:
    """Register the handlers that turn every failure into problem details."""

    @app.errorhandler(FithubError)
    async def _fithub_error(error: FithubError) -> Response:
        return problem_response(
            error.status,
            error.code,
            error.detail,
            title=error.title,
            errors=error.errors,
            headers=error.headers,
        )

    @app.errorhandler(RequestSchemaValidationError)
    async def _schema_error(error: RequestSchemaValidationError) -> Response:
        inner = error.validation_error
        if isinstance(inner, (TypeError, ValueError)) and not isinstance(inner, ValidationError):
            # quart-schema got no JSON object at all (e.g. a JSON array or a bare string).
            return problem_response(
                422,
                "validation_failed",
                "The body must be a JSON object.",
                errors=[
                    {"field": "body", "message": "expected a JSON object", "type": "object_type"}
                ],
            )
        location = "query" if error.__class__.__name__.startswith("Querystring") else "body"
        return problem_response(
            422,
            "validation_failed",
            "The request did not validate.",
            errors=pydantic_errors(inner, location),
        )

    @app.errorhandler(HTTPException)
    async def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if status >= 500:
            log.error("HTTP %s raised: %s", status, error.description)
        headers = {}
        allowed = getattr(error, "valid_methods", None)
        if status == 405 and allowed:
            headers["Allow"] = ", ".join(allowed)
        detail = {
            404: f"Nothing is served at {_path()}.",
            405: f"{_method()} is not allowed on {_path()}.",
            413: "The request body is larger than this server accepts.",
        }.get(status, error.description or "")
        return problem_response(
            status, _HTTP_CODES.get(status, "http_error"), detail, headers=headers
        )

    @app.errorhandler(Exception)
    async def _unexpected(error: Exception) -> Response:
        if out_of_range(error):
            # an id that fits 64 bits but not its 32-bit column (users, exercises) names nothing
            return problem_response(404, "not_found", "No such resource: an id is out of range.")
        log.exception("unhandled error")
        return problem_response(
            500, "internal_error", "An unexpected error occurred; it has been logged."
        )
