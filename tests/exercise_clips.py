"""Where the shared exercise clips are, and their labels, for the vision tests.

The data lives outside the repository: ``$FITHUB_SHARED_DATA`` if set, else ``../shared/data``
beside the repository. Tests that need it skip with a clear reason when it is absent.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path | None:
    """The shared data folder, or ``None`` when it is not there."""
    configured = os.environ.get("FITHUB_SHARED_DATA")
    root = Path(configured) if configured else REPO.parent / "shared" / "data"
    return root if root.is_dir() else None


def missing_reason(what: str) -> str:
    """Why a test skips: which data it wanted and where it looked."""
    where = os.environ.get("FITHUB_SHARED_DATA") or str(REPO.parent / "shared" / "data")
    return f"shared {what} not found (looked in {where}; set FITHUB_SHARED_DATA)"


@dataclass(frozen=True)
class Clip:
    """One labelled clip: its files, exercise, expected reps and the tolerated range."""

    name: str
    exercise: str
    reps: int
    low: int
    high: int
    video: Path
    landmarks: Path


def labelled_clips() -> list[Clip]:
    """Every clip of ``exercise-videos/labels.csv`` (empty when the data is absent)."""
    root = shared_data()
    if root is None:
        return []
    labels = root / "exercise-videos" / "labels.csv"
    if not labels.is_file():
        return []
    clips = []
    with labels.open(newline="") as handle:
        for row in csv.DictReader(handle):
            reps = int(row["reps"])
            found = re.search(r"range=(\d+)-(\d+)", row.get("notes", ""))
            low, high = (int(found.group(1)), int(found.group(2))) if found else (reps, reps)
            stem = Path(row["file"]).stem
            clips.append(
                Clip(
                    name=stem,
                    exercise=row["exercise"],
                    reps=reps,
                    low=low,
                    high=high,
                    video=root / "exercise-videos" / row["file"],
                    landmarks=root / "exercise-landmarks" / f"{stem}.npz",
                )
            )
    return clips


def clip_params() -> list[object]:
    """``pytest.param`` per clip, or one skipped param saying why there are none."""
    clips = labelled_clips()
    if not clips:
        return [pytest.param(None, marks=pytest.mark.skip(reason=missing_reason("clip labels")))]
    return [pytest.param(clip, id=clip.name) for clip in clips]


def clip_jpegs(name: str, count: int) -> list[tuple[float, bytes]]:
    """The first ``count`` frames of clip ``name`` as (t_ms, JPEG at quality 80), as a phone sends."""
    import cv2

    from fithub.vision.pose import read_video

    clip = next((c for c in labelled_clips() if c.name == name), None)
    if clip is None or not clip.video.is_file():
        pytest.skip(missing_reason(f"{name} clip"))
    return [
        (f.t_ms, cv2.imencode(".jpg", f.image, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes())
        for f in read_video(clip.video, max_frames=count)
    ]
