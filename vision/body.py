"""The person's body lengths in the image, tracked online, to turn positions into body-size units.

A limb's image length shrinks when it points at the camera (foreshortening) and jitters from frame to
frame; its 90th percentile over the last few seconds is close to its real length seen side-on. Dividing
movements by these lengths makes signals independent of the person's size and distance to the camera.
"""

from __future__ import annotations

import math

from fithub.vision.landmarks import SIDES, Landmark, PoseFrame, Side, distance, torso_length
from fithub.vision.signal import RollingQuantile

#: Chains of joints whose length is tracked, by name.
SEGMENTS: dict[str, tuple[str, ...]] = {
    "upper_arm": ("shoulder", "elbow"),
    "forearm": ("elbow", "wrist"),
    "arm": ("shoulder", "elbow", "wrist"),
    "thigh": ("hip", "knee"),
    "shin": ("knee", "ankle"),
    "leg": ("hip", "knee", "ankle"),
}

#: Visibility a joint needs for its segment to be measured.
SEGMENT_VISIBILITY = 0.5
#: Average adult proportions, standing in for a segment not seen lately (feet or hands out of the
#: frame): segment = ratio x the other segment.
PROPORTIONS: dict[str, tuple[str, float]] = {
    "shin": ("thigh", 0.98),
    "leg": ("thigh", 1.98),
    "forearm": ("upper_arm", 0.9),
    "arm": ("upper_arm", 1.9),
}


class BodyScale:
    """Rolling reference lengths of the torso and limbs, in frame heights (aspect-corrected)."""

    def __init__(self, window_ms: float = 6000.0, q: float = 0.9) -> None:
        self._torso = RollingQuantile(q, window_ms)
        self._segments = {name: RollingQuantile(q, window_ms) for name in SEGMENTS}

    def update(self, frame: PoseFrame) -> None:
        """Add one frame's measurements (joints that are not visible are skipped)."""
        t = frame.t_ms
        torso = math.nan
        if frame.visible(
            Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP
        ):
            torso = torso_length(frame)
        self._torso.add(t, torso)
        bones = _bone_lengths(frame)
        for name, joints in SEGMENTS.items():
            best = math.nan
            for side in ("left", "right"):
                length = sum(bones[side][(a, b)] for a, b in zip(joints, joints[1:], strict=False))
                if math.isfinite(length) and not best >= length:
                    best = length
            self._segments[name].add(t, best)

    @property
    def torso(self) -> float:
        """Shoulders-to-hips length, NaN until seen."""
        return self._torso.value()

    def segment(self, name: str) -> float:
        """Length of a segment in :data:`SEGMENTS` (the longer visible side), NaN until seen.

        A segment not seen in the window is estimated from its neighbour by :data:`PROPORTIONS`.
        """
        value = self._segments[name].value()
        if math.isnan(value) and name in PROPORTIONS:
            base, ratio = PROPORTIONS[name]
            value = self._segments[base].value() * ratio
        return value


_BONES = (("shoulder", "elbow"), ("elbow", "wrist"), ("hip", "knee"), ("knee", "ankle"))


def _bone_lengths(frame: PoseFrame) -> dict[Side, dict[tuple[str, str], float]]:
    """Image length of each bone on each side; NaN where a joint is not visible enough."""
    lengths: dict[Side, dict[tuple[str, str], float]] = {}
    for side in ("left", "right"):
        joints = SIDES[side]
        lengths[side] = {
            (a, b): distance(frame.xy(joints[a]), frame.xy(joints[b]))
            if frame.visible(joints[a], joints[b], threshold=SEGMENT_VISIBILITY)
            else math.nan
            for a, b in _BONES
        }
    return lengths
