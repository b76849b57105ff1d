"""The provider breaker on an injected clock: it opens, refuses until its retry time, tries again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fithub.core.config import Settings
from fithub.core.devices.gateway import BreakerOpen, ProviderGateway
from fithub.core.devices.settings import DeviceSettings
from fithub.core.keys import KeyRing
from fithub.core.ratelimit import MemoryLimiter
from fithub.plugins.errors import ProviderAuthFailed, ProviderUnavailable
from fithub.plugins.manager import PluginRegistry

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # far from the wall clock: only this one counts
RESET_S = 60.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gateway(clock: Clock) -> ProviderGateway:
    # The breaker's own state in process memory, even when the suite runs with FITHUB_REDIS_URL:
    # pybreaker's Redis storage keeps only a later opening time than the one it holds (its own
    # wall-clock stamp), so a hand-moved clock in the past would not take there.
    settings = Settings(
        redis_url=None, devices=DeviceSettings(breaker_fail_max=3, breaker_reset_s=RESET_S)
    )
    keys = KeyRing(b"private", b"public", b"0" * 32)
    return ProviderGateway(settings, keys, None, MemoryLimiter(), PluginRegistry([]), clock=clock)


class Vendor:
    """A vendor call that fails with ``error`` (or answers "ok") and counts how often it ran."""

    def __init__(self) -> None:
        self.error: Exception | None = ProviderUnavailable("HTTP 500")
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return "ok"


async def _open(gateway: ProviderGateway, vendor: Vendor) -> None:
    for _ in range(3):
        with pytest.raises(ProviderUnavailable):  # the one that trips it is reported as itself
            await gateway.guarded("oura", vendor)


async def test_failures_in_a_row_open_it_and_it_refuses_until_its_retry_time(
    gateway: ProviderGateway, clock: Clock
) -> None:
    vendor = Vendor()
    await _open(gateway, vendor)
    state = await gateway.breaker_state("oura")
    assert (state.state, state.failures, vendor.calls) == ("open", 3, 3)
    assert state.opened_at == START and state.retry_at == START + timedelta(seconds=RESET_S)

    clock.advance(RESET_S - 1)
    with pytest.raises(BreakerOpen) as refused:
        await gateway.guarded("oura", vendor)
    assert refused.value.retry_at == state.retry_at and vendor.calls == 3  # nothing reached it


async def test_at_its_retry_time_one_trial_call_goes_through_and_a_success_closes_it(
    gateway: ProviderGateway, clock: Clock
) -> None:
    vendor = Vendor()
    await _open(gateway, vendor)
    vendor.error = None
    clock.advance(RESET_S)

    assert await gateway.guarded("oura", vendor) == "ok"
    state = await gateway.breaker_state("oura")
    assert (state.state, state.failures, state.retry_at, vendor.calls) == ("closed", 0, None, 4)


async def test_a_failed_trial_opens_it_again_from_the_trial_time(
    gateway: ProviderGateway, clock: Clock
) -> None:
    vendor = Vendor()
    await _open(gateway, vendor)
    clock.advance(RESET_S + 5)

    with pytest.raises(ProviderUnavailable):
        await gateway.guarded("oura", vendor)
    state = await gateway.breaker_state("oura")
    assert state.state == "open" and vendor.calls == 4
    assert state.retry_at == clock.now + timedelta(seconds=RESET_S)
    with pytest.raises(BreakerOpen):
        await gateway.guarded("oura", vendor)
    assert vendor.calls == 4


async def test_refused_tokens_say_nothing_about_the_vendors_health(
    gateway: ProviderGateway,
) -> None:
    vendor = Vendor()
    vendor.error = ProviderAuthFailed("HTTP 401")
    for _ in range(5):
        with pytest.raises(ProviderAuthFailed):
            await gateway.guarded("oura", vendor)
    state = await gateway.breaker_state("oura")
    assert (state.state, state.failures, vendor.calls) == ("closed", 0, 5)
