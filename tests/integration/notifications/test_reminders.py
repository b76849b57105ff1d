"""Workout reminders: the API, firing exactly once per due time, and the weekly summary.

Firing runs over a real database in this process with the real notifier registry; the
instants are fixed (``now=``), never the clock's, so no result depends on the time of day.
The API tests drive the running server.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.config import Settings
from fithub.core.devices.crypto import CredentialVault
from fithub.core.errors import NotFound, ValidationFailed
from fithub.core.exercises.models import Exercise, ExerciseType
from fithub.core.fanout import Fanout
from fithub.core.notifications import inbox, preferences, reminders, summaries
from fithub.core.notifications.batch_inbox import create_many
from fithub.core.notifications.channels import ChannelSet
from fithub.core.notifications.models import Delivery, Notification, PushToken, Reminder
from fithub.core.notifications.reminder_times import ALL_DAYS
from fithub.core.notifications.service import NotificationService
from fithub.core.workouts.models import (
    PersonalRecord,
    RecordKind,
    Workout,
    WorkoutExercise,
    WorkoutPlan,
    WorkoutSet,
    WorkoutStatus,
)
from fithub.plugins.manager import load_plugins
from tests.conftest import Account
from tests.support import in_process_database

BERLIN = "Europe/Berlin"
# Thursday 2026-01-15 07:00 in Berlin (06:00 UTC): a reminder at 07:00 every day is due.
DUE = datetime(2026, 1, 15, 6, tzinfo=UTC)
PUSH_ENV = {
    "FITHUB_NOTIFIER_PUSH_PROJECT_ID": "fithub-test",
    "FITHUB_NOTIFIER_PUSH_ENDPOINT": "http://127.0.0.1:9",  # never called: nothing is delivered
}


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[NotificationService]:
    async with in_process_database(tmp_path):
        made = NotificationService(
            settings=Settings(data_dir=tmp_path),
            channels=ChannelSet(load_plugins(), environ={}, timeout_s=3.0),
            vault=CredentialVault(os.urandom(32)),
            fanout=Fanout(),
        )
        try:
            yield made
        finally:
            await made.close()


async def _person(tz: str = BERLIN, **extra: object) -> User:
    return await User.create(
        email=f"ada-{os.urandom(4).hex()}@people.example",
        password_hash="unused",
        display_name="Ada",
        timezone=tz,
        email_verified_at=datetime.now(UTC),
        **extra,
    )


async def _reminder(user: User, due: datetime = DUE, **extra: object) -> Reminder:
    fields: dict[str, object] = {"title": "Leg day", "local_time": time(7), "weekdays": ALL_DAYS}
    return await Reminder.create(user_id=user.id, next_due_at=due, **(fields | extra))


async def test_a_due_reminder_fires_once_and_moves_to_its_next_day(
    service: NotificationService,
) -> None:
    people = [await _person() for _ in range(3)]
    made = [await _reminder(p) for p in people]
    later = await _reminder(people[0], due=DUE + timedelta(hours=1))
    fired = await reminders.fire_due(service, now=DUE + timedelta(seconds=2), batch=2)
    assert (fired.fired, fired.skipped, fired.lost) == (3, 0, 0)
    rows = await Notification.filter(kind="workout.reminder_due").order_by("id")
    assert sorted(r.dedup_key for r in rows) == sorted(
        f"reminder:{r.id}:2026-01-15T06:00:00Z" for r in made
    )
    assert rows[0].context["title"] == "Leg day" and rows[0].context["local_time"] == "07:00"
    assert "Leg day" in rows[0].title
    for reminder in made:
        await reminder.refresh_from_db()
        assert reminder.next_due_at == datetime(2026, 1, 16, 6, tzinfo=UTC)
    await later.refresh_from_db()
    assert later.next_due_at == DUE + timedelta(hours=1)  # not due yet: untouched
    again = await reminders.fire_due(service, now=DUE + timedelta(seconds=3))
    assert again.fired == 0 and await Notification.all().count() == 3


async def test_two_firers_at_once_make_one_notification_per_reminder(
    service: NotificationService,
) -> None:
    people = [await _person() for _ in range(20)]
    made = [await _reminder(p) for p in people for _ in range(3)]
    now = DUE + timedelta(seconds=1)
    results = await asyncio.gather(
        *(reminders.fire_due(service, now=now, batch=25) for _ in range(3))
    )
    assert sum(r.fired for r in results) == len(made)
    keys = await Notification.all().values_list("dedup_key", flat=True)
    assert len(keys) == len(set(keys)) == len(made)


async def test_a_reminder_hours_late_moves_on_without_firing(service: NotificationService) -> None:
    reminder = await _reminder(await _person())
    fired = await reminders.fire_due(service, now=DUE + timedelta(hours=3))
    assert (fired.fired, fired.skipped) == (0, 1)
    assert await Notification.all().count() == 0
    await reminder.refresh_from_db()
    assert reminder.next_due_at == datetime(2026, 1, 16, 6, tzinfo=UTC)


async def test_an_inactive_reminder_never_fires(service: NotificationService) -> None:
    await _reminder(await _person(), active=False)
    assert (await reminders.fire_due(service, now=DUE)).fired == 0


async def test_batch_inbox_makes_the_deliveries_inbox_create_makes(tmp_path: Path) -> None:
    """Same channels, targets, quiet-hour holds and keys as the one-at-a-time path."""
    async with in_process_database(tmp_path):
        channels = ChannelSet(
            load_plugins(),
            environ=PUSH_ENV
            | {
                "FITHUB_NOTIFIER_EMAIL_HOST": "127.0.0.1",
                "FITHUB_NOTIFIER_EMAIL_FROM": "coach@fithub.example",
            },
        )
        vault = CredentialVault(os.urandom(32))
        now = DUE
        shapes = []
        for path in ("one", "many"):
            user = await _person()
            for n in range(2):
                await PushToken.create(
                    user_id=user.id,
                    token=f"tok-{path}-{n}",
                    token_digest=os.urandom(16).hex(),
                    platform="android",
                    last_seen_at=now,
                )
            await preferences.set_choices(user.id, [("workout.reminder_due", "email", True)])
            await preferences.set_quiet_hours(user.id, time(6), time(9))  # 07:00 Berlin: quiet
            cause = inbox.Cause("workout.reminder_due", {"title": "Run"}, "reminder:1:x")
            async with in_transaction() as conn:
                if path == "one":
                    ids = await inbox.create(
                        conn, user, cause, channels=channels, vault=vault, now=now
                    )
                else:
                    ids = await create_many(conn, [(user, cause)], channels=channels, now=now)
            rows = await Delivery.filter(id__in=ids)
            shapes.append(sorted((r.channel, r.next_attempt_at, r.target is None) for r in rows))
            assert len({r.idempotency_key for r in rows}) == len(rows)
        await channels.close()
    assert shapes[0] == shapes[1]
    assert any(channel == "email" for channel, _, _ in shapes[1])


async def test_plan_must_be_ones_own(service: NotificationService) -> None:
    ada, bob = await _person(), await _person()
    theirs = await WorkoutPlan.create(owner_id=bob.id, name="Bob's split")
    mine = await WorkoutPlan.create(owner_id=ada.id, name="Ada's split")
    body = {"title": "Push", "local_time": time(18), "weekdays": ["mon"]}
    with pytest.raises(ValidationFailed):
        await reminders.create_reminder(ada, body | {"plan_id": theirs.id})
    out = await reminders.create_reminder(ada, body | {"plan_id": mine.id})
    assert out["plan_name"] == "Ada's split" and out["weekdays"] == ["mon"]
    with pytest.raises(ValidationFailed):
        await reminders.update_reminder(ada, out["id"], {"plan_id": theirs.id})
    with pytest.raises(NotFound):
        await reminders.get_reminder(bob, out["id"])
    await reminders.fire_due(service, now=out["next_due_at"] + timedelta(seconds=1))
    fired = await Notification.get(user_id=ada.id)
    assert fired.context["plan_name"] == "Ada's split"


async def test_weekly_summary_counts_last_week_once(service: NotificationService) -> None:
    ada, nyc = await _person(), await _person("America/New_York")
    squat = await Exercise.create(
        slug=f"squat-{os.urandom(3).hex()}", name="Squat", type=ExerciseType.STRENGTH
    )
    monday_8 = datetime(2026, 12, 7, 7, 10, tzinfo=UTC)  # Monday 08:10 in Berlin
    last_week = datetime(2026, 12, 3, 17, tzinfo=UTC)
    for when in (last_week, last_week + timedelta(days=1), monday_8 - timedelta(days=9)):
        workout = await Workout.create(
            user_id=ada.id, name="Legs", completed_at=when, status=WorkoutStatus.COMPLETED
        )
        entry = await WorkoutExercise.create(
            workout_id=workout.id, exercise_id=squat.id, position=1
        )
        await WorkoutSet.create(
            entry_id=entry.id,
            user_id=ada.id,
            workout_id=workout.id,
            exercise_id=squat.id,
            set_number=1,
            reps=5,
            weight_kg=100,
            volume_kg=500,
            performed_at=when,
        )
        await WorkoutSet.create(
            entry_id=entry.id,
            user_id=ada.id,
            workout_id=workout.id,
            exercise_id=squat.id,
            set_number=0,
            reps=5,
            weight_kg=40,
            volume_kg=200,
            performed_at=when,
            is_warmup=True,
        )
    await PersonalRecord.create(
        user_id=ada.id,
        exercise_id=squat.id,
        kind=RecordKind.MAX_WEIGHT,
        value=100,
        workout_id=workout.id,
        achieved_at=last_week,
    )
    await summaries.send_weekly(service, now=monday_8)
    await summaries.send_weekly(service, now=monday_8 + timedelta(minutes=30))
    rows = await Notification.filter(kind="summary.weekly")
    assert [(r.user_id, r.dedup_key) for r in rows] == [(ada.id, "summary:2026-W49")]
    assert rows[0].context == {
        "workouts": 2,
        "volume_kg": 1000.0,
        "records": 1,
        "week_start": "2026-11-30",
    }
    assert "2 workouts" in rows[0].text
    assert nyc.id not in [r.user_id for r in rows]
    await summaries.send_weekly(service, now=monday_8 + timedelta(hours=1))  # 09:10: too late
    assert await Notification.filter(kind="summary.weekly").count() == 1


# -- the API, through the running server ---------------------------------------------------------


async def test_reminder_crud_through_the_api(
    api: httpx.AsyncClient, user: Account, other_user: Account
) -> None:
    body = {"title": "Leg day", "local_time": "07:30", "weekdays": ["mon", "thu"]}
    made = await api.post("/api/v1/reminders", json=body, headers=user.auth)
    assert made.status_code == 201, made.text
    out = made.json()
    assert out["weekdays"] == ["mon", "thu"] and out["local_time"] == "07:30"
    due = datetime.fromisoformat(out["next_due_at"])
    assert due > datetime.now(UTC) and due - datetime.now(UTC) <= timedelta(days=7, hours=1)
    rid = out["id"]
    second = await api.post("/api/v1/reminders", json=body | {"title": "Arms"}, headers=user.auth)
    page = await api.get("/api/v1/reminders", params={"limit": 1}, headers=user.auth)
    assert page.status_code == 200 and page.json()["items"][0]["id"] == second.json()["id"]
    rest = await api.get(
        "/api/v1/reminders",
        headers=user.auth,
        params={"limit": 1, "cursor": page.json()["next_cursor"]},
    )
    assert [i["id"] for i in rest.json()["items"]] == [rid]
    off = await api.patch(f"/api/v1/reminders/{rid}", json={"active": False}, headers=user.auth)
    assert off.status_code == 200 and off.json()["next_due_at"] is None
    on = await api.patch(
        f"/api/v1/reminders/{rid}", json={"active": True, "weekdays": ["sun"]}, headers=user.auth
    )
    assert on.json()["weekdays"] == ["sun"]
    assert datetime.fromisoformat(on.json()["next_due_at"]).weekday() in (5, 6)  # Sunday, local
    assert (await api.get(f"/api/v1/reminders/{rid}", headers=other_user.auth)).status_code == 404
    gone = await api.delete(f"/api/v1/reminders/{rid}", headers=other_user.auth)
    assert gone.status_code == 404
    assert (await api.delete(f"/api/v1/reminders/{rid}", headers=user.auth)).status_code == 204
    assert (await api.get(f"/api/v1/reminders/{rid}", headers=user.auth)).status_code == 404


@pytest.mark.parametrize(
    "bad",
    [
        {"weekdays": []},
        {"weekdays": ["someday"]},
        {"local_time": "25:00"},
        {"title": ""},
        {"plan_id": 2**40},
        {"surprise": 1},
    ],
)
async def test_bad_reminders_are_422_and_store_nothing(
    api: httpx.AsyncClient, user: Account, bad: dict[str, object]
) -> None:
    body = {"title": "Leg day", "local_time": "07:30", "weekdays": ["mon"]} | bad
    answer = await api.post("/api/v1/reminders", json=body, headers=user.auth)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    listed = await api.get("/api/v1/reminders", headers=user.auth)
    assert listed.json()["items"] == []
    assert (
        await api.patch("/api/v1/reminders/1", json={"weekdays": []}, headers=user.auth)
    ).status_code in (404, 422)
