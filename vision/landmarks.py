"""Pose landmark frames (MediaPipe's 33-point body model) and the geometry rep counting needs.

A :class:`PoseFrame` holds one video frame's landmarks: image coordinates normalised to the frame
(``x`` by its width, ``y`` by its height, ``y`` pointing down), MediaPipe's relative depth ``z`` and a
``visibility`` in 0..1, plus the optional *world* landmarks (metres, origin between the hips, axes
aligned with the camera's). Helpers here work in aspect-corrected image units (``x`` multiplied by
width/height, so both axes are in frame heights) and never in pixels, so every measure can be
divided by a body length to become independent of the person's size and distance to the camera.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Literal, cast

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Side = Literal["left", "right"]

NUM_LANDMARKS = 33
#: Below this visibility a landmark is treated as not seen (MediaPipe's own drawing default).
MIN_VISIBILITY = 0.5


class Landmark(IntEnum):
    """Indices of MediaPipe Pose's 33 landmarks ("left" is the person's left)."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


#: The joints of one side of the body, by name, for both sides.
SIDES: dict[Side, dict[str, Landmark]] = {
    side: {
        joint: Landmark[f"{side.upper()}_{joint.upper()}"]
        for joint in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "foot_index")
    }
    for side in ("left", "right")
}


@dataclass(frozen=True)
class PoseFrame:
    """The landmarks of one frame at ``t_ms`` milliseconds from the start of the stream.

    ``landmarks`` is ``(33, 4)``: x, y (normalised to the frame), z, visibility; all NaN when no
    pose was found. ``world`` is ``(33, 3)`` or ``(33, 4)`` in metres, or ``None`` when unknown.
    ``aspect`` is the frame's width divided by its height.
    """

    t_ms: float
    landmarks: FloatArray
    world: FloatArray | None = None
    aspect: float = 1.0
    _xy: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        marks = np.asarray(self.landmarks, dtype=np.float64)
        if marks.shape != (NUM_LANDMARKS, 4):
            raise ValueError(f"landmarks must have shape (33, 4), not {marks.shape}")
        if not math.isfinite(self.aspect) or self.aspect <= 0:
            raise ValueError(f"aspect must be a positive number, not {self.aspect}")
        object.__setattr__(self, "landmarks", marks)
        if self.world is not None:
            world = np.asarray(self.world, dtype=np.float64)
            if world.shape[0] != NUM_LANDMARKS or world.shape[1] < 3:
                raise ValueError(f"world must have shape (33, 3) or (33, 4), not {world.shape}")
            object.__setattr__(self, "world", world[:, :3])
        object.__setattr__(self, "_xy", marks[:, :2] * np.array([self.aspect, 1.0]))

    @classmethod
    def empty(cls, t_ms: float, aspect: float = 1.0) -> PoseFrame:
        """A frame in which no pose was found."""
        return cls(t_ms, np.full((NUM_LANDMARKS, 4), np.nan), None, aspect)

    @property
    def detected(self) -> bool:
        """Whether a pose was found in this frame."""
        return bool(np.isfinite(self.landmarks[:, :2]).any())

    @property
    def present(self) -> bool:
        """Whether a person is really in view: a pose was found and some of the torso is visible.

        Pose models can report landmarks with visibility ~0 when there is no one to see (a black
        or empty frame at the start of a stream): such frames carry no measurement.
        """
        if not self.detected:
            return False
        torso = (
            Landmark.LEFT_SHOULDER,
            Landmark.RIGHT_SHOULDER,
            Landmark.LEFT_HIP,
            Landmark.RIGHT_HIP,
        )
        return max(self.visibility(i) for i in torso) >= MIN_VISIBILITY

    def xy(self, index: int) -> FloatArray:
        """Aspect-corrected image position of one landmark, in frame heights (y down)."""
        return cast(FloatArray, self._xy[index])

    def visibility(self, index: int) -> float:
        """Visibility of one landmark in 0..1 (0 when it was not estimated)."""
        value = float(self.landmarks[index, 3])
        return value if math.isfinite(value) else 0.0

    def visible(self, *indices: int, threshold: float = MIN_VISIBILITY) -> bool:
        """Whether every one of ``indices`` is visible enough to measure with."""
        return all(self.visibility(i) >= threshold for i in indices)

    def world_xyz(self, index: int) -> FloatArray | None:
        """World position of one landmark in metres (y down), or ``None`` without world data."""
        if self.world is None or not np.isfinite(self.world[index]).all():
            return None
        return cast(FloatArray, self.world[index])

    def mid_xy(self, a: int, b: int) -> FloatArray:
        """Image midpoint of two landmarks."""
        return cast(FloatArray, (self._xy[a] + self._xy[b]) / 2.0)

    def mid_world(self, a: int, b: int) -> FloatArray | None:
        """World midpoint of two landmarks, or ``None`` without world data."""
        pa, pb = self.world_xyz(a), self.world_xyz(b)
        if pa is None or pb is None:
            return None
        return (pa + pb) / 2.0


