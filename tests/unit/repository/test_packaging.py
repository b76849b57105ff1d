"""The distribution ships its data files without setuptools warning that a folder is not a package.

setuptools warns ("Package 'fithub.plugins.scaffold.template' is absent from the `packages`
configuration", about 40 lines each) for every shipped data file in a sub-folder that Python could
import as a namespace package but that ``packages`` does not list. Building a wheel to see the
warning needs a fresh setuptools from PyPI, so this test applies the same rule offline to what
setup.py and setup.cfg declare.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from setuptools._distutils.core import run_setup
from setuptools.dist import Distribution

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "plugins" / "scaffold" / "template"


def declared(root: Path) -> Distribution:
    """The distribution as setup.py and setup.cfg in ``root`` declare it (nothing is built)."""
    before = Path.cwd()
    os.chdir(root)  # setup.py finds packages relative to the working directory
    try:
        dist = run_setup(str(root / "setup.py"), stop_after="config")
    finally:
        os.chdir(before)
    assert isinstance(dist, Distribution)
    return dist


def package_folder(dist: Distribution, root: Path, package: str) -> Path:
    """The source folder of ``package`` through ``package_dir``."""
    mapped = dist.package_dir or {}
    prefix = max((p for p in mapped if package == p or package.startswith(p + ".")), key=len)
    rest = package.removeprefix(prefix).strip(".")
    return root / mapped[prefix] / Path(*rest.split(".")) if rest else root / mapped[prefix]


def shipped_data(dist: Distribution, root: Path) -> Iterator[tuple[str, Path]]:
    """Each (package, data file) that package_data ships."""
    patterns = dist.package_data or {}
    for package in dist.packages or []:
        folder = package_folder(dist, root, package)
        for pattern in [*patterns.get(package, []), *patterns.get("", [])]:
            for path in folder.glob(pattern):
                if path.is_file():
                    yield package, path


def unlisted_importable_folders(root: Path) -> set[str]:
    """Data folders setuptools would warn about: importable names missing from ``packages``."""
    dist = declared(root)
    listed = set(dist.packages or [])
    missing = set()
    for package, path in shipped_data(dist, root):
        parts = path.parent.relative_to(package_folder(dist, root, package)).parts
        if parts and all(part.isidentifier() for part in parts):
            name = ".".join((package, *parts))
            if name not in listed:
                missing.add(name)
    return missing


def test_no_shipped_data_folder_is_an_unlisted_package() -> None:
    assert unlisted_importable_folders(ROOT) == set(), (
        "setuptools will warn that these are absent from `packages`: list them in setup.py"
    )


def test_every_scaffold_template_still_ships() -> None:
    templates = {p for p in TEMPLATES.rglob("*.tmpl") if p.is_file()}
    assert len(templates) >= 8, "the scaffold templates moved: update this test"
    shipped = {path for _, path in shipped_data(declared(ROOT), ROOT)}
    assert templates - shipped == set()


def test_the_rule_catches_the_folder_that_used_to_warn(tmp_path: Path) -> None:
    """The check is not vacuous: a template folder left out of ``packages`` is reported."""
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "__init__.py").write_text("")
    data = tmp_path / "core" / "template" / "tests"
    data.mkdir(parents=True)
    (data / "conftest.py.tmpl").write_text("")
    (tmp_path / "setup.py").write_text(
        "from setuptools import setup\n"
        "setup(name='x', packages=['fithub.core'], package_dir={'fithub.core': 'core'},\n"
        "      package_data={'fithub.core': ['template/*/*.tmpl']})\n"
    )
    assert unlisted_importable_folders(tmp_path) == {"fithub.core.template.tests"}
