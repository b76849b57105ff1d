"""Pose estimation off the event loop: a pool of processes, each holding its own MediaPipe model."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from fithub.vision.landmarks import PoseFrame

_estimator: Any = None


def _init_worker() -> None:
    global _estimator
    from fithub.vision.pose import PoseEstimator

    _estimator = PoseEstimator()
    _estimator._ensure_model()  # load the model now, not on the first frame
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def _estimate(data: bytes, t_ms: float) -> PoseFrame:
    assert _estimator is not None
    return _estimator.estimate(data, t_ms)  # type: ignore[no-any-return]


class PosePool:
    """``await pool.estimate(jpeg, t_ms)``: decode and run pose in a worker process.

    Raises :class:`fithub.vision.pose.ImageDecodeError` for bytes that are not an image.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or max(1, os.cpu_count() or 1)
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
            )
        return self._executor

    async def estimate(self, data: bytes, t_ms: float) -> PoseFrame:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool(), _estimate, data, t_ms)

    async def warm_up(self) -> None:
        """Start the worker processes and load their models (about a second each)."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(self._pool(), _noop) for _ in range(self.workers))
        )

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _noop() -> None:
    return None
