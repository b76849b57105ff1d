"""Pose estimation off the event loop: worker processes, each stream pinned to one of them.

MediaPipe's video mode tracks a person from frame to frame, so a stream's frames must reach the
same model in order: each stream is assigned to one worker process (the least busy) and gets its
own estimator there, dropped when the stream ends (or, beyond ``MAX_STREAMS_PER_WORKER``, the least
recently used one is). Frames of different streams never share a tracker.

The event loop talks to each worker over a socket pair with its own non-blocking I/O: a frame goes
out in one write and its landmarks come back on the loop's reader, with no executor threads
between (they cost more CPU per frame than the JPEG decode, and contend for the GIL with the
loop). A worker serves one request at a time, in the order asked: streams sharing a worker take
turns, so a busy stream cannot starve another, and each stream's newest-wins slot
(streaming/frames.py) drops only that stream's frames, and only while it is behind.

Each worker keeps ``SPARE_ESTIMATORS`` estimators built and warmed (``PoseEstimator.warm``), so a
new stream's first frame costs a normal frame, not the ~150 ms of a new graph's first run, which
would drop the next frames of that stream and of every stream sharing its worker. Spares are
rebuilt once the worker serves no stream (building one stalls the worker for that long).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import socket
import struct
from collections import OrderedDict
from multiprocessing.connection import Connection
from typing import Any

from fithub.vision.landmarks import PoseFrame

MAX_STREAMS_PER_WORKER = 16
#: Warmed estimators a worker keeps for streams to come (about 110 MB each, as a stream's own is):
#: two, so that two streams starting at once on one worker both start without the ~150 ms stall.
SPARE_ESTIMATORS = 2
_HEADER = struct.Struct("!i")  # multiprocessing.Connection's framing: a signed 32-bit length
_estimators: OrderedDict[str, Any] = OrderedDict()
_spares: list[Any] = []


class PoseWorkerCrashed(RuntimeError):
    """A pose worker process ended while it held a request; the next request starts a new one."""


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. a container's share)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# -- in the worker process ------------------------------------------------------------------------


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


def _estimate(stream: str, data: bytes, t_ms: float) -> tuple[PoseFrame, int]:
    from fithub.vision.pose import PoseEstimator

    estimator = _estimators.pop(stream, None)
    if estimator is None:
        estimator = _spares.pop() if _spares else PoseEstimator(video=True)
    _estimators[stream] = estimator  # most recently used last
    while len(_estimators) > MAX_STREAMS_PER_WORKER:
        _, oldest = _estimators.popitem(last=False)
        oldest.close()
    frame: PoseFrame = estimator.estimate(data, t_ms)
    return frame, len(_spares)


def _release(stream: str) -> int:
    estimator = _estimators.pop(stream, None)
    if estimator is not None:
        estimator.close()
    return len(_spares)


def _prepare() -> int:
    """Build and warm one spare estimator, if fewer than ``SPARE_ESTIMATORS`` are ready."""
    from fithub.vision.pose import PoseEstimator

    if len(_spares) < SPARE_ESTIMATORS:
        spare = PoseEstimator(video=True)
        spare.warm()
        _spares.append(spare)
    return len(_spares)


_HANDLERS: dict[str, Any] = {"estimate": _estimate, "release": _release, "prepare": _prepare}


def _serve(conn: Connection) -> None:
    """A worker's life: answer ``(operation, arguments)`` requests until the parent hangs up."""
    _init_worker()
    while True:
        try:
            request = conn.recv_bytes()
        except (EOFError, OSError):
            return
        operation, args = pickle.loads(request)
        try:
            reply: tuple[bool, Any] = (True, _HANDLERS[operation](*args))
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            try:
                data = pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # an exception that does not pickle
                data = pickle.dumps((False, RuntimeError(repr(exc))))
        conn.send_bytes(data)


# -- in the server process ------------------------------------------------------------------------


