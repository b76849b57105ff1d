"""/openapi.json is a valid document that says what the server really does, for every operation."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from fithub.core.accounts.schemas import LoginRequest, RegisterRequest
from fithub.core.body.schemas import MetricIn
from fithub.core.coaching.schemas import InvitationCreate
from fithub.core.exercises.schemas import ExerciseCreate
from fithub.core.progress.goal_schemas import GoalIn
from fithub.core.workouts.schemas import PlanCreate, SetCreate, TemplateCreate, WorkoutCreate
from tests.contract.conftest import new_token
from tests.support import FithubServer

PROBLEM_JSON = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
EXAMPLES: dict[tuple[str, str], type[BaseModel]] = {
    ("post", "/api/v1/auth/register"): RegisterRequest,
    ("post", "/api/v1/auth/login"): LoginRequest,
    ("post", "/api/v1/workouts"): WorkoutCreate,
    ("post", "/api/v1/workouts/{workout_id}/sets"): SetCreate,
    ("post", "/api/v1/body-metrics"): MetricIn,
    ("post", "/api/v1/goals"): GoalIn,
    ("post", "/api/v1/exercises"): ExerciseCreate,
    ("post", "/api/v1/templates"): TemplateCreate,
    ("post", "/api/v1/plans"): PlanCreate,
    ("post", "/api/v1/coaching/invitations"): InvitationCreate,
}


@pytest.fixture(scope="module")
def document(contract_server: FithubServer) -> dict[str, Any]:
    answer = httpx.get(f"{contract_server.base_url}/openapi.json", timeout=30)
    assert answer.status_code == 200
    return dict(answer.json())


@pytest.fixture(scope="module")
def token(contract_server: FithubServer) -> str:
    return new_token(contract_server)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def problem_validator(document: dict[str, Any]) -> jsonschema.Draft202012Validator:
    schema = {"$ref": "#/components/schemas/Problem", "components": document["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)  # openapi-spec-validator: raises on the first error
    assert len(operations(document)) > 100


def test_every_path_names_exactly_its_path_parameters(document: dict[str, Any]) -> None:
    for method, path, op in operations(document):
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert set(re.findall(r"{([^}]+)}", path)) == declared, f"{method} {path}"
    assert "get" in document["paths"]["/api/v1/devices/{provider}/syncs/{sync_id}"]
    assert "/api/v1/devices/{sync_id}" not in document["paths"]


def test_the_published_sync_path_is_served(contract_server: FithubServer, token: str) -> None:
    answer = httpx.get(
        f"{contract_server.base_url}/api/v1/devices/oura/syncs/1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 404, answer.text  # no oura connection: not a 405
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)


def test_every_operation_is_complete(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    for method, path, op in operations(document):
        where = f"{method.upper()} {path}"
        assert op.get("summary", "").strip(), where
        responses = op["responses"]
        assert any(code[0] in "23" for code in responses), where
        assert all(response.get("description") is not None for response in responses.values())
        if op.get("security"):
            assert "401" in responses, where
        if "requestBody" in op:
            assert op["requestBody"]["required"] is True, where
            assert {"400", "413", "415", "422"} <= set(responses), where
        if any(p["in"] == "path" for p in op.get("parameters", [])):
            assert "404" in responses, where
        for code, response in responses.items():
            if code.startswith("4") and PROBLEM_JSON in response.get("content", {}):
                assert response["content"][PROBLEM_JSON]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }, where
            elif code.startswith("4"):
                assert "webhooks" in path, f"{where} {code} is not problem details"


def test_the_problem_schema_describes_real_answers(
    contract_server: FithubServer, document: dict[str, Any], token: str
) -> None:
    validator = problem_validator(document)
    anonymous = httpx.get(f"{contract_server.base_url}/api/v1/users/me", timeout=30)
    invalid = httpx.post(
        f"{contract_server.base_url}/api/v1/workouts",
        json={"name": ""},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    for answer, status in ((anonymous, 401), (invalid, 422)):
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith(PROBLEM_JSON)
        validator.validate(answer.json())
    assert invalid.json()["errors"][0]["field"] == "name"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"title": "no status, type, detail or code"})


def test_unknown_query_parameters_are_refused(contract_server: FithubServer, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=contract_server.base_url, headers=auth, timeout=30) as client:
        ignored_before = client.get("/api/v1/analytics/volume", params={"period": "month"})
        no_model = client.get("/api/v1/users/me", params={"expand": "everything"})
        declared = client.get("/api/v1/analytics/volume", params={"bucket": "month"})
        aliased = client.get("/api/v1/workouts", params={"from": "2026-01-01T00:00:00Z", "limit": 5})
    assert ignored_before.status_code == 422, ignored_before.text
    problem = ignored_before.json()
    assert problem["code"] == "validation_failed"
    assert [e["field"] for e in problem["errors"]] == ["period"]
    assert "bucket" in problem["errors"][0]["message"]
    assert no_model.status_code == 422, no_model.text
    assert [e["field"] for e in no_model.json()["errors"]] == ["expand"]
    assert declared.status_code == 200, declared.text
    assert aliased.status_code == 200, aliased.text


def test_vendor_query_strings_still_reach_webhooks_and_callbacks(
    contract_server: FithubServer,
) -> None:
    """Vendors choose these query strings: the webhook and OAuth callback routes read them."""
    with httpx.Client(base_url=contract_server.base_url, timeout=30) as client:
        handshake = client.get(
            "/api/v1/webhooks/strava",
            params={"hub.mode": "subscribe", "hub.challenge": "c", "hub.verify_token": "v"},
        )
        callback = client.get(
            "/api/v1/devices/oura/callback", params={"code": "c", "state": "s", "scope": "x"}
        )
    for answer in (handshake, callback):
        assert answer.status_code != 422 or answer.json()["code"] != "validation_failed"
        assert "Unknown query parameter" not in answer.text


def test_main_request_bodies_carry_a_valid_example(document: dict[str, Any]) -> None:
    for (method, path), model in EXAMPLES.items():
        media = document["paths"][path][method]["requestBody"]["content"]["application/json"]
        assert "example" in media, f"{method.upper()} {path} has no example"
        model.model_validate(media["example"])  # raises if the example would be refused
