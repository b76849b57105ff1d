"""Tools for testing device providers: fake vendor servers and the reusable contract test.

- :class:`FakeVendor`: a base for a fake vendor server (OAuth 2.0, paging, injected faults);
- :func:`assert_provider_contract`: checks a provider against its fake end to end;
- the ``fake_vendor`` fixture and friends, from the ``fithub`` pytest plugin
  (:mod:`fithub.plugins.testing.pytest_plugin`, registered through ``pytest11``).
"""

from __future__ import annotations

from fithub.plugins.testing.contract import (
    ContractReport,
    assert_provider_contract,
    check_declarations,
)
from fithub.plugins.testing.fake import FakeVendor, Fault, RecordedRequest
from fithub.plugins.testing.oauth import Authorized

__all__ = [
    "Authorized",
    "ContractReport",
    "FakeVendor",
    "Fault",
    "RecordedRequest",
    "assert_provider_contract",
    "check_declarations",
]
