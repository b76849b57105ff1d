"""Point fithub's ``fake_vendor`` fixture (from its pytest plugin) at the fake Hello vendor."""

from __future__ import annotations

import pytest
from fithub_hello_provider.fake import FakeHello

from fithub.plugins.testing import FakeVendor


@pytest.fixture
def fake_vendor_class() -> type[FakeVendor]:
    return FakeHello
