"""Synthetic landmark sequences: a 3D stick figure doing an exercise, seen by a virtual camera.

For tests and for authors of exercise classifiers: each exercise is a pose as a function of a phase
``p`` (0 start position, 1 extreme), played with a smooth profile for a number of reps, optionally
after walking into the frame (and getting down to the floor), with an unfinished last rep, noise,
detection gaps, any body size, distance and camera yaw (0 front, 90 side). The figure's proportions
are an average adult's; landmarks come out as MediaPipe Pose would give them (image coordinates
normalised to the frame, world coordinates in metres around the hips, visibility lower for the far
side of the body), so counters can be checked without a camera or the pose model. The camera and
the rendering live in :mod:`fithub.vision.synthetic_render`; variants of the exercises (incline
push-ups, thrusters, lateral lunges, crunches, ...) in :mod:`fithub.vision.synthetic_variants`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import cast

import numpy as np

from fithub.vision.landmarks import PoseFrame
from fithub.vision.synthetic_render import (
    FORWARD,
    LEFT,
    UP,
    Camera,
    Joints,
    Vec,
    concat,
    landmarks_3d,
    render,
    unit,
    visibility,
)

__all__ = [
    "Camera",
    "EXERCISES",
    "FOREARM",
    "FORWARD",
    "HIP_HALF",
    "Joints",
    "LEFT",
    "LEG",
    "NECK",
    "Profile",
    "SHIN",
    "SHOULDER_HALF",
    "THIGH",
    "TORSO",
    "UP",
    "UPPER_ARM",
    "Vec",
    "bend",
    "blend",
    "concat",
    "cosine",
    "jumping_jack",
    "landmarks_3d",
    "lunge",
    "pick_up",
    "pose_for",
    "pushup",
    "render",
    "sequence",
    "situp",
    "squat",
    "standing",
    "unit",
    "v",
    "visibility",
]


# Segment lengths of a 1.75 m adult, metres (scaled by ``Body.size``).
TORSO, THIGH, SHIN, UPPER_ARM, FOREARM = 0.52, 0.44, 0.43, 0.30, 0.27
HIP_HALF, SHOULDER_HALF, NECK = 0.10, 0.19, 0.25
LEG = THIGH + SHIN


def v(x: float, y: float, z: float) -> Vec:
    """A 3D point in the body frame: x to the person's left, y up, z forward (metres)."""
    return np.array([x, y, z], dtype=np.float64)


def bend(root: Vec, end: Vec, l1: float, l2: float, towards: Vec) -> Vec:
    """Middle joint of a two-segment limb from ``root`` to ``end``, bulging ``towards``."""
    d_vec = end - root
    d = min(float(np.linalg.norm(d_vec)), l1 + l2 - 1e-6)
    u = d_vec / max(float(np.linalg.norm(d_vec)), 1e-9)
    a = (l1 * l1 - l2 * l2 + d * d) / (2 * d)
    h = math.sqrt(max(l1 * l1 - a * a, 0.0))
    side = towards - float(towards @ u) * u
    return cast(Vec, root + a * u + h * unit(side))


def _legs(joints: Joints, knee_hint: Vec) -> None:
    for s, x in (("l", 1.0), ("r", -1.0)):
        hint = knee_hint * np.array([x, 1.0, 1.0])  # mirror any sideways part
        joints[f"{s}_knee"] = bend(joints[f"{s}_hip"], joints[f"{s}_ankle"], THIGH, SHIN, hint)


def _hips(mid: Vec, across: Vec = LEFT) -> tuple[Vec, Vec]:
    return mid + HIP_HALF * across, mid - HIP_HALF * across


def standing(p: float = 0.0, stride: float = 0.0) -> Joints:
    """Standing upright; ``stride`` (-1..1) swings the legs as in walking."""
    hip = v(0.0, LEG - 0.01, 0.0)
    j: Joints = {}
    j["l_hip"], j["r_hip"] = _hips(hip)
    swing = 0.25 * stride
    for s, sign in (("l", 1.0), ("r", -1.0)):
        ang = sign * swing
        j[f"{s}_ankle"] = j[f"{s}_hip"] + LEG * 0.98 * v(0.0, -math.cos(ang), math.sin(ang))
    _legs(j, FORWARD)
    _upper(j, hip, lean=0.0, arm_dirs=(v(0.05, -1, 0.3 * swing), v(-0.05, -1, -0.3 * swing)))
    return j


