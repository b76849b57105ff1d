"""``fithub plugin new NAME``: a new provider package, ready to fill in, whose tests already pass.

The package is the one in ``examples/fithub-hello-provider`` (which is exactly what
``fithub plugin new hello`` makes): a provider class with every contract method, its entry point,
a fake vendor on fithub's :class:`~fithub.plugins.testing.FakeVendor`, and the provider contract
test. Templates live beside this module; ``{{name}}``-style markers are replaced in file names
and contents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,30}[a-z0-9]$")
SUFFIX = ".tmpl"


class ScaffoldError(ValueError):
    """The package cannot be made (a bad name, or the folder exists)."""


@dataclass(frozen=True)
class Names:
    """Every spelling of the provider's name the templates use."""

    name: str  # acme_fit: the provider's name and the entry point's
    Name: str  # AcmeFit: class names  # noqa: N815 (the marker is spelt so)
    NAME: str  # ACME_FIT: settings prefixes  # noqa: N815
    display: str  # Acme Fit Provider
    package: str  # fithub_acme_fit_provider
    dist: str  # fithub-acme-fit-provider

    @classmethod
    def of(cls, name: str) -> Names:
        if not NAME_PATTERN.match(name) or "__" in name:
            raise ScaffoldError(
                f"{name!r} is not a provider name: use 3 to 32 lower-case letters, digits and "
                "single underscores, starting with a letter (e.g. acme or acme_fit)"
            )
        words = name.split("_")
        camel = "".join(w.capitalize() for w in words)
        return cls(name=name, Name=camel, NAME=name.upper(),
                   display=" ".join(w.capitalize() for w in words) + " Provider",
                   package=f"fithub_{name}_provider", dist=f"fithub-{name.replace('_', '-')}-provider")  # fmt: skip

    def render(self, text: str) -> str:
        for marker, value in (("{{display}}", self.display), ("{{package}}", self.package),
                              ("{{dist}}", self.dist), ("{{NAME}}", self.NAME),
                              ("{{Name}}", self.Name), ("{{name}}", self.name)):  # fmt: skip
            text = text.replace(marker, value)
        return text


def _templates(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        relative = f"{prefix}{entry.name}"
        if entry.is_dir():
            found.extend(_templates(entry, f"{relative}/"))
        elif entry.name.endswith(SUFFIX):
            found.append((relative.removesuffix(SUFFIX), entry))
    return found


def render_files(name: str) -> dict[str, str]:
    """The new package's files (relative path -> text) for provider ``name``."""
    names = Names.of(name)
    template = files(__package__ or "fithub.plugins.scaffold") / "template"
    return {names.render(path): names.render(entry.read_text(encoding="utf-8"))
            for path, entry in _templates(template)}  # fmt: skip


def create_package(name: str, parent: Path) -> Path:
    """Write the package for provider ``name`` into a new folder under ``parent``; its path."""
    names = Names.of(name)
    root = parent / names.dist
    if root.exists():
        raise ScaffoldError(f"{root} already exists: choose another folder or name")
    rendered = render_files(name)
    for relative, text in rendered.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