class _Worker:
    """One worker process and the event loop's end of its socket pair."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)  # a socket pair on POSIX
        self.process = context.Process(
            target=_serve, args=(theirs,), name="fithub-pose", daemon=True
        )
        self.process.start()
        theirs.close()
        self._conn = ours
        self._sock = socket.socket(fileno=os.dup(ours.fileno()))
        self._sock.setblocking(False)
        self._turn = asyncio.Lock()  # one request at a time; waiters are served in order
        self.spares = 0
        self.preparing = False
        self.broken = False
        self._exchanges: set[asyncio.Future[Any]] = set()

    async def call(self, operation: str, *args: Any) -> Any:
        """Run ``operation`` in the worker; a caller cancelled meanwhile leaves the reply read."""
        exchange = asyncio.ensure_future(self._exchange(operation, args))
        exchange.add_done_callback(_consume)
        self._exchanges.add(exchange)
        exchange.add_done_callback(self._exchanges.discard)
        return await asyncio.shield(exchange)

    async def _exchange(self, operation: str, args: tuple[Any, ...]) -> Any:
        async with self._turn:
            if self.broken:
                raise PoseWorkerCrashed("the pose worker stopped")
            loop = asyncio.get_running_loop()
            payload = pickle.dumps((operation, args), protocol=pickle.HIGHEST_PROTOCOL)
            try:
                await loop.sock_sendall(self._sock, _HEADER.pack(len(payload)))
                await loop.sock_sendall(self._sock, payload)
                (size,) = _HEADER.unpack(await self._read(_HEADER.size))
                ok, value = pickle.loads(await self._read(size))
            except (OSError, EOFError) as exc:
                self.broken = True
                raise PoseWorkerCrashed(f"the pose worker stopped: {exc!r}") from exc
        if not ok:
            raise value
        return value

    async def _read(self, size: int) -> bytearray:
        loop = asyncio.get_running_loop()
        buffer = bytearray(size)
        view, got = memoryview(buffer), 0
        while got < size:
            n = await loop.sock_recv_into(self._sock, view[got:])
            if n == 0:
                raise EOFError("the pose worker closed its socket")
            got += n
        return buffer

    def close(self) -> None:
        """Stop the worker; an exchange in flight is cancelled before its socket is closed.

        (Closing first would leave the loop watching a file descriptor number that the next
        worker's socket may reuse.)
        """
        self.broken = True
        pending = [e for e in self._exchanges if not e.done()]
        for exchange in pending:
            exchange.cancel()
        if pending:
            gathered = asyncio.gather(*pending, return_exceptions=True)
            gathered.add_done_callback(lambda _: self._hang_up())
        else:
            self._hang_up()

    def _hang_up(self) -> None:
        self._sock.close()
        self._conn.close()  # the worker reads end-of-file and exits
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.terminate()


def _consume(task: asyncio.Future[Any]) -> None:
    """Retrieve the outcome of an exchange whose caller may have gone (no "never retrieved")."""
    if not task.cancelled():
        task.exception()


class PosePool:
    """``await pool.estimate(stream_id, jpeg, t_ms)`` runs pose for one stream in its worker.

    ``workers`` defaults to one per available core. Raises
    :class:`fithub.vision.pose.ImageDecodeError` for bytes that are not an image, and
    :class:`PoseWorkerCrashed` when the worker died (the next call starts a new one).
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or available_cores()
        self._workers: list[_Worker | None] = [None] * self.workers
        self._streams: dict[str, int] = {}
        self._background: set[asyncio.Task[Any]] = set()

    def _worker(self, index: int) -> _Worker:
        worker = self._workers[index]
        if worker is None or worker.broken:
            if worker is not None:
                worker.close()
                for stream in [s for s, i in self._streams.items() if i == index]:
                    del self._streams[stream]  # their trackers went with the process
            worker = self._workers[index] = _Worker()
        return worker

    def _worker_for(self, stream: str) -> int:
        if stream not in self._streams:
            load = [0] * self.workers
            for index in self._streams.values():
                load[index] += 1
            self._streams[stream] = load.index(min(load))
        return self._streams[stream]

    async def estimate(self, stream: str, data: bytes, t_ms: float) -> PoseFrame:
        index = self._worker_for(stream)
        worker = self._worker(index)
        self._streams.setdefault(stream, index)
        frame, worker.spares = await worker.call("estimate", stream, data, t_ms)
        return frame  # type: ignore[no-any-return]

    async def release(self, stream: str) -> None:
        """Forget a finished stream's tracker."""
        index = self._streams.pop(stream, None)
        worker = None if index is None else self._workers[index]
        if worker is not None and not worker.broken:
            worker.spares = await worker.call("release", stream)
            self._prepare_when_idle(worker)

    def _prepare_when_idle(self, worker: _Worker) -> None:
        """Rebuild a worker's spare estimators once it serves no stream (building one stalls it)."""
        busy = any(self._workers[i] is worker for i in self._streams.values())
        if worker.spares >= SPARE_ESTIMATORS or worker.preparing or worker.broken or busy:
            return
        worker.preparing = True
        task = asyncio.create_task(self._prepare(worker))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _prepare(self, worker: _Worker) -> None:
        try:
            worker.spares = await worker.call("prepare")
        except Exception:  # a broken worker is replaced on its next frame
            return
        finally:
            worker.preparing = False
        self._prepare_when_idle(worker)

    async def warm_up(self) -> None:
        """Start the worker processes and ready their spare estimators (about a second each)."""
        workers = [self._worker(i) for i in range(self.workers)]
        for _ in range(SPARE_ESTIMATORS):
            counts = await asyncio.gather(*(w.call("prepare") for w in workers))
            for worker, count in zip(workers, counts, strict=True):
                worker.spares = count

    def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        for index, worker in enumerate(self._workers):
            if worker is not None:
                worker.close()
                self._workers[index] = None
