"""Live streaming over a real WebSocket: throughput, latency and concurrency against raw pose.

Run from the repository root::

    python -m bench.live            # under 3 minutes
    python -m bench.live --quick    # about 30 s on a quiet machine
    python -m bench.live --json     # machine-readable (the table goes to stderr)

It decodes the shared clips (``$FITHUB_SHARED_DATA`` or ``../shared/data``), scales each frame to
``--max-side`` pixels and encodes it as JPEG, as a phone would, while it starts a real fithub
(``running_fithub`` of bench/http.py) and signs a user up. Then, in one run:

* **raw pose**, the baseline: ``PoseEstimator.estimate(jpeg)`` (JPEG decoding + MediaPipe Pose,
  complexity 1, video mode: the exact call a server pose worker makes) on the same frames, in this
  process (frames/s and per-frame p50/p95) and in N processes at once, N = the server's pose
  workers (``FITHUB_POSE_WORKERS``, default one per core);
* **(a) throughput**: ``--streams`` sockets (default 2 x N) stream the clips (every frame, their
  own timestamps; one clip per socket, longest first) as fast as the server takes them: each keeps
  ``--in-flight`` (default 2) frames unanswered and sends the next when the ``pose`` event of an
  earlier one arrives, so the newest-wins slot is never flooded. Analysed frames/s while every
  socket is busy, as % of the N-process raw rate (goal >= 90 %), the frames the server dropped,
  and CPU milliseconds per frame of the server's pose workers next to the raw figure;
* **(b) latency**: one socket at 15 frames/s (below capacity): frame-to-event latency, from
  sending a ``{"type": "frame", "t_ms": ...}`` message to receiving the ``pose`` event that echoes
  its ``t_ms``; goal p95 <= raw per-frame p95 + 15 ms;
* **(c) concurrency**: 1, 2, 3, ... sockets at 15 frames/s each, until p95 latency exceeds
  ``--max-p95-ms`` (250) or drops exceed ``--max-drop-pct`` (5 %): the most streams held;
  ``--levels 4`` (or ``2,4``) runs exactly those levels instead, e.g. for the goal "4 streams at
  15 frames/s, under 2 % dropped"; each level's row also gives the server's CPU ms per analysed
  frame (event loop + pose workers), which other load on the machine sways far less than drops;
* **rep counts** of every clip streamed in (a), from its ``summary``, against labels.csv.

The N-process baseline runs again right after (a), and (a) is compared with the mean of the two, so
that load from other programs that comes and goes skews the ratio less; the CPU milliseconds per
frame (server: event loop + pose workers; raw: the baseline processes) give the same comparison
far less sensitive to that load.

``--quick`` takes the four clips cheapest to decode, every 2nd frame, and shorter phases; (c) then
starts at the capacity (a) found (and steps down if that fails). Time limits keep a run bounded on
a busy machine: (a) stops after ``--throughput-seconds`` or when only the time (b) and four levels
of (c) need is left (clips it did not finish are reported as cut), and no level of (c) starts that
would end after ``--budget`` seconds.

Every socket authenticates with the subprotocols ``["fithub.live.v1", "bearer.<token>"]`` and sends
``{"type": "start", "exercise": <the clip's exercise>, "send_pose": true}`` first; one clip or one
stream is one socket, ended with ``{"type": "stop"}`` and its ``summary``. CPU columns say what
the server (event loop and pose workers), this client and everything else on the machine used.
See bench/README.md for how to read the table.

Exit status: 0 when every socket behaved (goals are reported, not enforced), 1 when a socket saw
an error event, stalled or closed unexpectedly, 2 on a setup failure, 130/143 when interrupted
(after stopping everything it started).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import signal
import statistics
import sys
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from typing import Any

if __name__ == "__main__" and not __package__:
    sys.exit("Run this benchmark as a module from the repository root: python -m bench.live")

from bench.http import FithubUser, log, percentile, running_fithub
from bench.live_client import LIVE_PATH, LiveSocket, StreamResult
from bench.live_pose import (
    ClipFrames,
    Cpu,
    CpuWindow,
    RawProcesses,
    RawResult,
    choose_clips,
    ms,
    prepare_clip,
    raw_in_process,
)

GAP_S = 0.02  # pause after a frame sent to an idle socket, before the next one


def start_preparing(clips: list[Any], args: argparse.Namespace,
                    pool: ProcessPoolExecutor) -> list[Future[ClipFrames]]:
    return [pool.submit(prepare_clip, c.name, c.exercise, (c.reps, c.low, c.high), str(c.video),
                        args.max_side, args.jpeg_quality, args.stride) for c in clips]


# --------------------------------------------------------------------------------------------
# The three measurements


@dataclass
class ThroughputResult:
    streams: int
    in_flight: int
    frame_format: str
    frames_sent: int
    frames_analysed: int
    frames_dropped: int
    frames_failed: int
    window_s: float
    analysed_per_s: float
    pct_of_raw: float | None
    cpu: Cpu
    errors: int
    pose_cpu_ms_per_frame: float | None = None  # the server's pose workers, per analysed frame
    loop_cpu_ms_per_frame: float | None = None  # its event loop (receive, decode, count, send)
    client_cpu_ms_per_frame: float | None = None
    cpu_pct_of_raw: float | None = None  # raw CPU per frame / the server's (loop + pose workers)

    def __post_init__(self) -> None:
        cpu, frames = self.cpu, self.frames_analysed
        self.pose_cpu_ms_per_frame = cpu.ms_per_frame(cpu.server_pose, frames)
        self.loop_cpu_ms_per_frame = cpu.ms_per_frame(cpu.server_loop, frames)
        self.client_cpu_ms_per_frame = cpu.ms_per_frame(cpu.client, frames)


@dataclass
class RateResult:
    """Streams at a fixed frame rate: latency from frame sent to its pose event."""

    streams: int
    fps_each: float
    seconds: float
    frames_sent: int
    frames_analysed: int
    frames_dropped: int
    drop_pct: float
    analysed_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    lag_ms_per_s: float  # slope of latency over the run: > 0 means a growing backlog
    cpu: Cpu
    errors: int
    held: bool = True
    server_cpu_ms_per_frame: float | None = None  # event loop + pose workers, per analysed frame

    def __post_init__(self) -> None:
        busy = (self.cpu.server_loop or 0) + (self.cpu.server_pose or 0)
        self.server_cpu_ms_per_frame = self.cpu.ms_per_frame(busy, self.frames_analysed)


@dataclass
class RepRow:
    clip: str
    exercise: str
    expected: int
    low: int
    high: int
    counted: int | None  # None: not streamed before (a)'s time limit
    frames: int
    analysed: int | None
    complete: bool  # every frame was sent (else the count is of part of the clip)

    @property
    def ok(self) -> bool:
        return self.complete and self.counted is not None and self.low <= self.counted <= self.high


async def throughput(url: str, token: str, clips: list[ClipFrames], args: argparse.Namespace,
                     server_pid: int,
                     limit: float) -> tuple[ThroughputResult, list[RepRow], list[str]]:
    """``args.streams`` sockets take clips from a queue (longest first) and stream every frame."""
    queue: asyncio.Queue[ClipFrames] = asyncio.Queue()
    for clip in sorted(clips, key=lambda c: -len(c.jpegs)):
        queue.put_nowait(clip)
    results: list[StreamResult] = []
    idle_at: list[float] = []  # when each socket that streamed ran out of clips (or time)
    deadline = time.monotonic() + limit

    async def stream() -> None:
        busy = False
        try:
            while time.monotonic() < deadline:
                try:
                    clip = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                busy = True
                results.append(await stream_clip(clip))
        finally:
            if busy:
                idle_at.append(time.monotonic())

    async def stream_clip(clip: ClipFrames) -> StreamResult:
        sock = LiveSocket(f"{url}{LIVE_PATH}", token, clip.exercise, clip.name, binary=args.binary)
        await sock.open(clip.exercise)
        for jpeg, t_ms in zip(clip.jpegs, clip.t_ms, strict=True):
            if time.monotonic() > deadline:
                sock.result.cut = True
                break
            if not await sock.wait_for_room(args.in_flight):
                break
            idle = not sock.order
            await sock.send_frame(jpeg, t_ms)
            if idle and args.in_flight > 1:
                # Two frames back to back into an idle analyser: the second replaces the first
                # before it is taken (newest wins). Let the analyser take this one first.
                await asyncio.sleep(GAP_S)
        return await sock.stop()

    window = CpuWindow(server_pid).start()
    began = time.monotonic()
    await asyncio.gather(*(stream() for _ in range(args.streams)))
    cpu = window.stop()
    # Count only while every socket had clips: at the end, fewer sockets than workers remain.
    # (The moments between two clips of a socket, closing one session and opening the next,
    # are part of the work and stay in the window.)
    start = min((r.first_sent for r in results if r.first_sent), default=began)
    end = min(idle_at, default=time.monotonic())
    analysed_in_window = sum(start <= t <= end for r in results for t in r.pose_times)
    window_s = max(end - start, 1e-9)
    summaries = [r.summary or {} for r in results]
    reps = []
    for clip in clips:
        found = next((r for r in results if r.clip == clip.name), None)
        summary = (found.summary or {}) if found else {}
        reps.append(RepRow(clip.name, clip.exercise, clip.expected, clip.low, clip.high,
                           summary.get("reps"), len(clip.jpegs), summary.get("frames_analysed"),
                           found is not None and not found.cut))
    errors = [f"{r.clip}: {e}" for r in results for e in r.errors]
    return ThroughputResult(
        streams=args.streams, in_flight=args.in_flight,
        frame_format="binary" if args.binary else "json",
        frames_sent=sum(r.sent for r in results),
        frames_analysed=sum(s.get("frames_analysed", 0) for s in summaries),
        frames_dropped=sum(s.get("frames_dropped", 0) for s in summaries),
        frames_failed=sum(s.get("frames_failed", 0) for s in summaries),
        window_s=round(window_s, 2), analysed_per_s=round(analysed_in_window / window_s, 1),
        pct_of_raw=None, cpu=cpu, errors=len(errors),
    ), reps, errors


async def at_rate(url: str, token: str, clips: list[ClipFrames], streams: int, fps: float,
                  seconds: float, skip_s: float, server_pid: int) -> tuple[RateResult, list[str]]:
    """``streams`` sockets, each sending a clip (looped) at ``fps`` for ``seconds``.

    Latency counts frames sent after the first ``skip_s`` seconds (sockets settle); sockets start
    staggered over one frame interval, as independent phones would.
    """
    period = 1.0 / fps
    socks = [LiveSocket(f"{url}{LIVE_PATH}", token, clips[i % len(clips)].exercise,
                        clips[i % len(clips)].name, binary=False) for i in range(streams)]
    await asyncio.gather(*(s.open(s.result.exercise) for s in socks))
    frames = [clips[i % len(clips)].at_rate(fps) for i in range(streams)]
    go = time.monotonic() + 0.2

    async def send(index: int) -> None:
        sock, jpegs = socks[index], frames[index]
        first = go + period * index / streams
        number = 0
        while (due := first + number * period) < go + seconds and not sock.finished.is_set():
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await sock.send_frame(jpegs[number % len(jpegs)], round(number * period * 1000, 1))
            number += 1

    window = CpuWindow(server_pid)
    await asyncio.sleep(max(0.0, go - time.monotonic()))
    window.start()
    await asyncio.gather(*(send(i) for i in range(streams)))
    cpu = window.stop()
    results = await asyncio.gather(*(s.stop() for s in socks))
    samples = [(sent, lat) for r in results for sent, lat in r.latencies if sent >= go + skip_s]
    ordered = sorted(lat for _, lat in samples)
    summaries = [r.summary or {} for r in results]
    received = sum(s.get("frames_received", 0) for s in summaries)
    dropped = sum(s.get("frames_dropped", 0) for s in summaries)
    analysed = sum(r.poses for r in results)
    sent = sum(r.sent for r in results)
    lost = max(dropped, sent - analysed)  # frames that never got their pose event
    errors = [f"{r.clip}: {e}" for r in results for e in r.errors]
    return RateResult(
        streams=streams, fps_each=fps, seconds=seconds, frames_sent=sent,
        frames_analysed=analysed, frames_dropped=lost,
        drop_pct=round(100 * lost / max(sent, received, 1), 2),
        analysed_per_s=round(analysed / seconds, 1),
        p50_ms=ms(percentile(ordered, 50)), p95_ms=ms(percentile(ordered, 95)),
        p99_ms=ms(percentile(ordered, 99)), max_ms=ms(ordered[-1] if ordered else math.nan),
        lag_ms_per_s=round(slope(samples) * 1e3, 2), cpu=cpu, errors=len(errors),
    ), errors


def slope(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of latency over send time (seconds per second); 0 with < 3 samples."""
    if len(samples) < 3:
        return 0.0
    xs = [s for s, _ in samples]
    ys = [lat for _, lat in samples]
    try:
        return float(statistics.linear_regression(xs, ys).slope)
    except statistics.StatisticsError:
        return 0.0


