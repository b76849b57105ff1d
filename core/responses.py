"""``validate_response``: declare a route's response schema, check it in tests, not per request.

The schema goes into the OpenAPI document exactly as quart-schema's decorator puts it there.
What differs is the way out: a route may return its body as plain ``dict``/``list`` data (rows
shaped by a presenter, no model built per item) and it is encoded once with orjson. A route
that returns the model instance is dumped by pydantic in JSON mode, once.

Outside production (``FITHUB_CHECK_RESPONSES``, on by default in test and development) every
plain body is validated against the declared model and must read exactly as the model would
write it: a presenter that drifts from its schema (a missing field, an extra column, a wrong
type) fails the request with a 500 and a log line naming the route, so the suite and the
contract test catch it. The schema is enforced by tests, not re-checked on every request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from pydantic import BaseModel, ValidationError
from quart import Response, current_app, request
from quart_schema.validation import QUART_SCHEMA_RESPONSE_ATTRIBUTE, ResponseSchemaValidationError

from fithub.core.json_io import dumps, json_response

CHECK_CONFIG = "FITHUB_CHECK_RESPONSES"
log = logging.getLogger(__name__)


def validate_response(
    model_class: type[BaseModel], status_code: int = 200
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    """Declare that the route answers ``status_code`` with a ``model_class`` body."""

    def decorator(func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        schemas = getattr(func, QUART_SCHEMA_RESPONSE_ATTRIBUTE, {})
        schemas[status_code] = (model_class, None)
        setattr(func, QUART_SCHEMA_RESPONSE_ATTRIBUTE, schemas)

        @wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = await func(*args, **kwargs)
            value, status, headers = _split(result)
            if status != status_code or isinstance(value, Response):
                return result
            if isinstance(value, BaseModel):
                if type(value) is not model_class:  # a sibling model: the declared one decides
                    value = model_class.model_validate(value, from_attributes=True)
                return json_response(value.model_dump(mode="json"), status, headers)
            if current_app.config.get(CHECK_CONFIG):
                check_body(model_class, value)
            return json_response(value, status, headers)

        return wrapper

    return decorator


def check_body(model_class: type[BaseModel], value: Any) -> None:
    """Raise unless ``value`` validates as ``model_class`` and encodes as the model would."""
    try:
        model = model_class.model_validate(value)
    except ValidationError as exc:
        log.error("response of %s does not match %s: %s", request.path, model_class.__name__, exc)
        raise ResponseSchemaValidationError(exc) from exc
    expected, actual = dumps(model.model_dump(mode="json")), dumps(value)
    if expected != actual:
        log.error(
            "response of %s differs from what %s would write:\n%s\n%s",
            request.path, model_class.__name__, actual[:2000], expected[:2000],
        )  # fmt: skip
        raise ResponseSchemaValidationError(ValueError("the body differs from its schema"))


def _split(result: Any) -> tuple[Any, int, Any]:
    if isinstance(result, tuple):
        value, status_or_headers, headers = result + (None,) * (3 - len(result))
    else:
        value, status_or_headers, headers = result, None, None
    if isinstance(status_or_headers, int):
        return value, status_or_headers, headers
    if isinstance(value, Response):
        return value, value.status_code, headers
    return value, 200, status_or_headers
