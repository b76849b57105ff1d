"""The published OpenAPI document, completed in one place, and the query-string rule it promises.

quart-schema builds an operation per route from its decorators; :class:`FithubOpenAPIProvider`
then, for every operation alike:

- writes the path from the Quart rule correctly (quart-schema's pattern swallows everything between
  a plain ``<name>`` and a later ``<int:other>``: ``/devices/<provider>/syncs/<int:sync_id>`` came
  out as ``/devices/{sync_id}``);
- declares the success answer of routes that return a bare ``Response`` (204 unless the route says
  otherwise with :func:`responds`), so no operation has empty ``responses``;
- declares the problem-details answers the operation can give, all with the one ``Problem``
  schema (``application/problem+json``), by these rules:

  ======  ==============================================================================
  400     the operation takes a body (not JSON, not UTF-8, nested too deep)
  401     it needs a bearer token (the header ``WWW-Authenticate`` says why)
  403     it needs a token and a role, or it changes something (ownership, relations)
  404     it names something in its path or body (an id that is not there or not yours)
  409     it changes something with a token (the state it changes has moved on)
  413     it takes a body (larger than the server accepts)
  415     it takes a body (sent with another content type)
  422     a body, path or query value that does not validate, or a query parameter the
          operation does not declare (:func:`refuse_unknown_query`); every operation but
          those marked :func:`raw_query` (vendors choose their query strings)
  ======  ==============================================================================

  plus whatever a route adds with :func:`problems` (429 where it is rate limited, 409 on
  register...); the roles come from ``require_auth`` (core/auth.py);
- names each operation after its route function (``log_set``), unique across the document;
- puts each body model under its own name in ``components`` (``SetCreate``), shows its first
  example (pydantic ``json_schema_extra``) on the request body, and marks request bodies required;
- says what integer and plain path parameters match (their converters' bounds and pattern), and
  fills a missing summary from the route's name (routes should have a docstring).
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from quart import Quart, current_app, request
from quart_schema.openapi import QUART_SCHEMA_HIDDEN_ATTRIBUTE, OpenAPIProvider
from quart_schema.validation import QUART_SCHEMA_QUERYSTRING_ATTRIBUTE
from werkzeug.routing import Rule
from werkzeug.routing.converters import IntegerConverter, UnicodeConverter

from fithub.core.errors import ValidationFailed
from fithub.core.problems import PROBLEM_JSON

F = TypeVar("F", bound=Callable[..., Any])

RESPONSES_ATTRIBUTE = "_fithub_openapi_responses"
PROBLEMS_ATTRIBUTE = "_fithub_openapi_problems"
RAW_QUERY_ATTRIBUTE = "_fithub_raw_query"
ROLES_ATTRIBUTE = "_fithub_roles"
ENDPOINT_KEY = "x-fithub-endpoint"  # carried from build_paths to schema(), then removed

# <converter(args):name> or <name>; neither part may cross into the next placeholder.
PATH_PARAMETER = re.compile(r"<(?:[^<>]*:)?([^<>:]+)>")
UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_DESCRIPTIONS = {
    400: "Bad request: the body is not valid JSON (or not UTF-8, or nested too deep).",
    401: "No valid bearer token: send `Authorization: Bearer <access token>`.",
    403: "Your role, or the owner of what you named, does not allow this.",
    404: "Nothing with that id is yours to see (or the path names nothing).",
    409: "The request conflicts with the current state of what it changes.",
    413: "The request body is larger than this server accepts.",
    415: "The body was sent with a content type this operation does not take.",
    422: "A value did not validate, or a query parameter is not one of this operation's; "
    "`errors` names each field.",
    429: "Too many attempts: wait the number of seconds in `Retry-After`.",
    502: "The vendor answered in a way fithub could not use.",
    503: "Unavailable for now: a dependency or the vendor does not answer, or is not configured.",
}
PROBLEM_HEADERS = {
    401: {
        "WWW-Authenticate": {
            "description": "The bearer challenge (RFC 6750).",
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"},
        }
    },
}

NULLABLE_STRING = {"anyOf": [{"type": "string"}, {"type": "null"}]}
PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "title": "Problem",
        "description": "RFC 9457 problem details: the one error shape of every fithub endpoint.",
        "type": "object",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string", "description": "A URI naming the kind of problem."},
            "title": {"type": "string", "description": "A short summary of the kind."},
            "status": {"type": "integer", "description": "The HTTP status code."},
            "detail": {"type": "string", "description": "What went wrong this time."},
            "instance": {**NULLABLE_STRING, "description": "The path of the request."},
            "code": {
                "type": "string",
                "description": "A stable machine-readable code, e.g. `validation_failed`.",
            },
            "errors": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ProblemFieldError"},
                "description": "One entry per field that did not validate.",
            },
            "request_id": {**NULLABLE_STRING, "description": "Quote it when reporting a bug."},
        },
    },
    "ProblemFieldError": {
        "title": "ProblemFieldError",
        "type": "object",
        "required": ["field", "message"],
        "properties": {
            "field": {
                "type": "string",
                "description": "Dotted path of the field, e.g. `sets.0.reps`.",
            },
            "message": {"type": "string"},
            "type": {"type": "string", "description": "The kind of error, e.g. `missing`."},
        },
    },
}


def openapi_path(rule: str) -> str:
    """``/devices/<provider>/syncs/<int:sync_id>`` -> ``/devices/{provider}/syncs/{sync_id}``."""
    return PATH_PARAMETER.sub(r"{\1}", rule)


def _add_to(func: F, attribute: str, value: Any) -> F:
    values = [*getattr(func, attribute, ()), value]
    setattr(func, attribute, values)
    return func


def responds(
    status: int,
    description: str,
    media_type: str | None = None,
    schema: dict[str, Any] | None = None,
) -> Callable[[F], F]:
    """Route decorator: declare an answer quart-schema cannot see (a file, a redirect, no body).

    Several calls may declare several statuses, or several media types for one status.
    """

    def decorator(func: F) -> F:
        return _add_to(func, RESPONSES_ATTRIBUTE, (status, description, media_type, schema))

    return decorator


def problems(*statuses: int) -> Callable[[F], F]:
    """Route decorator: problem statuses beyond the rules, e.g. 429 where a route is rate limited."""

    def decorator(func: F) -> F:
        for status in statuses:
            _add_to(func, PROBLEMS_ATTRIBUTE, status)
        return func

    return decorator


def raw_query(func: F) -> F:
    """Route decorator: the route reads whatever query string a vendor sends (webhooks, OAuth)."""
    setattr(func, RAW_QUERY_ATTRIBUTE, True)
    return func


def query_names(model: type[BaseModel]) -> set[str]:
    """The query parameter names a querystring model accepts (aliases, and names if allowed)."""
    names = set()
    by_name = bool(model.model_config.get("populate_by_name"))
    for name, field in model.model_fields.items():
        names.add(field.alias or name)
        if by_name or field.alias is None:
            names.add(name)
    return names


async def refuse_unknown_query() -> None:
    """422 for a query parameter the matched operation does not declare, rather than ignoring it."""
    if request.method == "OPTIONS" or request.endpoint is None or not request.args:
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is None or getattr(view, RAW_QUERY_ATTRIBUTE, False):
        return
    if getattr(view, QUART_SCHEMA_HIDDEN_ATTRIBUTE, False):
        return
    model = getattr(view, QUART_SCHEMA_QUERYSTRING_ATTRIBUTE, None)
    known = query_names(model) if model is not None else set()
    unknown = sorted({key for key in request.args if key.removesuffix("[]") not in known})
    if not unknown:
        return
    expected = ", ".join(sorted(known)) if known else "none"
    raise ValidationFailed(
        f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.",
        errors=[
            {
                "field": name[:100],
                "message": f"not a parameter of this operation (it takes: {expected})",
                "type": "extra_forbidden",
            }
            for name in unknown[:20]
        ],
    )


def install(app: Quart) -> None:
    """Refuse undeclared query parameters on every route of ``app``."""
    app.before_request(refuse_unknown_query)


def _problem_statuses(op: dict[str, Any], method: str, func: Callable[..., Any]) -> set[str]:
    statuses = {422} if not getattr(func, RAW_QUERY_ATTRIBUTE, False) else set()
    body = "requestBody" in op
    secured = bool(op.get("security"))
    changes = method in UNSAFE_METHODS
    if body:
        statuses |= {400, 413, 415, 422}
    if secured:
        statuses.add(401)
        roles: tuple[Any, ...] = getattr(func, ROLES_ATTRIBUTE, ())
        if changes or roles:
            statuses.add(403)
        if changes:
            statuses.add(409)
    if body or any(p.get("in") == "path" for p in op.get("parameters", [])):
        statuses.add(404)
    statuses |= set(getattr(func, PROBLEMS_ATTRIBUTE, ()))
    return {str(status) for status in statuses}


def _declared_responses(op: dict[str, Any], func: Callable[..., Any]) -> None:
    responses: dict[str, Any] = op["responses"]
    for status, description, media_type, schema in getattr(func, RESPONSES_ATTRIBUTE, ()):
        response = responses.setdefault(str(status), {"description": description})
        if media_type is not None:
            content = response.setdefault("content", {})
            content[media_type] = {"schema": schema if schema is not None else {}}
    if not any(code.startswith(("2", "3")) for code in responses):
        responses["204"] = {"description": "Done; no content."}


def _add_problems(op: dict[str, Any], method: str, func: Callable[..., Any]) -> None:
    responses: dict[str, Any] = op["responses"]
    for status in sorted(_problem_statuses(op, method, func)):
        response = responses.setdefault(
            status, {"description": PROBLEM_DESCRIPTIONS.get(int(status), "A problem.")}
        )
        response.setdefault("content", {})[PROBLEM_JSON] = {"schema": PROBLEM_REF}
        if int(status) in PROBLEM_HEADERS:
            response.setdefault("headers", {}).update(PROBLEM_HEADERS[int(status)])


def _path_parameters(op: dict[str, Any], rule: Rule) -> None:
    converters = rule._converters
    for parameter in op.get("parameters", []):
        converter = converters.get(parameter["name"]) if parameter.get("in") == "path" else None
        if isinstance(converter, IntegerConverter):
            schema: dict[str, Any] = {"type": "integer", "format": "int64"}
            if converter.min is not None:
                schema["minimum"] = converter.min
            if converter.max is not None:
                schema["maximum"] = converter.max
            parameter["schema"] = schema
        elif isinstance(converter, UnicodeConverter):  # its regex says what one segment matches
            parameter["schema"] = {"type": "string", "pattern": f"^(?:{converter.regex})$"}


def _name_operations(document: dict[str, Any]) -> None:
    """Operation ids are the route functions' names (``log_set``); the method, then the blueprint,
    is put before a name that several operations share (``receive`` on GET and POST)."""
    operations = [
        (method, op) for item in document["paths"].values() for method, op in item.items()
    ]
    endpoints = [op.pop(ENDPOINT_KEY) for _, op in operations]
    ids = [endpoint.rsplit(".", 1)[-1] for endpoint in endpoints]
    for widen in ("method", "blueprint"):
        taken = Counter(ids)
        for index, (method, _) in enumerate(operations):
            if taken[ids[index]] > 1:
                blueprint, _, name = endpoints[index].rpartition(".")
                ids[index] = (
                    f"{method}_{name}" if widen == "method" else f"{method}_{blueprint}_{name}"
                )
    for (_, op), operation_id in zip(operations, ids, strict=True):
        op["operationId"] = operation_id


def _share_body_schemas(document: dict[str, Any]) -> None:
    """Put each body model quart-schema inlined into ``components`` under its own name, so a
    generated client calls it ``SetCreate``, not ``LogSetSetCreate``; a name already taken by a
    different schema (a model's serialization and validation forms differ) stays inline."""
    shared: dict[str, Any] = document["components"]["schemas"]
    for item in document["paths"].values():
        for op in item.values():
            bodies = [op.get("requestBody", {})] + list(op["responses"].values())
            for body in bodies:
                for media in body.get("content", {}).values():
                    schema = media.get("schema", {})
                    name = schema.get("title")
                    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_]+", name):
                        continue
                    if shared.setdefault(name, schema) == schema:
                        media["schema"] = {"$ref": f"#/components/schemas/{name}"}


