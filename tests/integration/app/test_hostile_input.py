"""Hostile input never reaches the database or the JSON parser's recursion: every case is a 4xx
problem, nothing is stored, and the server logs no unhandled error (the session fixture checks)."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from werkzeug.routing import IntegerConverter

from fithub.core.inputs import MAX_JSON_DEPTH
from tests.integration.helpers import assert_problem, error_fields
from tests.integration.training import create_workout

INT64_OVER = 2**63
JSON = {"Content-Type": "application/json"}
JSON_ROUTES = ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh",
               "/api/v1/workouts"]  # fmt: skip


def _deep(levels: int) -> bytes:
    return b'{"email":"a@b.c","password":"x","a":' + b"[" * levels + b"]" * levels + b"}"


@pytest.mark.parametrize("path", JSON_ROUTES)
async def test_a_body_that_is_not_utf8_is_a_400(api, reader, path):
    response = await api.post(path, content=b"\xff\xfe{}", headers={**JSON, **reader.auth})
    body = assert_problem(response, 400, "malformed_json")
    assert "UTF-8" in body["detail"]


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 1_000, 10_000, 30_000])
async def test_json_nested_deeper_than_the_limit_is_refused(api, reader, path, levels):
    response = await api.post(path, content=_deep(levels), headers={**JSON, **reader.auth})
    body = assert_problem(response, 400, "json_too_deep")
    assert str(MAX_JSON_DEPTH) in body["detail"]


async def test_json_nested_to_the_limit_is_read(api):
    # One level is the object itself: the array nest fills the rest of the limit.
    levels = MAX_JSON_DEPTH - 1
    response = await api.post("/api/v1/auth/login", content=_deep(levels), headers=JSON)
    fields = error_fields(assert_problem(response, 422, "validation_failed"))
    assert "a" in fields  # read and validated: the unknown field is named, not a depth error


def _int_rules() -> list[tuple[str, str]]:
    """Every (method, path) of the app with an integer path parameter, that parameter set to 2^63."""
    from fithub.core.app import create_app
    from fithub.core.config import Settings

    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(Settings(env="test", data_dir=Path(data_dir)))
    found = []
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue
        path = re.sub(r"<int:[a-z_]+>", str(INT64_OVER), rule.rule)
        path = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "oura", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    return found


async def test_ids_beyond_64_bits_in_every_path_are_404(api, reader):
    rules = _int_rules()
    assert len(rules) >= 30, rules
    failures = []
    for method, path in rules:
        response = await api.request(method, path, headers=reader.auth)
        if response.status_code != 404:
            failures.append((method, path, response.status_code, response.text[:200]))
        else:
            assert_problem(response, 404, "not_found")
    assert not failures, "\n".join(f"{m} {p} {s}" for m, p, s, _ in failures)


@pytest.mark.parametrize("value", [2**31, 2**40, INT64_OVER - 1])
async def test_ids_beyond_32_bits_name_nothing(api, reader, value):
    # user and exercise ids are 32-bit columns: a larger id still names nothing (404), never a 500
    for path in (f"/api/v1/trainers/{value}", f"/api/v1/exercises/{value}",
                 f"/api/v1/coaching/relations/{value}"):  # fmt: skip
        assert_problem(await api.get(path, headers=reader.auth), 404, "not_found")


@pytest.mark.parametrize("value", [INT64_OVER, -(2**63) - 1, 2**64, 10**30])
async def test_integers_beyond_64_bits_in_a_body_are_422(api, reader, value):
    workout = await create_workout(api, reader, name="Ids")
    cases = [
        (f"/api/v1/workouts/{workout['id']}/sets", {"exercise_id": value, "reps": 1}, "exercise_id"),
        (f"/api/v1/workouts/{workout['id']}/sets", {"entry_id": value, "reps": 1}, "entry_id"),
        ("/api/v1/workouts", {"name": "w", "exercises": [{"exercise_id": value}]},
         "exercises.0.exercise_id"),
        ("/api/v1/templates", {"name": "t", "exercises": [{"exercise_id": 1, "sets": [{"reps": value}]}]},
         "exercises.0.sets.0.reps"),
    ]  # fmt: skip
    for path, body, field in cases:
        content = json.dumps(body)
        response = await api.post(path, content=content, headers={**JSON, **reader.auth})
        problem = assert_problem(response, 422, "validation_failed")
        assert field in error_fields(problem), (path, problem)


async def test_ids_beyond_64_bits_in_a_query_are_refused(api, reader):
    for path in (f"/api/v1/coaching/assignments?client_id={INT64_OVER}",
                 f"/api/v1/records?exercise_id={INT64_OVER}"):  # fmt: skip
        response = await api.get(path, headers=reader.auth)
        assert response.status_code in (404, 422), response.text
        assert_problem(response, response.status_code)


async def test_a_path_parameter_longer_than_its_column_is_404(api, reader):
    for path in ("/api/v1/devices/" + "x" * 40 + "/syncs",
                 "/api/v1/devices/" + "x" * 40 + "/syncs/1",
                 "/api/v1/devices/" + "x" * 4000 + "/syncs",
                 "/api/v1/sessions/" + "y" * 300):  # fmt: skip
        method = "DELETE" if "/sessions/" in path else "GET"
        assert_problem(await api.request(method, path, headers=reader.auth), 404, "not_found")


@pytest.mark.parametrize("char", ["\u0000", "\u0001", "\u001b", "\u007f"])
async def test_control_characters_in_text_are_422_and_nothing_changes(api, reader, char):
    before = (await api.get("/api/v1/users/me", headers=reader.auth)).json()
    response = await api.patch("/api/v1/users/me", headers=reader.auth,
                               json={"display_name": f"evil{char}name"})  # fmt: skip
    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) == {"display_name"}
    assert "control character" in problem["errors"][0]["message"]
    after = (await api.get("/api/v1/users/me", headers=reader.auth)).json()
    assert after["display_name"] == before["display_name"]

    response = await api.post("/api/v1/workouts", headers=reader.auth,
                              json={"name": f"a{char}b", "exercises": []})  # fmt: skip
    assert "name" in error_fields(assert_problem(response, 422, "validation_failed"))
    # in nested keys and values too
    response = await api.post("/api/v1/workouts", headers=reader.auth,
                              json={"name": "ok", "notes": "x", f"k{char}": 1})  # fmt: skip
    assert_problem(response, 422, "validation_failed")


async def test_control_characters_in_query_and_path_are_refused(api, reader):
    response = await api.get("/api/v1/exercises", params={"q": "squat\u0000"}, headers=reader.auth)
    assert "q" in error_fields(assert_problem(response, 422, "validation_failed"))
    response = await api.get("/api/v1/devices/oura%00x/syncs", headers=reader.auth)
    assert response.status_code in (404, 422)
    assert_problem(response, response.status_code)


async def test_tab_and_newline_stay_allowed_in_multiline_text(api, reader):
    workout = await create_workout(api, reader, name="Multi")
    response = await api.patch(f"/api/v1/workouts/{workout['id']}", headers=reader.auth,
                               json={"notes": "line one\n\tline two\r\n"})  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["notes"] == "line one\n\tline two\r\n"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_non_finite_numbers_say_they_must_be_finite(api, reader, constant):
    workout = await create_workout(api, reader, name="Finite")
    content = f'{{"exercise_id": 1, "reps": 5, "weight": {constant}}}'
    response = await api.post(f"/api/v1/workouts/{workout['id']}/sets", content=content,
                              headers={**JSON, **reader.auth})  # fmt: skip
    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) == {"weight"}
    assert "finite" in problem["errors"][0]["message"]
