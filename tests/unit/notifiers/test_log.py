"""The log notifier: logs the title, never the body or the address; a stable id per delivery."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from fithub.notifiers.log import LogNotifier
from fithub.plugins import Notifier, NotifierContext, Recipient, RenderedMessage

MESSAGE = RenderedMessage(
    title="Goal reached", text="You ran 100 km this month.", idempotency_key="delivery-7-log"
)
RECIPIENT = Recipient(channel="log", address="ada@people.example")


async def test_it_logs_the_title_and_never_the_body_or_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with aiohttp.ClientSession() as session:
        notifier = LogNotifier(NotifierContext({}, session, logging.getLogger("t")))
        assert isinstance(notifier, Notifier)
        with caplog.at_level(logging.INFO, logger="fithub.notifiers.log"):
            first = await notifier.send(MESSAGE, RECIPIENT)
            again = await notifier.send(MESSAGE, RECIPIENT)
    lines = [r.getMessage() for r in caplog.records if r.name == "fithub.notifiers.log"]
    assert len(lines) == 2 and all("Goal reached" in line for line in lines)
    assert not any(MESSAGE.text in line or RECIPIENT.address in line for line in lines)
    assert first == again and first.provider_message_id.startswith("log-")


def test_it_declares_the_log_channel() -> None:
    assert (LogNotifier.name, LogNotifier.channel) == ("log", "log")