def _upper(
    j: Joints,
    hip: Vec,
    lean: float,
    arm_dirs: tuple[Vec, Vec] | None = None,
    wrists: tuple[Vec, Vec] | None = None,
    elbow_hint: Vec = -FORWARD,
    torso_dir: Vec | None = None,
    face: Vec = FORWARD,
) -> None:
    """Shoulders, arms and head on top of ``hip`` (torso leaning forward by ``lean`` radians)."""
    axis = torso_dir if torso_dir is not None else v(0.0, math.cos(lean), math.sin(lean))
    sh = hip + TORSO * axis
    j["l_shoulder"], j["r_shoulder"] = sh + SHOULDER_HALF * LEFT, sh - SHOULDER_HALF * LEFT
    for i, s in enumerate(("l", "r")):
        shoulder = j[f"{s}_shoulder"]
        if wrists is not None:
            j[f"{s}_wrist"] = wrists[i]
            hint = elbow_hint + (0.5 if s == "l" else -0.5) * LEFT
            j[f"{s}_elbow"] = bend(shoulder, wrists[i], UPPER_ARM, FOREARM, hint)
        else:
            assert arm_dirs is not None
            d = unit(arm_dirs[i])
            j[f"{s}_elbow"] = shoulder + UPPER_ARM * d
            j[f"{s}_wrist"] = shoulder + (UPPER_ARM + FOREARM) * d
    j["head"] = sh + NECK * axis
    j["face"] = unit(face)


def squat(p: float, depth: float = 1.0, knees_in: float = 0.0) -> Joints:
    """Bodyweight squat, arms forward; ``knees_in`` (0..1) lets the knees cave."""
    q = p * depth
    hip = v(0.0, (LEG - 0.01) - 0.52 * LEG * q, -0.25 * q)
    j: Joints = {}
    j["l_hip"], j["r_hip"] = _hips(hip)
    j["l_ankle"], j["r_ankle"] = v(0.15, 0.08, 0.0), v(-0.15, 0.08, 0.0)
    _legs(j, FORWARD + (0.35 - 1.2 * knees_in) * LEFT)
    raise_ = 0.1 + 1.3 * q
    arm = v(0.0, -math.cos(raise_), math.sin(raise_))
    _upper(j, hip, lean=0.75 * q, arm_dirs=(arm, arm))
    return j


def lunge(p: float, front: str = "l", step: float = 0.0) -> Joints:
    """Lunge on the ``front`` leg; ``step`` (0..1) is how far that foot has stepped out."""
    stride = 0.75 * LEG * step
    hip_mid = v(0.0, 0.0, stride * 0.45)
    split = math.hypot(stride / 2, 0.0)
    hip_mid[1] = math.sqrt(max((LEG * 0.99) ** 2 - split**2, 0.01)) - 0.47 * LEG * p
    j: Joints = {}
    j["l_hip"], j["r_hip"] = _hips(hip_mid)
    back = "r" if front == "l" else "l"
    fx = 0.12 if front == "l" else -0.12
    lift = 0.08 * math.sin(math.pi * min(1.0, step)) if 0 < step < 1 else 0.0
    j[f"{front}_ankle"] = v(fx, 0.08 + lift, stride)
    j[f"{back}_ankle"] = v(-fx, 0.08 + 0.1 * p, 0.0)
    _legs(j, FORWARD)
    _upper(
        j, hip_mid, lean=0.05, wrists=(hip_mid + v(0.2, 0.05, 0.0), hip_mid + v(-0.2, 0.05, 0.0))
    )
    return j


