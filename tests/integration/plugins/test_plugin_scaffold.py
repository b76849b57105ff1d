"""``fithub plugin new NAME``: a package that installs, loads and passes its own tests at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fithub.plugins.scaffold import Names, ScaffoldError, render_files
from tests.integration.plugins.test_plugins import EXAMPLE, pip_install_target, with_site
from tests.support import FITHUB


def _fithub(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FITHUB, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_the_example_is_exactly_what_the_scaffold_makes() -> None:
    rendered = render_files("hello")
    on_disk = {
        str(path.relative_to(EXAMPLE)): path.read_text()
        for path in EXAMPLE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and ".egg-info" not in str(path)
    }
    assert rendered == on_disk


@pytest.mark.parametrize("name", ["Acme", "a", "1acme", "acme-fit", "acme__fit", "acme_", "x" * 40])
def test_names_that_cannot_be_provider_names_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="not a provider name"):
        Names.of(name)
    refused = _fithub("plugin", "new", name, "--dir", str(tmp_path), cwd=tmp_path)
    assert refused.returncode == 2 and "not a provider name" in refused.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_new_package_installs_loads_and_passes_its_own_contract_test(tmp_path: Path) -> None:
    made = _fithub("plugin", "new", "acme_fit", "--dir", str(tmp_path), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    root = tmp_path / "fithub-acme-fit-provider"
    assert f"created {root}" in made.stdout
    package = root / "fithub_acme_fit_provider" / "__init__.py"
    source = package.read_text()
    assert "class AcmeFitProvider:" in source and 'name: ClassVar[str] = "acme_fit"' in source
    assert '"Acme Fit Provider"' in source and "hello" not in source.lower()
    assert 'acme_fit = "fithub_acme_fit_provider"' in (root / "pyproject.toml").read_text()
    assert (root / "tests" / "fake_acme_fit.py").is_file()

    again = _fithub("plugin", "new", "acme_fit", "--dir", str(tmp_path), cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr

    site = tmp_path / "site"
    pip_install_target(site, root)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        env={**os.environ, **with_site(site)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout  # listed, keeps the protocol, keeps the contract
