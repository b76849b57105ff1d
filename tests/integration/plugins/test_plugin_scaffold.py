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
    package = root / "fithub_acme_fit_provider"
    source = (package / "__init__.py").read_text()
    declared = (package / "const.py").read_text()
    # The shape of the built-in providers: a spec declared once, the SDK's OAuth 2.0 base.
    assert "class AcmeFitProvider(OAuth2Provider[AcmeFitClient]):" in source
    assert "spec = const.SPEC" in source and "normalisers_in(mapping)" in source
    assert 'name="acme_fit"' in declared and 'display_name="Acme Fit Provider"' in declared
    made_files = [path.read_text().lower() for path in root.rglob("*") if path.is_file()]
    assert not [text for text in made_files if "hello" in text]
    pyproject = (root / "pyproject.toml").read_text()
    assert 'acme_fit = "fithub_acme_fit_provider"' in pyproject
    assert 'acme_fit = "fithub_acme_fit_provider.fake:FakeAcmeFit"' in pyproject
    assert (package / "fake.py").is_file()

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

    # The kit grades it as it grades the built-ins: its fake comes from the "fithub.testing"
    # entry point, its page from docs/providers/ in its folder, and the tier is the page's.
    graded = subprocess.run([*FITHUB, "plugin", "check", "acme_fit"], cwd=root,
                            env={**os.environ, **with_site(site)}, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "tier: gold" in graded.stdout, graded.stdout
    assert "Tier: **gold**" in (root / "docs" / "providers" / "acme_fit.md").read_text()
