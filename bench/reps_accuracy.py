"""Rep-counting accuracy on the labelled shared clips, from landmarks (default) or from the videos.

Run from the repository root::

    python -m bench.reps_accuracy              # recorded landmarks (.npz): fast
    python -m bench.reps_accuracy --video      # MediaPipe Pose on the real videos, then count
    python -m bench.reps_accuracy --json       # machine-readable

For each clip it prints the expected count, the tolerated range (``range=a-b`` in labels.csv), the
count with the exercise given, and the exercise and count ``auto`` mode found; then the totals
within range. ``--video`` also reports the pose model's speed in frames per second (decoding
included). The data is read from ``$FITHUB_SHARED_DATA`` or ``../shared/data``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from typing import TextIO

from fithub.vision.auto import AutoCounter
from fithub.vision.classifiers import builtin_classifiers
from fithub.vision.events import ExerciseDetected, RepEvent
from fithub.vision.landmarks import PoseFrame, load_landmark_clip
from tests.exercise_clips import Clip, labelled_clips, shared_data


@dataclass
class Row:
    clip: str
    exercise: str
    expected: int
    low: int
    high: int
    counted: int
    auto_exercise: str | None
    auto_counted: int
    frames: int
    pose_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.low <= self.counted <= self.high

    @property
    def auto_ok(self) -> bool:
        return self.auto_exercise == self.exercise and self.low <= self.auto_counted <= self.high


def video_frames(clip: Clip) -> tuple[list[PoseFrame], float]:
    from fithub.vision.pose import estimate_video

    started = time.perf_counter()
    frames = list(estimate_video(clip.video))
    return frames, time.perf_counter() - started


def evaluate(clip: Clip, frames: list[PoseFrame], pose_seconds: float = 0.0) -> Row:
    classifiers = builtin_classifiers()
    counted = classifiers[clip.exercise].create_counter().feed(frames)
    auto = AutoCounter(list(classifiers.values())).feed(frames)
    detected = next((e.exercise for e in auto if isinstance(e, ExerciseDetected)), None)
    return Row(
        clip=clip.name,
        exercise=clip.exercise,
        expected=clip.reps,
        low=clip.low,
        high=clip.high,
        counted=sum(isinstance(e, RepEvent) for e in counted),
        auto_exercise=detected,
        auto_counted=sum(isinstance(e, RepEvent) for e in auto),
        frames=len(frames),
        pose_seconds=pose_seconds,
    )


def print_table(rows: list[Row], source: str, out: TextIO = sys.stdout) -> None:
    header = (
        f"{'clip':32} {'exercise':13} {'expected':>8} {'range':>6} {'counted':>8} "
        f"{'':2} {'auto: exercise':>15} {'counted':>8} {'':2}"
    )
    print(f"source: {source}", file=out)
    print(header, file=out)
    for r in rows:
        print(
            f"{r.clip:32} {r.exercise:13} {r.expected:>8} {f'{r.low}-{r.high}':>6} {r.counted:>8} "
            f"{'ok' if r.ok else 'XX':2} {r.auto_exercise or '-':>15} {r.auto_counted:>8} "
            f"{'ok' if r.auto_ok else 'XX':2}",
            file=out,
        )
    n = len(rows)
    print(
        f"within range: {sum(r.ok for r in rows)}/{n} with the exercise given, "
        f"{sum(r.auto_ok for r in rows)}/{n} in auto mode (right exercise and count)",
        file=out,
    )
    pose_time = sum(r.pose_seconds for r in rows)
    if pose_time > 0:
        frames = sum(r.frames for r in rows)
        print(
            f"pose: {frames} frames in {pose_time:.1f} s = {frames / pose_time:.1f} frames/s "
            "(MediaPipe Pose complexity 1, video mode, OpenCV decoding included, one process)",
            file=out,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--video", action="store_true", help="run pose on the videos (slower)")
    parser.add_argument("--json", action="store_true", help="print JSON (the table goes to stderr)")
    parser.add_argument(
        "--data", help="shared data folder (default: $FITHUB_SHARED_DATA or ../shared/data)"
    )
    args = parser.parse_args(argv)
    if args.data:
        os.environ["FITHUB_SHARED_DATA"] = args.data
    if shared_data() is None:
        print("shared data not found: set FITHUB_SHARED_DATA or pass --data", file=sys.stderr)
        return 2
    clips = labelled_clips()
    if not clips:
        print("no labelled clips found (exercise-videos/labels.csv)", file=sys.stderr)
        return 2
    rows = []
    for clip in clips:
        if args.video:
            frames, seconds = video_frames(clip)
            rows.append(evaluate(clip, frames, seconds))
        else:
            rows.append(evaluate(clip, load_landmark_clip(clip.landmarks)))
    source = "videos (MediaPipe Pose)" if args.video else "recorded landmarks (.npz)"
    if args.json:
        print_table(rows, source, sys.stderr)
        payload = [{**asdict(r), "ok": r.ok, "auto_ok": r.auto_ok} for r in rows]
        print(json.dumps({"source": source, "clips": payload}, indent=2))
    else:
        print_table(rows, source)
    return 0 if all(r.ok and r.auto_ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
