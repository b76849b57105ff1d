"""Synthetic variants of the built-in exercises, and streams that open with no one in the frame.

:mod:`fithub.vision.synthetic` plays each exercise's textbook form; real people do variants: push-ups
with the hands on a bench (incline) or the feet on one (decline), squats holding a barbell (back or
front), a dumbbell at the chest (goblet) or ending in an overhead press (thruster), lunges that walk
forward, step back (reverse) or step out to the side (lateral), crunches as well as full sit-ups.
Each variant here is a movement ``(rep, u) -> pose`` (``u``: 0..1 through rep number ``rep``),
played by :func:`variant_sequence` with the same camera, noise and timing options. A stream can
also open with seconds of frames in which no person is found (:func:`blank_frames`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal, cast

import numpy as np

from fithub.vision.landmarks import NUM_LANDMARKS, PoseFrame
from fithub.vision.synthetic import (
    FOREARM,
    HIP_HALF,
    LEG,
    SHIN,
    THIGH,
    TORSO,
    UPPER_ARM,
    _hips,
    _legs,
    _upper,
    bend,
    cosine,
    lunge,
    situp,
    squat,
    v,
)
from fithub.vision.synthetic_render import (
    FORWARD,
    LEFT,
    UP,
    Camera,
    Joints,
    Vec,
    concat,
    render,
    unit,
)

Movement = Callable[[int, float], Joints]
Blank = Literal["empty", "invisible", "black"]


def shifted(j: Joints, by: Vec) -> Joints:
    """The pose moved by ``by`` metres (the face's direction unchanged)."""
    return {k: (p if k == "face" else p + by) for k, p in j.items()}


def mirrored(j: Joints) -> Joints:
    """The pose mirrored left-right (the other leg leads)."""
    flip = np.array([-1.0, 1.0, 1.0])
    out: Joints = {}
    for k, p in j.items():
        name = {"l": "r", "r": "l"}.get(k[:1], k[:1]) + k[1:] if k[1:2] == "_" else k
        out[name] = p * flip
    return out


def _step(u: float, out: float = 0.2) -> float:
    """How far a stepping foot is out: 0 → 1 over the first ``out`` of a rep, back over the last."""
    return min(1.0, u / out, (1.0 - u) / out)


def _dip(u: float, start: float = 0.15) -> float:
    """Depth while the foot is planted: 0 → 1 → 0 between ``start`` and ``1 - start``."""
    w = (u - start) / (1.0 - 2 * start)
    return math.sin(math.pi * w) ** 2 if 0.0 < w < 1.0 else 0.0


# --- push-ups -------------------------------------------------------------------------------------


def _circles(c1: Vec, r1: float, c2: Vec, r2: float) -> Vec:
    """The upper of the two points (y, z plane) at ``r1`` from ``c1`` and ``r2`` from ``c2``."""
    d_vec = c2 - c1
    d = float(np.linalg.norm(d_vec))
    a = (r1 * r1 - r2 * r2 + d * d) / (2 * d)
    h = math.sqrt(max(r1 * r1 - a * a, 0.0))
    mid = c1 + a * d_vec / d
    normal = v(0.0, d_vec[2], -d_vec[1]) / d
    return cast(Vec, mid + h * normal if normal[1] > 0 else mid - h * normal)


def sloped_pushup(p: float, hands: float = 0.0, feet: float = 0.0) -> Joints:
    """Push-up with the hands ``hands`` metres up (incline: on a bench or a box) or the feet
    (decline). The hands stay where they are; at the top the arms are straight and square to the
    body, as the body pivots about the feet."""
    arm = UPPER_ARM + FOREARM
    body_len = TORSO + LEG
    pivot = v(0.0, 0.08 + feet, 0.0)
    rise = hands + 0.03 - pivot[1]
    ahead = math.sqrt(body_len**2 + (0.97 * arm) ** 2 - rise**2)  # hands square to the body
    hand_mid = v(0.0, hands + 0.03, ahead)
    sh_mid = _circles(pivot, body_len, hand_mid, arm * (0.97 - 0.6 * p))
    axis = unit(sh_mid - pivot)
    hip_mid = pivot + LEG * axis
    j: Joints = {}
    j["l_hip"], j["r_hip"] = _hips(hip_mid)
    j["l_ankle"], j["r_ankle"] = pivot + 0.1 * LEFT, pivot - 0.1 * LEFT
    _legs(j, -UP)
    wrists = (hand_mid + 0.24 * LEFT, hand_mid - 0.24 * LEFT)
    _upper(j, hip_mid, 0.0, wrists=wrists, torso_dir=axis, face=-UP)
    return j


# --- squats ---------------------------------------------------------------------------------------

Grip = Literal["back", "front", "goblet", "overhead"]


def loaded_squat(p: float, grip: Grip = "back", lean: float = 0.6) -> Joints:
    """Squat holding a load: barbell on the back or the front of the shoulders, a dumbbell at the
    chest (goblet) or the arms locked overhead; ``lean`` is the torso's lean at the bottom (rad)."""
    j = squat(p)
    hip = (j["l_hip"] + j["r_hip"]) / 2
    tilt = lean * p
    axis = v(0.0, math.cos(tilt), math.sin(tilt))
    sh = hip + TORSO * axis
    ahead = unit(np.cross(LEFT, axis))  # the chest's forward direction
    if grip == "back":
        bar = sh + 0.06 * axis - 0.08 * ahead  # on the upper back, hands wide
        wrists = (bar + 0.42 * LEFT, bar - 0.42 * LEFT)
        hint = -axis - ahead
    elif grip == "front":
        wrists = (sh + 0.12 * LEFT + 0.1 * ahead, sh - 0.12 * LEFT + 0.1 * ahead)
        hint = ahead
    elif grip == "goblet":
        held = sh + 0.28 * ahead - 0.22 * axis  # a dumbbell held upright against the chest
        wrists = (held + 0.05 * LEFT, held - 0.05 * LEFT)
        hint = -axis
    else:
        wrists = (sh + 0.2 * LEFT + 0.56 * UP, sh - 0.2 * LEFT + 0.56 * UP)
        hint = UP
    _upper(j, hip, 0.0, wrists=wrists, elbow_hint=hint, torso_dir=axis)
    return j


def _rack_to_overhead(j: Joints, press: float) -> Joints:
    """A front-rack pose with the hands pressed ``press`` (0..1) of the way overhead."""
    if press <= 0:
        return j
    out = dict(j)
    for s, x in (("l", 1.0), ("r", -1.0)):
        sh = j[f"{s}_shoulder"]
        top = sh + x * 0.2 * LEFT + 0.56 * UP
        wrist = (1 - press) * j[f"{s}_wrist"] + press * top
        out[f"{s}_wrist"] = wrist
        out[f"{s}_elbow"] = bend(sh, wrist, 0.30, 0.27, x * LEFT + 0.3 * FORWARD)
    return out


def thruster(rep: int, u: float) -> Joints:
    """Thruster: a front squat whose drive up flows into an overhead press, then back to the rack."""
    depth = math.sin(math.pi * u / 0.6) ** 2 if u < 0.6 else 0.0
    press = math.sin(math.pi * (u - 0.55) / 0.45) ** 2 if u > 0.55 else 0.0
    return _rack_to_overhead(loaded_squat(depth, "front"), press)


# --- lunges ---------------------------------------------------------------------------------------

STRIDE = 0.75 * LEG


def walking_lunge(rep: int, u: float) -> Joints:
    """Walking lunge: step forward into a lunge, then bring the back foot forward; legs alternate."""
    front = "l" if rep % 2 == 0 else "r"
    s = _step(u)
    advance = rep * STRIDE + (STRIDE * (1.0 - s) if u >= 0.5 else 0.0)
    return shifted(lunge(_dip(u), front=front, step=s), v(0.0, 0.0, advance))


def reverse_lunge(rep: int, u: float) -> Joints:
    """Reverse lunge: one foot steps back into the lunge and returns; legs alternate."""
    front = "l" if rep % 2 == 0 else "r"
    s = _step(u)
    return shifted(lunge(_dip(u), front=front, step=s), v(0.0, 0.0, -STRIDE * s))


def lateral_lunge_pose(p: float, s: float) -> Joints:
    """Lateral lunge to the left: the left foot ``s`` of a wide step out, hips ``p`` of the way
    down over the bent left knee, the right leg straight; hands clasped at the chest."""
    hip_y = (LEG - 0.01) - 0.42 * LEG * p
    hip_z = -0.12 * p
    trail = v(-0.12, 0.08, 0.0)
    reach_sq = (0.99 * LEG) ** 2 - (hip_y - trail[1]) ** 2 - hip_z**2
    wide = trail[0] + math.sqrt(max(reach_sq, 0.0)) + HIP_HALF
    hip = v(s * wide, hip_y, hip_z)
    j: Joints = {}
    j["l_hip"], j["r_hip"] = _hips(hip)
    j["r_ankle"] = trail
    lift = 0.06 * math.sin(math.pi * s) if 0 < s < 1 else 0.0
    j["l_ankle"] = v(0.12 + s * (wide + 0.22), 0.08 + lift, 0.0)
    j["l_knee"] = bend(j["l_hip"], j["l_ankle"], THIGH, SHIN, FORWARD + 0.3 * LEFT)
    j["r_knee"] = bend(j["r_hip"], j["r_ankle"], THIGH, SHIN, FORWARD)
    lean = 0.5 * p
    axis = v(0.0, math.cos(lean), math.sin(lean))
    chest = hip + 0.7 * TORSO * axis + 0.25 * unit(np.cross(LEFT, axis))
    _upper(j, hip, lean, wrists=(chest + 0.05 * LEFT, chest - 0.05 * LEFT), elbow_hint=-UP)
    return j


def lateral_lunge(rep: int, u: float) -> Joints:
    """Lateral (side) lunge, stepping out to the left and to the right in turn."""
    pose = lateral_lunge_pose(_dip(u), _step(u))
    return pose if rep % 2 == 0 else mirrored(pose)


# --- sit-ups --------------------------------------------------------------------------------------


def crunch(p: float, lift_deg: float = 30.0) -> Joints:
    """Crunch: only the shoulders curl off the floor, the torso rising ``lift_deg`` at most."""
    angle = 12.0 + lift_deg * p  # torso above the floor, degrees (situp() goes to 80)
    return situp((angle - 12.0) / 68.0)


def _from_phase(pose: Callable[[float], Joints]) -> Movement:
    return lambda rep, u: pose(cosine(u))


#: Variants by name, each with the built-in exercise it is a form of.
VARIANTS: dict[str, tuple[str, Movement]] = {
    "incline_pushup": ("pushup", _from_phase(lambda p: sloped_pushup(p, hands=0.45))),
    "steep_incline_pushup": ("pushup", _from_phase(lambda p: sloped_pushup(p, hands=0.75))),
    "decline_pushup": ("pushup", _from_phase(lambda p: sloped_pushup(p, feet=0.45))),
    "back_squat": ("squat", _from_phase(lambda p: loaded_squat(p, "back"))),
    "front_squat": ("squat", _from_phase(lambda p: loaded_squat(p, "front", lean=0.3))),
    "goblet_squat": ("squat", _from_phase(lambda p: loaded_squat(p, "goblet", lean=0.35))),
    "overhead_squat": ("squat", _from_phase(lambda p: loaded_squat(p, "overhead", lean=0.3))),
    "thruster": ("squat", thruster),
    "walking_lunge": ("lunge", walking_lunge),
    "reverse_lunge": ("lunge", reverse_lunge),
    "lateral_lunge": ("lunge", lateral_lunge),
    "full_situp": ("situp", _from_phase(situp)),
    "crunch": ("situp", _from_phase(crunch)),
    "small_crunch": ("situp", _from_phase(lambda p: crunch(p, lift_deg=18.0))),
}


def variant_sequence(
    variant: str,
    reps: int,
    *,
    period_s: float = 2.4,
    rest_s: float = 0.4,
    lead_s: float = 0.6,
    fps: float = 30.0,
    camera: Camera | None = None,
    size: float = 1.0,
    noise: float = 0.0,
    seed: int = 0,
) -> list[PoseFrame]:
    """Frames of ``reps`` reps of a :data:`VARIANTS` movement (standing still before and between).

    The rest poses follow the person: after a walking lunge they stand where they arrived.
    """
    move = VARIANTS[variant][1]
    dt = 1.0 / fps
    poses: list[tuple[Joints, float]] = []

    def hold(pose: Joints, seconds: float) -> None:
        poses.extend((pose, 0.0) for _ in range(round(seconds / dt)))

    hold(move(0, 0.0), lead_s)
    for rep in range(reps):
        steps = round(period_s / dt)
        poses.extend((move(rep, i / steps), 0.0) for i in range(steps))
        hold(move(rep, 1.0), rest_s)
    return render(poses, camera or Camera(), fps=fps, size=size, noise=noise, seed=seed)


def blank_frames(
    seconds: float,
    kind: Blank = "empty",
    *,
    fps: float = 30.0,
    aspect: float = 9 / 16,
    seed: int = 0,
) -> list[PoseFrame]:
    """``seconds`` of frames in which no person is found, as pose pipelines report them.

    ``empty``: no landmarks (all NaN, MediaPipe found no pose). ``invisible``: landmarks scattered
    over the frame with visibility ~0 (a model guessing at nothing, world landmarks included).
    ``black``: a black frame through a pipeline that zero-fills: every coordinate and visibility 0.
    """
    rng = np.random.default_rng(seed)
    frames: list[PoseFrame] = []
    for i in range(round(seconds * fps)):
        t_ms = 1000.0 * i / fps
        if kind == "empty":
            frames.append(PoseFrame.empty(t_ms, aspect))
            continue
        marks = np.zeros((NUM_LANDMARKS, 4))
        world = np.zeros((NUM_LANDMARKS, 3))
        if kind == "invisible":
            marks[:, :3] = rng.uniform(0.0, 1.0, (NUM_LANDMARKS, 3))
            marks[:, 3] = rng.uniform(0.0, 0.02, NUM_LANDMARKS)
            world = rng.normal(0.0, 0.4, (NUM_LANDMARKS, 3))
        frames.append(PoseFrame(t_ms, marks, world, aspect))
    return frames


def with_lead_in(
    frames: Sequence[PoseFrame], seconds: float = 3.0, kind: Blank = "empty"
) -> list[PoseFrame]:
    """``frames`` preceded by ``seconds`` of :func:`blank_frames` of the same frame rate."""
    fps = 1000.0 / (frames[1].t_ms - frames[0].t_ms) if len(frames) > 1 else 30.0
    return concat(blank_frames(seconds, kind, fps=fps, aspect=frames[0].aspect), frames)
