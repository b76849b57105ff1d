"""View-robust posture features shared by the exercise classifiers.

Orientation (is the body upright or horizontal, which way do the shoulders face) comes from the
world landmarks when present: they are metric and 3D, so a push-up filmed head-on looks as
horizontal as one filmed side-on. Image landmarks are the fallback. Heights in the image are kept for
movement signals: with a roughly level camera, vertical image distances do not depend on the view's
yaw, only on the person's size, which :class:`~fithub.vision.body.BodyScale` divides out.
"""

from __future__ import annotations

import math

import numpy as np

from fithub.vision.landmarks import (
    SIDES,
    FloatArray,
    Landmark,
    PoseFrame,
    Side,
    inclination,
    joint_angle,
)

L = Landmark
#: Visibility enough to use a landmark for a height (lower than for lengths: ankles are often dim).
HEIGHT_VISIBILITY = 0.3


def ramp(x: float, lo: float, hi: float) -> float:
    """0 at ``lo``, 1 at ``hi``, linear between (``lo > hi`` gives a falling ramp); NaN → 0."""
    if not math.isfinite(x):
        return 0.0
    return max(0.0, min(1.0, (x - lo) / (hi - lo)))


def _mid(frame: PoseFrame, a: int, b: int) -> FloatArray:
    """World midpoint of two landmarks if known, else their image midpoint."""
    world = frame.mid_world(a, b)
    return world if world is not None else frame.mid_xy(a, b)


