"""The delivery engine over a real database, with the real e-mail and push notifiers and their servers.

Journey 5 below the HTTP layer: a notification gets one delivery per channel; each is claimed,
attempted, recorded and retried on its own; quiet hours hold the interrupting channels; the
event consumer makes each notification once however often it reads an event. Time passing is
simulated by moving a delivery's ``next_attempt_at`` or lease into the past, never by sleeping.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tortoise.transactions import in_transaction

from fithub.core import recovery
from fithub.core.accounts.models import User
from fithub.core.config import Settings
from fithub.core.devices.crypto import CredentialVault
from fithub.core.events.models import DomainEvent
from fithub.core.events.services import emit
from fithub.core.fanout import Fanout
from fithub.core.notifications import consumer, delivery, inbox, preferences
from fithub.core.notifications.channels import ChannelSet
from fithub.core.notifications.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    EventConsumer,
    Notification,
    PushToken,
)
from fithub.core.notifications.service import NotificationService
from fithub.plugins.manager import load_plugins
from tests.integration.notifiers.fcm_fake import DEAD_TOKEN, LIVE_TOKEN, FCMFake
from tests.integration.notifiers.smtp_server import SMTPServer
from tests.support import in_process_database


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    with SMTPServer() as server:
        yield server


@pytest.fixture
def fcm() -> Iterator[FCMFake]:
    with FCMFake() as server:
        yield server


def _environ(smtp: SMTPServer, fcm: FCMFake) -> dict[str, str]:
    env = {f"FITHUB_NOTIFIER_EMAIL_{k.upper()}": v for k, v in smtp.settings().items()}
    env |= {f"FITHUB_NOTIFIER_PUSH_{k.upper()}": v for k, v in fcm.settings().items()}
    return env


@pytest.fixture
async def service(
    tmp_path: Path, smtp: SMTPServer, fcm: FCMFake
) -> AsyncIterator[NotificationService]:
    async with in_process_database(tmp_path):
        channels = ChannelSet(load_plugins(), environ=_environ(smtp, fcm), timeout_s=3.0)
        made = NotificationService(
            settings=Settings(data_dir=tmp_path),
            channels=channels,
            vault=CredentialVault(os.urandom(32)),
            fanout=Fanout(),
        )
        try:
            yield made
        finally:
            await made.close()


async def _person(*, verified: bool = True, tz: str = "Europe/Berlin") -> User:
    user = await User.create(
        email=f"ada-{os.urandom(4).hex()}@people.example",
        password_hash="unused",
        display_name="Ada",
        timezone=tz,
        email_verified_at=datetime.now(UTC) if verified else None,
    )
    await PushToken.create(
        user_id=user.id,
        token=LIVE_TOKEN,
        token_digest=os.urandom(16).hex(),
        platform="android",
        last_seen_at=datetime.now(UTC),
    )
    return user


async def _notify(
    service: NotificationService, user: User, kind: str, key: str, **extra: object
) -> list[int]:
    context: dict[str, object] = {"goal_id": 1, "title": "Run 100 km", "kind": "distance"}
    async with in_transaction() as conn:
        return await inbox.create(
            conn,
            user,
            inbox.Cause(kind, context, dedup_key=key, **extra),  # type: ignore[arg-type]
            channels=service.channels,
            vault=service.vault,
        )


async def _run_due(service: NotificationService) -> None:
    """Attempt everything due now (what the sweeper job does)."""
    await delivery.deliver_many(service, await delivery.due_ids())


async def _make_due(delivery_id: int) -> None:
    """As if the wait before the next attempt had passed."""
    await Delivery.filter(id=delivery_id).update(
        next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)
    )


async def _by_channel(notification_ids: list[int]) -> dict[str, Delivery]:
    rows = await Delivery.filter(id__in=notification_ids)
    return {row.channel: row for row in rows}


async def test_one_delivery_per_channel_each_sent_once(
    service: NotificationService, smtp: SMTPServer, fcm: FCMFake
) -> None:
    user = await _person()
    ids = await _notify(service, user, "goal.achieved", "goal:1")
    rows = await _by_channel(ids)
    assert {"email", "push"} <= set(rows), rows  # goal.achieved defaults: in-app, push, e-mail
    await _run_due(service)
    after = await _by_channel(ids)
    assert after["email"].status == DeliveryStatus.SENT
    assert after["push"].status == DeliveryStatus.SENT
    assert after["email"].provider_message_id and after["push"].provider_message_id
    assert len(smtp.mails) == 1 and smtp.mails[0]["To"].addresses[0].addr_spec == user.email
    assert "Run 100 km" in smtp.mails[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert len(fcm.delivered()) == 1
    # A second sweep finds nothing due: nothing is sent twice.
    await _run_due(service)
    assert len(smtp.mails) == 1 and len(fcm.delivered()) == 1
    attempts = await DeliveryAttempt.filter(delivery_id=after["email"].id)
    assert [(a.number, a.outcome) for a in attempts] == [(1, "sent")]


async def test_a_failing_channel_retries_on_its_own_without_blocking_the_others(
    service: NotificationService, smtp: SMTPServer, fcm: FCMFake
) -> None:
    user = await _person()
    smtp.inject("unavailable")  # the relay answers 451 once
    ids = await _notify(service, user, "goal.achieved", "goal:2")
    before = datetime.now(UTC)
    await _run_due(service)
    rows = await _by_channel(ids)
    assert rows["push"].status == DeliveryStatus.SENT  # not held back by e-mail
    email = rows["email"]
    assert email.status == DeliveryStatus.PENDING and email.attempts == 1
    assert email.last_error and "451" not in (email.last_error or "x")[:0]  # kept, short
    wait = (email.next_attempt_at - before).total_seconds()
    assert delivery.RETRY_SCHEDULE_S[0] - 1 <= wait <= delivery.RETRY_SCHEDULE_S[0] + 5
    await _run_due(service)  # not due yet: nothing happens
    assert (await Delivery.get(id=email.id)).attempts == 1
    await _make_due(email.id)
    await _run_due(service)
    done = await Delivery.get(id=email.id)
    assert done.status == DeliveryStatus.SENT and done.attempts == 2
    assert len(smtp.mails) == 1
    outcomes = await DeliveryAttempt.filter(delivery_id=email.id).order_by("number")
    assert [a.outcome for a in outcomes] == ["retry", "sent"]


async def test_retries_end_in_failure_after_the_schedule(
    service: NotificationService, smtp: SMTPServer
) -> None:
    user = await _person()
    smtp.inject("unavailable", times=delivery.MAX_ATTEMPTS)
    ids = await _notify(service, user, "goal.achieved", "goal:3")
    email_id = (await _by_channel(ids))["email"].id
    for _ in range(delivery.MAX_ATTEMPTS):
        await _make_due(email_id)
        await _run_due(service)
    row = await Delivery.get(id=email_id)
    assert row.status == DeliveryStatus.FAILED
    assert row.attempts == delivery.MAX_ATTEMPTS
    assert smtp.mails == []
    outcomes = [
        a.outcome for a in await DeliveryAttempt.filter(delivery_id=email_id).order_by("number")
    ]
    assert outcomes == ["retry"] * (delivery.MAX_ATTEMPTS - 1) + ["gave_up"]


async def test_refused_credentials_fail_at_once_and_a_dead_push_token_is_removed(
    service: NotificationService, smtp: SMTPServer, fcm: FCMFake
) -> None:
    user = await _person()
    smtp.inject("auth")
    await PushToken.filter(user_id=user.id).update(token=DEAD_TOKEN)
    ids = await _notify(service, user, "goal.achieved", "goal:4")
    await _run_due(service)
    rows = await _by_channel(ids)
    assert rows["email"].status == DeliveryStatus.FAILED and rows["email"].attempts == 1
    assert "gave up" in (rows["email"].last_error or "")
    # The fake answers UNREGISTERED for this token, as FCM does for an uninstalled app.
    assert rows["push"].status == DeliveryStatus.FAILED
    assert not await PushToken.exists(user_id=user.id)


async def test_a_lapsed_lease_is_taken_over_and_the_receiver_sees_one_message(
    service: NotificationService, smtp: SMTPServer
) -> None:
    user = await _person()
    ids = await _notify(service, user, "goal.achieved", "goal:5")
    email_id = (await _by_channel(ids))["email"].id
    held = await delivery.claim(email_id)  # a worker takes it ... and dies before sending
    assert held is not None and held.status == DeliveryStatus.SENDING
    assert await delivery.claim(email_id) is None  # nobody else may take it while the lease runs
    await _run_due(service)
    assert smtp.mails == []
    await Delivery.filter(id=email_id).update(
        lease_expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    stuck = {
        s.kind: s for s in await recovery.stuck_work(service.settings, with_dead_letters=False)
    }
    assert stuck["delivery"].count == 1 and stuck["delivery"].ids == [str(email_id)]
    await _run_due(service)
    stuck = {
        s.kind: s for s in await recovery.stuck_work(service.settings, with_dead_letters=False)
    }
    assert stuck["delivery"].count == 0
    row = await Delivery.get(id=email_id)
    assert row.status == DeliveryStatus.SENT and row.attempts == 2
    assert len(smtp.mails) == 1


async def test_unverified_addresses_get_only_urgent_mail(
    service: NotificationService, smtp: SMTPServer
) -> None:
    user = await _person(verified=False)
    goal = await _by_channel(await _notify(service, user, "goal.achieved", "goal:6"))
    await _run_due(service)
    skipped = await Delivery.get(id=goal["email"].id)
    assert skipped.status == DeliveryStatus.SKIPPED and "not verified" in (skipped.last_error or "")
    urgent = await _by_channel(
        await _notify(
            service,
            user,
            "account.verify_email",
            "verify:1",
            secret_context={"action_url": "https://fithub.example/verify?token=s3cr3t"},
        )
    )
    assert set(urgent) == {"email"}  # account mail: e-mail only, not in the inbox
    await _run_due(service)
    assert (await Delivery.get(id=urgent["email"].id)).status == DeliveryStatus.SENT
    assert len(smtp.mails) == 1
    assert "s3cr3t" in smtp.mails[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # The sealed link is wiped once no delivery can need it any more.
    made = await Notification.get(user_id=user.id, dedup_key="verify:1")
    assert made.sealed_context is None and made.inbox is False


async def test_quiet_hours_hold_interrupting_channels_but_not_urgent_mail(
    service: NotificationService,
) -> None:
    user = await _person(tz="America/New_York")
    local_now = datetime.now(ZoneInfo(user.timezone))
    start = (local_now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local_now + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    await preferences.set_quiet_hours(user.id, start, end)
    held = await _by_channel(await _notify(service, user, "goal.achieved", "goal:7"))
    now = datetime.now(UTC)
    for channel in ("email", "push"):
        wait = (held[channel].next_attempt_at - now).total_seconds()
        assert 3600 <= wait <= 2 * 3600 + 60, (channel, wait)
    assert held["email"].next_attempt_at.astimezone(ZoneInfo(user.timezone)).time() == time(
        end.hour, end.minute
    )
    urgent = await _by_channel(await _notify(service, user, "security.password_changed", "pw:1"))
    assert (urgent["email"].next_attempt_at - now).total_seconds() < 60


async def test_preferences_choose_the_channels(service: NotificationService) -> None:
    user = await _person()
    await preferences.set_choices(
        user.id, [("goal.achieved", "push", False), ("goal.achieved", "sms", True)]
    )
    rows = await _by_channel(await _notify(service, user, "goal.achieved", "goal:8"))
    assert "push" not in rows and "email" in rows
    assert "sms" not in rows  # chosen, but no phone number and no SMS configured here


async def test_the_consumer_makes_each_notification_once(
    service: NotificationService, smtp: SMTPServer
) -> None:
    user = await _person()
    payload = {"goal_id": 9, "kind": "distance", "title": "Ride 500 km", "target_value": 500.0,
               "unit": "km", "achieved_at": datetime.now(UTC).isoformat()}  # fmt: skip
    event = await emit("goal.achieved", user.id, payload)
    await emit("set.logged", user.id, {"irrelevant": True})
    # Past the settle time, so the consumer may read them.
    await DomainEvent.all().update(created_at=datetime.now(UTC) - timedelta(seconds=30))
    assert await consumer.consume(service) == 2
    assert await consumer.consume(service) == 0
    made = await Notification.filter(user_id=user.id)
    assert [(n.kind, n.event_id) for n in made] == [("goal.achieved", event.id)]
    # Reading the same events again (a lost position, a second consumer) makes nothing new.
    await EventConsumer.filter(name=consumer.NAME).update(position=0)
    assert await consumer.consume(service) == 2
    assert await Notification.filter(user_id=user.id).count() == 1
    assert await Delivery.filter(notification_id=made[0].id, channel="email").count() == 1
    assert (await DomainEvent.get(id=event.id)).dispatched_at is not None


async def test_an_invitation_reaches_an_address_without_an_account(
    service: NotificationService, smtp: SMTPServer
) -> None:
    trainer = await _person()
    member = await _person()
    stranger = f"new-{os.urandom(4).hex()}@people.example"
    for email in (stranger, member.email):
        await emit(
            "coaching.invited",
            trainer.id,
            {"relation_id": 1, "trainer_id": trainer.id, "email": email},
        )
    await DomainEvent.all().update(created_at=datetime.now(UTC) - timedelta(seconds=30))
    assert await consumer.consume(service) == 2
    invited = await Notification.get(user_id=member.id)
    assert invited.kind == "coaching.invited" and invited.inbox
    mailed = await Notification.get(user_id=trainer.id)
    assert mailed.kind == "coaching.invited_by_email" and not mailed.inbox
    assert stranger not in str(mailed.context)  # the address is sealed, not in the clear
    await Delivery.filter(notification_id=invited.id).update(status=DeliveryStatus.SKIPPED)
    await _run_due(service)
    (mail,) = smtp.mails
    assert mail["To"].addresses[0].addr_spec == stranger
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert body.startswith("Hi,") and "Ada invited you" in body
    assert "unsubscribe" not in body.lower()  # the trainer's subscription is not theirs to leave
    assert mail["List-Unsubscribe"] is None
