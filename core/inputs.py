"""Checks every request's input passes before any route sees it: JSON bodies, path and query values.

One place refuses what no route can store or look up, so that hostile input is a 4xx problem and
never reaches the JSON parser's recursion or the database driver:

- a body that is not UTF-8, or not JSON: 400 ``malformed_json``;
- JSON nested deeper than :data:`MAX_JSON_DEPTH` levels: 400 ``json_too_deep``;
- in a JSON body (keys and values, at any depth), in a query value or a path segment: C0 control
  characters and DEL (tab, line feed and carriage return stay allowed, for multi-line text):
  422 ``validation_failed`` naming the field (a path segment: 404, it names nothing);
- a JSON number that is not finite (``NaN``, ``Infinity``, ``1e400``) or an integer outside the
  signed 64-bit range: 422 naming the field; likewise a query value of an integer or float field;
- a path parameter that no column can hold names nothing: 404 (an integer beyond ``2**63 - 1``:
  :func:`path_problem`; a provider name longer than its column: at routing); an id that fits
  64 bits but not its 32-bit column is answered 404 by the database-error handler
  (core/problems.py).
"""

from __future__ import annotations

import json
import math
import re
import types
import typing
from typing import Any, Union

from pydantic import BaseModel
from werkzeug.routing import BaseConverter, Map, UnicodeConverter

from fithub.core.errors import JSONTooDeep, MalformedJSON, ValidationFailed

#: The deepest a JSON body may nest (the body itself is level 1).
MAX_JSON_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
PROVIDER_NAME_MAX = 32  # the provider columns of core/devices/models.py
#: C0 controls and DEL, less tab, line feed and carriage return.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
#: A JSON escape that may stand for a control character (valid JSON has no raw C0 in strings).
_CONTROL_ESCAPE = re.compile(r"\\(?:u00[01]|u007[fF]|[bf])")


class _NonFinite(float):
    """A ``NaN``/``Infinity`` literal, kept until the walk can name the field it stands in."""


def load_json(data: bytes) -> Any:
    """Parse a request body: UTF-8 JSON at most :data:`MAX_JSON_DEPTH` deep, with clean values.

    Raises :class:`MalformedJSON`, :class:`JSONTooDeep` (400) or :class:`ValidationFailed` (422,
    one error per offending field).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedJSON(
            f"The body is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})."
        ) from None
    flagged: list[str] = []  # numbers the walk must name: too large, or not finite

    def integer(literal: str) -> int:
        if len(literal) >= 19:  # 19 digits may pass 2**63 - 1: let the walk decide
            flagged.append(literal)
        return int(literal)

    def real(literal: str) -> float:
        number = float(literal)
        if not math.isfinite(number):
            flagged.append(literal)
        return number

    def constant(literal: str) -> _NonFinite:
        flagged.append(literal)
        return _NonFinite(literal)

    try:
        value = json.loads(text, parse_int=integer, parse_float=real, parse_constant=constant)
    except RecursionError:  # far deeper than the limit: the parser gave up first
        raise _too_deep() from None
    except ValueError as exc:
        raise MalformedJSON(f"The body is not valid JSON: {exc}") from None
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and nesting_depth(value) > MAX_JSON_DEPTH:
        raise _too_deep()
    if flagged or _CONTROL_ESCAPE.search(text) or "\x7f" in text:  # cheap screens; the walk names
        errors = check_value(value)
        if errors:
            raise ValidationFailed("The request did not validate.", errors=errors)
    return value


def nesting_depth(value: Any) -> int:
    """How deep the arrays and objects of parsed JSON ``value`` nest (0 for a scalar)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return deepest


def _too_deep() -> JSONTooDeep:
    return JSONTooDeep(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")


def _error(path: list[str | int], message: str, kind: str) -> dict[str, Any]:
    return {"field": ".".join(str(p) for p in path) or "body", "message": message, "type": kind}


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None when it can."""
    found = CONTROL_CHARACTERS.search(text)
    if found is None:
        return None
    return f"must not contain control characters (found U+{ord(found.group()):04X})"


def number_problem(number: float | int) -> str | None:
    """Why ``number`` cannot be stored, or None when it can."""
    if isinstance(number, bool):
        return None
    if isinstance(number, int):
        if INT64_MIN <= number <= INT64_MAX:
            return None
        return f"must be an integer from {INT64_MIN} to {INT64_MAX}"
    if math.isfinite(number) and not isinstance(number, _NonFinite):
        return None
    return "must be a finite number (NaN and Infinity are not numbers)"


def check_value(value: Any) -> list[dict[str, Any]]:
    """Walk parsed JSON without recursion; return an error per bad string, number or depth."""
    errors: list[dict[str, Any]] = []
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        item, path = stack.pop()
        if len(path) >= MAX_JSON_DEPTH and isinstance(item, (dict, list)):
            raise _too_deep()
        if isinstance(item, dict):
            for key, child in item.items():
                problem = text_problem(key)
                if problem:
                    errors.append(_error([*path, key.encode("unicode_escape").decode()],
                                         f"a key {problem}", "control_character"))  # fmt: skip
                stack.append((child, [*path, key]))
        elif isinstance(item, list):
            stack.extend((child, [*path, i]) for i, child in enumerate(item))
        elif isinstance(item, str):
            problem = text_problem(item)
            if problem:
                errors.append(_error(path, problem, "control_character"))
        elif isinstance(item, (int, float)):
            problem = number_problem(item)
            if problem:
                kind = "finite_number" if isinstance(item, float) else "int_range"
                errors.append(_error(path, problem, kind))
    errors.sort(key=lambda e: str(e["field"]))
    return errors


def path_problem(value: Any) -> bool:
    """Whether a converted path parameter cannot name anything stored."""
    if isinstance(value, str):
        return text_problem(value) is not None
    return isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX


def _scalar_kinds(annotation: Any) -> set[type]:
    """The scalar types among an annotation (``int | None`` → {int, NoneType})."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        return set().union(*(_scalar_kinds(arg) for arg in typing.get_args(annotation)))
    if origin is typing.Annotated:
        return _scalar_kinds(typing.get_args(annotation)[0])
    return {annotation} if isinstance(annotation, type) else set()


def check_query(args: Any, model: type[BaseModel] | None) -> list[dict[str, Any]]:
    """Errors for query values with control characters, and for out-of-range numbers of the
    querystring ``model``'s integer and float fields."""
    fields: dict[str, set[type]] = {}
    if model is not None:
        for name, info in model.model_fields.items():
            fields[info.alias or name] = _scalar_kinds(info.annotation)
    errors = []
    for key in args:
        for raw in args.getlist(key):
            problem = text_problem(key) or text_problem(raw)
            kinds = fields.get(key.removesuffix("[]"), set())
            if problem is None and int in kinds and _INTEGER.match(raw):
                problem = number_problem(int(raw))
            elif problem is None and float in kinds:
                try:
                    problem = number_problem(float(raw))
                except ValueError:
                    problem = None  # not a number at all: the model says so
            if problem:
                errors.append({"field": key, "message": problem, "type": "invalid_value"})
    return errors


class ProviderNameConverter(UnicodeConverter):
    """``<provider:...>``: a path segment that fits the 32-character provider columns."""

    def __init__(self, map: Map) -> None:
        super().__init__(map, minlength=1, maxlength=PROVIDER_NAME_MAX)


#: The converters every route may use, by name.
CONVERTERS: dict[str, type[BaseConverter]] = {
    "provider": ProviderNameConverter,
}
