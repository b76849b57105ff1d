"""Frames and the raw-pose baseline of bench/live.py: clips as JPEG, CPU accounting, PoseEstimator alone.

Kept apart from the socket client (bench/live_client.py) and the phases (bench/live.py).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.http import machine_busy_seconds, percentile, process_cpu_seconds


def ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded to 0.1."""
    return round(seconds * 1e3, 1)


# --------------------------------------------------------------------------------------------
# Frames


@dataclass
class ClipFrames:
    """One labelled clip as a phone would send it: JPEG frames and their timestamps (ms)."""

    name: str
    exercise: str
    expected: int
    low: int
    high: int
    fps: float
    t_ms: list[float]
    jpegs: list[bytes]

    def at_rate(self, fps: float) -> list[bytes]:
        """The frames a camera running at ``fps`` would have captured (never more than there are)."""
        step = 1000.0 / fps
        picked, due = [], 0.0
        for t, jpeg in zip(self.t_ms, self.jpegs, strict=True):
            if t + 1e-6 >= due:
                picked.append(jpeg)
                due += step
        return picked


def prepare_clip(
    name: str, exercise: str, reps: tuple[int, int, int], video: str, max_side: int, quality: int,
    stride: int = 1,
) -> ClipFrames:
    """Decode a clip, scale every ``stride``-th frame to ``max_side`` and encode it as JPEG."""
    import cv2

    from fithub.vision.pose import read_video

    capture = cv2.VideoCapture(video)
    fps = float(capture.get(cv2.CAP_PROP_FPS)) or 30.0
    capture.release()
    stamps, jpegs = [], []
    for frame in read_video(video, stride=stride):
        image = frame.image
        height, width = image.shape[:2]
        scale = max_side / max(height, width) if max_side else 1.0
        if scale < 1:
            size = (round(width * scale), round(height * scale))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise RuntimeError(f"could not encode a frame of {video}")
        stamps.append(round(frame.t_ms, 1))  # the server echoes t_ms rounded to 0.1 ms
        jpegs.append(encoded.tobytes())
    expected, low, high = reps
    return ClipFrames(name, exercise, expected, low, high, fps / stride, stamps, jpegs)


def clip_size(video: Path) -> tuple[int, int]:
    """Frames and pixels per frame of a clip, from its container."""
    import cv2

    capture = cv2.VideoCapture(str(video))
    try:
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        pixels = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH) * capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        capture.release()
    return frames, pixels


def choose_clips(quick: bool, streams: int) -> list[Any]:
    """Every labelled clip, or for ``--quick`` the ``streams`` cheapest (one per socket)."""
    from tests.exercise_clips import labelled_clips

    clips = labelled_clips()
    if not quick:
        return clips
    def cost(clip: Any) -> float:  # decoding grows with pixels, streaming with frames
        frames, pixels = clip_size(clip.video)
        return frames * (pixels / 1e6 + 2)

    return sorted(clips, key=cost)[:streams]


# --------------------------------------------------------------------------------------------
# CPU accounting


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (Linux; just ``root`` elsewhere)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def tree_cpu_seconds(root: int) -> tuple[float, float]:
    """CPU seconds of ``root`` itself and of its descendants (pose workers), so far."""
    own = process_cpu_seconds(root) or 0.0
    rest = sum(process_cpu_seconds(pid) or 0.0 for pid in process_tree(root) if pid != root)
    return own, rest


@dataclass
class Cpu:
    """CPU used over a window, in % of one core (the machine total runs to 100 x cores)."""

    server_loop: float | None = None  # the fithub serve process: event loop and its threads
    server_pose: float | None = None  # its pose worker processes
    client: float | None = None  # this benchmark process (and its baseline workers)
    other: float | None = None  # everything else on the machine
    seconds: float = 0.0  # the window

    def ms_per_frame(self, percent: float | None, frames: int) -> float | None:
        """CPU milliseconds per frame of a column, over ``frames`` done in the window."""
        if percent is None or frames <= 0:
            return None
        return round(10 * percent * self.seconds / frames, 1)


