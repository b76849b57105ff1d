"""Every ``curl`` in docs/api.md is true: the guide is replayed, in order, against a real server.

The guide is written for a shell: each ```` ```sh ```` block holds one ``curl`` (its answer may be
saved with ``| tee FILE``), ``NAME=$(jq -r .path FILE)`` lines that keep a value from a saved
answer, and plain ``NAME=value`` lines; ```` ```http ```` right after a request block is its answer:
the status line, optional headers, and an abridged JSON body. This test reads the blocks, runs
each request with httpx against a fithub server wired to a fake Oura (expanding ``$NAME`` as the
shell would), and checks the status, the documented headers, that every documented field exists,
and the values of the fields in ``COMPARED`` (a value written ``…`` varies and is not compared).
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from fithub.core.config import Settings
from fithub.core.privacy.services import EXPORT_WINDOW_S, EXPORTS_PER_WINDOW
from fithub.plugins.testing.fakes.oura import FakeOura
from tests.integration.devices.world import device_server, seed
from tests.support import FithubServer

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "api.md"
DOCUMENTED_HOST = "http://localhost:8000"
VARIES = "…"
COMPARED = {"code", "status", "detail", "field", "message", "type", "token_type", "role", "name",
            "created", "current", "value", "weight", "weight_unit", "unit", "kind", "set_number",
            "exercise_name", "invite_email", "display_name", "provider", "trigger"}  # fmt: skip
FLAGS_WITHOUT_VALUE = {"-s", "--silent", "-i", "--include", "-S", "--show-error"}


@dataclass
class Request:
    """One ``curl`` of the guide, variables not yet expanded."""

    line: int
    method: str
    url: str
    headers: list[str]
    body: str | None
    expand_body: bool
    save_to: str | None


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Step:
    """One ``sh`` block: assignments to make and at most one request with its documented answer."""

    line: int
    before: list[tuple[str, str]] = field(default_factory=list)  # (name, value or $(jq ...))
    request: Request | None = None
    answer: Answer | None = None
    after: list[tuple[str, str]] = field(default_factory=list)


def blocks(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, info string, content) of every fenced block."""
    for match in re.finditer(r"^```(\w*)[^\n]*\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL):
        yield text.count("\n", 0, match.start()) + 1, match.group(1), match.group(2)


def parse_curl(line: int, command: str, heredoc: tuple[str, bool] | None) -> Request:
    save_to = None
    piped = re.search(r"\|\s*tee\s+(\S+)\s*$", command)
    if piped:
        save_to, command = piped.group(1), command[: piped.start()]
    words = shlex.split(command, posix=False)  # keep quotes: they decide expansion
    assert words[0] == "curl", f"docs/api.md:{line}: a request block must start with curl"
    method, url, headers, body, expand = None, None, [], None, False
    i = 1
    while i < len(words):
        word = words[i]
        if word in FLAGS_WITHOUT_VALUE:
            pass
        elif word in ("-X", "--request"):
            i += 1
            method = words[i]
        elif word in ("-H", "--header"):
            i += 1
            headers.append(words[i])
        elif word in ("-d", "--data", "--data-binary"):
            i += 1
            if words[i] == "@-":
                assert heredoc is not None, f"docs/api.md:{line}: -d @- needs a <<EOF body"
                body, expand = heredoc
            else:
                body, expand = words[i], words[i].startswith('"')
                body = body if body[0] not in "'\"" else body[1:-1]
        elif word.startswith("-"):
            raise AssertionError(f"docs/api.md:{line}: curl option {word} is not understood here")
        else:
            assert url is None, f"docs/api.md:{line}: two URLs"
            url = word
        i += 1
    assert url is not None, f"docs/api.md:{line}: no URL"
    method = method or ("POST" if body is not None else "GET")
    return Request(line, method, url, headers, body, expand, save_to)


ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def parse_step(line: int, content: str) -> Step:
    step = Step(line)
    lines = content.splitlines()
    i = 0
    while i < len(lines):
        text = lines[i].strip()
        if not text or text.startswith("#"):
            i += 1
            continue
        if text.startswith("curl "):
            assert step.request is None, f"docs/api.md:{line}: one curl per block"
            command = text
            while command.endswith("\\"):
                i += 1
                command = command[:-1] + " " + lines[i].strip()
            heredoc = None
            marker = re.search(r"<<\s*('?)(\w+)\1\s*(\|.*)?$", command)
            if marker:
                quoted, end = marker.group(1), marker.group(2)
                command = command[: marker.start()] + (marker.group(3) or "")
                body_lines = []
                i += 1
                while lines[i].strip() != end:
                    body_lines.append(lines[i])
                    i += 1
                heredoc = ("\n".join(body_lines), not quoted)
            step.request = parse_curl(line, command.strip(), heredoc)
        else:
            match = ASSIGNMENT.match(text)
            assert match, f"docs/api.md:{line}: cannot replay {text!r}"
            (step.after if step.request else step.before).append((match.group(1), match.group(2)))
        i += 1
    return step


def parse_answer(line: int, content: str) -> Answer:
    head, _, body = content.partition("\n\n")
    status_line, *header_lines = head.splitlines()
    match = re.match(r"^HTTP/1\.1 (\d{3})\b", status_line)
    assert match, f"docs/api.md:{line}: an http block starts with 'HTTP/1.1 <status>'"
    headers = {}
    for header in header_lines:
        name, _, value = header.partition(":")
        headers[name.strip().lower()] = value.strip()
    try:
        parsed = json.loads(body) if body.strip() else None
    except json.JSONDecodeError as exc:
        raise AssertionError(f"docs/api.md:{line}: the answer is not JSON: {exc}") from exc
    return Answer(int(match.group(1)), headers, parsed)


def guide_steps() -> list[Step]:
    steps: list[Step] = []
    for line, info, content in blocks(GUIDE.read_text()):
        if info == "sh":
            steps.append(parse_step(line, content))
        elif info == "http":
            assert steps and steps[-1].request and steps[-1].answer is None, (
                f"docs/api.md:{line}: an http answer must follow the sh block of its request"
            )
            steps[-1].answer = parse_answer(line, content)
    for step in steps:
        assert step.request is None or step.answer is not None, (
            f"docs/api.md:{step.line}: document the answer in an http block after the request"
        )
    return steps


# -- replaying --------------------------------------------------------------------------------


def expand(text: str, variables: dict[str, str], *, quoted: bool = False) -> str:
    """Expand ``$NAME`` / ``${NAME}`` outside single quotes (everywhere when ``quoted``)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert name in variables, f"docs/api.md uses ${name} before setting it"
        return variables[name]

    pattern = r"\$\{(\w+)\}|\$(\w+)"
    if quoted:
        return re.sub(pattern, value, text)
    parts = re.split(r"('[^']*')", text)
    return "".join(p[1:-1] if p.startswith("'") else re.sub(pattern, value, p).replace('"', "")
                   for p in parts)  # fmt: skip


def jq_path(data: Any, path: str) -> str:
    """``jq -r`` for the simple paths the guide uses (``.a.b[0].c``)."""
    for key, index in re.findall(r"\.(\w+)|\[(\d+)\]", path):
        data = data[key] if key else data[int(index)]
    return data if isinstance(data, str) else json.dumps(data)


def assign(pairs: list[tuple[str, str]], variables: dict[str, str], saved: dict[str, Any]) -> None:
    for name, value in pairs:
        jq = re.fullmatch(r"\$\(jq -r '?([.\w\[\]]+)'? (\S+)\)", value)
        if jq:
            assert jq.group(2) in saved, f"${name}: no answer was saved to {jq.group(2)}"
            variables[name] = jq_path(saved[jq.group(2)], jq.group(1))
        else:
            variables[name] = expand(value, variables)


def assert_documented(documented: Any, actual: Any, where: str) -> None:
    """Documented fields exist (recursively; a list's first item), COMPARED values are equal."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in documented.items():
            assert key in actual, f"{where}: no field {key!r} in {sorted(actual)}"
            if key in COMPARED and not isinstance(value, (dict, list)) and value != VARIES:
                assert actual[key] == value, (
                    f"{where}.{key}: documented {value!r}, got {actual[key]!r}"
                )
            assert_documented(value, actual[key], f"{where}.{key}")
    elif isinstance(documented, list) and documented:
        assert isinstance(actual, list) and actual, f"{where}: expected a non-empty list"
        assert_documented(documented[0], actual[0], f"{where}[0]")


@pytest.fixture(scope="module")
def oura() -> Iterator[FakeOura]:
    with FakeOura() as fake:
        yield fake


@pytest.fixture(scope="module")
def guide_server(oura: FakeOura) -> Iterator[FithubServer]:
    with device_server(oura) as srv:
        yield srv


@pytest.fixture
async def client(guide_server: FithubServer) -> AsyncIterator[httpx.AsyncClient]:
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    async with httpx.AsyncClient(base_url=guide_server.base_url, timeout=30,
                                 headers={"X-Forwarded-For": address}) as http:  # fmt: skip
        yield http


async def wait_for_sync(client: httpx.AsyncClient, variables: dict[str, str], sync_id: str) -> None:
    """What a person does by reading the sync again: wait until it has finished (60 s at most)."""
    auth = {"Authorization": f"Bearer {variables['ACCESS']}"}
    for _ in range(600):
        answer = await client.get(f"/api/v1/devices/oura/syncs/{sync_id}", headers=auth)
        if answer.json()["status"] in {"succeeded", "partial", "failed", "skipped"}:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"sync {sync_id} did not finish: {answer.text}")


async def test_the_guide_parses_into_requests_with_answers() -> None:
    steps = [s for s in guide_steps() if s.request]
    assert len(steps) >= 30
    statuses = {s.answer.status for s in steps if s.answer}
    assert {200, 201, 204, 401, 403, 404, 409, 422} <= statuses


async def test_every_request_in_the_guide_answers_as_documented(
    client: httpx.AsyncClient, oura: FakeOura
) -> None:
    variables: dict[str, str] = {}
    saved: dict[str, Any] = {}
    account = seed(oura)  # the person's account at the vendor, with a few days of data
    for step in guide_steps():
        assign(step.before, variables, saved)
        request = step.request
        if request is None:
            continue
        where = f"docs/api.md:{request.line}"
        url = expand(request.url, variables)
        assert url.startswith(DOCUMENTED_HOST), f"{where}: {url}"
        path = url.removeprefix(DOCUMENTED_HOST)
        if "$CODE" in (request.body or "") and "CODE" not in variables:
            # The person consents at the vendor, which sends the browser back with these.
            back = await asyncio.to_thread(oura.authorize, saved["connect.json"]["authorization_url"],
                                           account)  # fmt: skip
            variables.update(CODE=back.params["code"], STATE=back.params["state"])
        if path.startswith(("/api/v1/activity", "/api/v1/devices/oura/syncs/")):
            await wait_for_sync(client, variables, variables["SYNC"])
        headers = dict(
            (name.strip(), value.strip())
            for name, _, value in (expand(h, variables).partition(":") for h in request.headers)
        )
        body = request.body
        if body is not None:
            body = expand(body, variables, quoted=True) if request.expand_body else body
        response = await client.request(request.method, path, headers=headers,
                                        content=body.encode() if body is not None else None)  # fmt: skip
        answer = step.answer
        assert answer is not None
        assert response.status_code == answer.status, (
            f"{where}: {request.method} {path} documented {answer.status}, got "
            f"{response.status_code}: {response.text[:500]}"
        )
        for name, value in answer.headers.items():
            assert name in response.headers, f"{where}: no {name} header"
            if value != VARIES:
                assert response.headers[name] == value, f"{where}: {name}: {response.headers[name]}"
        if answer.body is not None:
            assert_documented(answer.body, response.json(), where)
        if request.save_to:
            saved[request.save_to] = response.json()
        assign(step.after, variables, saved)


TRAINER_ROUTES = [
    ("POST", "/coaching/invitations"),
    ("GET", "/coaching/clients"),
    ("GET", "/coaching/clients/1"),
    ("GET", "/coaching/clients/1/workouts"),
    ("GET", "/coaching/clients/1/workouts/1"),
    ("GET", "/coaching/clients/1/body-metrics"),
    ("GET", "/coaching/clients/1/goals"),
    ("POST", "/coaching/assignments"),
    ("GET", "/coaching/assignments"),
    ("GET", "/coaching/assignments/1"),
]


async def test_trainer_routes_tell_a_non_trainer_how_to_become_one(
    client: httpx.AsyncClient,
) -> None:
    email = f"coach-{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": "correct-horse-battery", "display_name": "Coach"}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 202
    login = await client.post(
        "/api/v1/auth/login", json={"email": email, "password": body["password"]}
    )
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for method, path in TRAINER_ROUTES:
        answer = await client.request(method, f"/api/v1{path}", headers=auth,
                                      json={} if method == "POST" else None)  # fmt: skip
        assert answer.status_code == 403, f"{method} {path}: {answer.text}"
        assert answer.json()["code"] == "forbidden"
        assert "PUT /api/v1/trainer-profile" in answer.json()["detail"], answer.json()
    saved = await client.put("/api/v1/trainer-profile", headers=auth, json={})
    assert saved.status_code == 200, saved.text
    clients = await client.get("/api/v1/coaching/clients", headers=auth)  # the same token
    assert clients.status_code == 200 and clients.json()["items"] == []


def test_the_guide_states_the_default_rate_limits() -> None:
    limits = GUIDE.read_text().split("\n## Rate limits\n", 1)[1].split("\n## ", 1)[0]

    def default(name: str) -> int:
        value = Settings.model_fields[name].default
        assert isinstance(value, int)
        return value

    assert default("login_window_seconds") == 15 * 60 and EXPORT_WINDOW_S == 3600
    assert default("register_window_seconds") == 3600
    for text in (
        f"{default('login_max_per_account')} failed attempts per 15 minutes",
        f"{default('login_max_per_address')} attempts per 15 minutes",
        f"{default('register_max_per_address')} an hour",
        f"limited to {EXPORTS_PER_WINDOW} an hour",
    ):
        assert text in " ".join(limits.split()), f"docs/api.md's rate limits do not say {text!r}"
