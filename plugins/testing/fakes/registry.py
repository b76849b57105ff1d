"""Which fake vendor ``fithub plugin check`` runs a provider against: registered, entry points, built-ins.

A third-party provider names its fake in the entry point group ``fithub.testing`` (the entry
point's name is the provider's ``name``; its object a :class:`VendorFake`, a ``FakeVendor``
subclass, or a callable taking no argument that returns either)::

    [project.entry-points."fithub.testing"]
    acme = "fithub_acme.testing:ACME_FAKE"

or, in-process (a test, a conftest), with :func:`register_fake`. The first found wins, in that
order: registrations, entry points, then the fakes of fithub's built-in providers.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from fithub.plugins.records import Record
from fithub.plugins.testing.fake import FakeVendor
from fithub.plugins.testing.push_contract import PushSpec
from fithub.plugins.types import DataType, PushRequest

log = logging.getLogger("fithub.plugins.testing")
ENTRY_POINT_GROUP = "fithub.testing"

PushMaker = Callable[[FakeVendor, str], PushSpec]
DeletionMaker = Callable[[FakeVendor, str, datetime], PushRequest]
Importer = Callable[[datetime, datetime], Iterable[Record]]


@dataclass(frozen=True)
class VendorFake:
    """How to check one provider against its fake (docs/plugins.md, "Quality tiers").

    - ``make``: a new, not yet started fake (None for a vendor with no server, a file import);
    - ``contract``: keyword arguments for ``assert_provider_contract`` (``days``,
      ``expect_refresh``, ``single_page``, ...); ``prepare`` adjusts the started fake first;
    - ``push``: the vendor's :class:`PushSpec` for an account (default: the fake's
      ``push_spec(account)`` when it has one); ``no_push``: why the vendor has none;
    - ``deletion``: a genuine push reporting a deletion, made at an instant; ``no_deletions``:
      why the vendor reports none;
    - ``importer``: records of a file-import provider for [start, end) (what a person uploads);
    - ``backfill_days``: the long window the backfill criterion walks;
    - ``docs``: the provider's documentation page (default: ``docs/providers/<name>.md``).
    """

    provider: str
    make: Callable[[], FakeVendor] | None = None
    contract: Mapping[str, Any] = field(default_factory=dict)
    prepare: Callable[[FakeVendor], None] | None = None
    push: PushMaker | None = None
    no_push: str = ""
    deletion: DeletionMaker | None = None
    no_deletions: str = ""
    importer: Importer | None = None
    backfill_days: float = 30
    docs: Path | None = None

    def push_spec(self, fake: FakeVendor | None, account: str) -> PushSpec | None:
        """The vendor's push scheme for ``account``, or None when it pushes nothing."""
        if fake is None:
            return None
        if self.push is not None:
            return self.push(fake, account)
        if self.no_push:
            return None
        made = getattr(fake, "push_spec", None)
        return made(account) if callable(made) else None


_registered: dict[str, VendorFake] = {}


def register_fake(vendor: VendorFake) -> None:
    """Use ``vendor`` for its provider from now on in this process (before entry points)."""
    _registered[vendor.provider] = vendor


def unregister_fake(provider: str) -> None:
    _registered.pop(provider, None)


def _as_vendor_fake(name: str, value: Any) -> VendorFake:
    if isinstance(value, VendorFake):
        return value
    if isinstance(value, type) and issubclass(value, FakeVendor):
        return VendorFake(name, make=value)
    if callable(value):
        return _as_vendor_fake(name, value())
    raise TypeError(f"{ENTRY_POINT_GROUP} entry point {name!r} gave {value!r}, not a VendorFake")


def find_fake(provider: str) -> VendorFake | None:
    """The fake registered for ``provider`` (see the module docstring), or None."""
    if provider in _registered:
        return _registered[provider]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == provider:
            return _as_vendor_fake(provider, ep.load())
    return _builtin(provider)


# -- fithub's own providers ------------------------------------------------------------------------


def _fake_class(module: str, cls: str) -> Callable[[], FakeVendor]:
    def make() -> FakeVendor:
        made: FakeVendor = getattr(import_module(f"fithub.plugins.testing.fakes.{module}"), cls)()
        return made

    return make


