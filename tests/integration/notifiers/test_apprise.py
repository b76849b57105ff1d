"""The apprise notifier against a local HTTP receiver reached through apprise's json:// and form://.

``assert_notifier_contract`` is not run whole: it expects refused credentials (a 401) to raise
``DeliveryGaveUp``, but apprise reports only yes or no, so every failure is ``DeliveryRetryLater``
(see the module docstring of ``fithub.notifiers.apprise``). The other parts are checked here.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import aiohttp
import pytest

import fithub.notifiers.apprise as apprise_module
from fithub.notifiers.apprise import (
    AppriseNotifier,
    check_apprise_url,
    message_id,
)
from fithub.plugins import (
    DeliveryRetryLater,
    NotifierContext,
    PluginHost,
    RecipientInvalid,
    RenderedMessage,
)
from fithub.plugins.manager import load_plugins
from fithub.plugins.testing.notifier_contract import check_notifier_declarations

from .apprise_receiver import AppriseReceiver

MESSAGE = RenderedMessage(
    title="New record: squat 120 kg",
    text="You squatted 120 kg, a new record.",
    html="<p>You squatted <b>120 kg</b>, a new record.</p>",
    locale="en",
    idempotency_key="delivery-42-apprise",
)
UNUSABLE = ["", "   ", "nonsense", "nosuchservice://hook", "json://", "tgram://"]


@pytest.fixture
def receiver() -> Iterator[AppriseReceiver]:
    with AppriseReceiver() as server:
        yield server


def make_notifier(session: aiohttp.ClientSession, timeout_s: float = 2.0) -> AppriseNotifier:
    context = NotifierContext({}, session, logging.getLogger("fithub.notifiers.test"), timeout_s)
    return AppriseNotifier(context)


@pytest.fixture
async def notifier() -> AsyncIterator[AppriseNotifier]:
    async with aiohttp.ClientSession() as session:
        yield make_notifier(session)


def test_the_notifier_declares_the_apprise_channel() -> None:
    check_notifier_declarations(AppriseNotifier, "apprise")


@pytest.mark.parametrize("schema", ["json", "form"])
async def test_a_message_travels_over_http_to_the_receiver(
    receiver: AppriseReceiver, notifier: AppriseNotifier, schema: str
) -> None:
    recipient = replace(receiver.recipient(), address=receiver.address(schema))
    result = await notifier.send(MESSAGE, recipient)
    [fields] = receiver.received
    assert fields["title"] == MESSAGE.title
    assert fields["message"] == MESSAGE.text  # the plain text: every service can show it
    assert fields["idempotency_key"] == MESSAGE.idempotency_key
    [delivered] = receiver.delivered()
    assert delivered.address == recipient.address
    assert result.provider_message_id == delivered.provider_message_id
    assert result.provider_message_id == message_id(MESSAGE.idempotency_key)


async def test_a_repeat_carries_the_same_key_and_id(
    receiver: AppriseReceiver, notifier: AppriseNotifier
) -> None:
    first = await notifier.send(MESSAGE, receiver.recipient())
    second = await notifier.send(MESSAGE, receiver.recipient())
    other = await notifier.send(replace(MESSAGE, idempotency_key="another"), receiver.recipient())
    assert first == second != other
    assert len(receiver.delivered(MESSAGE.idempotency_key)) == 1  # the receiver dropped the repeat
    assert [f["idempotency_key"] for f in receiver.received] == [MESSAGE.idempotency_key, "another"]


@pytest.mark.parametrize("address", UNUSABLE)
async def test_a_url_apprise_cannot_parse_is_an_invalid_recipient(
    receiver: AppriseReceiver, notifier: AppriseNotifier, address: str
) -> None:
    with pytest.raises(RecipientInvalid) as caught:
        await notifier.send(MESSAGE, replace(receiver.recipient(), address=address))
    assert (address.strip() or "<none>") not in str(caught.value)
    assert receiver.delivered() == []
    with pytest.raises(ValueError):
        check_apprise_url(address)


def test_a_url_apprise_can_use_is_accepted_as_given() -> None:
    assert check_apprise_url("  ntfy://fithub-ada-records  ") == "ntfy://fithub-ada-records"
    assert check_apprise_url("json://127.0.0.1:8080/hook") == "json://127.0.0.1:8080/hook"


@pytest.mark.parametrize("fault", ["unavailable", "auth"])
async def test_a_refusing_service_is_retried_later_as_apprise_gives_no_reason(
    receiver: AppriseReceiver, notifier: AppriseNotifier, fault: str
) -> None:
    receiver.inject(fault)  # type: ignore[arg-type]
    with pytest.raises(DeliveryRetryLater) as caught:
        await notifier.send(MESSAGE, receiver.recipient())
    assert "127.0.0.1" not in str(caught.value)
    assert receiver.delivered() == []
    await notifier.send(MESSAGE, receiver.recipient())  # the retry gets through
    assert len(receiver.delivered()) == 1


async def test_a_silent_service_is_retried_later_within_the_timeout(
    receiver: AppriseReceiver,
) -> None:
    receiver.inject("timeout")  # the receiver holds the request hang_s (2 s)
    async with aiohttp.ClientSession() as session:
        notifier = make_notifier(session, timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(DeliveryRetryLater):
            await notifier.send(MESSAGE, receiver.recipient())
        assert time.monotonic() - started < receiver.hang_s
    assert receiver.delivered() == []


async def test_the_event_loop_runs_while_apprise_waits_for_the_service(
    receiver: AppriseReceiver,
) -> None:
    ticks, target = 0, 0
    reached = asyncio.Event()

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            if target and ticks >= target:
                reached.set()
            await asyncio.sleep(0.005)

    receiver.hold()
    ticker = asyncio.create_task(tick())
    try:
        async with aiohttp.ClientSession() as session:
            notifier = make_notifier(session, timeout_s=8.0)
            sending = asyncio.create_task(notifier.send(MESSAGE, receiver.recipient()))
            held = await asyncio.to_thread(receiver.held.wait, 5.0)
            assert held, "the request never reached the receiver"
            target = ticks + 10  # the loop must run on while the receiver holds the request
            await asyncio.wait_for(reached.wait(), 5.0)
            assert not sending.done(), "the send finished although the receiver holds it"
            receiver.release()
            result = await sending
    finally:
        receiver.release()
        ticker.cancel()
    assert result.provider_message_id == receiver.delivered()[0].provider_message_id


async def test_nothing_logged_names_the_body_or_the_address(
    receiver: AppriseReceiver, notifier: AppriseNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await notifier.send(MESSAGE, receiver.recipient())
    receiver.inject("unavailable")
    with pytest.raises(DeliveryRetryLater):
        await notifier.send(replace(MESSAGE, idempotency_key="k2"), receiver.recipient())
    # the notifier's lines and apprise's (urllib3 names hosts at DEBUG, for any HTTP client)
    records = [r for r in caplog.records if r.name.startswith(("fithub.", "apprise"))]
    assert records, "the notifier logs its sends"
    host = receiver.url.removeprefix("http://")
    for record in records:
        line = record.getMessage()
        assert MESSAGE.text not in line and host not in line, line


def test_the_plugin_registers_the_notifier_when_apprise_is_installed() -> None:
    registry = load_plugins(builtins=("fithub.notifiers.apprise",), group="fithub.no-such-group")
    [record] = registry.records
    assert record.status == "loaded", record.error
    assert registry.components("notifier")["apprise"].cls is AppriseNotifier


def test_without_apprise_the_plugin_loads_and_registers_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [m for m in sys.modules if m == "apprise" or m.startswith("apprise.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "apprise", None)  # makes `import apprise` fail
    spec = importlib.util.spec_from_file_location("fithub_apprise_absent", apprise_module.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.HAVE_APPRISE is False
    assert module.register_notifiers(PluginHost(version="0", logger=logging.getLogger())) == []
    with pytest.raises(ValueError, match="not installed"):
        module.check_apprise_url("ntfy://topic")
