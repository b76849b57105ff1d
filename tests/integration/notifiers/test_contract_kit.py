"""The notifier test kit itself: FakeChannelServer's faults, and a contract that catches breaches."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

import aiohttp
import pytest
from aiohttp import web

from fithub.plugins import (
    DeliveryGaveUp,
    DeliveryResult,
    DeliveryRetryLater,
    NotifierChannel,
    NotifierContext,
    Recipient,
    RecipientInvalid,
    RenderedMessage,
)
from fithub.plugins.testing import Delivered, FakeChannelServer, assert_notifier_contract

TOKEN = "tok-9d2f61c0-secret"


class FakeChat(FakeChannelServer):
    """A chat API that deduplicates on the Idempotency-Key header and refuses user "ghost"."""

    channel: ClassVar[NotifierChannel] = "inapp"
    supports_idempotency: ClassVar[bool] = True

    def settings(self) -> Mapping[str, str]:
        return {"url": self.url, "token": TOKEN}

    @property
    def secrets(self) -> tuple[str, ...]:
        return (TOKEN,)

    def recipient(self) -> Recipient:
        return Recipient(channel="inapp", address="user-ada")

    def refused_recipient(self) -> Recipient:
        return Recipient(channel="inapp", address="ghost")

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/messages", self.post_message)

    async def post_message(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "unauthorized"}, status=401)
        body = await request.json()
        if body["to"] == "ghost":
            return web.json_response({"error": "no such user"}, status=404)
        key = request.headers["Idempotency-Key"]
        seen = self.delivered(key)
        if not seen:
            self.record(Delivered(body["to"], f"m-{len(self.delivered()) + 1}", key))
            seen = self.delivered(key)
        return web.json_response({"id": seen[0].provider_message_id}, status=201)


class ChatNotifier:
    """A notifier for FakeChat, written as a plugin author would; ``leak`` breaks it on purpose."""

    name: ClassVar[str] = "chat"
    display_name: ClassVar[str] = "Chat"
    channel: ClassVar[NotifierChannel] = "inapp"
    leak: ClassVar[bool] = False

    def __init__(self, context: NotifierContext) -> None:
        self.context = context

    async def send(self, message: RenderedMessage, recipient: Recipient) -> DeliveryResult:
        settings = self.context.settings
        headers = {
            "Authorization": f"Bearer {settings['token']}",
            "Idempotency-Key": message.idempotency_key,
        }
        try:
            async with self.context.session.post(
                f"{settings['url']}/messages",
                json={"to": recipient.address, "title": message.title, "text": message.text},
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.context.timeout_s),
            ) as response:
                if response.status == 201:
                    return DeliveryResult((await response.json())["id"])
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise DeliveryRetryLater(f"chat unreachable ({type(exc).__name__})") from exc
        if status == 404:
            raise RecipientInvalid("chat has no such user")
        if status >= 500:
            raise DeliveryRetryLater(f"chat answered {status}")
        detail = f" with token {settings['token']}" if self.leak else ""
        raise DeliveryGaveUp(f"chat refused the request ({status}){detail}")


class LeakyChatNotifier(ChatNotifier):
    leak = True


class ForgetfulChatNotifier(ChatNotifier):
    """Sends a key of its own instead of the delivery's: the channel cannot deduplicate."""

    async def send(self, message: RenderedMessage, recipient: Recipient) -> DeliveryResult:
        own = RenderedMessage(title=message.title, text=message.text, idempotency_key="fixed")
        return await super().send(own, recipient)


@pytest.fixture
def chat() -> Iterator[FakeChat]:
    with FakeChat() as server:
        yield server


async def test_a_good_http_notifier_keeps_the_contract(chat: FakeChat) -> None:
    report = await assert_notifier_contract(ChatNotifier, chat, timeout_s=0.5)
    assert report.result == DeliveryResult("m-1")
    assert isinstance(report.errors["timeout"], DeliveryRetryLater)
    assert len(chat.delivered()) == 2  # the first message (sent twice) and the recovery


async def test_the_contract_catches_a_secret_in_an_error(chat: FakeChat) -> None:
    with pytest.raises(AssertionError, match="names a secret"):
        await assert_notifier_contract(LeakyChatNotifier, chat, timeout_s=0.5)


async def test_the_contract_catches_a_lost_idempotency_key(chat: FakeChat) -> None:
    with pytest.raises(AssertionError, match="one message sent, 0 arrived"):
        await assert_notifier_contract(ForgetfulChatNotifier, chat, timeout_s=0.5)


async def test_the_contract_catches_a_wrong_channel(chat: FakeChat) -> None:
    class SmsChat(ChatNotifier):
        channel: ClassVar[NotifierChannel] = "sms"

    with pytest.raises(AssertionError, match="its server's 'inapp'"):
        await assert_notifier_contract(SmsChat, chat)
