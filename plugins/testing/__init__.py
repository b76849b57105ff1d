"""Tools for testing device providers: fake vendor servers and the reusable contract test.

- :class:`FakeVendor`: a base for a fake vendor server (OAuth 2.0, paging, injected faults);
- :func:`assert_provider_contract`: checks a provider against its fake end to end;
- :func:`assert_push_authentication`: checks that forged, unsigned and stale pushes are refused;
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
from fithub.plugins.testing.push_contract import PushReport, PushSpec, assert_push_authentication

__all__ = [
    "Authorized",
    "ContractReport",
    "FakeVendor",
    "Fault",
    "PushReport",
    "PushSpec",
    "RecordedRequest",
    "assert_provider_contract",
    "assert_push_authentication",
    "check_declarations",
]