def _withings_push(fake: Any, account: str) -> PushSpec:
    """Withings' notifications prove themselves by the callback URL's secret only."""
    made = getattr(fake, "push_spec", None)
    if callable(made):
        return made(account)  # type: ignore[no-any-return]

    def make(at: datetime) -> PushRequest:
        start = int(at.timestamp()) - 3600
        query, headers, body = fake.notification(account, 1, startdate=start, enddate=start + 60)
        return PushRequest("POST", headers, query, body)

    return PushSpec(make, secret_params=("token",), secret_options=("callback_token",))


def _spec_push(fake: Any, account: str, at: datetime) -> PushRequest:
    """The fake's own sample push (Oura, Strava and WHOOP's announce a deleted workout)."""
    spec: PushSpec = fake.push_spec(account)
    return spec.make(at)


def _google_deletion(fake: Any, account: str, at: datetime) -> PushRequest:
    note = fake.notification(account, "exercise", at - timedelta(hours=1), at, "DELETE")
    request: PushRequest = fake.push_request(note)
    return request


def _apple_health_export(start: datetime, end: datetime) -> list[Record]:
    """What the Health app's export of [start, end) gives (days, whole)."""
    from fithub.plugins.apple_health import ExportReader
    from fithub.plugins.testing.fakes.apple_health import write_export

    days = max(1, round((end - start).total_seconds() / 86400))
    out = io.BytesIO()
    write_export(out, days=days, first_day=start.date())
    out.seek(0)
    return list(ExportReader().records(out))


NEW_DATA_ONLY = "its notifications announce new or changed data only, never a deletion"


def _builtin(provider: str) -> VendorFake | None:
    fakes: dict[str, VendorFake] = {
        "oura": VendorFake(
            "oura", _fake_class("oura", "FakeOura"), {"days": 3}, deletion=_spec_push
        ),
        # Fitbit's heart rate comes a day (1,300 samples) a call: two weeks keep it to seconds.
        "fitbit": VendorFake(
            "fitbit",
            _fake_class("fitbit", "FakeFitbit"),
            no_deletions=NEW_DATA_ONLY,
            backfill_days=14,
        ),
        "garmin": VendorFake(
            "garmin",
            _fake_class("garmin", "FakeGarmin"),
            {"days": 1},
            no_deletions=NEW_DATA_ONLY + " (a deregistration ends the grant)",
        ),
        # Google's fake filters every stored point per request: pages of 10 and half a month
        # (past its 14-day max_window) keep the check to seconds.
        "google": VendorFake(
            "google",
            _fake_class("google", "FakeGoogle"),
            {"days": 3, "page_size": 10},
            deletion=_google_deletion,
            backfill_days=15,
        ),
        "polar": VendorFake(
            "polar",
            _fake_class("polar", "FakePolar"),
            {"expect_refresh": False, "single_page": (DataType.ACTIVITIES, DataType.DAILY)},
            no_deletions=NEW_DATA_ONLY,
        ),
        "strava": VendorFake(
            "strava",
            _fake_class("strava", "FakeStrava"),
            prepare=_one_hour_tokens,
            deletion=_spec_push,
        ),
        "whoop": VendorFake(
            "whoop", _fake_class("whoop", "FakeWhoop"), {"days": 4}, deletion=_spec_push
        ),
        "withings": VendorFake(
            "withings",
            _fake_class("withings", "FakeWithings"),
            push=_withings_push,
            no_deletions=NEW_DATA_ONLY,
        ),
        "apple_health": VendorFake(
            "apple_health",
            no_push="no vendor server pushes: the phone app posts batches to fithub's own "
            "authenticated API, and exports are uploaded by the person",
            no_deletions="an export or a batch is a snapshot: it never says what was deleted",
            importer=_apple_health_export,
            backfill_days=10,  # an export is parsed whole: bench/apple_import.py times years
        ),
    }
    return fakes.get(provider)


def _one_hour_tokens(fake: FakeVendor) -> None:
    """Strava hands back the same access token while it has over an hour left: start at one."""
    fake.access_ttl_s = 3600