# --------------------------------------------------------------------------------------------
# The run


@dataclass
class Report:
    quick: bool
    cpu_count: int | None
    pose_workers: int
    max_side: int
    stride: int
    jpeg_kb: float
    clips: int
    raw_single: RawResult
    raw_parallel: RawResult  # N processes, just before (a)
    raw_parallel_after: RawResult  # and just after it: load that comes and goes shows here
    raw_parallel_per_s: float  # their mean, what (a) is compared with
    raw_cpu_ms_per_frame: float | None
    throughput: ThroughputResult
    latency: RateResult
    latency_goal_ms: float
    concurrency: list[RateResult]
    concurrency_step_s: float
    max_streams_held: int
    concurrency_stopped: str
    reps: list[RepRow]
    errors: list[str]
    server_error_log: list[str]
    seconds: float

    def to_json(self) -> str:
        data = asdict(self)
        data["reps"] = [{**asdict(r), "ok": r.ok} for r in self.reps]
        return json.dumps(data, indent=2)


def pose_workers() -> int:
    configured = os.environ.get("FITHUB_POSE_WORKERS", "").strip()
    return int(configured) if configured and int(configured) > 0 else max(1, os.cpu_count() or 1)


async def warm_up(url: str, token: str, clips: list[ClipFrames], workers: int) -> None:
    """Make the server start its pose workers (one per concurrent request) and load their models."""
    async def one(index: int) -> None:
        clip = clips[index % len(clips)]
        sock = LiveSocket(f"{url}{LIVE_PATH}", token, clip.exercise, clip.name, binary=False)
        await sock.open(clip.exercise)
        for jpeg, t_ms in list(zip(clip.jpegs, clip.t_ms, strict=True))[:12]:
            if not await sock.wait_for_room(1):
                break
            await sock.send_frame(jpeg, t_ms)
        result = await sock.stop()
        if result.errors:
            raise RuntimeError(f"warm-up socket failed: {result.errors}")

    await asyncio.gather(*(one(i) for i in range(workers + 1)))


