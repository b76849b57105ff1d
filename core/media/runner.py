"""Running a clip's analysis in a child process, so pose estimation never blocks an event loop.

:func:`run_analysis` starts ``python -m fithub.core.media.runner PATH ...`` and waits for it
without blocking: the child loads the exercise classifier plugins, runs
:func:`fithub.vision.analysis.analyze_video` and writes JSON lines on its own channel (stdout):
``{"progress": 0.42}`` now and then, then ``{"result": {...}}`` or ``{"error": "...", "kind":
"..."}``. Anything else the child prints (MediaPipe logs) goes to stderr. A child that runs past the
time limit, or whose caller is cancelled, is killed; one whose parent died exits by itself. One
process per analysis also means a crash in native code fails that video, not the API or the worker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from fithub.core.media.errors import AnalysisFailed
from fithub.plugins.types import ExerciseClassifier

log = logging.getLogger("fithub.media")

#: Seconds between progress reports from the child.
PROGRESS_EVERY_S = 0.5
STDERR_LINES_KEPT = 20


def exercise_classifiers() -> dict[str, ExerciseClassifier]:
    """One instance of every ``exercise_classifier`` plugin that loads, by name."""
    from fithub.plugins.manager import load_plugins

    found: dict[str, ExerciseClassifier] = {}
    for name, component in load_plugins().components("exercise_classifier").items():
        try:
            found[name] = component.cls()
        except Exception:  # a broken plugin must not stop the others
            log.exception("exercise classifier %s could not be created", name)
    return found


# -- the parent ---------------------------------------------------------------------------------


async def run_analysis(
    path: Path,
    exercise: str,
    *,
    max_fps: float,
    max_duration_s: float,
    timeout_s: float,
    on_progress: Callable[[float], Any] | None = None,
) -> dict[str, Any]:
    """Analyse ``path`` in a child process; return the result dict or raise AnalysisFailed.

    ``on_progress`` (a plain function or a coroutine function) gets 0..1 as the child reports it.
    """
    args = [
        sys.executable, "-m", "fithub.core.media.runner", str(path),
        "--exercise", exercise, "--max-fps", str(max_fps), "--max-duration", str(max_duration_s),
    ]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=16 * 1024 * 1024,  # the result line of a long clip
    )
    assert proc.stdout is not None and proc.stderr is not None
    stderr_tail: deque[str] = deque(maxlen=STDERR_LINES_KEPT)
    outcome: dict[str, Any] = {}

    async def read_stderr() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            stderr_tail.append(raw.decode("utf-8", "replace").rstrip())

    async def read_stdout() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            if "progress" in message and on_progress is not None:
                done = on_progress(float(message["progress"]))
                if asyncio.iscoroutine(done):
                    await done
            elif "result" in message or "error" in message:
                outcome.update(message)

    try:
        async with asyncio.timeout(timeout_s):
            await asyncio.gather(read_stdout(), read_stderr())
            code = await proc.wait()
    except TimeoutError:
        raise AnalysisFailed(
            f"the analysis took longer than {timeout_s:.0f} s and was stopped", "timeout"
        ) from None
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    if "result" in outcome and code == 0:
        result: dict[str, Any] = outcome["result"]
        return result
    if "error" in outcome:
        raise AnalysisFailed(str(outcome["error"]), str(outcome.get("kind", "failed")))
    last = next((line for line in reversed(stderr_tail) if line.strip()), "")
    log.error("video analysis process failed (exit %s): %s", code, "\n".join(stderr_tail))
    raise AnalysisFailed(
        f"the analysis process ended unexpectedly (exit code {code})"
        + (f": {last[:200]}" if last else ""),
        "crashed",
    )


# -- the child ----------------------------------------------------------------------------------


def _channel() -> TextIO:
    """A private copy of stdout for the protocol; fd 1 then points at stderr for stray output."""
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(fd, "w", buffering=1)


def _send(channel: TextIO, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message, separators=(",", ":")) + "\n")
    channel.flush()


def main(argv: list[str] | None = None) -> int:
    """The child: analyse one clip and report on the channel; exit 0, or 2 for a bad clip."""
    from fithub.vision.analysis import UnknownExercise, VideoTooLong, analyze_video
    from fithub.vision.pose import PoseModelUnavailable, VideoReadError

    parser = argparse.ArgumentParser(prog="fithub.core.media.runner")
    parser.add_argument("path")
    parser.add_argument("--exercise", default="auto")
    parser.add_argument("--max-fps", type=float, default=0.0)
    parser.add_argument("--max-duration", type=float, default=0.0)
    options = parser.parse_args(argv)
    channel = _channel()
    last = 0.0
    parent = os.getppid()

    def progress(done: int, total: int | None) -> None:
        nonlocal last
        if os.getppid() != parent:  # the worker died (SIGKILL): its successor analyses the clip
            os._exit(3)
        now = time.monotonic()
        if total and now - last >= PROGRESS_EVERY_S:
            last = now
            _send(channel, {"progress": round(min(1.0, done / total), 3)})

    try:
        analysis = analyze_video(
            options.path,
            options.exercise,
            exercise_classifiers(),
            progress=progress,
            max_fps=options.max_fps or None,
            max_duration_s=options.max_duration or None,
        )
    except VideoTooLong as exc:
        _send(channel, {"error": str(exc), "kind": "too_long"})
        return 2
    except UnknownExercise as exc:
        _send(channel, {"error": str(exc), "kind": "unknown_exercise"})
        return 2
    except VideoReadError as exc:
        _send(channel, {"error": str(exc), "kind": "unreadable"})
        return 2
    except PoseModelUnavailable as exc:
        _send(channel, {"error": str(exc), "kind": "no_pose_model"})
        return 2
    _send(channel, {"result": analysis.to_dict()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
