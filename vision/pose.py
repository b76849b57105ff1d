"""Pose estimation with MediaPipe Pose, and reading video clips frame by frame.

:class:`PoseEstimator` wraps the legacy ``mediapipe.solutions.pose`` graph with
``model_complexity=1``, whose model files ship inside the mediapipe 0.10.21 wheel: nothing is
downloaded at run time (complexities 0 and 2 would download, so they are refused). It takes a decoded
BGR image (numpy, as OpenCV gives) or encoded JPEG/PNG/WebP bytes and returns a
:class:`~fithub.vision.landmarks.PoseFrame`. The model is created lazily on first use and is not
pickled, so an estimator - or the picklable :class:`EstimatorFactory` - can be sent to a process pool
and each process builds its own model. One estimator serves one thread and one stream at a time.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from fithub.vision.landmarks import NUM_LANDMARKS, PoseFrame

BgrImage = npt.NDArray[np.uint8]

#: Model files the wheel must contain for ``model_complexity=1`` (paths inside the package).
MODEL_FILES = (
    "modules/pose_detection/pose_detection.tflite",
    "modules/pose_landmark/pose_landmark_full.tflite",
)
#: The only complexity whose model ships with the wheel.
MODEL_COMPLEXITY = 1
#: Encoded image signatures accepted: (prefix, offset of a second marker, marker).
_SIGNATURES: tuple[tuple[bytes, int, bytes], ...] = (
    (b"\xff\xd8\xff", 0, b""),  # JPEG
    (b"\x89PNG\r\n\x1a\n", 0, b""),  # PNG
    (b"RIFF", 8, b"WEBP"),  # WebP
)
#: Largest encoded image accepted, and largest decoded side (a guard against decompression bombs).
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_SIDE = 8192
#: Width of the blank image :meth:`PoseEstimator.warm` runs the model on.
WARM_SIDE = 640


class PoseError(Exception):
    """Root of the errors raised by :mod:`fithub.vision.pose`."""


class ImageDecodeError(PoseError, ValueError):
    """The bytes given are not a JPEG, PNG or WebP image that can be decoded."""


class PoseModelUnavailable(PoseError, RuntimeError):
    """mediapipe is not installed, or its wheel lacks the pose model files."""


class VideoReadError(PoseError, OSError):
    """A video clip could not be opened."""


def model_files() -> list[Path]:
    """Paths of the pose model files inside the installed mediapipe package.

    Raises :class:`PoseModelUnavailable` when mediapipe is missing or a file is absent (a mediapipe
    release that no longer ships them), so the pose model never tries to download anything.
    """
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise PoseModelUnavailable("mediapipe is not installed (pip install mediapipe==0.10.21)")
    root = Path(next(iter(spec.submodule_search_locations)))
    paths = [root / name for name in MODEL_FILES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise PoseModelUnavailable(
            "the installed mediapipe does not ship the pose model "
            f"(missing {', '.join(missing)}); install mediapipe==0.10.21"
        )
    return paths


def decode_image(data: bytes | bytearray | memoryview) -> BgrImage:
    """Decode JPEG, PNG or WebP bytes to a BGR image; :class:`ImageDecodeError` otherwise."""
    return _decode(data, cv2.IMREAD_COLOR)


def _decode(data: bytes | bytearray | memoryview, flags: int) -> npt.NDArray[np.uint8]:
    """Decode checked image bytes with ``cv2.imdecode`` flags (BGR, or RGB for the model)."""
    raw = data if isinstance(data, bytes) else bytes(data)
    if not raw:
        raise ImageDecodeError("empty image data")
    if len(raw) > MAX_IMAGE_BYTES:
        raise ImageDecodeError(
            f"image data too large ({len(raw)} bytes, at most {MAX_IMAGE_BYTES})"
        )
    if not any(
        raw.startswith(prefix) and raw[offset : offset + len(marker)] == marker
        for prefix, offset, marker in _SIGNATURES
    ):
        raise ImageDecodeError("data is not a JPEG, PNG or WebP image")
    buffer = np.frombuffer(raw, dtype=np.uint8)
    image = cv2.imdecode(buffer, flags)
    if image is None or image.size == 0:
        raise ImageDecodeError("image data is corrupt or truncated and could not be decoded")
    if max(image.shape[:2]) > MAX_IMAGE_SIDE:
        raise ImageDecodeError(f"image larger than {MAX_IMAGE_SIDE} pixels on a side")
    return np.asarray(image, dtype=np.uint8)


def as_bgr(image: npt.NDArray[Any]) -> BgrImage:
    """Check a decoded image and bring it to 3-channel 8-bit BGR (gray and BGRA are converted)."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise ValueError(f"image must be 8-bit (uint8), not {arr.dtype}")
    if arr.ndim == 2:
        arr = cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR)
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = cv2.cvtColor(arr, cv2.COLOR_BGRA2BGR)
    elif arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"image must be (H, W, 3) BGR, not shape {arr.shape}")
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ValueError("image is empty")
    return np.asarray(arr, dtype=np.uint8)


