"""openapi-python-client turns /openapi.json into a client with no warning, and that client does a
whole journey against a running server: register, log in, create a workout, log a set, read records."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.support import FithubServer

PACKAGE = "fithub_contract_client"
# no formatter run on the output; zip exports are plain bytes to a client
CONFIG = """\
post_hooks: []
content_type_overrides:
  application/zip: application/octet-stream
"""


def generate_client(document: dict[str, Any], workdir: Path) -> subprocess.CompletedProcess[str]:
    """Run openapi-python-client on ``document``; the package lands in ``workdir/PACKAGE``."""
    (workdir / "openapi.json").write_text(json.dumps(document))
    (workdir / "config.yml").write_text(CONFIG)
    command = [
        sys.executable, "-m", "openapi_python_client", "generate",
        "--path", str(workdir / "openapi.json"), "--output-path", str(workdir / PACKAGE),
        "--config", str(workdir / "config.yml"), "--meta", "none",
    ]  # fmt: skip
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def client_package(
    contract_server: FithubServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ModuleType]:
    document = httpx.get(f"{contract_server.base_url}/openapi.json", timeout=30).json()
    workdir = tmp_path_factory.mktemp("client")
    made = generate_client(document, workdir)
    output = made.stdout + made.stderr
    assert made.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def operation(name: str) -> ModuleType:
    """A module of the generated client's ``api`` package, e.g. ``auth.login``."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def test_a_journey_with_the_generated_client(
    contract_server: FithubServer, client_package: ModuleType
) -> None:
    register, login = operation("auth.register"), operation("auth.login")
    models = importlib.import_module(f"{PACKAGE}.models")
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    email = f"client-{uuid.uuid4().hex[:12]}@example.com"
    password = "correct-horse-battery"
    headers = {"X-Forwarded-For": address}

    anonymous = client_package.Client(base_url=contract_server.base_url, headers=headers)
    created = register.sync_detailed(
        client=anonymous,
        body=models.RegisterRequest(email=email, password=password, display_name="Client"),
    )
    assert created.status_code == 202, created.content
    assert isinstance(created.parsed, models.Accepted), created.content
    taken = register.sync(
        client=anonymous,
        body=models.RegisterRequest(email=email, password=password, display_name="Client"),
    )
    assert taken == created.parsed  # a taken address is answered the same
    refused = login.sync(
        client=anonymous, body=models.LoginRequest(email=email, password="wrong-password")
    )
    assert isinstance(refused, models.Problem) and refused.status == 401  # errors parse too

    tokens = login.sync(
        client=anonymous, body=models.LoginRequest(email=email, password=password)
    )
    assert isinstance(tokens, models.TokenOut), tokens
    client = client_package.AuthenticatedClient(
        base_url=contract_server.base_url, token=tokens.access_token, headers=headers
    )

    found = operation("exercises.list_exercises").sync(client=client, q="bench press", limit=5)
    assert isinstance(found, models.ExercisePage) and found.items, found
    bench = found.items[0]

    workout = operation("workouts.create_workout").sync(
        client=client,
        body=models.WorkoutCreate(name="Push day", status=models.WorkoutStatus.IN_PROGRESS),
    )
    assert isinstance(workout, models.WorkoutOut), workout
    logged = operation("workouts.log_set").sync(
        workout.id,
        client=client,
        body=models.SetCreate(exercise_id=bench.id, reps=5, weight=100.0),
    )
    assert isinstance(logged, models.LoggedSet), logged
    assert logged.set_.reps == 5 and logged.set_.exercise_id == bench.id
    assert logged.records, "a first set is a personal record"

    records = operation("progress.current_records").sync(client=client, exercise_id=bench.id)
    assert isinstance(records, models.CurrentRecords), records
    assert {record.exercise_id for record in records.items} == {bench.id}
    assert {record.set_id for record in records.items} == {logged.set_.id}
