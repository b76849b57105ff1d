"""Demo data for ``make run``: accounts and half a year of believable training to explore in /docs."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from fithub.core.accounts.models import Gender, Role, User
from fithub.core.accounts.services import AccountService
from fithub.core.config import Settings, load_settings
from fithub.core.context import ClientInfo
from fithub.core.exercises.models import Exercise
from fithub.core.keys import load_or_create_keys
from fithub.core.ratelimit import MemoryLimiter
from fithub.core.security.passwords import hash_password
from fithub.core.security.tokens import TokenIssuer
from fithub.core.workouts import services as workouts
from fithub.core.workouts import sets as set_logging
from fithub.core.workouts.schemas import (
    SetCreate,
    TemplateCreate,
    TemplateItem,
    TemplateSet,
    WorkoutCreate,
    WorkoutUpdate,
)

DEMO_EMAIL = "demo@fithub.example"
DEMO_PASSWORD = "demo-password-2026"
TRAINER_EMAIL = "coach@fithub.example"
HISTORY_WEEKS = 26

# Day A and day B of a classic three-day strength routine: (exercise name, sets, reps, start kg, kg/week).
DAY_A = [
    ("Squat", 5, 5, 60.0, 2.5),
    ("Bench Press", 5, 5, 40.0, 1.25),
    ("Barbell Row", 5, 5, 40.0, 1.25),
]
DAY_B = [
    ("Squat", 5, 5, 60.0, 2.5),
    ("Overhead Press", 5, 5, 25.0, 0.625),
    ("Deadlift", 1, 5, 70.0, 2.5),
]


def _service(settings: Settings) -> AccountService:
    keys = load_or_create_keys(settings.resolved_data_dir)
    return AccountService(settings, TokenIssuer(keys, settings.jwt_issuer, 60), MemoryLimiter())


async def _exercises(names: set[str]) -> dict[str, int]:
    found = await Exercise.filter(owner_id=None, name__in=list(names)).values_list("id", "name")
    return {str(name): int(pk) for pk, name in found}


async def _training_history(user: User, client: ClientInfo, today: date) -> None:
    """Three sessions a week for ``HISTORY_WEEKS`` weeks, weights rising with a deload every sixth week."""
    ids = await _exercises({name for name, *_ in DAY_A + DAY_B} | {"Running"})
    rng = random.Random(2026)
    start = today - timedelta(weeks=HISTORY_WEEKS)
    start -= timedelta(days=start.weekday())
    for week in range(HISTORY_WEEKS):
        progress = week - week // 6 * 2  # deload: two weeks of progress given back every sixth week
        for day_offset, plan, name in (
            (0, DAY_A, "Strength A"),
            (2, DAY_B, "Strength B"),
            (4, DAY_A, "Strength A"),
        ):
            day = start + timedelta(weeks=week, days=day_offset)
            if day >= today or rng.random() < 0.08:  # a missed session now and then
                continue
            began = datetime.combine(day, time(17, 30), tzinfo=UTC) + timedelta(
                minutes=rng.randint(-40, 40)
            )
            workout_id = await workouts.create_workout(
                user,
                client,
                WorkoutCreate(name=name, status="in_progress", started_at=began, tags=["strength"]),
            )
            moment = began
            for exercise, sets, reps, base, step in plan:
                if exercise not in ids:
                    continue
                weight = round((base + step * progress) / 1.25) * 1.25
                for number in range(sets):
                    moment += timedelta(minutes=3)
                    done = reps - (1 if number == sets - 1 and rng.random() < 0.15 else 0)
                    await set_logging.log_set(
                        user,
                        client,
                        workout_id,
                        SetCreate(
                            exercise_id=ids[exercise],
                            reps=done,
                            weight=weight,
                            rpe=min(10, 7 + number * 0.5),
                            performed_at=moment,
                            rest_s=180,
                        ),
                    )
            await workouts.update_workout(
                user,
                client,
                workout_id,
                WorkoutUpdate(
                    status="completed",
                    completed_at=moment + timedelta(minutes=5),
                    perceived_exertion=rng.randint(6, 9),
                    calories=round(rng.uniform(280, 420)),
                ),
            )
        if "Running" in ids and week % 2 == 0:
            day = start + timedelta(weeks=week, days=5)
            if day < today:
                began = datetime.combine(day, time(9, 0), tzinfo=UTC)
                km = round(rng.uniform(4.5, 8.0), 2)
                workout_id = await workouts.create_workout(
                    user,
                    client,
                    WorkoutCreate(
                        name="Easy run", status="in_progress", started_at=began, tags=["run"]
                    ),
                )
                await set_logging.log_set(
                    user,
                    client,
                    workout_id,
                    SetCreate(
                        exercise_id=ids["Running"],
                        distance=km,
                        duration_s=int(km * rng.uniform(320, 380)),
                        heart_rate=rng.randint(138, 152),
                        performed_at=began + timedelta(minutes=35),
                    ),
                )
                await workouts.update_workout(
                    user,
                    client,
                    workout_id,
                    WorkoutUpdate(
                        status="completed",
                        completed_at=began + timedelta(minutes=40),
                        calories=round(km * 62),
                    ),
                )
    if {"Squat", "Bench Press", "Barbell Row"} <= ids.keys():
        from fithub.core.workouts.templates import create_template

        await create_template(
            user,
            client,
            TemplateCreate(
                name="Strength A",
                items=[
                    TemplateItem(exercise_id=ids[n], sets=[TemplateSet(reps=r) for _ in range(s)])
                    for n, s, r, *_ in DAY_A
                ],
            ),
        )


async def seed_if_empty() -> bool:
    """Create the demo athlete (with history) and trainer when no user exists; True if anything was made."""
    if await User.exists():
        return False
    accounts = _service(load_settings())
    client = ClientInfo.system()
    athlete = await accounts.register(
        client,
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        display_name="Dana Demo",
        birth_date=date(1991, 4, 12),
        gender=Gender.FEMALE,
        height_cm=168.0,
        weight_kg=63.5,
        timezone="Europe/Berlin",
        locale="en",
    )
    await accounts.register(
        client,
        email=TRAINER_EMAIL,
        password=DEMO_PASSWORD,
        display_name="Coach Casey",
        role=Role.TRAINER,
        timezone="Europe/Berlin",
    )
    trainer = await User.get(email=TRAINER_EMAIL)
    today = datetime.now(UTC).date()
    await _training_history(athlete, client, today)
    await _body_and_goals(athlete, client, today)
    await _coaching(trainer, athlete, client)
    return True


async def _body_and_goals(user: User, client: ClientInfo, today: date) -> None:
    """Weekly weigh-ins drifting down, nightly sleep, and goals whose progress comes from the log."""
    from fithub.core.body.schemas import MetricIn
    from fithub.core.body.services import record_batch
    from fithub.core.progress.goal_schemas import GoalIn
    from fithub.core.progress.goals import create_goal

    rng = random.Random(7)
    start = today - timedelta(weeks=HISTORY_WEEKS)
    items = []
    for week in range(HISTORY_WEEKS):
        day = start + timedelta(weeks=week)
        when = datetime.combine(day, time(7, 0), tzinfo=UTC)
        items.append(
            MetricIn(
                kind="weight",
                value=round(66.5 - week * 0.12 + rng.uniform(-0.4, 0.4), 1),
                unit="kg",
                measured_at=when,
            )
        )
        items.append(MetricIn(kind="resting_hr", value=rng.randint(54, 62), measured_at=when))
        if week % 4 == 0:
            items.append(
                MetricIn(kind="body_fat", value=round(25.0 - week * 0.08, 1), measured_at=when)
            )
            items.append(
                MetricIn(
                    kind="waist", value=round(74.0 - week * 0.05, 1), unit="cm", measured_at=when
                )
            )
    for offset in range(1, 29):
        night = datetime.combine(today - timedelta(days=offset), time(6, 30), tzinfo=UTC)
        items.append(
            MetricIn(kind="sleep_hours", value=round(rng.uniform(6.2, 8.4), 1), measured_at=night)
        )
    await record_batch(user, client, items)
    squat = await _exercises({"Squat"})
    if squat:
        await create_goal(
            user,
            client,
            GoalIn(
                kind="weight",
                title="Squat 100 kg",
                target_value=100,
                unit="kg",
                exercise_id=squat["Squat"],
                due_on=today + timedelta(weeks=12),
            ),
        )
    await create_goal(
        user,
        client,
        GoalIn(
            kind="body_metric",
            title="Reach 62 kg",
            metric="weight",
            target_value=62,
            unit="kg",
            due_on=today + timedelta(weeks=16),
        ),
    )
    await create_goal(
        user,
        client,
        GoalIn(kind="streak", title="Train 3 days in a row", target_value=3, starts_on=start),
    )


async def _coaching(trainer: User, athlete: User, client: ClientInfo) -> None:
    """The coach invites the athlete, who accepts and shares workouts and goals."""
    from fithub.core.coaching import services as coaching
    from fithub.core.coaching.schemas import InvitationCreate, TrainerProfileIn

    trainer, _ = await coaching.save_trainer_profile(
        trainer,
        client,
        TrainerProfileIn(
            business_name="Casey Strength Coaching",
            bio="Barbell strength for busy people.",
            certifications=["NSCA-CSCS"],
        ),
    )
    relation = await coaching.invite(
        trainer,
        client,
        InvitationCreate(email=DEMO_EMAIL, message="Happy to help with your squat goal!"),
    )
    await coaching.accept(athlete, client, relation.id, None)


async def create_or_promote_admin(settings: Settings, email: str, password: str, name: str) -> bool:
    """Make ``email`` an administrator; create the account when missing. True if created."""
    existing = await User.get_or_none(email=email.strip().lower())
    if existing is not None:
        existing.role = Role.ADMIN
        existing.password_hash = hash_password(password)
        await existing.save(update_fields=["role", "password_hash"])
        return False
    await _service(settings).register(
        ClientInfo.system(), email=email, password=password, display_name=name, role=Role.ADMIN
    )
    return True
