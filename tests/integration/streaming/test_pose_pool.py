"""The pose worker pool with real worker processes and the real model.

Streams sharing a worker keep their own trackers and take turns, a new stream starts on a warmed
spare estimator and gets the landmarks a new estimator would, bad bytes raise the decode error,
and a worker that dies is replaced on the next frame.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import numpy as np
import pytest

from tests.exercise_clips import clip_jpegs

pytest.importorskip("mediapipe", reason="mediapipe is not installed")
cv2 = pytest.importorskip("cv2", reason="OpenCV is not installed")

from fithub.streaming import pose_pool  # noqa: E402
from fithub.streaming.pose_pool import PosePool, PoseWorkerCrashed  # noqa: E402
from fithub.vision.pose import ImageDecodeError, PoseEstimator  # noqa: E402


@pytest.fixture
async def pool() -> AsyncIterator[PosePool]:
    pool = PosePool(workers=1)
    await pool.warm_up()
    yield pool
    pool.close()


def in_process(frames: list[tuple[float, bytes]]) -> list[np.ndarray]:
    with PoseEstimator(video=True) as estimator:
        return [estimator.estimate(jpeg, t_ms).landmarks for t_ms, jpeg in frames]


async def test_two_streams_on_one_worker_get_the_landmarks_of_their_own_tracker(
    pool: PosePool,
) -> None:
    squat, lunge = clip_jpegs("squat_vengaza", 12), clip_jpegs("lunge_michpapadum_right", 12)
    assert pool._workers[0] is not None and pool._workers[0].spares == pose_pool.SPARE_ESTIMATORS

    async def stream(name: str, frames: list[tuple[float, bytes]]) -> list[np.ndarray]:
        return [(await pool.estimate(name, jpeg, t_ms)).landmarks for t_ms, jpeg in frames]

    got_squat, got_lunge = await asyncio.gather(stream("a", squat), stream("b", lunge))
    for got, expected in ((got_squat, in_process(squat)), (got_lunge, in_process(lunge))):
        np.testing.assert_array_equal(np.stack(got), np.stack(expected))
    worker = pool._workers[0]
    assert worker is not None and worker.spares == 0  # both streams started on a warmed spare
    await pool.release("a")
    await pool.release("b")
    assert pool._streams == {}
    async with asyncio.timeout(60):  # the idle worker readies its spares again, one by one
        while pool._background:
            await asyncio.gather(*list(pool._background))
    assert worker.spares == pose_pool.SPARE_ESTIMATORS


async def test_streams_sharing_a_worker_take_turns(pool: PosePool) -> None:
    (t_ms, jpeg), order = clip_jpegs("squat_vengaza", 1)[0], []

    async def stream(name: str) -> None:
        for _ in range(3):
            await pool.estimate(name, jpeg, t_ms)
            order.append(name)

    await asyncio.gather(stream("a"), stream("b"))
    assert order == ["a", "b", "a", "b", "a", "b"]


async def test_bytes_that_are_no_image_raise_and_the_worker_goes_on(pool: PosePool) -> None:
    with pytest.raises(ImageDecodeError):
        await pool.estimate("a", b"not an image at all", 0.0)
    t_ms, jpeg = clip_jpegs("squat_vengaza", 1)[0]
    assert (await pool.estimate("a", jpeg, t_ms)).detected


async def test_a_worker_that_dies_is_replaced_on_the_next_frame(pool: PosePool) -> None:
    t_ms, jpeg = clip_jpegs("squat_vengaza", 1)[0]
    assert (await pool.estimate("a", jpeg, t_ms)).detected
    worker = pool._workers[0]
    assert worker is not None and worker.process.pid is not None
    os.kill(worker.process.pid, signal.SIGKILL)
    with pytest.raises(PoseWorkerCrashed):
        await pool.estimate("a", jpeg, t_ms)
    assert (await pool.estimate("a", jpeg, t_ms)).detected
    assert pool._workers[0] is not worker
