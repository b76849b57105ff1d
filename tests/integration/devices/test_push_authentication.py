"""The push kit on every built-in provider that takes vendor pushes: forged, unsigned and stale
pushes are refused (fithub would answer 401 and store nothing), and the kit itself catches a
provider that lets them through."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fithub.plugins.fitbit import FitbitProvider
from fithub.plugins.garmin import GarminProvider
from fithub.plugins.google import GoogleHealthProvider
from fithub.plugins.manager import load_plugins
from fithub.plugins.oura import OuraProvider, webhook
from fithub.plugins.polar import PolarProvider
from fithub.plugins.strava import StravaProvider
from fithub.plugins.testing import FakeVendor, PushSpec, assert_push_authentication
from fithub.plugins.testing.fakes.fitbit import FakeFitbit
from fithub.plugins.testing.fakes.garmin import FakeGarmin
from fithub.plugins.testing.fakes.google import FakeGoogle
from fithub.plugins.testing.fakes.oura import FakeOura
from fithub.plugins.testing.fakes.polar import FakePolar
from fithub.plugins.testing.fakes.strava import FakeStrava
from fithub.plugins.testing.fakes.whoop import FakeWhoop
from fithub.plugins.testing.fakes.withings import FakeWithings
from fithub.plugins.testing.push_contract import forged_value, push_variants
from fithub.plugins.types import PushRequest, PushResult
from fithub.plugins.whoop import WhoopProvider
from fithub.plugins.withings import WithingsProvider

ACCOUNT = "10234567"


def withings_spec(fake: FakeWithings, account: str) -> PushSpec:
    """Withings' notifications prove themselves by the callback URL's secret only."""

    def make(at: datetime) -> PushRequest:
        start = int(at.timestamp()) - 3600
        query, headers, body = fake.notification(account, 1, startdate=start, enddate=start + 60)
        return PushRequest("POST", headers, query, body)

    return PushSpec(make, secret_params=("token",), secret_options=("callback_token",))


def fake_spec(fake: Any, account: str) -> PushSpec:
    return fake.push_spec(account)  # type: ignore[no-any-return]


PROVIDERS: dict[str, tuple[type[Any], type[FakeVendor], Callable[[Any, str], PushSpec]]] = {
    "strava": (StravaProvider, FakeStrava, fake_spec),
    "garmin": (GarminProvider, FakeGarmin, fake_spec),
    "oura": (OuraProvider, FakeOura, fake_spec),
    "fitbit": (FitbitProvider, FakeFitbit, fake_spec),
    "polar": (PolarProvider, FakePolar, fake_spec),
    "whoop": (WhoopProvider, FakeWhoop, fake_spec),
    "google": (GoogleHealthProvider, FakeGoogle, fake_spec),
    "withings": (WithingsProvider, FakeWithings, withings_spec),
}


@pytest.fixture(params=sorted(PROVIDERS))
def vendor(request: pytest.FixtureRequest) -> Iterator[tuple[type[Any], FakeVendor, PushSpec]]:
    provider_cls, fake_cls, spec = PROVIDERS[request.param]
    with fake_cls() as fake:
        yield provider_cls, fake, spec(fake, ACCOUNT)


def test_every_built_in_provider_that_takes_pushes_is_checked() -> None:
    registry = load_plugins(group="fithub.no-third-party-plugins")
    pushing = {
        name
        for name, component in registry.components("device_provider").items()
        if component.cls.auth_kind != "file_import"
    }
    assert pushing == set(PROVIDERS)


async def test_forged_unsigned_and_stale_pushes_are_refused(
    vendor: tuple[type[Any], FakeVendor, PushSpec],
) -> None:
    provider_cls, fake, spec = vendor
    report = await assert_push_authentication(provider_cls, fake, spec)
    assert "genuine" in report.accepted
    assert any(label.startswith("unsigned") for label in report.refused)
    assert any(label.startswith("forged") for label in report.refused)
    if spec.timestamped:
        assert any(label.startswith("stale") for label in report.refused)


def test_pushes_signed_is_declared_exactly_where_the_vendor_signs_the_body() -> None:
    """Where a vendor signs nothing (a secret in the URL or a header), deletes are confirmed."""
    signed = {name for name, (cls, _, _) in PROVIDERS.items() if getattr(cls, "pushes_signed", 0)}
    assert signed == {"oura", "fitbit", "polar", "whoop"}


# -- the kit catches what it should -------------------------------------------------------------


class TrustingStrava(StravaProvider):
    """Takes any event, as fithub did before the callback token was required."""

    async def handle_push(self, request: PushRequest) -> PushResult:
        return await super().handle_push(replace_query(request, token=FakeStrava.callback_token))


def replace_query(request: PushRequest, **values: str) -> PushRequest:
    return PushRequest(request.method, request.headers, {**request.query, **values}, request.body)


class TimelessOura(OuraProvider):
    """Checks the signature but takes any timestamp, as fithub did before the tolerance."""

    async def handle_push(self, request: PushRequest) -> PushResult:
        stamp = request.headers.get("x-oura-timestamp", "")
        self.clock = lambda: webhook.sent_at(stamp) if stamp else datetime.now(UTC)
        return await super().handle_push(request)


class ClaimingGoogle(GoogleHealthProvider):
    pushes_signed = True  # but Google's secret is a header, not a signature over the body


@pytest.mark.parametrize(
    ("provider_cls", "fake_cls", "breach"),
    [(TrustingStrava, FakeStrava, "was accepted"), (TimelessOura, FakeOura, "stale"),
     (ClaimingGoogle, FakeGoogle, "pushes_signed")],
)  # fmt: skip
async def test_the_kit_names_a_provider_that_lets_pushes_through(
    provider_cls: type[Any], fake_cls: type[FakeVendor], breach: str
) -> None:
    with fake_cls() as fake:
        with pytest.raises(AssertionError, match=breach):
            await assert_push_authentication(provider_cls, fake, fake_spec(fake, ACCOUNT))


def test_a_forged_value_keeps_its_alphabet_and_differs() -> None:
    for value in ("9f86d081884c7d65", "Bearer abc", "dGVzdA==", "0", "--", "Zz9"):
        forged = forged_value(value)
        assert forged != value and len(forged) >= len(value)
    assert forged_value("9f86") == "0f86" and forged_value("dGVz") == "aGVz"


def test_stale_variants_are_made_relative_to_the_instant_given() -> None:
    made: list[datetime] = []

    def make(at: datetime) -> PushRequest:
        made.append(at)
        return PushRequest("POST", {"x-sig": "abc"}, {}, b"{}")

    instant = datetime(2024, 3, 31, 0, 59, 30, tzinfo=UTC)  # just before a DST change in Europe
    labels = [label for label, _ in push_variants(
        PushSpec(make, secret_headers=("x-sig",), timestamped=True), instant)]  # fmt: skip
    assert any(label.startswith("stale") for label in labels)
    assert made[1:] == [instant - timedelta(minutes=6), instant + timedelta(minutes=6)]
