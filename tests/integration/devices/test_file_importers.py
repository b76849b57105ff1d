"""File imports (and pushed batches) are capabilities: a third-party provider offering them is
served like Apple Health.

The provider below is installed for a real server only (a module and a ``.dist-info`` with one
entry point in the ``fithub.plugins`` group, on the server's ``PYTHONPATH``); core knows it only
through :class:`fithub.plugins.types.FileImporter`.
"""

from __future__ import annotations

import asyncio
import os
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Account
from tests.integration.devices.world import device_server, devices, read_all
from tests.support import FithubServer

NAME = "stepfile"
BASE = f"/api/v1/devices/{NAME}"

PLUGIN = '''
"""A test-only provider whose data arrives as a small text file: one ``day,steps`` line each."""

from datetime import date, timedelta

from fithub.plugins import (
    BatchOutcome, DailySummary, DataType, ImportBatch, ImportFile, ImportRefused, ProviderError,
    Source, hookimpl,
)

MAGIC = b"stepfile v1\\n"


class NotStepFile(ImportRefused):
    reason = "not_recognised"


class StepFileProvider:
    name = "stepfile"
    display_name = "Step File"
    auth_kind = "file_import"
    scopes = ()
    data_types = (DataType.DAILY,)
    required_scopes = {}
    rate_limits = ()
    max_window = timedelta(days=3650)
    import_description = "a step file"
    import_unsupported = "The file is not a step file: it starts with the line stepfile v1."
    max_batch_records = 2

    def __init__(self, context):
        self.context = context

    async def authorization_url(self, request):
        raise ProviderError("no sign-in")

    async def exchange_code(self, callback):
        raise ProviderError("no sign-in")

    async def refresh(self, tokens):
        raise ProviderError("no sign-in")

    async def revoke(self, tokens):
        return None

    async def fetch_page(self, tokens, query):
        raise ProviderError("nothing to fetch")

    def normalise(self, data_type, item):
        return []

    async def handle_push(self, request):
        raise ProviderError("no pushes")

    @staticmethod
    def sniff_import(head):
        return head[: len(MAGIC)] == MAGIC[: len(head)]

    @staticmethod
    def inspect_import(path, max_bytes):
        lines = path.read_bytes().splitlines()
        if not lines or not all(b"," in line for line in lines[1:]):
            raise NotStepFile("a line is not day,steps")
        return ImportFile(format="txt", content_type="text/plain", size_bytes=path.stat().st_size)

    @staticmethod
    def read_import(path, max_bytes, batch_records):
        done, read, records = len(MAGIC), 0, []
        for line in path.read_bytes().splitlines()[1:]:
            day, steps = line.decode().split(",")
            source = Source("stepfile", "day:" + day)
            records.append(DailySummary(source=source, day=date.fromisoformat(day), steps=int(steps)))
            done, read = done + len(line) + 1, read + 1
            if len(records) == batch_records:
                yield ImportBatch(records=records, read=read, bytes_read=done)
                records = []
        yield ImportBatch(records=records, read=read, bytes_read=done,
                          skipped={"nothing to skip": 0})


    @staticmethod
    def normalise_batch(items):
        outcome = BatchOutcome()
        for index, item in enumerate(items):
            if item["type"] != "steps":
                outcome.errors.append((index, "type", "must be steps"))
                continue
            day = date.fromisoformat(item["start"][:10])
            source = Source("stepfile", "day:" + day.isoformat())
            outcome.records.append(DailySummary(source=source, day=day, steps=int(item["value"])))
        return outcome


@hookimpl
def register_device_providers(host):
    return [StepFileProvider]
'''


def install(site: Path) -> None:
    """The plugin module and its distribution's metadata, as pip would leave them."""
    (site / "fithub_test_stepfile.py").write_text(textwrap.dedent(PLUGIN).lstrip())
    info = site / "fithub_test_stepfile-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fithub-test-stepfile\nVersion: 0.0.1\n"
    )
    (info / "entry_points.txt").write_text("[fithub.plugins]\nstepfile = fithub_test_stepfile\n")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FithubServer]:
    site = tmp_path_factory.mktemp("importer-site")
    install(site)
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)
    with device_server(PYTHONPATH=path, FITHUB_STEPFILE_IMPORT_BATCH_RECORDS="2") as srv:
        yield srv


def step_file(*days: tuple[str, int]) -> bytes:
    return b"stepfile v1\n" + b"".join(f"{day},{steps}\n".encode() for day, steps in days)


async def upload(api: httpx.AsyncClient, user: Account, body: bytes) -> httpx.Response:
    files = {"file": ("steps.txt", body, "application/octet-stream")}
    return await api.post(f"{BASE}/imports", headers=user.auth, files=files)