def torso_inclination(frame: PoseFrame) -> float:
    """Torso angle from vertical in degrees: 0 upright, 90 lying (world if known, else image)."""
    top = _mid(frame, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    bottom = _mid(frame, L.LEFT_HIP, L.RIGHT_HIP)
    return inclination(top, bottom)


def leg_inclination(frame: PoseFrame) -> float:
    """Angle of hips→ankles from vertical in degrees: 0 standing, 90 legs along the floor."""
    top = _mid(frame, L.LEFT_HIP, L.RIGHT_HIP)
    bottom = _mid(frame, L.LEFT_ANKLE, L.RIGHT_ANKLE)
    return inclination(top, bottom)


def angle_at(frame: PoseFrame, a: int, b: int, c: int) -> float:
    """Joint angle ABC in degrees, in 3D world space when known (view-independent), else image."""
    if frame.world is not None:
        pa, pb, pc = frame.world_xyz(a), frame.world_xyz(b), frame.world_xyz(c)
        if pa is not None and pb is not None and pc is not None:
            return joint_angle(pa, pb, pc)
    return joint_angle(frame.xy(a), frame.xy(b), frame.xy(c))


def side_angle(frame: PoseFrame, side: Side, a: str, b: str, c: str) -> float:
    """Joint angle on one side, e.g. ``side_angle(f, "left", "hip", "knee", "ankle")``."""
    joints = SIDES[side]
    return angle_at(frame, joints[a], joints[b], joints[c])


def floor_y(frame: PoseFrame, shin_length: float = math.nan) -> float:
    """Image height of the floor under the person: the lower visible ankle.

    With the feet out of the frame, the lower visible knee plus a shin's length stands in; NaN when
    neither is seen.
    """
    ankles = [
        float(frame.xy(i)[1])
        for i in (L.LEFT_ANKLE, L.RIGHT_ANKLE)
        if frame.visibility(i) >= HEIGHT_VISIBILITY
    ]
    if ankles:
        return max(ankles)
    knees = [
        float(frame.xy(i)[1])
        for i in (L.LEFT_KNEE, L.RIGHT_KNEE)
        if frame.visibility(i) >= HEIGHT_VISIBILITY
    ]
    return max(knees) + shin_length if knees else math.nan


def frontality(frame: PoseFrame) -> float:
    """How squarely the person faces (or turns their back to) the camera: 1 square, 0 side-on.

    The share of the shoulder line that lies across the image (world x) rather than along the
    line of sight; image-only frames give NaN.
    """
    a, b = frame.world_xyz(L.LEFT_SHOULDER), frame.world_xyz(L.RIGHT_SHOULDER)
    if a is None or b is None:
        return math.nan
    v = a - b
    norm = float(np.hypot(v[0], v[2]))
    return abs(float(v[0])) / norm if norm > 1e-6 else math.nan


def mean_visible(frame: PoseFrame, values: dict[Side, float], joints: tuple[str, ...]) -> float:
    """Mean of per-side values over the sides whose ``joints`` are visible (else the better one)."""
    good: list[float] = []
    fallback: list[tuple[float, float]] = []
    for side, value in values.items():
        if not math.isfinite(value):
            continue
        marks = [SIDES[side][j] for j in joints]
        if frame.visible(*marks):
            good.append(value)
        fallback.append((sum(frame.visibility(m) for m in marks), value))
    if good:
        return sum(good) / len(good)
    return max(fallback)[1] if fallback else math.nan


def hip_drop(frame: PoseFrame, leg_length: float, shin_length: float = math.nan) -> float:
    """How far the hips are below standing height, in leg lengths (0 standing, ~0.5 deep squat).

    One minus the hips' height above the floor (:func:`floor_y`) over the leg's length; NaN when
    the hips or the floor are not visible.
    """
    if not (math.isfinite(leg_length) and leg_length > 0):
        return math.nan
    if not frame.visible(L.LEFT_HIP, L.RIGHT_HIP, threshold=HEIGHT_VISIBILITY):
        return math.nan
    hip = frame.mid_xy(L.LEFT_HIP, L.RIGHT_HIP)
    return 1.0 - (floor_y(frame, shin_length) - float(hip[1])) / leg_length


def knee_asymmetry(frame: PoseFrame, leg_length: float) -> float:
    """Height difference between the knees in leg lengths: ~0 in a squat, large in a lunge."""
    if not (math.isfinite(leg_length) and leg_length > 0):
        return math.nan
    dy = float(frame.xy(L.LEFT_KNEE)[1] - frame.xy(L.RIGHT_KNEE)[1])
    return abs(dy) / leg_length


def standing(frame: PoseFrame) -> float:
    """How upright the person stands, 0..1: torso and legs both near vertical."""
    return min(ramp(torso_inclination(frame), 45.0, 30.0), ramp(leg_inclination(frame), 40.0, 25.0))


def world_arm_length(frame: PoseFrame, side: Side) -> float:
    """Shoulder→elbow→wrist length in metres (NaN without world landmarks)."""
    joints = [frame.world_xyz(SIDES[side][j]) for j in ("shoulder", "elbow", "wrist")]
    if any(p is None for p in joints):
        return math.nan
    a, b, c = (p for p in joints if p is not None)
    return float(np.linalg.norm(a - b) + np.linalg.norm(b - c))


def feet_spread(frame: PoseFrame, leg_length: float) -> float:
    """Horizontal image distance between the ankles, in leg lengths.

    With the feet out of the frame it is extrapolated from the knees (halfway down the legs): twice
    the knees' spread less the hips'. NaN when neither ankles nor knees are visible.
    """
    if not (math.isfinite(leg_length) and leg_length > 0):
        return math.nan

    def across(a: int, b: int) -> float:
        return abs(float(frame.xy(a)[0] - frame.xy(b)[0]))

    if frame.visible(L.LEFT_ANKLE, L.RIGHT_ANKLE, threshold=HEIGHT_VISIBILITY):
        return across(L.LEFT_ANKLE, L.RIGHT_ANKLE) / leg_length
    if frame.visible(L.LEFT_KNEE, L.RIGHT_KNEE, threshold=HEIGHT_VISIBILITY):
        knees, hips = across(L.LEFT_KNEE, L.RIGHT_KNEE), across(L.LEFT_HIP, L.RIGHT_HIP)
        return max(0.0, 2 * knees - hips) / leg_length
    return math.nan


def sideways_stance(frame: PoseFrame) -> float:
    """How much the feet are apart sideways (1) rather than front-to-back (0), in world space.

    The share of the ankle-to-ankle line along the hips' axis: jumping jacks and wide squats
    spread the feet sideways, lunges split them front to back, whatever the camera's angle. NaN
    without world landmarks or when the feet are together.
    """
    la, ra = frame.world_xyz(L.LEFT_ANKLE), frame.world_xyz(L.RIGHT_ANKLE)
    lh, rh = frame.world_xyz(L.LEFT_HIP), frame.world_xyz(L.RIGHT_HIP)
    if la is None or ra is None or lh is None or rh is None:
        return math.nan
    feet, hips = la - ra, lh - rh
    nf, nh = float(np.linalg.norm(feet)), float(np.linalg.norm(hips))
    if nf < 0.1 or nh < 1e-6:  # feet within 10 cm: no direction to speak of
        return math.nan
    return abs(float(feet @ hips)) / (nf * nh)


def feet_apart(frame: PoseFrame) -> float:
    """Distance between the ankles in world space, in leg lengths (any view; NaN without world)."""
    la, ra = frame.world_xyz(L.LEFT_ANKLE), frame.world_xyz(L.RIGHT_ANKLE)
    hip, knee = frame.world_xyz(L.LEFT_HIP), frame.world_xyz(L.LEFT_KNEE)
    if la is None or ra is None or hip is None or knee is None:
        return math.nan
    leg = float(np.linalg.norm(hip - knee) + np.linalg.norm(knee - la))
    return float(np.linalg.norm(la - ra)) / leg if leg > 1e-6 else math.nan


def knee_split(frame: PoseFrame, leg_length: float) -> float:
    """Height difference between the knees in leg lengths, from world landmarks when known.

    World landmarks have no perspective, so a camera above the person does not make the far knee
    look higher; without them this is :func:`knee_asymmetry` (image).
    """
    lk, rk = frame.world_xyz(L.LEFT_KNEE), frame.world_xyz(L.RIGHT_KNEE)
    hip, ankle = frame.world_xyz(L.LEFT_HIP), frame.world_xyz(L.LEFT_ANKLE)
    if lk is None or rk is None or hip is None or ankle is None:
        return knee_asymmetry(frame, leg_length)
    leg = float(np.linalg.norm(hip - lk) + np.linalg.norm(lk - ankle))
    return abs(float(lk[1] - rk[1])) / leg if leg > 1e-6 else math.nan


def chest_up(frame: PoseFrame) -> float:
    """How much the chest faces up (1), sideways (0) or down (-1), from world landmarks.

    The chest's direction is the normal of the plane through the shoulders and the hips' midpoint
    (world y points down). Lying on the back faces up, a plank faces down. NaN without world.
    """
    ls, rs = frame.world_xyz(L.LEFT_SHOULDER), frame.world_xyz(L.RIGHT_SHOULDER)
    hips = frame.mid_world(L.LEFT_HIP, L.RIGHT_HIP)
    if ls is None or rs is None or hips is None:
        return math.nan
    across = ls - rs  # towards the person's left
    down_spine = hips - (ls + rs) / 2
    normal = np.cross(down_spine, across)
    norm = float(np.linalg.norm(normal))
    return -float(normal[1]) / norm if norm > 1e-9 else math.nan


def side_lunge(frame: PoseFrame) -> float:
    """How much one knee is bent more than the other, degrees, in a wide sideways stance.

    The difference of the knee angles (3D), counted only while the feet are wide apart along the
    hips' axis (:func:`sideways_stance`, :func:`feet_apart`): a lateral lunge bends one knee over a
    side step and keeps the other leg straight (~90 degrees), a wide squat bends both alike (~0), a
    jumping jack neither. 0 in any other stance (a forward lunge, standing); NaN without world
    landmarks.
    """
    sideways, apart = sideways_stance(frame), feet_apart(frame)
    if frame.world is None or not math.isfinite(apart):
        return math.nan
    wide = ramp(sideways, 0.5, 0.8) * ramp(apart, 0.6, 0.9)
    left = angle_at(frame, L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE)
    right = angle_at(frame, L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE)
    return wide * abs(left - right) if wide > 0 else 0.0
