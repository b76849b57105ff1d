"""docs/plugins.md stays in step with the hook specifications, as datasette's tests/test_docs.py does."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fithub.plugins import ENTRY_POINT_GROUP, errors, hookspecs

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "plugins.md"


def hookspec_functions() -> dict[str, Callable[..., Any]]:
    marker = f"{hookspecs.PROJECT}_spec"  # the attribute pluggy's HookspecMarker sets
    return {
        name: fn
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, marker)
    }


def signature_line(fn: Callable[..., Any]) -> str:
    """``def name(arg: Type) -> Return`` as written in the source (annotations are strings)."""
    sig = inspect.signature(fn)
    params = ", ".join(
        p.name if p.annotation is inspect.Parameter.empty else f"{p.name}: {p.annotation}"
        for p in sig.parameters.values()
    )
    returns = (
        "" if sig.return_annotation is inspect.Signature.empty else (f" -> {sig.return_annotation}")
    )
    return f"def {fn.__name__}({params}){returns}"


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text()


def test_there_are_hookspecs_to_document() -> None:
    assert len(hookspec_functions()) >= 4


@pytest.mark.parametrize("name", sorted(hookspec_functions()))
def test_hookspec_is_documented_with_its_signature(guide: str, name: str) -> None:
    fn = hookspec_functions()[name]
    assert f"\n### {name}\n" in guide, f"docs/plugins.md has no '### {name}' section"
    section = guide.split(f"\n### {name}\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    assert signature_line(fn) in section, (
        f"the '{name}' section should show its signature: {signature_line(fn)}"
    )


def test_guide_documents_no_hook_that_does_not_exist(guide: str) -> None:
    documented = set(re.findall(r"^### (register_\w+)$", guide, flags=re.MULTILINE))
    assert documented == set(hookspec_functions())


def test_guide_names_the_entry_point_group_and_every_plugin_error(guide: str) -> None:
    assert f'"{ENTRY_POINT_GROUP}"' in guide
    for name, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, errors.PluginError):
            assert name in guide, f"docs/plugins.md does not mention {name}"
