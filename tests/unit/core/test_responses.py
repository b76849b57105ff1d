"""validate_response: the declared schema in the document, plain bodies checked outside production."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel
from quart import Quart

from fithub.core.json_io import OrjsonProvider
from fithub.core.responses import CHECK_CONFIG, validate_response


class Item(BaseModel):
    id: int
    name: str
    note: str | None = None


BODIES: dict[str, Any] = {
    "exact": {"id": 1, "name": "squat", "note": None},
    "extra": {"id": 1, "name": "squat", "note": None, "password_hash": "x"},  # a leaked column
    "missing_default": {"id": 1, "name": "squat"},  # the model would add "note": null
    "wrong_type": {"id": "one", "name": "squat", "note": None},
}


def make_app(check: bool) -> Quart:
    app = Quart(__name__)
    app.json = OrjsonProvider(app)
    app.config[CHECK_CONFIG] = check

    @app.get("/plain/<kind>")
    @validate_response(Item)
    async def plain(kind: str) -> dict[str, Any]:
        return BODIES[kind]

    @app.get("/model")
    @validate_response(Item, 201)
    async def model() -> tuple[Item, int]:
        return Item(id=2, name="press"), 201

    @app.get("/other-status")
    @validate_response(Item)
    async def other_status() -> tuple[dict[str, str], int]:
        return {"anything": "goes"}, 202  # only the declared status is the schema's

    return app


async def test_the_schema_is_declared_for_the_document() -> None:
    app = make_app(check=True)
    view = app.view_functions["model"]
    assert view._quart_schema_response_schemas[201][0] is Item


@pytest.mark.parametrize("check", [True, False])
async def test_a_body_that_matches_is_sent_as_is(check: bool) -> None:
    response = await make_app(check).test_client().get("/plain/exact")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert await response.get_data() == b'{"id":1,"name":"squat","note":null}'


@pytest.mark.parametrize("kind", ["extra", "missing_default", "wrong_type"])
async def test_a_drifting_body_fails_loudly_when_checked(kind: str) -> None:
    response = await make_app(check=True).test_client().get(f"/plain/{kind}")
    assert response.status_code == 500


async def test_production_does_not_re_validate_a_body_per_request() -> None:
    response = await make_app(check=False).test_client().get("/plain/missing_default")
    assert response.status_code == 200
    assert await response.get_json() == {"id": 1, "name": "squat"}


async def test_a_model_is_dumped_once_in_json_mode_with_its_status() -> None:
    response = await make_app(check=True).test_client().get("/model")
    assert response.status_code == 201
    assert await response.get_json() == {"id": 2, "name": "press", "note": None}


async def test_another_status_passes_through_unchecked() -> None:
    response = await make_app(check=True).test_client().get("/other-status")
    assert response.status_code == 202 and await response.get_json() == {"anything": "goes"}
