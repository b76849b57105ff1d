"""Analysing a whole clip: probe it, run pose on its frames, count reps and summarise the form.

Pure computation over a local file, shared by the upload job (``core/media``) and ``fithub
analyze``: :func:`probe_video` checks that OpenCV can decode a clip and reads its frame rate and
length; :func:`analyze_video` runs pose estimation and one exercise's counter (or ``auto``) over it
and returns a :class:`VideoAnalysis`. Nothing here knows about HTTP, jobs or the database.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fithub.plugins.types import ExerciseClassifier
from fithub.vision.auto import AUTO, create_counter
from fithub.vision.events import ExerciseDetected, RepEvent, VisionEvent
from fithub.vision.pose import PoseError, PoseEstimator, VideoReadError, read_video

# Decoding failures are reported by the functions here; FFmpeg's own messages about them would
# go straight to stderr, outside the JSON logs. FITHUB users may still set it to debug a clip.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET

#: ``progress(frames_done, frames_total)``; the total is an estimate from the container (None if
#: it does not say), so ``frames_done`` may pass it.
ProgressCallback = Callable[[int, int | None], None]


class VideoTooLong(PoseError, ValueError):
    """The clip runs longer than the analysis accepts."""


class UnknownExercise(PoseError, ValueError):
    """The exercise asked for is not one of the classifiers given."""


@dataclass(frozen=True)
class VideoInfo:
    """What OpenCV reads from a clip's header and first frame."""

    fps: float
    frame_count: int | None
    width: int
    height: int

    @property
    def duration_s(self) -> float | None:
        """Length from the frame count and rate, when the container states the count."""
        if not self.frame_count:
            return None
        return self.frame_count / self.fps


def probe_video(path: str | Path) -> VideoInfo:
    """Open a clip and decode its first and last frames; :class:`VideoReadError` if that fails.

    The last frame is decoded too, so a file cut short after an intact header is caught here
    rather than half-way through an analysis.
    """
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise VideoReadError("the file could not be opened as a video")
        ok, image = capture.read()
        if not ok or image is None or image.size == 0:
            raise VideoReadError("no frame of the video could be decoded")
        height, width = image.shape[:2]
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        if not math.isfinite(fps) or fps <= 0 or fps > 1000:
            fps = 30.0
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        frame_count = count if 0 < count < 10**8 else None
        if frame_count is not None and frame_count > 1:
            # Some containers only estimate the count (from the duration): near the end will do.
            ends = sorted({frame_count - 1, max(1, frame_count - 1 - math.ceil(2 * fps))})
            if not any(_decodes(capture, index) for index in reversed(ends)):
                raise VideoReadError(
                    "the video ends before its last frame: the file is truncated or corrupt"
                )
        return VideoInfo(fps=fps, frame_count=frame_count, width=int(width), height=int(height))
    finally:
        capture.release()


def _decodes(capture: Any, index: int) -> bool:
    import cv2

    capture.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, image = capture.read()
    return bool(ok) and image is not None


@dataclass(frozen=True)
class RepResult:
    """One counted rep: times in ms from the start of the clip, form score 0..1 and its cues."""

    number: int
    start_ms: float
    extreme_ms: float
    end_ms: float
    form_score: float
    cues: tuple[dict[str, Any], ...] = ()
    side: str | None = None

    @classmethod
    def from_event(cls, event: RepEvent) -> RepResult:
        return cls(
            number=event.number,
            start_ms=round(event.start_ms, 1),
            extreme_ms=round(event.extreme_ms, 1),
            end_ms=round(event.end_ms, 1),
            form_score=round(event.form_score, 3),
            cues=tuple(cue.to_dict() for cue in event.cues),
            side=event.side,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "number": self.number,
            "start_ms": self.start_ms,
            "extreme_ms": self.extreme_ms,
            "end_ms": self.end_ms,
            "duration_ms": round(self.end_ms - self.start_ms, 1),
            "form_score": self.form_score,
            "cues": [dict(cue) for cue in self.cues],
            "side": self.side,
        }


