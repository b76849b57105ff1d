"""Rendering synthetic poses as MediaPipe would report them: landmarks, a virtual camera, frames.

Shared by :mod:`fithub.vision.synthetic` (the exercises) and :mod:`fithub.vision.synthetic_variants`
(their variants): a pose is a dict of 3D joints in the body frame (x to the person's left, y up,
z forward, metres); :func:`render` turns a sequence of poses into :class:`PoseFrame` objects seen by
a :class:`Camera`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from fithub.vision.landmarks import NUM_LANDMARKS, FloatArray, PoseFrame
from fithub.vision.landmarks import Landmark as L

Vec = FloatArray
Joints = dict[str, Vec]

UP = np.array([0.0, 1.0, 0.0])
FORWARD = np.array([0.0, 0.0, 1.0])
LEFT = np.array([1.0, 0.0, 0.0])


def unit(a: Vec) -> Vec:
    """``a`` scaled to length 1."""
    return cast(Vec, a / float(np.linalg.norm(a)))


def landmarks_3d(j: Joints) -> FloatArray:
    """The 33 MediaPipe landmarks (body frame, metres) of a pose's joints."""
    out = np.zeros((NUM_LANDMARKS, 3))
    for side, s in (("LEFT", "l"), ("RIGHT", "r")):
        for joint in ("SHOULDER", "ELBOW", "WRIST", "HIP", "KNEE", "ANKLE"):
            out[L[f"{side}_{joint}"]] = j[f"{s}_{joint.lower()}"]
        wrist, elbow = j[f"{s}_wrist"], j[f"{s}_elbow"]
        hand = unit(wrist - elbow)
        for finger, k in (("PINKY", 0.08), ("INDEX", 0.09), ("THUMB", 0.05)):
            out[L[f"{side}_{finger}"]] = wrist + k * hand
        ankle, knee = j[f"{s}_ankle"], j[f"{s}_knee"]
        shin = unit(knee - ankle)
        toe = FORWARD - float(FORWARD @ shin) * shin
        toe = unit(toe) if float(np.linalg.norm(toe)) > 1e-6 else FORWARD
        out[L[f"{side}_HEEL"]] = ankle - 0.05 * toe - 0.05 * shin
        out[L[f"{side}_FOOT_INDEX"]] = ankle + 0.16 * toe - 0.06 * shin
    head, face = j["head"], j["face"]
    across = unit(j["l_shoulder"] - j["r_shoulder"])
    top = unit(np.cross(face, across))
    nose = head + 0.1 * face
    out[L.NOSE] = nose
    for side, sign in (("LEFT", 1.0), ("RIGHT", -1.0)):
        eye = nose + 0.03 * top + sign * 0.03 * across - 0.02 * face
        out[L[f"{side}_EYE"]] = eye
        out[L[f"{side}_EYE_INNER"]] = eye - sign * 0.012 * across
        out[L[f"{side}_EYE_OUTER"]] = eye + sign * 0.012 * across
        out[L[f"{side}_EAR"]] = head + sign * 0.075 * across
        out[L[f"MOUTH_{side}"]] = nose - 0.04 * top + sign * 0.025 * across - 0.01 * face
    return out


@dataclass(frozen=True)
class Camera:
    """A camera looking horizontally at the person from ``distance`` metres.

    ``yaw`` in degrees is where the person faces: 0 towards the camera, 90 to the image's left
    (side view, left side near), 45 diagonal. ``height`` is the frame height in metres at the person
    (how much of the frame they fill), ``aspect`` the frame's width over height, ``floor`` where the
    floor is in the frame (0 top, 1 bottom), ``x`` where the person stands across it (0..1),
    ``elevation`` the lens's height above the floor in metres, ``roll`` a tilt in degrees.
    """

    yaw: float = 0.0
    distance: float = 3.0
    height: float = 2.2
    aspect: float = 9 / 16
    floor: float = 0.92
    x: float = 0.5
    elevation: float = 1.0
    roll: float = 0.0

    def project(self, points: FloatArray, offset_x: float = 0.0) -> tuple[FloatArray, FloatArray]:
        """Image landmarks (x, y normalised, z) and world landmarks (m, y down, hip-centred)."""
        th = math.radians(self.yaw)
        cam_x = points[:, 0] * math.cos(th) - points[:, 2] * math.sin(th) + offset_x
        depth = -(points[:, 0] * math.sin(th) + points[:, 2] * math.cos(th))
        up = points[:, 1]
        persp = self.distance / (self.distance + depth)
        px = self.x * self.aspect + persp * cam_x / self.height
        horizon = self.floor - self.elevation / self.height
        py = horizon - persp * (up - self.elevation) / self.height
        if self.roll:
            r = math.radians(self.roll)
            cx, cy = self.aspect / 2, 0.5
            dx, dy = px - cx, py - cy
            px, py = (
                cx + dx * math.cos(r) - dy * math.sin(r),
                cy + dx * math.sin(r) + dy * math.cos(r),
            )
        image = np.stack([px / self.aspect, py, depth / self.height / self.aspect], axis=1)
        world = np.stack([cam_x - offset_x, -up, depth], axis=1)
        hip = (world[L.LEFT_HIP] + world[L.RIGHT_HIP]) / 2
        return image, world - hip