async def finished(api: httpx.AsyncClient, user: Account, import_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        response = await api.get(f"{BASE}/imports/{import_id}", headers=user.auth)
        assert response.status_code == 200, response.text
        body = dict(response.json())
        if body["status"] in {"succeeded", "failed"}:
            return body
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.1)


async def test_a_third_party_file_importer_is_served_like_apple_health(
    api: httpx.AsyncClient, user: Account
) -> None:
    body = step_file(("2024-01-15", 4000), ("2024-01-16", 5200), ("2024-01-17", 800))
    response = await upload(api, user, body)
    assert response.status_code == 202, response.text
    assert response.headers["Location"] == f"{BASE}/imports/{response.json()['id']}"
    done = await finished(api, user, response.json()["id"])
    assert done["status"] == "succeeded", done
    assert (done["provider"], done["file_format"], done["inserted"]) == (NAME, "txt", 3)
    assert (done["records_read"], done["progress"]) == (3, 1.0)

    daily = await read_all(api, user, "/api/v1/daily")
    assert sorted((d["provider"], d["day"], d["steps"]) for d in daily) == [
        (NAME, "2024-01-15", 4000), (NAME, "2024-01-16", 5200), (NAME, "2024-01-17", 800),
    ]  # fmt: skip
    (connection,) = [c for c in (await devices(api, user))["connections"] if c["provider"] == NAME]
    assert connection["status"] == "connected"

    again = await finished(api, user, (await upload(api, user, body)).json()["id"])
    assert (again["inserted"], again["unchanged"]) == (0, 3)
    listed = await api.get(f"{BASE}/imports", headers=user.auth)
    assert len(listed.json()["items"]) == 2
    apple = await api.get("/api/v1/devices/apple_health/imports", headers=user.auth)
    assert apple.status_code == 200 and apple.json()["items"] == []


async def test_its_own_checks_decide_what_is_refused(api: httpx.AsyncClient, user: Account) -> None:
    wrong = await upload(api, user, b"PK\x03\x04 a zip archive is not a step file")
    assert wrong.status_code == 415, wrong.text
    assert wrong.json()["code"] == "unsupported_export"
    assert "starts with the line stepfile v1" in wrong.json()["detail"]

    broken = await upload(api, user, b"stepfile v1\nno comma here\n")
    assert broken.status_code == 422, broken.text
    assert broken.json()["code"] == "not_health_export"
    assert "not a step file fithub can read" in broken.json()["detail"]
    assert (await api.get(f"{BASE}/imports", headers=user.auth)).json()["items"] == []


async def test_a_provider_without_the_capabilities_takes_no_files(
    api: httpx.AsyncClient, user: Account
) -> None:
    response = await api.post("/api/v1/devices/oura/imports", headers=user.auth,
                              files={"file": ("x.txt", step_file(("2024-01-15", 1)), "text/plain")})  # fmt: skip
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "provider_not_supported"
    item = {"uuid": str(uuid.uuid4()), "type": "steps", "start": "2024-02-01T08:00:00+00:00"}
    batch = await api.post("/api/v1/devices/oura/batch", headers=user.auth,
                           json={"records": [item]})  # fmt: skip
    assert (batch.status_code, batch.json()["code"]) == (422, "provider_not_supported")
    missing = await api.get("/api/v1/devices/nobody/imports", headers=user.auth)
    assert missing.status_code == 404, missing.text


async def test_a_third_party_batch_importer_takes_pushed_batches(
    api: httpx.AsyncClient, user: Account
) -> None:
    def item(value: int, kind: str = "steps") -> dict[str, Any]:
        return {"uuid": str(uuid.uuid4()), "type": kind, "start": "2024-02-01T08:00:00+00:00",
                "value": value}  # fmt: skip

    pushed = await api.post(f"{BASE}/batch", headers=user.auth, json={"records": [item(321)]})
    assert pushed.status_code == 200, pushed.text
    assert (pushed.json()["records"], pushed.json()["inserted"]) == (1, 1)
    daily = await read_all(api, user, "/api/v1/daily")
    assert [(d["provider"], d["day"], d["steps"]) for d in daily] == [(NAME, "2024-02-01", 321)]

    bad = await api.post(f"{BASE}/batch", headers=user.auth,
                         json={"records": [item(1), item(2, "sleep")]})  # fmt: skip
    assert bad.status_code == 422, bad.text
    assert [e["field"] for e in bad.json()["errors"]] == ["records.1.type"]
    too_many = await api.post(f"{BASE}/batch", headers=user.auth,
                              json={"records": [item(1), item(2), item(3)]})  # fmt: skip
    assert too_many.status_code == 422, too_many.text
    assert (await read_all(api, user, "/api/v1/daily"))[0]["steps"] == 321
