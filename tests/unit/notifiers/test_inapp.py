"""The in-app notifier: it publishes to the recipient's inbox topic through core's fan-out.

A real in-process :class:`~fithub.core.fanout.Fanout` stands between the notifier and a
subscriber, as between the worker and the notifications socket. Without a publisher the
delivery still succeeds (the inbox row is the delivery); a failing or silent publisher is
retried later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from fithub.core.fanout import Fanout
from fithub.core.notifications.live import inbox_topic
from fithub.notifiers.inapp import InAppNotifier, topic
from fithub.plugins import (
    DeliveryRetryLater,
    Notifier,
    NotifierContext,
    Recipient,
    RecipientInvalid,
    RenderedMessage,
)
from fithub.plugins.manager import BUILTIN_PLUGINS, load_plugins
from fithub.plugins.notifier import Publisher
from fithub.plugins.testing.notifier_contract import check_notifier_declarations

MESSAGE = RenderedMessage(
    title="New personal record: Squat",
    text="You lifted 120 kg, 5 kg more than before.",
    data={
        "notification_id": 812,
        "kind": "record.achieved",
        "created_at": "2026-12-07T08:21:07.402113+00:00",
        "action_url": "https://fithub.example/records",
    },
    idempotency_key="n:812:inapp",
)
RECIPIENT = Recipient(channel="inapp", address="42")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def make(session: aiohttp.ClientSession, publisher: Publisher | None, **kw: Any) -> InAppNotifier:
    logger = logging.getLogger("fithub.notifiers.inapp")
    return InAppNotifier(NotifierContext({}, session, logger, publisher=publisher, **kw))


def test_it_declares_the_inapp_channel_and_its_topic_is_cores() -> None:
    check_notifier_declarations(InAppNotifier, "inapp")
    assert InAppNotifier.name == "inapp"
    assert topic(42) == inbox_topic(42) == "inbox:42"


def test_it_is_a_builtin_plugin_that_fithub_loads() -> None:
    assert "fithub.notifiers.inapp" in BUILTIN_PLUGINS
    text = (Path(__file__).parents[3] / "setup.cfg").read_text()
    assert "fithub-builtin-inapp-notifier = fithub.notifiers.inapp" in text
    assert load_plugins().components("notifier")["inapp"].cls is InAppNotifier


async def test_it_publishes_the_notification_to_the_users_inbox_topic_only(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    fanout = Fanout()
    notifier = make(session, fanout)
    assert isinstance(notifier, Notifier)
    async with fanout.subscribe("inbox:42") as mine, fanout.subscribe("inbox:43") as theirs:
        with caplog.at_level(logging.DEBUG):
            result = await notifier.send(MESSAGE, RECIPIENT)
        received = await asyncio.wait_for(mine.get(), timeout=5)
        assert theirs.empty()
    assert received == {
        "type": "notification",
        "id": 812,
        "kind": "record.achieved",
        "title": MESSAGE.title,
        "text": MESSAGE.text,
        "data": {"action_url": "https://fithub.example/records"},
        "created_at": "2026-12-07T08:21:07.402113+00:00",
    }
    assert result.provider_message_id.startswith("inapp-")
    lines = [record.getMessage() for record in caplog.records]
    assert lines, "the delivery is logged (without its body or address)"
    assert not any(MESSAGE.text in line or "inbox:42" in line for line in lines)


async def test_every_attempt_reports_the_id_derived_from_the_idempotency_key(
    session: aiohttp.ClientSession,
) -> None:
    fanout = Fanout()
    notifier = make(session, fanout)
    first = await notifier.send(MESSAGE, RECIPIENT)
    again = await notifier.send(MESSAGE, RECIPIENT)
    other = await notifier.send(
        RenderedMessage(title="t", text="x", idempotency_key="n:813:inapp"), RECIPIENT
    )
    assert first == again
    assert other.provider_message_id != first.provider_message_id


async def test_without_a_publisher_it_still_delivers_with_the_same_id(
    session: aiohttp.ClientSession,
) -> None:
    live = await make(session, Fanout()).send(MESSAGE, RECIPIENT)
    stored_only = await make(session, None).send(MESSAGE, RECIPIENT)
    assert stored_only == live


async def test_nobody_listening_is_not_a_failure(session: aiohttp.ClientSession) -> None:
    fanout = Fanout()
    result = await make(session, fanout).send(MESSAGE, RECIPIENT)
    assert result.provider_message_id
    assert not fanout._local  # and no subscription was left behind


@pytest.mark.parametrize("address", ["", "0", "-4", "ada@people.example", "4 2", "４２"])
async def test_an_address_that_is_not_a_user_id_is_invalid(
    session: aiohttp.ClientSession, address: str
) -> None:
    fanout = Fanout()
    async with fanout.subscribe(f"inbox:{address}") as queue:
        with pytest.raises(RecipientInvalid) as raised:
            await make(session, fanout).send(MESSAGE, Recipient(channel="inapp", address=address))
        assert queue.empty()
    assert not address or address not in str(raised.value)


class _DownPublisher:
    """A fan-out whose Redis is unreachable."""

    async def publish(self, topic: str, message: Mapping[str, Any]) -> int:
        raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")


class _SilentPublisher:
    """A fan-out whose Redis accepted the connection and never answers."""

    async def publish(self, topic: str, message: Mapping[str, Any]) -> int:
        await asyncio.Event().wait()
        return 0


async def test_a_fanout_that_is_down_is_retried_later(session: aiohttp.ClientSession) -> None:
    with pytest.raises(DeliveryRetryLater, match="ConnectionError"):
        await make(session, _DownPublisher()).send(MESSAGE, RECIPIENT)


async def test_a_silent_fanout_is_retried_later_after_the_timeout(
    session: aiohttp.ClientSession,
) -> None:
    notifier = make(session, _SilentPublisher(), timeout_s=0.2)
    with pytest.raises(DeliveryRetryLater, match="in time"):
        await asyncio.wait_for(notifier.send(MESSAGE, RECIPIENT), timeout=5)