@dataclass(frozen=True)
class VideoAnalysis:
    """The outcome of one clip: the exercise (None when ``auto`` recognised none) and its reps."""

    requested_exercise: str
    exercise: str | None
    reps: tuple[RepResult, ...]
    frames: int
    pose_frames: int
    fps: float
    duration_s: float
    width: int
    height: int
    stride: int = 1
    detection: dict[str, Any] | None = field(default=None)

    @property
    def rep_count(self) -> int:
        return len(self.reps)

    @property
    def mean_form_score(self) -> float | None:
        """Mean of the reps' form scores (None without reps)."""
        if not self.reps:
            return None
        return round(sum(r.form_score for r in self.reps) / len(self.reps), 3)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what the upload API returns as ``result``)."""
        return {
            "exercise": self.exercise,
            "requested_exercise": self.requested_exercise,
            "detection": self.detection,
            "rep_count": self.rep_count,
            "mean_form_score": self.mean_form_score,
            "reps": [rep.to_dict() for rep in self.reps],
            "frames": self.frames,
            "pose_frames": self.pose_frames,
            "fps": round(self.fps, 3),
            "duration_s": round(self.duration_s, 3),
            "width": self.width,
            "height": self.height,
            "stride": self.stride,
        }


def analyze_video(
    path: str | Path,
    exercise: str = AUTO,
    classifiers: Mapping[str, ExerciseClassifier] | None = None,
    *,
    progress: ProgressCallback | None = None,
    max_fps: float | None = None,
    max_duration_s: float | None = None,
    estimator: PoseEstimator | None = None,
) -> VideoAnalysis:
    """Count ``exercise`` (a classifier name, or ``"auto"`` to recognise it) in a local clip.

    ``classifiers`` maps names to classifier instances (the built-ins when omitted). ``max_fps``
    analyses every n-th frame so that at most that many frames a second are estimated (counting is
    robust to a half or a third of the frame rate); ``max_duration_s`` stops with
    :class:`VideoTooLong` once a frame lies beyond it. ``progress`` is called after every frame.
    Raises :class:`VideoReadError` for a file OpenCV cannot decode, :class:`UnknownExercise` for a
    name not in ``classifiers``, and :class:`~fithub.vision.pose.PoseModelUnavailable` when the
    pose model is missing. CPU-bound: call it off the event loop.
    """
    if classifiers is None:
        from fithub.vision.classifiers import builtin_classifiers

        classifiers = builtin_classifiers()
    try:
        counter = create_counter(exercise, classifiers)
    except KeyError as exc:
        raise UnknownExercise(str(exc.args[0]) if exc.args else str(exc)) from exc
    info = probe_video(path)
    if max_duration_s is not None and (info.duration_s or 0.0) > max_duration_s:
        raise VideoTooLong(
            f"the video lasts {info.duration_s:.0f} s, at most {max_duration_s:.0f} s"
        )
    stride = max(1, math.floor(info.fps / max_fps)) if max_fps else 1
    total = -(-info.frame_count // stride) if info.frame_count else None
    own = estimator is None
    pose = estimator if estimator is not None else PoseEstimator(video=True)
    events: list[VisionEvent] = []
    frames = detected = 0
    last_ms = 0.0
    try:
        for frame in read_video(path, stride=stride):
            if max_duration_s is not None and frame.t_ms > max_duration_s * 1000:
                raise VideoTooLong(f"the video lasts longer than {max_duration_s:.0f} s")
            landmarks = pose.estimate(frame.image, frame.t_ms)
            frames += 1
            detected += landmarks.detected
            last_ms = frame.t_ms
            events.extend(counter.update(landmarks))
            if progress is not None:
                progress(frames, total)
        events.extend(counter.finish())
    finally:
        if own:
            pose.close()
    if frames == 0:
        raise VideoReadError("no frame of the video could be decoded")
    detection = next((e for e in events if isinstance(e, ExerciseDetected)), None)
    reps = tuple(RepResult.from_event(e) for e in events if isinstance(e, RepEvent))
    chosen = exercise if exercise != AUTO else (detection.exercise if detection else None)
    frame_ms = 1000.0 * stride / info.fps
    return VideoAnalysis(
        requested_exercise=exercise,
        exercise=chosen,
        reps=reps,
        frames=frames,
        pose_frames=detected,
        fps=info.fps,
        duration_s=info.duration_s or (last_ms + frame_ms) / 1000.0,
        width=info.width,
        height=info.height,
        stride=stride,
        detection=(
            {"confidence": round(detection.confidence, 3), "scores": dict(detection.scores)}
            if detection is not None
            else None
        ),
    )
