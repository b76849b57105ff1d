"""Third-party plugins in a real server: pip-installed ones load beside the built-ins, broken ones are
listed as failed without stopping the hub."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import FithubServer, running_server

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "fithub-hello-provider"

# One distribution, two broken plugins: one cannot be imported, one returns a class without a name.
BROKEN_FILES = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "fithub-broken-plugins"
        version = "0.0.1"

        [project.entry-points."fithub.plugins"]
        broken-import = "fithub_broken_plugins.import_error"
        nameless = "fithub_broken_plugins.nameless"

        [tool.setuptools]
        packages = ["fithub_broken_plugins"]
    """,
    "fithub_broken_plugins/__init__.py": "",
    "fithub_broken_plugins/import_error.py": """
        raise ImportError("fithub-broken-plugins needs vendorlib, which is not installed")
    """,
    "fithub_broken_plugins/nameless.py": """
        from fithub.plugins import hookimpl


        class Nameless:
            display_name = "I forgot my name"


        @hookimpl
        def register_device_providers(host):
            return [Nameless]
    """,
}


def pip_install_target(target: Path, *sources: Path) -> None:
    """Install packages into a folder of their own, never into the running environment."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            *map(str, sources),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"pip install failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Copies of the example and the broken package (pip builds in the source tree)."""
    root = tmp_path_factory.mktemp("plugin-sources")
    hello = root / "fithub-hello-provider"
    shutil.copytree(
        EXAMPLE,
        hello,
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".*cache"),
    )
    broken = root / "fithub-broken-plugins"
    for rel, text in BROKEN_FILES.items():
        (broken / rel).parent.mkdir(parents=True, exist_ok=True)
        (broken / rel).write_text(textwrap.dedent(text).lstrip())
    return {"hello": hello, "broken": broken}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sources: dict[str, Path]) -> Path:
    """A folder holding the three installed plugins, to put on PYTHONPATH."""
    target = tmp_path_factory.mktemp("plugin-site")
    pip_install_target(target, sources["hello"], sources["broken"])
    return target


def with_site(site: Path) -> dict[str, str]:
    return {
        "PYTHONPATH": os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)
    }


@pytest.fixture(scope="module")
def plugin_server(site: Path) -> Iterator[FithubServer]:
    """A second real server, started with the installed plugins importable."""
    with running_server(with_site(site)) as srv:
        yield srv


@pytest.fixture(scope="module")
def listed(plugin_server: FithubServer) -> dict[str, dict[str, Any]]:
    """``GET /api/v1/plugins`` of that server, by plugin name."""
    response = httpx.get(f"{plugin_server.base_url}/api/v1/plugins", timeout=30)
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["items"]}


def test_example_provider_is_listed(listed: dict[str, dict[str, Any]]) -> None:
    hello = listed["hello"]
    assert hello == {
        "name": "hello",
        "module": "fithub_hello_provider",
        "version": "0.1.0",
        "builtin": False,
        "status": "loaded",
        "error": None,
        "provides": [
            {"kind": "device_provider", "name": "hello", "display_name": "Hello Provider"}
        ],
    }


def test_builtin_log_notifier_loads_beside_plugins(listed: dict[str, dict[str, Any]]) -> None:
    builtin = [item for item in listed.values() if item["builtin"]]
    notifiers = {p["name"] for item in builtin for p in item["provides"] if p["kind"] == "notifier"}
    assert {"log", "email"} <= notifiers
    assert all(item["status"] == "loaded" for item in builtin), builtin


def test_plugin_that_cannot_be_imported_is_listed_as_failed(
    listed: dict[str, dict[str, Any]],
) -> None:
    broken = listed["broken-import"]
    assert broken["status"] == "failed" and broken["builtin"] is False
    assert broken["error"].startswith("ImportError: ") and "vendorlib" in broken["error"]
    assert broken["version"] == "0.0.1"
    assert broken["provides"] == []


def test_plugin_returning_a_nameless_class_is_listed_as_failed(
    listed: dict[str, dict[str, Any]],
) -> None:
    nameless = listed["nameless"]
    assert nameless["status"] == "failed"
    assert nameless["error"].startswith("TypeError: ") and "without a 'name'" in nameless["error"]
    assert nameless["provides"] == []


def test_server_logs_each_failed_plugin(
    plugin_server: FithubServer, listed: dict[str, dict[str, Any]]
) -> None:
    logs = plugin_server.read_logs()
    for name in ("broken-import", "nameless"):
        assert f"plugin {name} failed to load" in logs


def test_example_package_own_test_passes(sources: dict[str, Path], site: Path) -> None:
    """The example's "is my plugin listed?" test, run as its author would after installing it."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=sources["hello"],
        env={**os.environ, **with_site(site)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
