"""JSON out of the app: orjson, in the shape the API has always had.

One encoder for every response body: datetimes in UTC end in ``Z`` (as pydantic writes them),
keys are sorted (as Quart's default provider sorted them), and anything orjson does not know
(pydantic models, ``timedelta``, ``Decimal``, integers wider than 64 bits...) goes through
pydantic's ``to_jsonable_python``, so a body reads the same as before, only built faster.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask.json.provider import JSONProvider
from pydantic_core import to_jsonable_python
from quart import Response

OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
MIMETYPE = "application/json"


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON bytes."""
    try:
        return orjson.dumps(value, default=to_jsonable_python, option=OPTIONS)
    except TypeError:  # e.g. an int wider than 64 bits, which orjson refuses
        return json.dumps(to_jsonable_python(value), sort_keys=True).encode()


def json_response(value: Any, status: int = 200, headers: Any = None) -> Response:
    """A JSON response of ``value``, built without another pass through any model."""
    return Response(dumps(value), status=status, headers=headers, mimetype=MIMETYPE)


class OrjsonProvider(JSONProvider):
    """Quart's ``app.json``: :func:`dumps` out, the standard library in (inputs keep their checks)."""

    mimetype = MIMETYPE

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:  # indent and friends (the OpenAPI document, pretty printing): rare, keep exact
            kwargs.setdefault("sort_keys", True)
            return json.dumps(obj, default=to_jsonable_python, **kwargs)
        return dumps(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json.loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        return json_response(self._prepare_response_obj(args, kwargs))