class PoseEstimator:
    """MediaPipe Pose (complexity 1) over single images or the frames of one video stream.

    ``video=True`` tracks the person from frame to frame (faster, steadier; frames must come in
    order from one stream); ``video=False`` treats every image on its own (photos).
    """

    def __init__(
        self,
        *,
        video: bool = True,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        smooth_landmarks: bool = True,
    ) -> None:
        self.video = video
        self.min_detection_confidence = min_detection_confidence
        self.min_tracking_confidence = min_tracking_confidence
        self.smooth_landmarks = smooth_landmarks
        self._model: Any = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_model"] = None  # each process builds its own graph
        state["_lock"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _ensure_model(self) -> Any:
        if self._model is None:
            model_files()
            try:
                from mediapipe.python.solutions import pose as mp_pose
            except ImportError as exc:  # pragma: no cover - model_files() checked the package
                raise PoseModelUnavailable(f"mediapipe cannot be imported: {exc}") from exc
            self._model = mp_pose.Pose(
                static_image_mode=not self.video,
                model_complexity=MODEL_COMPLEXITY,
                smooth_landmarks=self.smooth_landmarks,
                enable_segmentation=False,
                min_detection_confidence=self.min_detection_confidence,
                min_tracking_confidence=self.min_tracking_confidence,
            )
        return self._model

    def estimate(
        self, image: npt.NDArray[Any] | bytes | bytearray | memoryview, t_ms: float = 0.0
    ) -> PoseFrame:
        """Landmarks of the most prominent person in a BGR image or encoded image bytes.

        Returns an empty frame (``detected`` false) when no person is found. Raises
        :class:`ImageDecodeError` for bytes that are not an image and ``ValueError`` for arrays
        that are not 8-bit images.
        """
        if isinstance(image, bytes | bytearray | memoryview):
            # Decoded straight to RGB, the model's input: the same pixels as BGR then converted.
            rgb = _decode(image, cv2.IMREAD_COLOR_RGB)
        else:
            rgb = np.asarray(cv2.cvtColor(as_bgr(image), cv2.COLOR_BGR2RGB), dtype=np.uint8)
        height, width = rgb.shape[:2]
        with self._lock:
            results = self._ensure_model().process(rgb)
        return _to_frame(results, t_ms, width / height)

    def warm(self) -> None:
        """Build the model and run it once on a blank image, ahead of a stream's first frame.

        A new graph's first run costs several frames' time (about 150 ms); once warmed, the first
        frame of a stream costs about a normal frame, and the landmarks are the same as those of a
        new estimator (a blank image leaves nothing to track or smooth).
        """
        blank = np.zeros((WARM_SIDE * 3 // 4, WARM_SIDE, 3), dtype=np.uint8)
        with self._lock:
            self._ensure_model().process(blank)

    def close(self) -> None:
        """Free the model (it is rebuilt if the estimator is used again)."""
        with self._lock:
            if self._model is not None:
                self._model.close()
                self._model = None

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _to_frame(results: Any, t_ms: float, aspect: float) -> PoseFrame:
    marks = getattr(results, "pose_landmarks", None)
    if marks is None:
        return PoseFrame.empty(t_ms, aspect)
    image = np.array([[p.x, p.y, p.z, p.visibility] for p in marks.landmark], dtype=np.float64)
    world_marks = getattr(results, "pose_world_landmarks", None)
    world = None
    if world_marks is not None:
        world = np.array([[p.x, p.y, p.z] for p in world_marks.landmark], dtype=np.float64)
    if image.shape != (NUM_LANDMARKS, 4):
        return PoseFrame.empty(t_ms, aspect)
    return PoseFrame(t_ms, image, world, aspect)


@dataclass(frozen=True)
class EstimatorFactory:
    """Picklable recipe for a :class:`PoseEstimator`: send it to worker processes, call it there."""

    video: bool = True
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5

    def __call__(self) -> PoseEstimator:
        return PoseEstimator(
            video=self.video,
            min_detection_confidence=self.min_detection_confidence,
            min_tracking_confidence=self.min_tracking_confidence,
        )


_process_estimators: dict[EstimatorFactory, PoseEstimator] = {}


def process_estimator(factory: EstimatorFactory = EstimatorFactory(video=False)) -> PoseEstimator:
    """This process's estimator for ``factory``, created on first use (for process-pool workers)."""
    estimator = _process_estimators.get(factory)
    if estimator is None:
        estimator = _process_estimators[factory] = factory()
    return estimator


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame of a clip: its index, timestamp (ms) and BGR pixels."""

    index: int
    t_ms: float
    image: BgrImage


def read_video(
    path: str | Path, *, stride: int = 1, max_frames: int | None = None
) -> Iterator[VideoFrame]:
    """Decode a clip with OpenCV, yielding every ``stride``-th frame with its timestamp.

    Timestamps come from the container when it has them, else from the frame rate. Raises
    :class:`VideoReadError` when the file cannot be opened.
    """
    if stride < 1:
        raise ValueError("stride must be at least 1")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise VideoReadError(f"cannot open video {path}")
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS)) or 30.0
        if not math.isfinite(fps) or fps <= 0:
            fps = 30.0
        index = emitted = 0
        while max_frames is None or emitted < max_frames:
            ok, image = capture.read()
            if not ok or image is None:
                break
            if index % stride == 0:
                stamp = float(capture.get(cv2.CAP_PROP_POS_MSEC))
                t_ms = 1000.0 * index / fps if stamp <= 0 and index > 0 else stamp
                yield VideoFrame(index, t_ms, np.asarray(image, dtype=np.uint8))
                emitted += 1
            index += 1
    finally:
        capture.release()


def estimate_video(
    path: str | Path, *, estimator: PoseEstimator | None = None, stride: int = 1
) -> Iterator[PoseFrame]:
    """Landmarks of every ``stride``-th frame of a clip (a fresh video-mode estimator by default)."""
    own = estimator is None
    est = estimator if estimator is not None else PoseEstimator(video=True)
    try:
        for frame in read_video(path, stride=stride):
            yield est.estimate(frame.image, frame.t_ms)
    finally:
        if own:
            est.close()
