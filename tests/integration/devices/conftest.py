"""Fixtures of the device tests: one fake Oura and one fithub server pointed at it; a fake Google
Health for the modules whose server knows it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fithub.plugins.testing.fakes.google import FakeGoogle
from fithub.plugins.testing.fakes.oura import FakeOura
from tests.integration.devices.world import device_server
from tests.support import FithubServer


@pytest.fixture(scope="package")
def oura() -> Iterator[FakeOura]:
    with FakeOura() as fake:
        yield fake


@pytest.fixture(scope="package")
def server(oura: FakeOura) -> Iterator[FithubServer]:
    """Replaces the suite's server here: this one knows the fake Oura."""
    with device_server(oura) as srv:
        yield srv


@pytest.fixture(scope="module")
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        yield fake
