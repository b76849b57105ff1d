"""Tools for testing device providers and notifiers: fake vendor servers and the reusable contract test.

- :class:`FakeVendor`: a base for a fake vendor server (OAuth 2.0, paging, injected faults);
- :func:`assert_provider_contract`: checks a provider against its fake end to end;
- :func:`assert_push_authentication`: checks that forged, unsigned and stale pushes are refused;
- :func:`assert_nutrition_source_contract`, :func:`source_context`, :func:`memory_cache`: the
  nutrition-source kit (:mod:`fithub.plugins.testing.nutrition`);
- :class:`ChannelServer`, :class:`FakeChannelServer`: fake channel servers for notifiers, with
  faults, and :func:`assert_notifier_contract`, which checks a notifier against one;
- the ``fake_vendor`` fixture and friends, from the ``fithub`` pytest plugin
  (:mod:`fithub.plugins.testing.pytest_plugin`, registered through ``pytest11``).
"""

from __future__ import annotations

from fithub.plugins.testing.channel import (
    ChannelFault,
    ChannelServer,
    Delivered,
    FakeChannelServer,
)
from fithub.plugins.testing.contract import (
    ContractReport,
    assert_provider_contract,
    check_declarations,
)
from fithub.plugins.testing.fake import FakeVendor, Fault, RecordedRequest
from fithub.plugins.testing.notifier_contract import NotifierReport, assert_notifier_contract
from fithub.plugins.testing.nutrition import (
    NutritionReport,
    assert_nutrition_source_contract,
    memory_cache,
    source_context,
)
from fithub.plugins.testing.oauth import Authorized
from fithub.plugins.testing.push_contract import PushReport, PushSpec, assert_push_authentication

__all__ = [
    "Authorized",
    "ChannelFault",
    "ChannelServer",
    "ContractReport",
    "Delivered",
    "FakeChannelServer",
    "FakeVendor",
    "Fault",
    "NotifierReport",
    "NutritionReport",
    "PushReport",
    "PushSpec",
    "RecordedRequest",
    "assert_notifier_contract",
    "assert_nutrition_source_contract",
    "assert_provider_contract",
    "assert_push_authentication",
    "check_declarations",
    "memory_cache",
    "source_context",
]