def visibility(points: FloatArray, camera: Camera) -> FloatArray:
    """MediaPipe-like visibility: high for the near side, low for the far side's limbs.

    A side is "far" when its hip is deeper than the other's by most of the hip width (a side view);
    its elbow, wrist, hand, knee, ankle and foot then get a low visibility.
    """
    th = math.radians(camera.yaw)
    depth = -(points[:, 0] * math.sin(th) + points[:, 2] * math.cos(th))
    width = float(np.linalg.norm(points[L.LEFT_HIP] - points[L.RIGHT_HIP]))
    vis = np.full(NUM_LANDMARKS, 0.97)
    for side, other in (("LEFT", "RIGHT"), ("RIGHT", "LEFT")):
        behind = (depth[L[f"{side}_HIP"]] - depth[L[f"{other}_HIP"]]) / max(width, 1e-6)
        level = 0.97 - 0.62 * min(1.0, max(0.0, (behind - 0.3) / 0.6))
        for joint in (
            "ELBOW",
            "WRIST",
            "PINKY",
            "INDEX",
            "THUMB",
            "KNEE",
            "ANKLE",
            "HEEL",
            "FOOT_INDEX",
        ):
            vis[L[f"{side}_{joint}"]] = level
    return vis


def render(
    poses: Sequence[tuple[Joints, float]],
    cam: Camera,
    *,
    fps: float = 30.0,
    size: float = 1.0,
    noise: float = 0.0,
    gaps_s: Sequence[tuple[float, float]] = (),
    seed: int = 0,
) -> list[PoseFrame]:
    """Frames of a sequence of poses (each with a sideways offset in metres), one per ``1/fps``."""
    rng = np.random.default_rng(seed)
    dt = 1.0 / fps
    frames: list[PoseFrame] = []
    for i, (joints, offset) in enumerate(poses):
        t_ms = 1000.0 * i * dt
        if any(a <= i * dt < b for a, b in gaps_s):
            frames.append(PoseFrame.empty(t_ms, cam.aspect))
            continue
        points = landmarks_3d(joints) * size
        image, world = cam.project(points, offset * size)
        marks = np.empty((NUM_LANDMARKS, 4))
        marks[:, :3] = image
        marks[:, 3] = visibility(points, cam)
        if noise > 0:
            marks[:, :2] += rng.normal(0.0, noise, (NUM_LANDMARKS, 2)) * np.array(
                [1 / cam.aspect, 1]
            )
            world = world + rng.normal(0.0, noise * cam.height, world.shape)
        off = (
            (marks[:, 0] < -0.05)
            | (marks[:, 0] > 1.05)
            | (marks[:, 1] < -0.02)
            | (marks[:, 1] > 1.02)
        )
        marks[off, 3] = 0.05  # out of the frame: MediaPipe still guesses, with low visibility
        if off.mean() > 0.5:
            frames.append(PoseFrame.empty(t_ms, cam.aspect))
            continue
        frames.append(PoseFrame(t_ms, marks, world, cam.aspect))
    return frames


def concat(*parts: Sequence[PoseFrame]) -> list[PoseFrame]:
    """Sequences played one after the other (each part's times shifted to follow the last)."""
    out: list[PoseFrame] = []
    for part in parts:
        offset = (
            out[-1].t_ms + (part[1].t_ms - part[0].t_ms if len(part) > 1 else 33.3) if out else 0.0
        )
        out.extend(PoseFrame(f.t_ms + offset, f.landmarks, f.world, f.aspect) for f in part)
    return out
