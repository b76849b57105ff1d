"""Pose estimation off the event loop: worker processes, each stream pinned to one of them.

MediaPipe's video mode tracks a person from frame to frame, so a stream's frames must reach the
same model in order: each stream is assigned to one single-process worker (the least busy) and
gets its own estimator there, dropped when the stream ends (or, beyond ``MAX_STREAMS_PER_WORKER``,
the least recently used one is). Frames of different streams never share a tracker.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from fithub.vision.landmarks import PoseFrame

MAX_STREAMS_PER_WORKER = 16
_estimators: OrderedDict[str, Any] = OrderedDict()


def _init_worker() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # MediaPipe and TFLite print native INFO lines to stdout/stderr, which would break the
    # server's JSON log. Workers log nothing themselves: their errors reach the parent as
    # exceptions, so their standard streams can go.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    from fithub.vision.pose import PoseEstimator

    PoseEstimator()._ensure_model()  # import and load the model files now, not on the first frame


def _estimate(stream: str, data: bytes, t_ms: float) -> PoseFrame:
    from fithub.vision.pose import PoseEstimator

    estimator = _estimators.pop(stream, None) or PoseEstimator(video=True)
    _estimators[stream] = estimator  # most recently used last
    while len(_estimators) > MAX_STREAMS_PER_WORKER:
        _, oldest = _estimators.popitem(last=False)
        oldest.close()
    frame: PoseFrame = estimator.estimate(data, t_ms)
    return frame


def _release(stream: str) -> None:
    estimator = _estimators.pop(stream, None)
    if estimator is not None:
        estimator.close()


def _noop() -> None:
    return None


class PosePool:
    """``await pool.estimate(stream_id, jpeg, t_ms)`` runs pose for one stream in its worker.

    Raises :class:`fithub.vision.pose.ImageDecodeError` for bytes that are not an image.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or max(1, os.cpu_count() or 1)
        self._executors: list[ProcessPoolExecutor | None] = [None] * self.workers
        self._streams: dict[str, int] = {}

    def _executor(self, index: int) -> ProcessPoolExecutor:
        executor = self._executors[index]
        if executor is None:
            executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
            )
            self._executors[index] = executor
        return executor

    def _worker_for(self, stream: str) -> int:
        if stream not in self._streams:
            load = [0] * self.workers
            for index in self._streams.values():
                load[index] += 1
            self._streams[stream] = load.index(min(load))
        return self._streams[stream]

    async def estimate(self, stream: str, data: bytes, t_ms: float) -> PoseFrame:
        loop = asyncio.get_running_loop()
        executor = self._executor(self._worker_for(stream))
        return await loop.run_in_executor(executor, _estimate, stream, data, t_ms)

    async def release(self, stream: str) -> None:
        """Forget a finished stream's tracker."""
        index = self._streams.pop(stream, None)
        if index is not None and self._executors[index] is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor(index), _release, stream)

    async def warm_up(self) -> None:
        """Start the worker processes and load the model files (about a second each)."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(self._executor(i), _noop) for i in range(self.workers))
        )

    def close(self) -> None:
        for index, executor in enumerate(self._executors):
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)
                self._executors[index] = None