def pushup(p: float, sag: float = 0.0, kneeling: float = 0.0) -> Joints:
    """Push-up: plank with straight arms at 0, chest near the floor at 1.

    ``sag`` drops the hips (metres); ``kneeling=1`` rests on the knees (a knee push-up).
    """
    pivot_len = TORSO + (THIGH if kneeling else LEG)
    arm = UPPER_ARM + FOREARM
    shoulder_h = arm * 0.98 - 0.62 * arm * p
    horiz = math.sqrt(max(pivot_len**2 - (shoulder_h - 0.08) ** 2, 0.01))
    pivot = v(0.0, 0.08, 0.0)  # ankles (or knees) on the floor
    sh_mid = v(0.0, shoulder_h, horiz)
    body = unit(sh_mid - pivot)
    hip_mid = pivot + (THIGH if kneeling else LEG) * body - v(0.0, sag, 0.0)
    j: Joints = {}
    j["l_hip"], j["r_hip"] = _hips(hip_mid)
    if kneeling:
        for s, x in (("l", 0.1), ("r", -0.1)):
            j[f"{s}_knee"] = v(x, 0.08, 0.0)
            j[f"{s}_ankle"] = v(x, 0.08 + 0.6 * SHIN, -0.8 * SHIN)
    else:
        j["l_ankle"], j["r_ankle"] = v(0.1, 0.08, 0.0), v(-0.1, 0.08, 0.0)
        _legs(j, -UP)
    hands = (v(0.24, 0.03, horiz), v(-0.24, 0.03, horiz))
    _upper(
        j,
        hip_mid,
        0.0,
        wrists=hands,
        elbow_hint=-FORWARD,
        torso_dir=unit(sh_mid - hip_mid),
        face=-UP,
    )
    return j


def situp(p: float) -> Joints:
    """Sit-up with bent knees and hands on the chest: lying at 0, chest to knees at 1."""
    hip_mid = v(0.0, 0.1, 0.0)
    j: Joints = {}
    j["l_hip"], j["r_hip"] = _hips(hip_mid)
    j["l_ankle"], j["r_ankle"] = v(0.12, 0.08, 0.62), v(-0.12, 0.08, 0.62)
    _legs(j, UP)
    angle = math.radians(12 + 68 * p)  # torso above the floor
    axis = v(0.0, math.sin(angle), -math.cos(angle))
    chest = hip_mid + 0.7 * TORSO * axis
    up_from_chest = unit(np.cross(axis, LEFT))
    wrists = (chest + 0.06 * LEFT + 0.1 * up_from_chest, chest - 0.06 * LEFT + 0.1 * up_from_chest)
    _upper(j, hip_mid, 0.0, wrists=wrists, elbow_hint=-axis, torso_dir=axis, face=up_from_chest)
    return j


def jumping_jack(p: float, arms: float = 1.0) -> Joints:
    """Jumping jack: feet together and arms down at 0, feet wide and hands overhead at 1."""
    spread = 0.1 + 0.32 * LEG * p
    hip_h = math.sqrt(max((LEG * 0.98) ** 2 - (spread - HIP_HALF) ** 2, 0.01))
    hip = v(0.0, hip_h + 0.05 * math.sin(math.pi * p), 0.0)
    j: Joints = {}
    j["l_hip"], j["r_hip"] = _hips(hip)
    j["l_ankle"], j["r_ankle"] = v(spread, 0.08, 0.0), v(-spread, 0.08, 0.0)
    _legs(j, FORWARD)
    beta = 0.25 + 2.6 * p * arms
    _upper(
        j,
        hip,
        0.0,
        arm_dirs=(
            v(math.sin(beta), -math.cos(beta), 0.05),
            v(-math.sin(beta), -math.cos(beta), 0.05),
        ),
    )
    return j


def pick_up(p: float) -> Joints:
    """Bending over to pick something up from the floor (a set-up movement, not an exercise)."""
    hip = v(0.0, (LEG - 0.01) - 0.25 * LEG * p, -0.25 * p)
    j: Joints = {}
    j["l_hip"], j["r_hip"] = _hips(hip)
    j["l_ankle"], j["r_ankle"] = v(0.12, 0.08, 0.0), v(-0.12, 0.08, 0.0)
    _legs(j, FORWARD)
    lean = 1.5 * p  # radians: nearly horizontal at the bottom
    down = v(0.0, -1.0, 0.15)
    _upper(j, hip, lean=lean, arm_dirs=(down, down), face=v(0.0, -math.sin(lean), math.cos(lean)))
    return j


