"""Periodic jobs are claimed once per slot, however many processes tick."""

from __future__ import annotations

import os
import uuid

import pytest
from redis.asyncio import Redis

from fithub.core.schedules import SCHEDULES, Schedule, claim


async def test_without_redis_every_process_claims_its_own_slot() -> None:
    schedule = Schedule("test.job", 60)
    assert await claim(None, schedule, 1) is True


@pytest.mark.skipif(not os.environ.get("FITHUB_REDIS_URL"), reason="needs FITHUB_REDIS_URL (a real Redis)")
async def test_with_redis_only_one_process_claims_a_slot() -> None:
    redis = Redis.from_url(os.environ["FITHUB_REDIS_URL"])
    schedule = Schedule(f"test.job.{uuid.uuid4().hex}", 60)
    try:
        first = [await claim(redis, schedule, 7) for _ in range(5)]
        next_slot = await claim(redis, schedule, 8)
        ttl = await redis.ttl(f"fithub:schedule:{schedule.job}:7")
    finally:
        await redis.delete(f"fithub:schedule:{schedule.job}:7", f"fithub:schedule:{schedule.job}:8")
        await redis.aclose()
    assert first == [True, False, False, False, False]
    assert next_slot is True
    assert 0 < ttl <= 120


def test_scheduled_jobs_exist() -> None:
    from fithub.core import jobs

    for module in jobs.JOB_MODULES:
        __import__(module)
    assert {s.job for s in SCHEDULES} <= set(jobs._registry)


@pytest.mark.skipif(not os.environ.get("FITHUB_REDIS_URL"), reason="needs FITHUB_REDIS_URL (a real Redis)")
async def test_deployments_sharing_a_redis_claim_apart() -> None:
    redis = Redis.from_url(os.environ["FITHUB_REDIS_URL"])
    schedule = Schedule(f"test.job.{uuid.uuid4().hex}", 60)
    try:
        one = await claim(redis, schedule, 3, "deploy-a")
        other = await claim(redis, schedule, 3, "deploy-b")
        again = await claim(redis, schedule, 3, "deploy-a")
    finally:
        await redis.delete(*(f"deploy-{x}:schedule:{schedule.job}:3" for x in "ab"))
        await redis.aclose()
    assert (one, other, again) == (True, True, False)
