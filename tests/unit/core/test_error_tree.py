"""The tree atop core/errors.py names every FithubError, where it lives, its parent, status and code."""

from __future__ import annotations

import builtins
import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass
from types import ModuleType

import pytest

import fithub.core
import fithub.core.app  # noqa: F401  (every error class the app can raise is defined once imported)
import fithub.streaming
from fithub.core import errors
from fithub.core.errors import FithubError

#: `` ├── Name    400 some_code    [domain]``: the name's column gives its depth in the tree.
LINE = re.compile(r"^(?P<lead>[ │├└─]*)(?P<name>[A-Z]\w+)\s+(?P<status>\d{3})\s+(?P<code>[a-z_]+)"
                  r"(?:\s+\[(?P<domain>\w+)\])?\s*$")  # fmt: skip


@dataclass(frozen=True)
class Node:
    name: str
    parent: str | None
    status: int
    code: str
    module: str


def documented_tree() -> dict[str, Node]:
    """The nodes of the docstring tree, by class name."""
    nodes: dict[str, Node] = {}
    stack: list[tuple[int, str]] = []  # (column, name) of the open ancestors
    for line in (errors.__doc__ or "").splitlines():
        found = LINE.match(line)
        if found is None:
            continue
        column, name = len(found["lead"]), found["name"]
        while stack and stack[-1][0] >= column:
            stack.pop()
        domain = found["domain"]
        assert name not in nodes, f"{name} is listed twice"
        nodes[name] = Node(
            name=name,
            parent=stack[-1][1] if stack else None,
            status=int(found["status"]),
            code=found["code"],
            module=f"fithub.core.{domain}.errors" if domain else "fithub.core.errors",
        )
        stack.append((column, name))
    return nodes


def every_module() -> list[ModuleType]:
    """Every module of fithub.core and fithub.streaming, imported."""
    modules = []
    for package in (fithub.core, fithub.streaming):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            modules.append(importlib.import_module(info.name))
    return modules


def subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *subclasses(sub)]
    return found


@pytest.fixture(scope="module")
def tree() -> dict[str, Node]:
    every_module()
    return documented_tree()


def test_the_tree_is_read_from_the_docstring(tree: dict[str, Node]) -> None:
    assert tree["FithubError"] == Node("FithubError", None, 500, "internal_error", errors.__name__)
    assert tree["MalformedJSON"].parent == "BadRequest"
    assert tree["PushUnverified"].module == "fithub.core.devices.errors"
    assert len(tree) >= 20


def test_every_fithub_error_is_in_the_tree_as_it_is_defined(tree: dict[str, Node]) -> None:
    for cls in subclasses(FithubError):
        if cls.__module__.startswith("tests."):
            continue  # a test's own subclass
        node = tree.get(cls.__name__)
        assert node is not None, (
            f"{cls.__module__}.{cls.__name__} is missing from core/errors.py's tree"
        )
        assert (node.module, node.parent) == (cls.__module__, cls.__bases__[0].__name__), cls
        assert (node.status, node.code) == (cls.status, cls.code), cls


def test_every_class_in_the_tree_exists(tree: dict[str, Node]) -> None:
    for node in tree.values():
        module = importlib.import_module(node.module)
        cls = getattr(module, node.name, None)
        assert inspect.isclass(cls) and issubclass(cls, FithubError), (
            f"{node.name} is not in {node.module}"
        )
        assert cls.__module__ == node.module, f"{node.name} is defined in {cls.__module__}"


def test_a_domain_errors_module_lists_each_of_its_exceptions() -> None:
    domains = [m for m in every_module() if re.fullmatch(r"fithub\.core\.\w+\.errors", m.__name__)]
    names = {m.__name__ for m in domains}
    assert {"fithub.core.devices.errors", "fithub.core.media.errors"} <= names
    for module in domains:
        listed = set(re.findall(r"[├└]── (\w+)", module.__doc__ or ""))
        listed = {name for name in listed if not hasattr(builtins, name)}  # bases like ValueError
        defined = {
            name
            for name, value in vars(module).items()
            if inspect.isclass(value)
            and issubclass(value, Exception)
            and value.__module__ == module.__name__
        }
        assert defined, module.__name__
        assert defined == listed, f"{module.__name__}'s docstring tree differs from its classes"