Profile = Callable[[float], Joints]


def cosine(u: float) -> float:
    """Smooth 0 → 1 → 0 over u in 0..1."""
    return 0.5 - 0.5 * math.cos(2 * math.pi * u)


#: Movements by name: the built-in exercises, and ``pick_up`` (a set-up movement).
EXERCISES: dict[str, Profile] = {
    "pick_up": pick_up,
    "squat": squat,
    "pushup": pushup,
    "situp": situp,
    "jumping_jack": jumping_jack,
}


def pose_for(exercise: str, p: float, rep: int, u: float, **options: float) -> Joints:
    """The pose of ``exercise`` at phase ``p`` of rep ``rep`` (``u``: 0..1 through the rep)."""
    if exercise == "lunge":
        front = "l" if rep % 2 == 0 else "r"
        step = min(1.0, u / 0.2) if u < 0.5 else min(1.0, (1 - u) / 0.2)
        return lunge(p, front=front, step=step)
    return EXERCISES[exercise](p, **options)


def blend(a: Joints, b: Joints, w: float) -> Joints:
    """Joints moved ``w`` of the way from pose ``a`` to pose ``b`` (face direction included)."""
    out = {k: (1 - w) * a[k] + w * b[k] for k in a}
    out["face"] = unit(out["face"]) if float(np.linalg.norm(out["face"])) > 1e-6 else b["face"]
    return out


def sequence(
    exercise: str,
    reps: int,
    *,
    period_s: float = 2.0,
    rest_s: float = 0.4,
    fps: float = 30.0,
    camera: Camera | None = None,
    size: float = 1.0,
    noise: float = 0.0,
    walk_in_s: float = 0.0,
    lead_s: float = 0.6,
    partial_last: bool = False,
    gaps_s: Sequence[tuple[float, float]] = (),
    seed: int = 0,
    **options: float,
) -> list[PoseFrame]:
    """Frames of a person doing ``reps`` reps of ``exercise`` (plus the extras asked for).

    ``size`` scales the body (1 = 1.75 m); ``noise`` is landmark jitter in frame heights;
    ``walk_in_s`` adds a walk into the frame first (and getting down to the floor for floor
    exercises); ``partial_last`` adds a last rep that reaches the extreme but stops a quarter of
    the way back up; ``gaps_s`` are (start, end) seconds with no pose detected.
    """
    cam = camera or Camera()
    dt = 1.0 / fps
    start_pose = pose_for(exercise, 0.0, 0, 0.0, **options)
    frames_j: list[tuple[Joints, float]] = []  # pose and sideways offset (walking in)
    t = 0.0
    if walk_in_s > 0:
        walk_end = walk_in_s * (0.6 if exercise in ("pushup", "situp") else 1.0)
        while t < walk_in_s:
            if t < walk_end:
                stride = math.sin(2 * math.pi * 1.0 * t)
                frames_j.append((standing(0.0, stride), -1.6 * (1 - t / walk_end)))
            else:
                w = min(1.0, (t - walk_end) / (walk_in_s - walk_end))
                frames_j.append((blend(standing(), start_pose, w), 0.0))
            t += dt
    t0 = t
    while t - t0 < lead_s:
        frames_j.append((start_pose, 0.0))
        t += dt
    total = reps + (1 if partial_last else 0)
    for rep in range(total):
        last_partial = partial_last and rep == reps
        t_rep = t
        while t - t_rep < period_s:
            u = (t - t_rep) / period_s
            if last_partial and u > 0.62:
                break
            frames_j.append((pose_for(exercise, cosine(u), rep, u, **options), 0.0))
            t += dt
        if not last_partial:
            t_rest = t
            while t - t_rest < rest_s:
                frames_j.append((start_pose, 0.0))
                t += dt
    return render(frames_j, cam, fps=fps, size=size, noise=noise, gaps_s=gaps_s, seed=seed)