def distance(a: FloatArray, b: FloatArray) -> float:
    """Euclidean distance between two points (2D or 3D)."""
    return math.dist(a.tolist(), b.tolist())


def joint_angle(a: FloatArray, b: FloatArray, c: FloatArray) -> float:
    """Angle ABC at ``b`` in degrees (0..180), NaN when a segment has no length."""
    u, v = a - b, c - b
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu < 1e-9 or nv < 1e-9 or not (math.isfinite(nu) and math.isfinite(nv)):
        return math.nan
    cos = float(np.dot(u, v)) / (nu * nv)
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def inclination(top: FloatArray, bottom: FloatArray) -> float:
    """Angle in degrees between the segment top→bottom and straight down (y down): 0 upright."""
    v = bottom - top
    norm = float(np.linalg.norm(v))
    if norm < 1e-9 or not math.isfinite(norm):
        return math.nan
    return math.degrees(math.acos(max(-1.0, min(1.0, float(v[1]) / norm))))


def side_visibility(frame: PoseFrame, side: Side, joints: Iterable[str]) -> float:
    """Mean visibility of some joints (``"shoulder"``, ``"knee"``, ...) on one side."""
    names = list(joints)
    return sum(frame.visibility(SIDES[side][j]) for j in names) / max(1, len(names))


def better_side(frame: PoseFrame, joints: Iterable[str]) -> Side:
    """The side whose ``joints`` the camera sees better (the near side in a side view)."""
    names = list(joints)
    left = side_visibility(frame, "left", names)
    right = side_visibility(frame, "right", names)
    return "left" if left >= right else "right"


def torso_length(frame: PoseFrame) -> float:
    """Image distance from the shoulders' midpoint to the hips' midpoint, frame heights."""
    return distance(
        frame.mid_xy(Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
        frame.mid_xy(Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    )


def frames_from_arrays(
    landmarks: npt.ArrayLike,
    t_ms: npt.ArrayLike,
    world: npt.ArrayLike | None = None,
    aspect: float = 1.0,
) -> Iterator[PoseFrame]:
    """Frames from stacked arrays: ``landmarks`` (N, 33, 4), ``t_ms`` (N,), ``world`` (N, 33, 3|4)."""
    marks = np.asarray(landmarks, dtype=np.float64)
    times = np.asarray(t_ms, dtype=np.float64)
    worlds = None if world is None else np.asarray(world, dtype=np.float64)
    if marks.ndim != 3 or marks.shape[1:] != (NUM_LANDMARKS, 4) or len(times) != len(marks):
        raise ValueError("landmarks must be (N, 33, 4) with one timestamp per frame")
    for i in range(len(marks)):
        w = None
        if worlds is not None and np.isfinite(worlds[i, :, :3]).all():
            w = worlds[i]
        yield PoseFrame(float(times[i]), marks[i], w, aspect)


def load_landmark_clip(path: str | Path) -> list[PoseFrame]:
    """Frames of a landmark ``.npz`` as written for the shared clips (see its README)."""
    with np.load(path) as data:
        aspect = float(data["width"]) / float(data["height"]) if "width" in data else 1.0
        world = data["world"] if "world" in data else None
        return list(frames_from_arrays(data["landmarks"], data["t_ms"], world, aspect))