class CpuWindow:
    """Measure :class:`Cpu` between ``start()`` and ``stop()``."""

    def __init__(self, server_pid: int | None, extra_pids: Sequence[int] = ()) -> None:
        self.server_pid, self.extra_pids = server_pid, list(extra_pids)
        self.result = Cpu()
        self._begin: tuple[float, ...] = ()
        self._descendants: dict[int, float] = {}

    def _sample(self) -> tuple[float, ...]:
        loop, pose = tree_cpu_seconds(self.server_pid) if self.server_pid else (0.0, 0.0)
        client = time.process_time() + sum(process_cpu_seconds(p) or 0.0 for p in self.extra_pids)
        return (time.monotonic(), loop, pose, client, machine_busy_seconds() or math.nan)

    def start(self) -> CpuWindow:
        self._begin = self._sample()
        return self

    def stop(self) -> Cpu:
        end = self._sample()
        wall = end[0] - self._begin[0]
        if wall <= 0:
            return self.result
        loop, pose, client, machine = (100 * (e - b) / wall for e, b in zip(end[1:], self._begin[1:],
                                                                              strict=True))
        # Pose workers spawned inside the window started from zero: their whole time counts,
        # which tree_cpu_seconds already gives (a process absent at start contributed 0 then).
        self.result = Cpu(
            server_loop=round(loop, 1) if self.server_pid else None,
            server_pose=round(pose, 1) if self.server_pid else None,
            client=round(client, 1),
            other=None if math.isnan(machine) else round(max(0.0, machine - loop - pose - client), 1),
            seconds=round(wall, 3),
        )
        return self.result


# --------------------------------------------------------------------------------------------
# Raw pose inference, the baseline


@dataclass
class RawResult:
    processes: int
    frames: int
    seconds: float
    frames_per_s: float
    p50_ms: float | None = None
    p95_ms: float | None = None
    cpu: Cpu = field(default_factory=Cpu)
    cpu_ms_per_frame: float | None = None

    def __post_init__(self) -> None:
        self.cpu_ms_per_frame = self.cpu.ms_per_frame(self.cpu.client, self.frames)


def raw_in_process(estimator: Any, jpegs: list[bytes], warmup: int = 5) -> RawResult:
    """Per-frame cost of ``estimator.estimate`` in this process, frames in stream order."""
    for jpeg in jpegs[:warmup]:
        estimator.estimate(jpeg)
    times = []
    window = CpuWindow(None).start()
    for index, jpeg in enumerate(jpegs[warmup:]):
        begun = time.perf_counter()
        estimator.estimate(jpeg, index * 33.3)
        times.append(time.perf_counter() - begun)
    cpu = window.stop()
    ordered, total = sorted(times), sum(times)
    return RawResult(1, len(times), round(total, 3), round(len(times) / total, 1),
                     ms(percentile(ordered, 50)), ms(percentile(ordered, 95)), cpu)


def _raw_worker(inbox: Any, ready: Any, start: Any, results: Any) -> None:
    """One baseline process: load the model, get its frames, then estimate for each round asked."""
    from fithub.vision.pose import PoseEstimator

    estimator = PoseEstimator(video=True)
    estimator._ensure_model()  # as the server's pose workers do when they start
    jpegs = inbox.get()
    estimator.estimate(jpegs[0])
    index = 0  # frames stay in stream order across rounds
    while (seconds := inbox.get()) is not None:
        ready.put(os.getpid())
        start.wait()
        done, begun = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - begun) < seconds:
            estimator.estimate(jpegs[index % len(jpegs)], index * 33.3)
            index, done = index + 1, done + 1
        results.put((done, elapsed))


class RawProcesses:
    """N baseline processes, started early (importing MediaPipe takes seconds), measured later.

    ``measure`` may run several rounds (before and after the server is measured, say), each with
    every process estimating at once.
    """

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.ready, self.results = context.Queue(), context.Queue()
        self.start = context.Barrier(count + 1)
        self.inboxes = [context.Queue() for _ in range(count)]
        self.workers = [context.Process(target=_raw_worker, daemon=True,
                                        args=(inbox, self.ready, self.start, self.results))
                        for inbox in self.inboxes]
        self.loaded = False
        for worker in self.workers:
            worker.start()

    def measure(self, streams: list[list[bytes]], seconds: float) -> RawResult:
        """Frames/s of all processes estimating at once, each over its own frames."""
        if not self.loaded:
            for inbox, jpegs in zip(self.inboxes, streams, strict=True):
                inbox.put(jpegs)
            self.loaded = True
        for inbox in self.inboxes:
            inbox.put(seconds)
        for _ in self.workers:
            self.ready.get(timeout=180)
        window = CpuWindow(None, [w.pid for w in self.workers if w.pid is not None]).start()
        self.start.wait(timeout=60)
        reports = [self.results.get(timeout=seconds + 60) for _ in self.workers]
        cpu = window.stop()
        frames = sum(done for done, _ in reports)
        wall = max(elapsed for _, elapsed in reports)
        return RawResult(len(streams), frames, round(wall, 3), round(frames / wall, 1), cpu=cpu)

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for worker in self.workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
                worker.join()