async def ramp(url: str, token: str, clips: list[ClipFrames], args: argparse.Namespace,
               server_pid: int, level: int, deadline: float,
               progress: Any) -> tuple[list[RateResult], str, list[str]]:
    """(c): more sockets at ``args.fps`` until a level fails; down from ``level`` if it fails."""
    steps: list[RateResult] = []
    errors: list[str] = []
    if args.levels:  # exactly these levels, each reported held or not
        for count in args.levels:
            progress(f"(c) concurrency: {count} socket(s) at {args.fps:g} frames/s ...")
            step, more = await at_rate(url, token, clips, count, args.fps, args.step_seconds,
                                       1.0, server_pid)
            step.held = step.p95_ms <= args.max_p95_ms and step.drop_pct <= args.max_drop_pct
            steps.append(step)
            errors += more
        return steps, f"--levels {','.join(map(str, args.levels))}", errors
    stopped, downward = f"--max-streams {args.max_streams}", False
    while 1 <= level <= args.max_streams:
        if len(steps) >= (2 if args.quick else 1) and (
            time.monotonic() + args.step_seconds + 3 > deadline
        ):
            stopped = f"the time budget (--budget {args.budget:g} s)"
            break
        progress(f"(c) concurrency: {level} socket(s) at {args.fps:g} frames/s ...")
        step, more = await at_rate(url, token, clips, level, args.fps, args.step_seconds, 1.0,
                                   server_pid)
        errors += more
        step.held = step.p95_ms <= args.max_p95_ms and step.drop_pct <= args.max_drop_pct
        steps.append(step)
        if step.held and downward:
            break  # the level above failed: this is the most held
        if step.held:
            level += 1
            continue
        stopped = f"{level} sockets: " + (
            f"p95 > {args.max_p95_ms:g} ms" if step.p95_ms > args.max_p95_ms
            else f"drops > {args.max_drop_pct:g} %")
        if any(s.held for s in steps) or level == 1:
            break
        downward, level = True, level - 1
    return sorted(steps, key=lambda s: s.streams), stopped, errors


