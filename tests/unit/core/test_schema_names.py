"""Every request and response model has its own name: the OpenAPI document keys schemas by class
name, so two models called alike (two ``DeliveryOut``) would silently share one schema."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

from pydantic import BaseModel

import fithub.core


def test_api_models_have_distinct_names() -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for info in pkgutil.walk_packages(fithub.core.__path__, "fithub.core."):
        if not info.name.rsplit(".", 1)[-1].endswith(("schemas", "routes")):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
                and value.__name__ != "Strict"  # private bases, never a schema of their own
            ):
                seen[value.__name__].add(value.__module__)
    clashes = {name: sorted(mods) for name, mods in seen.items() if len(mods) > 1}
    assert not clashes, clashes