def _request_body(body: dict[str, Any]) -> None:
    """Required (every route with a body model validates one); its schema's example shown."""
    body["required"] = True
    for media in body.get("content", {}).values():
        examples = media.get("schema", {}).get("examples")
        if examples:
            media.setdefault("example", examples[0])


def _summary(func: Callable[..., Any]) -> str:
    return func.__name__.replace("_", " ").strip().capitalize()


class FithubOpenAPIProvider(OpenAPIProvider):
    """quart-schema's provider with correct paths, declared problems and complete operations."""

    def build_paths(self, rule: Rule) -> tuple[dict[str, Any], dict[str, Any]]:
        paths, components = super().build_paths(rule)
        func = self._app.view_functions[rule.endpoint]
        operations: dict[str, Any] = {}
        for built in paths.values():
            for method, shared in built.items():
                op = copy.deepcopy(shared)  # quart-schema shares one object between methods
                op["responses"] = {str(code): value for code, value in op["responses"].items()}
                op.setdefault("summary", _summary(func))
                if not op.get("description"):
                    op.pop("description", None)
                if "requestBody" in op:
                    _request_body(op["requestBody"])
                _path_parameters(op, rule)
                _declared_responses(op, func)
                _add_problems(op, method, func)
                op[ENDPOINT_KEY] = rule.endpoint
                operations[method] = op
        return {openapi_path(rule.rule): operations}, components

    def schema(self) -> dict[str, Any]:
        document = super().schema()
        document["components"]["schemas"].update(copy.deepcopy(PROBLEM_SCHEMAS))
        _name_operations(document)
        _share_body_schemas(document)
        document["paths"] = dict(sorted(document["paths"].items()))
        return document
