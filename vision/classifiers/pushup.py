"""Push-up: the body held straight and horizontal, the chest lowered towards the hands and back."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from fithub.vision.body import BodyScale
from fithub.vision.events import Cue
from fithub.vision.features import (
    chest_up,
    mean_visible,
    ramp,
    side_angle,
    torso_inclination,
    world_arm_length,
)
from fithub.vision.landmarks import SIDES, PoseFrame, Side, better_side, torso_length
from fithub.vision.reps import ExerciseModel, Measure, RepSummary

ARM = ("shoulder", "elbow", "wrist")
#: Hips this far below / above the shoulder-ankle line (torso lengths) break the plank.
SAG, PIKE = 0.18, -0.2
DEPTH = "Lower your chest closer to the floor"
SAGGING = "Tighten your core: your hips are sagging"
PIKING = "Lower your hips into a straight line"


def hip_line_offset(frame: PoseFrame) -> float:
    """Hips below (+) or above (-) the shoulder-ankle line, in torso lengths (world space).

    Measured on the side the camera sees better; NaN without world landmarks or when that side's
    hip and ankle are not visible.
    """
    if frame.world is None:
        return math.nan
    side = better_side(frame, ("shoulder", "hip", "knee", "ankle"))
    joints = SIDES[side]
    if not frame.visible(joints["hip"], joints["ankle"]):
        return math.nan
    sh = frame.world_xyz(joints["shoulder"])
    hip = frame.world_xyz(joints["hip"])
    ank = frame.world_xyz(joints["ankle"])
    if sh is None or hip is None or ank is None:
        return math.nan
    line = ank - sh
    length = float(np.linalg.norm(line))
    torso = float(np.linalg.norm(hip - sh))
    if length < 1e-6 or torso < 1e-6:
        return math.nan
    closest = sh + float((hip - sh) @ line) / (length * length) * line
    return float(hip[1] - closest[1]) / torso  # world y points down: + is sagging


def _support(frame: PoseFrame) -> float:
    """How far the hands are below the shoulders, in arm lengths (world space; else image: 1)."""
    values: dict[Side, float] = {}
    for side in ("left", "right"):
        joints = SIDES[side]
        shoulder, wrist = frame.world_xyz(joints["shoulder"]), frame.world_xyz(joints["wrist"])
        arm = world_arm_length(frame, side)
        if shoulder is not None and wrist is not None and arm > 0:
            values[side] = float(wrist[1] - shoulder[1]) / arm
    return mean_visible(frame, values, ARM) if values else 1.0


def _world_lowered(frame: PoseFrame) -> float:
    """1 - the shoulders' height above the hands in arm lengths, from world landmarks (else NaN).

    Metric and 3D, so an arm pointing at the camera (a push-up filmed head-on, hands on a box) is
    not foreshortened, as its image length is until the person has bent their elbows.
    """
    values: dict[Side, float] = {}
    for side in ("left", "right"):
        joints = SIDES[side]
        shoulder, wrist = frame.world_xyz(joints["shoulder"]), frame.world_xyz(joints["wrist"])
        arm = world_arm_length(frame, side)
        if shoulder is not None and wrist is not None and arm > 0:
            values[side] = 1.0 - float(wrist[1] - shoulder[1]) / arm
    return mean_visible(frame, values, ARM) if values else math.nan


class PushUp(ExerciseModel):
    """Counts push-ups by the shoulders' height above the hands, in arm lengths (any view; flat,
    incline, decline or on the knees)."""

    name: ClassVar[str] = "pushup"
    display_name: ClassVar[str] = "Push-up"
    #: Shoulders lowered by 20 % of the arm's length is the least that could be a push-up.
    min_rom: ClassVar[float] = 0.2

    def measure(self, frame: PoseFrame, body: BodyScale) -> Measure:
        arm = body.segment("arm")
        lowered: dict[Side, float] = {}
        if math.isfinite(arm) and arm > 0:
            for side in ("left", "right"):
                joints = SIDES[side]
                drop = frame.xy(joints["wrist"])[1] - frame.xy(joints["shoulder"])[1]
                lowered[side] = 1.0 - float(drop) / arm
        world = _world_lowered(frame)
        signal = world if math.isfinite(world) else mean_visible(frame, lowered, ARM)
        incl = torso_inclination(frame)
        # The start position is a plank: body horizontal, hips extended (straight legs, or thighs in
        # line with the body on the knees), hands under the shoulders. A sit-up's lying position
        # bends both hips and knees.
        knees = max(
            side_angle(frame, "left", "hip", "knee", "ankle"),
            side_angle(frame, "right", "hip", "knee", "ankle"),
        )
        hips = max(
            side_angle(frame, "left", "shoulder", "hip", "knee"),
            side_angle(frame, "right", "shoulder", "hip", "knee"),
        )
        extended = max(ramp(knees, 120.0, 145.0), ramp(hips, 135.0, 155.0))
        # Hands on a bench or a box (an incline push-up) hold the body further from horizontal: it
        # is still a plank while the arms reach out from the body to the support (standing, they
        # hang along it).
        reach = max(
            ramp(side_angle(frame, side, "hip", "shoulder", "wrist"), 50.0, 70.0) for side in SIDES
        )
        horizontal = max(ramp(incl, 45.0, 60.0), ramp(incl, 20.0, 35.0) * reach)
        if frame.world is None and math.isfinite(arm) and arm > 0:
            # Image only: a torso much shorter than the arm points at the camera (head-on plank).
            horizontal = max(horizontal, ramp(torso_length(frame) / arm, 0.6, 0.4))
        posture = horizontal * extended * ramp(_support(frame), 0.2, 0.5)
        form = {
            "hip_line": hip_line_offset(frame),
            "lowered": signal,
            "torso_incline": incl,
            "chest_up": chest_up(frame),
        }
        return Measure(signal, posture, form)

    def assess(self, rep: RepSummary) -> list[Cue]:
        cues: list[Cue] = []
        lowered = rep.peak.get("lowered", math.nan)
        if lowered < 0.5:
            cues.append(Cue("pushup_depth", DEPTH, min(0.4, 0.1 + (0.5 - lowered))))
        sag = rep.peak.get("hip_line", math.nan)
        pike = rep.low.get("hip_line", math.nan)
        if sag > SAG:
            cues.append(Cue("hips_sagging", SAGGING, min(0.4, 0.1 + 2 * (sag - SAG))))
        elif pike < PIKE:
            cues.append(Cue("hips_piking", PIKING, min(0.4, 0.1 + 2 * (PIKE - pike))))
        return cues

    def match(self, rep: RepSummary) -> float:
        # Chest to the floor all the way through (a sit-up or a crunch faces up).
        up = rep.peak.get("chest_up", math.nan)
        return rep.posture * (ramp(up, 0.0, -0.4) if math.isfinite(up) else 1.0)

    def live_cues(self, measure: Measure, progress: float) -> list[Cue]:
        line = measure.form.get("hip_line", math.nan)
        if line > SAG:
            return [Cue("hips_sagging", SAGGING)]
        if line < PIKE:
            return [Cue("hips_piking", PIKING)]
        return []