def run(args: argparse.Namespace) -> Report:
    """Start fithub, measure raw pose, then (a), (b) and (c); stop everything it started."""
    began = time.monotonic()
    deadline = began + args.budget

    def progress(message: str) -> None:
        log(f"[{time.monotonic() - began:5.1f} s] {message}")

    workers = pose_workers()
    chosen = choose_clips(args.quick, args.streams)
    if not chosen:
        raise RuntimeError("no labelled clips: set FITHUB_SHARED_DATA (exercise-videos/labels.csv)")
    with ExitStack() as stack:
        raw_processes = RawProcesses(workers)
        stack.callback(raw_processes.close)
        pool = stack.enter_context(ProcessPoolExecutor(
            max_workers=max(1, os.cpu_count() or 1), mp_context=multiprocessing.get_context("spawn")))
        progress(f"encoding {len(chosen)} clip(s) as JPEG (max side {args.max_side or 'original'}"
                 f"{f', 1 frame in {args.stride}' if args.stride > 1 else ''}) "
                 "while fithub starts ...")
        futures = start_preparing(chosen, args, pool)
        from fithub.vision.pose import PoseEstimator

        estimator = stack.enter_context(PoseEstimator(video=True))
        estimator._ensure_model()
        fithub = stack.enter_context(running_fithub(args.fithub_log_level))
        user = FithubUser(fithub.base_url, 0)
        stack.callback(user.close)
        clips = [f.result() for f in futures]
        pool.shutdown()
        server_pid = fithub.processes[0].pid
        url = fithub.base_url.replace("http://", "ws://", 1)
        every = [jpeg for clip in clips for jpeg in clip.jpegs]
        jpeg_kb = round(sum(map(len, every)) / len(every) / 1024, 1)

        progress(f"raw pose: 1 process, then {workers} at once ...")
        raw_single = raw_in_process(estimator, every[: 45 if args.quick else 205])
        estimator.close()
        per_worker = max(60, len(every) // workers)
        raw_streams = [every[i * per_worker:(i + 1) * per_worker] or every for i in range(workers)]
        raw_seconds = 2.5 if args.quick else 6.0
        raw_parallel = raw_processes.measure(raw_streams, raw_seconds)
        token = user.access_token
        latency_s = 4.0 if args.quick else 15.0
        # (a) gets what is left once (b) and a few levels of (c) are provided for.
        reserve = latency_s + (2 if args.quick else 4) * (args.step_seconds + 1.5) + 10
        limit = min(args.throughput_seconds,
                    max(10.0, deadline - time.monotonic() - reserve - raw_seconds))

        async def part_a() -> tuple[ThroughputResult, list[RepRow], list[str]]:
            progress("warming the server's pose workers up ...")
            await warm_up(url, token, clips, workers)
            progress(f"(a) throughput: {args.streams} sockets, {args.in_flight} frames in flight "
                     f"each, {len(every)} frames, at most {limit:.0f} s ...")
            return await throughput(url, token, clips, args, server_pid, limit)

        async def parts_b_c() -> tuple[Any, ...]:
            progress(f"(b) latency: 1 socket at {args.fps:g} frames/s for {latency_s:g} s ...")
            lat, errors = await at_rate(url, token, clips, 1, args.fps, latency_s, 1.0,
                                        server_pid)
            # --quick starts at the capacity (a) implies (going down if it fails); the full run
            # ramps from 1.
            start = max(1, round(tp.analysed_per_s / args.fps)) if args.quick else 1
            steps, stopped, more = await ramp(url, token, clips, args, server_pid, start,
                                              deadline, progress)
            return lat, steps, stopped, errors + more

        tp, reps, errors = asyncio.run(part_a())
        progress(f"raw pose again: {workers} processes at once ...")
        raw_after = raw_processes.measure(raw_streams, raw_seconds)
        lat, steps, stopped, more = asyncio.run(parts_b_c())
        errors += more
        progress("stopping fithub ...")
        server_errors = [line for line in fithub.read_logs().splitlines()
                         if '"level": "error"' in line or '"level": "critical"' in line][-10:]
    raw_per_s = round((raw_parallel.frames_per_s + raw_after.frames_per_s) / 2, 1)
    tp.pct_of_raw = round(100 * tp.analysed_per_s / raw_per_s, 1)
    raw_cpu = [r.cpu_ms_per_frame for r in (raw_parallel, raw_after) if r.cpu_ms_per_frame]
    raw_cpu_ms = round(sum(raw_cpu) / len(raw_cpu), 1) if raw_cpu else None
    server_cpu_ms = (tp.pose_cpu_ms_per_frame or 0) + (tp.loop_cpu_ms_per_frame or 0)
    if raw_cpu_ms and server_cpu_ms:
        tp.cpu_pct_of_raw = round(100 * raw_cpu_ms / server_cpu_ms, 1)
    held = [s.streams for s in steps if s.held]
    return Report(
        quick=args.quick, cpu_count=os.cpu_count(), pose_workers=workers, max_side=args.max_side,
        stride=args.stride, jpeg_kb=jpeg_kb, clips=len(clips), raw_single=raw_single,
        raw_parallel=raw_parallel, raw_parallel_after=raw_after, raw_parallel_per_s=raw_per_s,
        raw_cpu_ms_per_frame=raw_cpu_ms, throughput=tp, latency=lat,
        latency_goal_ms=round((raw_single.p95_ms or 0) + 15, 1), concurrency=steps,
        concurrency_step_s=args.step_seconds,
        max_streams_held=max(held, default=0), concurrency_stopped=stopped, reps=reps,
        errors=errors, server_error_log=server_errors, seconds=round(time.monotonic() - began, 1),
    )


# --------------------------------------------------------------------------------------------
# The table


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def cpu_text(cpu: Cpu) -> str:
    return (f"server event loop {pct(cpu.server_loop)}, pose workers {pct(cpu.server_pose)}, "
            f"client {pct(cpu.client)}, other {pct(cpu.other)}")


def frames_text(stride: int) -> str:
    return "every frame" if stride == 1 else f"1 frame in {stride}"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def render(report: Report) -> str:
    r1, tp, lat = report.raw_single, report.throughput, report.latency
    rn, ra = report.raw_parallel, report.raw_parallel_after

    def num(value: float | None, spec: str = ".1f") -> str:
        return "-" if value is None or math.isnan(value) else format(value, spec)

    tp_ok = (tp.pct_of_raw or 0) >= 90
    cpu_ok = (tp.cpu_pct_of_raw or 0) >= 90
    server_ms = (tp.pose_cpu_ms_per_frame or 0) + (tp.loop_cpu_ms_per_frame or 0)
    lat_ok = lat.p95_ms <= report.latency_goal_ms
    lines = [
        f"fithub live streaming: {report.clips} clip(s) as JPEG (long side "
        f"{report.max_side or 'original'} px, mean {report.jpeg_kb:g} KiB), {report.pose_workers} "
        f"pose worker(s), {report.cpu_count} cores{', --quick' if report.quick else ''}; "
        f"run took {report.seconds:g} s",
        "",
        f"{'result':44} {'value':32} {'goal':22}",
        f"{'(a) analysed frames/s, as fast as it takes':44} "
        f"{f'{tp.analysed_per_s:.1f} = {tp.pct_of_raw:.1f} % of raw {report.raw_parallel_per_s:.1f}':32} "
        f"{'>= 90 % of raw':22} {verdict(tp_ok)}",
        f"{'(a) CPU ms per frame, raw / server':44} "
        f"{f'{num(report.raw_cpu_ms_per_frame)} / {server_ms:.1f} = {num(tp.cpu_pct_of_raw)} %':32} "
        f"{'>= 90 %':22} {verdict(cpu_ok)} (less sensitive to other load)",
        f"{'(a) frames dropped / failed':44} "
        f"{f'{tp.frames_dropped} / {tp.frames_failed} of {tp.frames_sent}':32}",
        f"{f'(b) latency p50/p95/p99, 1 x {lat.fps_each:g} frames/s':44} "
        f"{f'{lat.p50_ms:.1f} / {lat.p95_ms:.1f} / {lat.p99_ms:.1f} ms':32} "
        f"{f'p95 <= {report.latency_goal_ms:.1f} ms':22} {verdict(lat_ok)}",
        f"{f'(c) sockets held at {lat.fps_each:g} frames/s each':44} "
        f"{str(report.max_streams_held):32} {'as many as possible':22} "
        f"(stopped by {report.concurrency_stopped})",
        f"{'rep counts within the labelled range':44} "
        f"{f'{sum(r.ok for r in report.reps)} / {sum(r.complete for r in report.reps)} clips':32}"
        f" {'all':22} (sanity check)",
        "",
        "raw pose, the baseline: PoseEstimator.estimate(jpeg) = JPEG decode + MediaPipe Pose "
        "(complexity 1, video mode)",
        f"  {'':12} {'frames/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'CPU ms/frame':>12} "
        f"{'CPU':>5} {'other':>6}",
        f"  {'1 process':12} {r1.frames_per_s:>9.1f} {num(r1.p50_ms):>7} {num(r1.p95_ms):>7} "
        f"{num(r1.cpu_ms_per_frame):>12} {pct(r1.cpu.client):>5} {pct(r1.cpu.other):>6}",
        *(f"  {f'{raw.processes} processes':12} {raw.frames_per_s:>9.1f} {'-':>7} {'-':>7} "
          f"{num(raw.cpu_ms_per_frame):>12} {pct(raw.cpu.client):>5} {pct(raw.cpu.other):>6}"
          f"  {when}" for raw, when in ((rn, "before (a)"), (ra, "after (a)"))),
        "",
        f"(a) throughput: {tp.streams} sockets, each keeping {tp.in_flight} frames unanswered "
        f"(the next goes when a pose event arrives); {tp.frame_format} frames, "
        f"{frames_text(report.stride)} of each clip",
        f"  analysed {tp.analysed_per_s:.1f} frames/s over {tp.window_s:g} s with every socket "
        f"busy; sent {tp.frames_sent}, analysed {tp.frames_analysed}, dropped "
        f"{tp.frames_dropped}, failed {tp.frames_failed}",
        f"  CPU ms per analysed frame: pose workers {num(tp.pose_cpu_ms_per_frame)} (raw: "
        f"{num(report.raw_cpu_ms_per_frame)}), server event loop "
        f"{num(tp.loop_cpu_ms_per_frame)}, client {num(tp.client_cpu_ms_per_frame)}",
        f"  CPU: {cpu_text(tp.cpu)}",
        "",
        f"(b) latency: 1 socket at {lat.fps_each:g} frames/s for {lat.seconds:g} s; from sending "
        "a frame to receiving the pose event that echoes its t_ms",
        f"  p50 {lat.p50_ms:.1f}, p95 {lat.p95_ms:.1f}, p99 {lat.p99_ms:.1f}, max "
        f"{lat.max_ms:.1f} ms; goal p95 <= raw 1-process p95 {num(r1.p95_ms)} + 15 ms; sent "
        f"{lat.frames_sent}, dropped {lat.frames_dropped}",
        f"  CPU: {cpu_text(lat.cpu)}",
        "",
        f"(c) concurrency: sockets at {lat.fps_each:g} frames/s each, {report.concurrency_step_s:g} s "
        "per level; held while p95 and drops stay within their limits",
        f"  {'sockets':>7} {'offered/s':>9} {'analysed/s':>10} {'drop %':>6} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'p99 ms':>7} {'lag ms/s':>8} {'loop':>5} {'pose':>5} {'cli':>4} "
        f"{'other':>5} {'srv CPU ms/fr':>13}  held",
    ]
    for step in report.concurrency:
        lines.append(
            f"  {step.streams:>7} {step.streams * step.fps_each:>9.0f} "
            f"{step.analysed_per_s:>10.1f} {step.drop_pct:>6.1f} {step.p50_ms:>7.1f} "
            f"{step.p95_ms:>7.1f} {step.p99_ms:>7.1f} {step.lag_ms_per_s:>8.1f} "
            f"{pct(step.cpu.server_loop):>5} {pct(step.cpu.server_pose):>5} "
            f"{pct(step.cpu.client):>4} {pct(step.cpu.other):>5} "
            f"{num(step.server_cpu_ms_per_frame):>13}  {'yes' if step.held else 'NO'}")
    lines += [
        "",
        f"rep counts: the summary of each clip's socket in (a) ({frames_text(report.stride)}, "
        "the clip's own timestamps) against labels.csv",
        f"  {'clip':32} {'exercise':13} {'expected':>8} {'range':>6} {'counted':>7} {'frames':>6}",
    ]
    for row in report.reps:
        counted = "-" if row.counted is None else str(row.counted)
        mark = "ok" if row.ok else "XX" if row.complete else "cut: (a)'s time limit"
        lines.append(f"  {row.clip:32} {row.exercise:13} {row.expected:>8} "
                     f"{f'{row.low}-{row.high}':>6} {counted:>7} {row.frames:>6}  {mark}")
    lines += [
        "",
        f"CPU columns: % of one core over the measured window ({report.cpu_count} cores = "
        f"{100 * (report.cpu_count or 1)} %): loop = the fithub serve process, pose = its pose "
        "workers, cli = this client, other = everything else on the machine.",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.live",
        description="Live-streaming throughput, latency and concurrency against raw pose.")
    parser.add_argument("--quick", action="store_true",
                        help="the cheapest clips, shorter phases: about 30 s on a quiet machine")
    parser.add_argument("--streams", type=int, default=0,
                        help="sockets for (a) (default: 2 x pose workers)")
    parser.add_argument("--in-flight", type=int, default=2,
                        help="unanswered frames per socket in (a) (default 2)")
    parser.add_argument("--binary", action="store_true",
                        help="(a) sends binary JPEG messages (the server stamps arrival times) "
                             "instead of JSON frames with the clip's timestamps")
    parser.add_argument("--fps", type=float, default=15.0,
                        help="frames/s of each socket in (b) and (c) (default 15)")
    parser.add_argument("--step-seconds", type=float, default=0,
                        help="seconds per concurrency level in (c) (default 7; 2.5 with --quick)")
    parser.add_argument("--stride", type=int, default=0,
                        help="stream every n-th frame of each clip in (a) (default 1; 2 with "
                             "--quick); timestamps stay the clip's own")
    parser.add_argument("--throughput-seconds", type=float, default=0,
                        help="time limit of (a): clips not streamed by then are cut or skipped "
                             "(default 100; 25 with --quick)")
    parser.add_argument("--max-streams", type=int, default=12,
                        help="highest concurrency level tried (default 12)")
    parser.add_argument("--levels", type=lambda v: [int(x) for x in v.split(",") if x.strip()],
                        default=[], help="(c) runs exactly these socket counts (e.g. 4 or 2,4) "
                        "instead of ramping, each reported held or not, with its drop %%")
    parser.add_argument("--max-p95-ms", type=float, default=250.0,
                        help="a level is held while p95 latency stays at or below this (250)")
    parser.add_argument("--max-drop-pct", type=float, default=5.0,
                        help="... and the dropped frames at or below this percentage (5)")
    parser.add_argument("--max-side", type=int, default=640,
                        help="scale frames down to this many pixels on the long side before "
                             "JPEG encoding, as a phone app would (0: original size; default 640)")
    parser.add_argument("--jpeg-quality", type=int, default=80, help="JPEG quality (default 80)")
    parser.add_argument("--budget", type=float, default=0,
                        help="seconds into the run by which (c) must end: no level starts that "
                             "would end later, but the first always runs (two with --quick); "
                             "default 175, 35 with --quick")
    parser.add_argument("--fithub-log-level", default="WARNING",
                        help="FITHUB_LOG_LEVEL of the server (default WARNING)")
    parser.add_argument("--json", action="store_true",
                        help="print the results as JSON on stdout (the table goes to stderr)")
    args = parser.parse_args(argv)
    args.streams = args.streams or 2 * pose_workers()
    args.budget = args.budget or (35.0 if args.quick else 175.0)
    args.step_seconds = args.step_seconds or (2.5 if args.quick else 7.0)
    args.throughput_seconds = args.throughput_seconds or (25.0 if args.quick else 100.0)
    args.stride = args.stride or (2 if args.quick else 1)
    if any(level < 1 for level in args.levels):
        parser.error("--levels are socket counts, 1 or more")
    if args.streams < 1 or args.in_flight < 1 or args.max_streams < 1:
        parser.error("--streams, --in-flight and --max-streams must be 1 or more")
    if not 1 <= args.fps <= 60 or args.step_seconds < 2 or args.stride < 1:
        parser.error("--fps must be 1 to 60, --step-seconds at least 2, --stride at least 1")
    if args.max_side and args.max_side < 64:
        parser.error("--max-side must be 0 or at least 64")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the finally blocks run
    try:
        report = run(args)
    except KeyboardInterrupt:
        log("interrupted; everything started has been stopped")
        return 130
    except Exception as exc:  # a setup failure: no numbers to report
        if not isinstance(exc, RuntimeError):
            traceback.print_exc()
        log(f"benchmark failed: {exc}")
        return 2
    table = render(report)
    if args.json:
        log(table)
        print(report.to_json())
    else:
        print(table)
    if report.server_error_log:
        log("fithub logged errors:\n" + "\n".join(report.server_error_log))
    if report.errors:
        log(f"{len(report.errors)} socket problem(s):\n" + "\n".join(report.errors[:20]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
