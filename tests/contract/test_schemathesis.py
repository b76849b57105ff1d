"""Schemathesis drives every operation of /openapi.json on a running server, with and without a token.

It fails on any 5xx and on any answer the document does not declare: its status code, its content
type or its body schema. Three runs share one server (tests/contract/conftest.py):

- anonymous: every operation, as a client without a token (schemathesis sends a made-up one);
- signed in: every operation except the two that end the session, with a fresh user's token;
- session enders: ``/auth/logout``, ``/auth/logout-all`` and ``DELETE /sessions/{id}`` (schemathesis
  finds the session id in ``GET /sessions``), with a token of their own.

Bounded: ``FITHUB_CONTRACT_EXAMPLES`` cases per operation and phase (default 10), deterministic
generation so every run sends the same cases (set ``FITHUB_CONTRACT_SEED`` to explore other ones),
and a hard time limit per run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.contract.conftest import CONTRACT_RUNS, new_token
from tests.support import FithubServer

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
SESSION_ENDERS = ("/api/v1/auth/logout", "/api/v1/auth/logout-all", "/api/v1/sessions/{session_id}")
EXAMPLES = int(os.environ.get("FITHUB_CONTRACT_EXAMPLES", "10"))
SEED = os.environ.get("FITHUB_CONTRACT_SEED")  # unset: the same cases on every run
RUN_TIMEOUT_S = 600
# schemathesis would otherwise sign up through /auth/register on its own and send that token
CONFIG = "[auth]\nauto-signup = false\n"


def schemathesis(
    server: FithubServer,
    workdir: Path,
    name: str,
    *args: str,
    token: str | None = None,
    phases: str = "examples,coverage,fuzzing",
) -> dict[str, Any]:
    """Run ``schemathesis run`` against the server; its JSON report, with the console output."""
    report = workdir / f"{name}.json"
    config = workdir / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config),
        "run", f"{server.base_url}/openapi.json",
        "--checks", CHECKS, "--phases", phases, "--workers", "1",
        "--max-examples", str(EXAMPLES),
        "--request-timeout", "30", "--no-color",
        "--suppress-health-check", "all", "--warnings", "off",
        "--report", "json", "--report-json-path", str(report), *args,
    ]  # fmt: skip
    command += ["--seed", SEED] if SEED else ["--generation-deterministic"]
    if token is not None:
        command += ["--header", f"Authorization: Bearer {token}"]
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120"},
    )  # fmt: skip
    seconds = time.monotonic() - started
    assert report.exists(), f"schemathesis wrote no report:\n{done.stdout[-5000:]}{done.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(report.read_text())
    failures = sum(int(item.get("count", 1)) for item in result.get("failures", []))
    CONTRACT_RUNS.append(
        {
            "name": name,
            "operations": result["operations"]["tested"],
            "cases": result["test_cases"]["generated"],
            "failures": failures,
            "seconds": seconds,
        }
    )
    print(f"{name}: {CONTRACT_RUNS[-1]}")  # noqa: T201  # the counts the lead quotes
    result["output"] = done.stdout[-20000:] + done.stderr[-5000:]
    result["exit"] = done.returncode
    return result


def assert_clean(result: dict[str, Any]) -> None:
    assert result["operations"]["errored"] == 0, result["output"]
    assert result["errors"] == [], result["output"]
    assert result["failures"] == [], result["output"]
    assert result["exit"] == 0, result["output"]


@pytest.fixture(scope="module")
def operations(contract_server: FithubServer) -> int:
    document = httpx.get(f"{contract_server.base_url}/openapi.json", timeout=30).json()
    return sum(len(item) for item in document["paths"].values())


def test_every_operation_without_a_token(
    contract_server: FithubServer, operations: int, tmp_path: Path
) -> None:
    # no coverage phase: without a token most answers are 401, and the public operations get it
    # in the signed-in run (a token changes nothing for them)
    result = schemathesis(contract_server, tmp_path, "anonymous", phases="examples,fuzzing")
    assert result["operations"]["tested"] == operations
    assert_clean(result)


def test_every_operation_with_a_token(
    contract_server: FithubServer, operations: int, tmp_path: Path
) -> None:
    excluded = [arg for path in SESSION_ENDERS for arg in ("--exclude-path", path)]
    token = new_token(contract_server)
    result = schemathesis(contract_server, tmp_path, "signed-in", *excluded, token=token)
    assert result["operations"]["tested"] == operations - len(SESSION_ENDERS)
    assert_clean(result)
    me = httpx.get(f"{contract_server.base_url}/api/v1/users/me",
                   headers={"Authorization": f"Bearer {token}"}, timeout=30)  # fmt: skip
    assert me.status_code == 200, "the token stopped working during the run: " + me.text


def test_session_enders_with_a_token(contract_server: FithubServer, tmp_path: Path) -> None:
    included = [arg for path in SESSION_ENDERS for arg in ("--include-path", path)]
    result = schemathesis(
        contract_server, tmp_path, "session-enders", *included, token=new_token(contract_server)
    )
    assert result["operations"]["tested"] == len(SESSION_ENDERS)
    assert_clean(result)
